"""Rerank passages by their best sentence: MiniLM similarity of question and sentence plus lexical coverage.

No cross-encoder ships in any installable package, so the default reranker works at sentence level with the
bi-encoder we have: a passage is as good as the sentence in it that best matches the question. A real
sentence-transformers ``CrossEncoder`` (llama-index's ``SentenceTransformerRerank``) replaces the passage
order when ``RAG_CROSS_ENCODER`` names a local model folder.
"""

from __future__ import annotations

import math
from collections import Counter, OrderedDict
from dataclasses import dataclass

import numpy as np

from rag.question import Question, content_stems
from rag.sentences import split_sentences
from rag.types import Passage, stable_hash

DENSE_WEIGHT = 0.55
LEXICAL_WEIGHT = 0.45


@dataclass
class ScoredSentence:
    passage: Passage
    start: int  # offsets in the article text
    end: int
    text: str
    dense: float
    lexical: float
    score: float


class SentenceScorer:
    """Embeds sentences (with an LRU cache: the same passages come back across questions) and scores them."""

    def __init__(self, embedder, cache_size: int = 50_000) -> None:
        self.embedder = embedder
        self.cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self.cache_size = cache_size

    def embed(self, texts: list[str]) -> np.ndarray:
        keys = [stable_hash(t) for t in texts]
        missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in self.cache}.items())
        if missing:
            vectors = self.embedder.get_text_embedding_batch([t for _, t in missing])
            for (key, _), vector in zip(missing, vectors, strict=True):
                self.cache[key] = np.asarray(vector, dtype=np.float32)
            while len(self.cache) > self.cache_size:
                self.cache.popitem(last=False)
        for key in keys:
            self.cache.move_to_end(key)
        return np.stack([self.cache[k] for k in keys]) if keys else np.zeros((0, 1), dtype=np.float32)

    def score(self, question: Question, query_vector, passages: list[Passage]) -> list[ScoredSentence]:
        """Every sentence of ``passages``, best first."""
        pieces: list[tuple[Passage, int, int, str]] = []
        seen: set[tuple[str, int]] = set()  # overlapping chunks repeat sentences
        for passage in passages:
            for start, end in split_sentences(passage.text):
                if (passage.article_id, passage.start + start) in seen:
                    continue
                seen.add((passage.article_id, passage.start + start))
                pieces.append((passage, passage.start + start, passage.start + end, passage.text[start:end]))
        if not pieces:
            return []
        vectors = self.embed([p[3] for p in pieces])
        query = np.asarray(query_vector, dtype=np.float32)
        dense = vectors @ query / (np.linalg.norm(vectors, axis=1) * np.linalg.norm(query) + 1e-9)
        stems = [set(content_stems(p[3])) for p in pieces]
        weights = idf_weights(question.stems, stems)
        total = sum(weights.values()) or 1.0
        out = []
        for (passage, start, end, text), cos, found in zip(pieces, dense.tolist(), stems, strict=True):
            lexical = sum(w for t, w in weights.items() if t in found) / total
            score = DENSE_WEIGHT * cos + LEXICAL_WEIGHT * lexical
            out.append(ScoredSentence(passage, start, end, text, cos, lexical, score))
        out.sort(key=lambda s: s.score, reverse=True)
        return out


def idf_weights(query_stems: frozenset[str], sentence_stems: list[set[str]]) -> dict[str, float]:
    """Inverse sentence frequency of the question's terms among the candidates: rare terms count more."""
    df = Counter(t for stems in sentence_stems for t in stems if t in query_stems)
    n = len(sentence_stems)
    return {t: math.log((n + 1) / (df.get(t, 0) + 0.5)) for t in query_stems}


def rerank_passages(sentences: list[ScoredSentence], passages: list[Passage]) -> list[Passage]:
    """Passages ordered by their best sentence's score (ties keep the fused order)."""
    best: dict[str, float] = {}
    for s in sentences:
        best.setdefault(s.passage.chunk_id, s.score)
    for rank, passage in enumerate(passages):
        passage.scores["fused_rank"] = rank
        passage.scores["sentence"] = best.get(passage.chunk_id, 0.0)
    return sorted(passages, key=lambda p: (-p.scores["sentence"], p.scores["fused_rank"]))


class CrossEncoderReranker:
    """llama-index's ``SentenceTransformerRerank`` over a local CrossEncoder folder."""

    def __init__(self, model_path: str, top_n: int) -> None:
        from llama_index.core.postprocessor import SentenceTransformerRerank

        self.postprocessor = SentenceTransformerRerank(model=model_path, top_n=top_n, device="cpu")

    def rerank(self, question: str, passages: list[Passage]) -> list[Passage]:
        from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

        by_id = {p.chunk_id: p for p in passages}
        nodes = [NodeWithScore(node=TextNode(id_=p.chunk_id, text=p.text), score=p.score) for p in passages]
        ranked = self.postprocessor.postprocess_nodes(nodes, query_bundle=QueryBundle(question))
        out = []
        for node in ranked:
            passage = by_id[node.node.node_id]
            passage.scores["cross_encoder"] = float(node.score or 0.0)
            out.append(passage)
        return out
