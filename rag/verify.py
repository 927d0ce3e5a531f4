"""Check a generated answer against the passages it cites.

A model's ``[n]`` is a claim, not a fact. Each sentence of the answer is matched against the sentences of the
passages it cites; the best one becomes the citation's quote (with exact article offsets, the same contract as
extractive answers) and the statement counts as supported only if that quote backs it: MiniLM cosine plus the
share of the statement's content words the quote contains. Markers that point at no passage are dropped and
noted; sentences without a marker, or whose cited passages do not back them, are flagged unsupported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from rag.answer import citation
from rag.prompt import CANNOT_ANSWER, injection_spans
from rag.question import content_stems
from rag.sentences import split_sentences
from rag.types import Citation, Passage, Statement

DENSE_WEIGHT = 0.5  # support = DENSE_WEIGHT * cosine + (1 - DENSE_WEIGHT) * content-word coverage

_MARKERS = re.compile(r"\s*\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
_REFUSAL = re.compile(
    r"(passages?|articles?|context|text|sources?) (do not|does not|don't|doesn't) (say|mention|contain|provide|"
    r"include|specify|state)|(cannot|can't|unable to) (answer|find|determine)|no information",
    re.IGNORECASE,
)


@dataclass
class Claim:
    """A sentence of the generated answer and the passage numbers it cites (1-based, as in the prompt)."""

    text: str
    cited: list[int] = field(default_factory=list)
    dropped: list[int] = field(default_factory=list)  # markers that name no passage


def parse_claims(answer: str, n_passages: int) -> list[Claim]:
    """Split the model's text into sentences and their markers; a sentence of markers alone joins the one before."""
    claims: list[Claim] = []
    for start, end in split_sentences(answer):
        piece = answer[start:end]
        numbers = [int(n) for group in _MARKERS.findall(piece) for n in re.split(r"[,;]", group)]
        text = _MARKERS.sub("", piece).strip()
        if not text and claims:
            claim = claims[-1]
        elif not text:
            continue
        else:
            claim = Claim(text)
            claims.append(claim)
        for n in numbers:
            bucket = claim.cited if 1 <= n <= n_passages else claim.dropped
            if n not in bucket:
                bucket.append(n)
    return claims


def is_refusal(claims: list[Claim]) -> bool:
    """The model said the passages do not answer the question (as told to in the prompt)."""
    return bool(claims) and (CANNOT_ANSWER.lower() in claims[0].text.lower() or bool(_REFUSAL.search(claims[0].text)))


@dataclass
class Candidate:
    passage: Passage
    start: int  # in the article
    end: int
    text: str


def candidates(passage: Passage) -> list[Candidate]:
    """Sentences of a passage that may serve as support: everything but text that addressed the model."""
    withheld = injection_spans(passage.text)
    return [
        Candidate(passage, passage.start + s, passage.start + e, passage.text[s:e])
        for s, e in split_sentences(passage.text)
        if not any(s < we and ws < e for ws, we in withheld)
    ]


class Verifier:
    def __init__(self, embed, threshold: float) -> None:
        """``embed(texts) -> np.ndarray`` of unit-length rows (the sentence scorer's cached embedder)."""
        self.embed = embed
        self.threshold = threshold

    def support(self, claim: str, sentences: list[Candidate]) -> list[float]:
        if not sentences:
            return []
        vectors = self.embed([claim, *(s.text for s in sentences)])
        vectors = vectors / (np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9)
        cosines = (vectors[1:] @ vectors[0]).tolist()
        stems = set(content_stems(claim))
        out = []
        for sentence, cos in zip(sentences, cosines, strict=True):
            coverage = len(stems & set(content_stems(sentence.text))) / len(stems) if stems else 0.0
            out.append(DENSE_WEIGHT * max(cos, 0.0) + (1 - DENSE_WEIGHT) * coverage)
        return out

    def best_sentences(self, claim: str, passages: list[Passage]) -> list[tuple[float, Candidate]]:
        """``(score, sentence)`` of the best-backing sentence of each passage, best first."""
        out = []
        for passage in passages:
            sentences = candidates(passage)
            scores = self.support(claim, sentences)
            if scores:
                best = int(np.argmax(scores))
                out.append((scores[best], sentences[best]))
        return sorted(out, key=lambda pair: -pair[0])

    def verify(self, claims: list[Claim], passages: list[Passage]) -> tuple[list[Statement], list[Citation], str]:
        """Statements with their verdicts, the citations they use (numbered in order of use), and the answer text
        rewritten with those citation numbers."""
        citations: list[Citation] = []
        by_quote: dict[tuple[str, int], int] = {}
        statements, parts = [], []
        for claim in claims:
            scored = self.best_sentences(claim.text, [passages[n - 1] for n in claim.cited])
            backing = [pair for pair in scored if pair[0] >= self.threshold]
            moved = False
            if not backing:  # a missing or wrong marker: another passage of the context may back it
                others = [p for n, p in enumerate(passages, start=1) if n not in claim.cited]
                backing = [pair for pair in self.best_sentences(claim.text, others)[:1] if pair[0] >= self.threshold]
                moved = bool(backing)
            numbers = []
            for score, sentence in backing or scored[:1]:
                key = (sentence.passage.article_id, sentence.start)
                if key not in by_quote:
                    by_quote[key] = len(citations) + 1
                    citations.append(citation(by_quote[key], sentence, score))
                numbers.append(by_quote[key])
            best_score = max([pair[0] for pair in scored + backing], default=0.0)
            statements.append(
                Statement(
                    text=claim.text, citations=numbers if backing else [], supported=bool(backing),
                    score=round(best_score, 4), note=_note(claim, bool(scored), bool(backing), moved),
                )
            )  # fmt: skip
            parts.append(claim.text + "".join(f" [{n}]" for n in numbers))
        return statements, citations, " ".join(parts)


def _note(claim: Claim, cited: bool, backed: bool, moved: bool) -> str | None:
    notes = []
    if claim.dropped:
        notes.append("dropped marker(s) " + ", ".join(f"[{n}]" for n in claim.dropped) + ": no such passage")
    if moved:
        notes.append("citation added by the verifier: the model cited no passage that backs it")
    elif not cited:
        notes.append("no citation")
    elif not backed:
        notes.append("the cited passage does not back this statement")
    return "; ".join(notes) or None
