"""How well a sentence of a passage supports a text: MiniLM cosine plus how many of the text's content words
the sentence contains.

One scorer, two uses that differ in named weights (:class:`Weights`): the optional sentence rerank scores the
sentences of retrieved passages against the *question* (:data:`RERANK`), and the verifier of generated answers
scores the sentences of cited passages against each *claim* the model wrote (:data:`VERIFY`). Whoever tunes
support tunes these two objects and nothing else.
"""

from __future__ import annotations

import math
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np

from rag.question import content_stems
from rag.sentences import split_sentences
from rag.types import Passage, stable_hash


@dataclass(frozen=True)
class Weights:
    dense: float  # weight of the cosine; the word coverage gets the rest
    idf: bool  # coverage weighted by how rare each word is among the candidates, or a plain share of words


# A question's rare words (names, numbers) pick the sentence out among many candidates: weight them by rarity.
RERANK = Weights(dense=0.55, idf=True)
# A claim is checked against the few sentences it cites: every content word of the claim should be backed.
VERIFY = Weights(dense=0.5, idf=False)


@dataclass(frozen=True)
class Sentence:
    """A sentence of a passage with its offsets in the article text (``article.text[start:end] == text``)."""

    passage: Passage
    start: int
    end: int
    text: str
    score: float = 0.0


def sentences_of(passage: Passage, withheld: Iterable[tuple[int, int]] = ()) -> list[Sentence]:
    """The passage's sentences, leaving out any overlapping a ``withheld`` span (offsets in the passage)."""
    withheld = list(withheld)
    return [
        Sentence(passage, passage.start + s, passage.start + e, passage.text[s:e])
        for s, e in split_sentences(passage.text)
        if not any(s < we and ws < e for ws, we in withheld)
    ]


def coverage_weights(stems: set[str], candidates: list[set[str]], idf: bool) -> dict[str, float]:
    """Weight of each content word of the text: 1, or its inverse frequency among the candidate sentences."""
    if not idf:
        return dict.fromkeys(stems, 1.0)
    df = Counter(t for found in candidates for t in found if t in stems)
    n = len(candidates)
    return {t: math.log((n + 1) / (df.get(t, 0) + 0.5)) for t in stems}


class SentenceScorer:
    """Embeds sentences (with an LRU cache: the same passages come back across questions) and scores them."""

    def __init__(self, embedder, cache_size: int = 50_000) -> None:
        self.embedder = embedder
        self.cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self.cache_size = cache_size
        self._lock = threading.Lock()

    def embed(self, texts: list[str]) -> np.ndarray:
        """Rows in the order of ``texts``; safe to call from the threads of a server (the cache is locked, the
        model call is not held under it)."""
        keys = [stable_hash(t) for t in texts]
        with self._lock:
            missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in self.cache}.items())
        fresh = self.embedder.get_text_embedding_batch([t for _, t in missing]) if missing else []
        with self._lock:
            for (key, _), vector in zip(missing, fresh, strict=True):
                self.cache[key] = np.asarray(vector, dtype=np.float32)
            for key in keys:
                self.cache.move_to_end(key)  # this call's texts are the most recent, hits included
            out = np.stack([self.cache[k] for k in keys]) if keys else np.zeros((0, 1), dtype=np.float32)
            while len(self.cache) > self.cache_size:  # evict only after reading: one call may exceed the size
                self.cache.popitem(last=False)
        return out

    def score(self, text: str, sentences: list[Sentence], weights: Weights, vector=None) -> list[Sentence]:
        """``sentences`` with their support for ``text`` as ``score`` (same order). ``vector``: ``text``'s
        embedding when the caller has it (the question's query vector)."""
        if not sentences:
            return []
        vectors = self.embed([s.text for s in sentences])
        query = np.asarray(vector if vector is not None else self.embed([text])[0], dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1) * np.linalg.norm(query) + 1e-9
        cosines = np.clip(vectors @ query / norms, 0.0, None).tolist()
        stems = set(content_stems(text))
        found = [set(content_stems(s.text)) for s in sentences]
        word_weights = coverage_weights(stems, found, weights.idf)
        total = sum(word_weights.values())
        out = []
        for sentence, cosine, words in zip(sentences, cosines, found, strict=True):
            coverage = sum(w for t, w in word_weights.items() if t in words) / total if total > 0 else 0.0
            out.append(replace(sentence, score=weights.dense * cosine + (1 - weights.dense) * coverage))
        return out
