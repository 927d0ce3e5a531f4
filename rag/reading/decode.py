"""From the reader's logits to a character span: pure numpy, shared by serving and by the training evals.

Kept apart from :mod:`rag.reading.reader` (which runs the exported graph) so the held-out scores printed at training
time come from the very decoding the service uses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAX_ANSWER_TOKENS = 30  # SQuAD answers are short; longer spans are clauses, which the cited sentence covers


@dataclass(frozen=True)
class TokenSpan:
    start_token: int
    end_token: int  # inclusive
    score: float  # start logit + end logit
    probability: float = 0.0  # softmax(start) * softmax(end) over the context tokens: how peaked the choice is


def best_token_span(
    start_logits: np.ndarray,
    end_logits: np.ndarray,
    context: np.ndarray,
    max_tokens: int = MAX_ANSWER_TOKENS,
    segments: np.ndarray | None = None,
    allowed: np.ndarray | None = None,
) -> TokenSpan | None:
    """The highest-scoring span (start <= end < start + max_tokens) whose tokens all lie in ``context`` (a bool
    mask of the passage's tokens, excluding the question, special tokens and padding) and, when ``segments``
    (one sentence number per token) is given, in one sentence: an answer never runs across a full stop.
    ``allowed`` (a bool mask) narrows where the span may be without changing its probability's denominator, which
    stays the whole context's."""
    positions = np.flatnonzero(context)
    if positions.size == 0:
        return None
    starts = start_logits[positions]
    ends = end_logits[positions]
    # scores[i, j] = start at positions[i], end at positions[j]; valid when 0 <= j - i < max_tokens and the two
    # tokens are in one contiguous run of context tokens.
    scores = starts[:, None] + ends[None, :]
    gap = positions[None, :] - positions[:, None]
    index_gap = np.arange(positions.size)[None, :] - np.arange(positions.size)[:, None]
    valid = (index_gap >= 0) & (index_gap < max_tokens) & (gap == index_gap)
    if segments is not None:
        sentence = segments[positions]
        valid &= sentence[:, None] == sentence[None, :]
    if allowed is not None:
        valid &= allowed[positions][:, None] & allowed[positions][None, :]
        if not valid.any():
            return None
    scores = np.where(valid, scores, -np.inf)
    i, j = np.unravel_index(int(np.argmax(scores)), scores.shape)
    log_norm = _logsumexp(starts) + _logsumexp(ends)
    return TokenSpan(int(positions[i]), int(positions[j]), float(scores[i, j]), float(np.exp(scores[i, j] - log_norm)))


def _logsumexp(x: np.ndarray) -> float:
    top = float(x.max())
    return top + float(np.log(np.exp(x - top).sum()))


def sigmoid(x: float) -> float:
    return float(1.0 / (1.0 + np.exp(-x)))


def sentence_of_tokens(offsets, context: np.ndarray, sentence_starts: list[int]) -> np.ndarray:
    """For each token, the index of the sentence its first character falls in (``sentence_starts`` sorted,
    character offsets into the passage); tokens outside the context get -1."""
    firsts = np.array([o[0] for o in offsets])
    out = np.searchsorted(np.asarray(sentence_starts), firsts, side="right") - 1
    return np.where(context, out, -1)
