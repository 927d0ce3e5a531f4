"""A small deterministic embedder for fast unit tests of retrieval and answering.

It hashes each content word's stem into one of 64 dimensions (a bag of words, L2-normalised): texts sharing words
are close, texts sharing none are orthogonal. It is a llama-index ``BaseEmbedding``, so Chroma, the vector index
and the sentence scorer take it where they take the real model; integration tests keep the real MiniLM.
"""

from __future__ import annotations

import hashlib

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding

from rag.question import content_stems

DIMENSIONS = 64


def bag_of_words(text: str) -> list[float]:
    vector = np.zeros(DIMENSIONS, dtype=np.float32)
    for stem in content_stems(text):
        vector[int.from_bytes(hashlib.sha256(stem.encode()).digest()[:4], "big") % DIMENSIONS] += 1.0
    norm = float(np.linalg.norm(vector))
    if norm == 0.0:
        vector[0], norm = 1.0, 1.0  # a text without content words still gets a valid unit vector
    return (vector / norm).tolist()


class WordHashEmbedding(BaseEmbedding):
    model_name: str = "word-hash-64"

    def _get_query_embedding(self, query: str) -> list[float]:
        return bag_of_words(query)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return bag_of_words(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return bag_of_words(text)

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return [bag_of_words(t) for t in texts]
