"""Hybrid retrieval: dense (Chroma) and BM25, fused by reciprocal rank with llama-index's QueryFusionRetriever.

The BM25 side (``rag.retrieval.lexical``) is derived state that follows the store's generation stamp and change
log (after any ``rag index``, from this process or another replica), so it never drifts from the vectors.
"""

from __future__ import annotations

from pathlib import Path

from rag.records import Filters, passage_from_record
from rag.retrieval.lexical import LexicalIndex
from rag.retrieval.store import Store
from rag.types import Passage

MODES = ("hybrid", "dense", "bm25")


class HybridRetriever:
    def __init__(self, store: Store, embedder, candidates: int = 20, cache_dir: Path | None = None) -> None:
        """``cache_dir``: where the lexical side saves its base index (see ``rag.retrieval.lexical``)."""
        from llama_index.core import VectorStoreIndex

        self.store = store
        self.candidates = candidates
        self.index = VectorStoreIndex.from_vector_store(store.vector_store(), embed_model=embedder)
        self.lexical = LexicalIndex(store, candidates, cache_dir)

    def refresh(self) -> None:
        """Bring the lexical side up to the store's generation now, and wait for it (a server's warm-up, the end
        of an upload, a benchmark's timer)."""
        self.lexical.refresh()

    def _dense_retriever(self, filters: Filters, k: int):
        return self.index.as_retriever(similarity_top_k=k, filters=filters.to_llama())

    # -- retrieval
    def retrieve(self, question: str, *, filters: Filters | None = None, mode: str = "hybrid",
                 k: int | None = None, embedding: list[float] | None = None) -> list[Passage]:  # fmt: skip
        """``embedding``: the question's vector when the caller has it already (the dense side then skips
        embedding the question a second time)."""
        from llama_index.core.llms import MockLLM
        from llama_index.core.retrievers import QueryFusionRetriever
        from llama_index.core.retrievers.fusion_retriever import FUSION_MODES
        from llama_index.core.schema import QueryBundle

        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        k = k or self.candidates
        filters = filters or Filters()
        dense = self._dense_retriever(filters, k) if mode in ("hybrid", "dense") else None
        bm25 = self.lexical.retriever(filters, k) if mode in ("hybrid", "bm25") else None
        retrievers = [r for r in (dense, bm25) if r is not None]
        if not retrievers:
            return []
        query = QueryBundle(query_str=question, embedding=embedding)
        if len(retrievers) == 1:
            results = retrievers[0].retrieve(query)
        else:
            fusion = QueryFusionRetriever(
                retrievers, llm=MockLLM(), mode=FUSION_MODES.RECIPROCAL_RANK, num_queries=1,
                similarity_top_k=k, use_async=False,
            )  # fmt: skip
            results = fusion.retrieve(query)
        if bm25 is not None and self.lexical.stale:
            results = self._still_stored(results)  # an older BM25 is answering: drop what was deleted meanwhile
        return [
            passage_from_record(r.node.node_id, r.node.get_content(), r.node.metadata, float(r.score or 0.0))
            for r in results[:k]
        ]

    def _still_stored(self, results: list) -> list:
        """The results whose chunk is still in the store (a changed chunk has a new id, so old text goes too)."""
        ids = [r.node.node_id for r in results]
        kept = set(self.store.chunks.get(ids=ids, include=[])["ids"]) if ids else set()
        return [r for r in results if r.node.node_id in kept]
