"""Hybrid retrieval: dense (Chroma) and BM25, fused by reciprocal rank with llama-index's QueryFusionRetriever.

The BM25 index is derived state: rebuilt from Chroma whenever the store's generation stamp moves (after any
``rag index``, from this process or another replica), so it never drifts from the vectors.
"""

from __future__ import annotations

import copy
import logging
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

from rag.records import Filters, not_text, passage_from_record
from rag.store import Store
from rag.types import Passage

log = logging.getLogger(__name__)

MODES = ("hybrid", "dense", "bm25")


class HybridRetriever:
    def __init__(self, store: Store, embedder, candidates: int = 20, cache_dir: Path | None = None) -> None:
        """``cache_dir``: where BM25 indexes are saved per store generation, so a restart loads instead of
        rebuilding (derived state: deleting it only costs a rebuild)."""
        from llama_index.core import VectorStoreIndex

        self.store = store
        self.candidates = candidates
        self.cache_dir = cache_dir
        self.index = VectorStoreIndex.from_vector_store(store.vector_store(), embed_model=embedder)
        # (BM25 retriever or None, each chunk's metadata, store generation): swapped as one, never half-updated
        self._lexical: tuple[Any, list[dict[str, Any]], int] | None = None
        self._lock = threading.Lock()
        self.background = False  # a server sets it: after a store change, answer on while BM25 is rebuilt
        self._building: int | None = None
        self._answering = threading.local()

    # -- the BM25 side, kept consistent with the store
    def refresh(self) -> None:
        """Bring the BM25 index up to the store's generation now, and wait for it (a server's warm-up, the end
        of an upload, a benchmark's timer)."""
        self._current(wait=True)

    def _current(self, wait: bool = False) -> tuple[Any, list[dict[str, Any]], int]:
        """The BM25 side for the store's generation. With ``background`` set and an older index at hand, the
        older one answers while the new one is built in a thread: no question waits for a rebuild (the dense
        side already finds new articles)."""
        generation = self.store.generation()
        lexical = self._lexical
        self._answering.stale = False  # whether this thread's BM25 results come from an older generation
        if lexical is not None and lexical[2] == generation:
            return lexical
        if lexical is not None and self.background and not wait:
            self._rebuild_in_background(generation)
            self._answering.stale = True
            return lexical
        with self._lock:
            if self._lexical is None or self._lexical[2] != generation:
                self._lexical = (*(self._load_bm25(generation) or self._build_bm25(generation)), generation)
            return self._lexical

    def _rebuild_in_background(self, generation: int) -> None:
        with self._lock:
            if self._building is not None:
                return
            self._building = generation

        def build() -> None:
            try:
                self._current(wait=True)
            except Exception:  # the next question tries again; the older index keeps answering
                log.exception("BM25 rebuild for generation %d failed", generation)
            finally:
                with self._lock:
                    self._building = None

        threading.Thread(target=build, name="bm25-rebuild", daemon=True).start()

    def _saved(self, generation: int) -> Path | None:
        """Where the BM25 index of this store's ``generation`` is kept: the chunk collection's id names the store
        (a store deleted and rebuilt restarts its generations under a new id), so a saved index never outlives
        the data it was built from."""
        if self.cache_dir is None:
            return None
        return self.cache_dir / f"bm25-{self.store.chunks.id}-g{generation}"

    def _load_bm25(self, generation: int):
        """The index saved for this generation (a restart, another process that indexed), or None."""
        folder = self._saved(generation)
        if folder is None or not (folder / "complete").exists():
            return None
        try:
            retriever = _matching_bm25_class().from_persist_dir(str(folder), show_progress=False)
        except Exception as exc:  # a damaged or foreign file: derived state, so rebuild
            log.warning("BM25 index at %s unreadable (%s): rebuilding", folder, exc)
            return None
        retriever.similarity_top_k = self.candidates
        from llama_index.core.vector_stores.utils import metadata_dict_to_node

        metas = [metadata_dict_to_node(entry).metadata for entry in retriever.corpus]
        log.info("BM25 loaded over %d chunks from %s", len(metas), folder)
        return retriever, metas

    def _build_bm25(self, generation: int):
        from llama_index.core.schema import TextNode

        nodes = [
            TextNode(id_=cid, text=text, metadata=meta, excluded_embed_metadata_keys=not_text(meta))
            for cid, text, meta in self.store.all_chunks()
        ]
        if not nodes:
            return None, []
        log.info("BM25 rebuilt over %d chunks", len(nodes))
        retriever = _matching_bm25_class().from_defaults(nodes=nodes, similarity_top_k=self.candidates)
        self._save(retriever, generation)
        return retriever, [n.metadata for n in nodes]

    def _save(self, retriever, generation: int) -> None:
        """Keep the index for the next start (written aside, then renamed; older generations removed)."""
        folder = self._saved(generation)
        if folder is None:
            return
        try:
            folder.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
            retriever.persist(str(tmp), show_progress=False)
            (tmp / "complete").touch()
            if folder.exists():
                shutil.rmtree(folder)
            tmp.rename(folder)
            for old in folder.parent.glob(f"bm25-{self.store.chunks.id}-g*"):
                if old != folder:
                    shutil.rmtree(old, ignore_errors=True)
        except OSError as exc:  # a read-only home still answers: it only rebuilds at every start
            log.warning("could not save the BM25 index under %s: %s", folder.parent, exc)

    def _bm25_retriever(self, filters: Filters, k: int):
        base, metas, _ = self._current()
        if base is None:
            return None
        retriever = copy.copy(base)
        retriever.similarity_top_k = min(k, len(metas))
        if filters:
            mask = [int(filters.matches(m)) for m in metas]
            if not any(mask):
                return None
            retriever.corpus_weight_mask = mask
        return retriever

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
        bm25 = self._bm25_retriever(filters, k) if mode in ("hybrid", "bm25") else None
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
        if bm25 is not None and getattr(self._answering, "stale", False):
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


def _matching_bm25_class():
    from llama_index.retrievers.bm25 import BM25Retriever

    class MatchingBM25(BM25Retriever):
        """BM25 that returns only chunks sharing a term with the query (bm25s pads top-k with zero scores,
        including chunks a filter masked out)."""

        def _retrieve(self, query_bundle):
            return [r for r in super()._retrieve(query_bundle) if r.score and r.score > 0]

    return MatchingBM25
