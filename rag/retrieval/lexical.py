"""The lexical (BM25) side of hybrid retrieval, kept in step with the store without rebuilding it.

A *base* index (bm25s, wrapped in llama-index's ``BM25Retriever``) covers the store at one generation and is
saved in the derived folder, so a restart loads it. Every write to the store first records the chunk ids it
touches in the store's change log (``Store.touched_since``), which lives in Chroma, so every replica reads the
same log. A reader that finds the store ahead of its base masks those ids in the base and scores their current
text in a small *delta* with the base's statistics (the same tokens, idf and length normalisation as bm25s'
Lucene BM25), so an article indexed a moment ago is found by its words at the next question. When the delta
outgrows a share of the base, or the log cannot say what changed (pruned, a store older than the log), the base
is rebuilt; in a server that happens in a thread while the older state answers.
"""

from __future__ import annotations

import copy
import functools
import json
import logging
import math
import shutil
import tempfile
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.records import Filters, not_text
from rag.retrieval.store import Store

log = logging.getLogger(__name__)

DELTA_MIN = 2000  # chunks a delta may hold before the base is rebuilt ...
DELTA_SHARE = 0.05  # ... or this share of the base, whichever is larger
STATS_FILE = "lexical.json"
NODE_KEYS = frozenset({"_node_content", "_node_type", "document_id", "doc_id", "ref_doc_id", "node_id"})


def bm25_term_score(tf: float, length: float, df: int, n_docs: int, avg_length: float, k1: float, b: float) -> float:
    """One term's contribution to a document's score, exactly as bm25s' default (Lucene) BM25 computes it."""
    idf = math.log(1 + (n_docs - df + 0.5) / (df + 0.5))
    return idf * tf / (tf + k1 * (1 - b + b * length / avg_length))


def _node(chunk_id: str, text: str, meta: dict[str, Any]):
    from llama_index.core.schema import TextNode

    return TextNode(id_=chunk_id, text=text, metadata=meta, excluded_embed_metadata_keys=not_text(meta))


def _indexed_text(node) -> str:
    """What BM25 reads of a chunk: its text and its title (``not_text`` keeps every other field out)."""
    from llama_index.core.schema import MetadataMode

    return node.get_content(metadata_mode=MetadataMode.EMBED)


def _tokens(texts: list[str], stemmer) -> list[list[str]]:
    import bm25s

    return bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, return_ids=False, show_progress=False)


@dataclass(frozen=True)
class Base:
    """A bm25s index over the store at ``generation``, with the statistics a delta is scored with."""

    retriever: Any  # MatchingBM25
    metas: list[dict[str, Any]]
    position: dict[str, int]  # chunk id -> row
    generation: int
    avg_length: float

    @property
    def size(self) -> int:
        return len(self.metas)

    def doc_freq(self, token: str) -> int:
        column = self.retriever.bm25.vocab_dict.get(token)
        if column is None:
            return 0
        indptr = self.retriever.bm25.scores["indptr"]
        return int(indptr[column + 1] - indptr[column])


@dataclass(frozen=True)
class Delta:
    """The current text of every chunk touched since the base (deleted ones are simply absent), tokenised once."""

    touched: frozenset[str]
    nodes: tuple = ()
    counts: tuple[Counter, ...] = ()  # each node's token counts
    lengths: tuple[int, ...] = ()
    postings: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # token -> [(row, term frequency)]

    @classmethod
    def of(cls, touched: frozenset[str], nodes: list, counts: list[Counter]) -> Delta:
        postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for row, row_counts in enumerate(counts):
            for token, count in row_counts.items():
                postings[token].append((row, count))
        return cls(touched, tuple(nodes), tuple(counts), tuple(sum(c.values()) for c in counts), dict(postings))

    def scores(self, query_tokens: list[str], base: Base) -> dict[int, float]:
        """BM25 scores of the delta's chunks, on the base's scale: idf over base and delta together, lengths
        normalised by the base's average."""
        bm25 = base.retriever.bm25
        n_docs = base.size + len(self.nodes)
        out: dict[int, float] = defaultdict(float)
        for token in query_tokens:
            hits = self.postings.get(token, ())
            df = base.doc_freq(token) + len(hits)
            for row, tf in hits:
                out[row] += bm25_term_score(tf, self.lengths[row], df, n_docs, base.avg_length, bm25.k1, bm25.b)
        return out


@dataclass(frozen=True)
class LexicalState:
    """What answers lexical queries at one store generation: the base with its touched rows masked, the delta."""

    base: Base | None
    generation: int
    delta: Delta
    base_mask: list[int] | None = None  # 0 for rows whose chunk was touched since the base; None: none was


@functools.cache
def _retriever_class():
    from llama_index.core.retrievers import BaseRetriever
    from llama_index.core.schema import NodeWithScore

    class LexicalRetriever(BaseRetriever):
        """A llama-index retriever over one ``LexicalState``, with filters: the base's and the delta's results
        merged by score (both on the base's scale)."""

        def __init__(self, state: LexicalState, filters: Filters, k: int, stemmer) -> None:
            super().__init__()
            self.state, self.filters, self.k, self.stemmer = state, filters, k, stemmer

        def _retrieve(self, query_bundle):
            state, found = self.state, []
            base = _base_retriever(state, self.filters, self.k)
            if base is not None:
                found.extend(base.retrieve(query_bundle))
            if state.delta.nodes:
                tokens = _tokens([query_bundle.query_str], self.stemmer)[0]
                for row, score in state.delta.scores(tokens, state.base).items():
                    node = state.delta.nodes[row]
                    if score > 0 and self.filters.matches(node.metadata):
                        found.append(NodeWithScore(node=node, score=score))
            found.sort(key=lambda r: -(r.score or 0.0))
            return found[: self.k]

    return LexicalRetriever


def _base_retriever(state: LexicalState, filters: Filters, k: int):
    """A copy of the base retriever asking for ``k`` results among the rows that are current and match."""
    base = state.base
    if base is None or base.size == 0:
        return None
    mask = state.base_mask
    if filters:
        matching = [int(filters.matches(m)) for m in base.metas]
        mask = matching if mask is None else [a & b for a, b in zip(mask, matching, strict=True)]
    if mask is not None and not any(mask):
        return None
    retriever = copy.copy(base.retriever)
    retriever.similarity_top_k = min(k, base.size)
    retriever.corpus_weight_mask = mask
    return retriever


class LexicalIndex:
    """The lexical side for one store: follows its generation through the change log, rebuilds when it must."""

    def __init__(self, store: Store, candidates: int = 20, cache_dir: Path | None = None) -> None:
        """``cache_dir``: where base indexes are saved, so a restart loads instead of rebuilding (derived state:
        deleting it only costs a rebuild)."""
        import Stemmer

        self.store = store
        self.candidates = candidates
        self.cache_dir = cache_dir
        self.stemmer = Stemmer.Stemmer("english")
        self.background = False  # a server sets it: a rebuild happens in a thread while the older state answers
        self._state: LexicalState | None = None
        self._lock = threading.Lock()
        self._building = False
        self._answering = threading.local()

    @property
    def stale(self) -> bool:
        """Whether this thread's last state came from an older generation (a rebuild is under way)."""
        return getattr(self._answering, "stale", False)

    def refresh(self) -> LexicalState:
        """Bring the lexical side up to the store's generation now, and wait for it."""
        return self.current(wait=True)

    def rebuild(self) -> LexicalState:
        """Build a new base from the store now (what a delta that outgrew its base triggers), and use it."""
        state = self._open(load=False)
        with self._lock:
            self._state = state
        return state

    def doc_freq(self, token: str) -> tuple[int, int]:
        """``(chunks holding the stemmed token, chunks in all)`` in the state the last query used (no wait)."""
        state = self._state
        if state is None:
            return 0, 0
        base_df = state.base.doc_freq(token) if state.base is not None else 0
        size = state.base.size if state.base is not None else 0
        return base_df + len(state.delta.postings.get(token, ())), size + len(state.delta.nodes)

    def retriever(self, filters: Filters, k: int):
        state = self.current()
        if state.base is None and not state.delta.nodes:
            return None
        return _retriever_class()(state, filters, k, self.stemmer)

    def current(self, wait: bool = False) -> LexicalState:
        """The state for the store's generation: the same one, the one before caught up through the change log
        (milliseconds), or a rebuilt base. With ``background`` set and a state at hand, a rebuild happens in a
        thread and the older state answers meanwhile (the dense side already finds new articles)."""
        generation = self.store.generation()
        self._answering.stale = False
        state = self._state
        if state is not None and state.generation == generation:
            return state
        if state is not None and self.background and self._building and not wait:
            self._answering.stale = True  # a rebuild is under way: no question waits for it
            return state
        if state is not None:
            with self._lock:  # one thread catches up; others wait those milliseconds, then share its state
                state = self._state
                if state.generation == generation:
                    return state
                advanced = self._advance(state, generation)
                if advanced is not None:
                    self._state = advanced
                    return advanced
            if self.background and not wait:
                self._rebuild_in_background()
                self._answering.stale = True
                return state
        with self._lock:
            if self._state is None or self._state.generation != self.store.generation():
                self._state = self._open()
            return self._state

    # -- catching up through the change log
    def _advance(self, state: LexicalState, generation: int) -> LexicalState | None:
        """``state`` brought to ``generation`` by the chunks touched since, or None when a rebuild is needed."""
        base = state.base
        if base is None:
            return None
        touched = self.store.touched_since(state.generation, generation)
        if touched is None:
            return None
        everything = state.delta.touched | touched
        if len(everything) > max(DELTA_MIN, DELTA_SHARE * base.size):
            log.info("BM25 delta of %d chunks outgrew the base: rebuilding", len(everything))
            return None
        kept = [i for i, n in enumerate(state.delta.nodes) if n.node_id not in touched]
        fresh = [_node(*chunk) for chunk in self.store.chunks_by_id(touched)]
        nodes = [state.delta.nodes[i] for i in kept] + fresh
        counts = [state.delta.counts[i] for i in kept]
        counts += [Counter(t) for t in _tokens([_indexed_text(n) for n in fresh], self.stemmer)] if fresh else []
        mask = None
        rows = [base.position[i] for i in everything if i in base.position]
        if rows:
            mask = [1] * base.size
            for row in rows:
                mask[row] = 0
        return LexicalState(base, generation, Delta.of(frozenset(everything), nodes, counts), mask)

    def _rebuild_in_background(self) -> None:
        with self._lock:
            if self._building:
                return
            self._building = True

        def build() -> None:
            try:
                self.rebuild()  # the next question catches it up if the store moved meanwhile
            except Exception:  # the next question tries again; the older state keeps answering
                log.exception("BM25 rebuild failed")
            finally:
                with self._lock:
                    self._building = False

        threading.Thread(target=build, name="bm25-rebuild", daemon=True).start()

    # -- the base: loaded, caught up, or built
    def _open(self, load: bool = True) -> LexicalState:
        generation = self.store.generation()
        base = self._load(generation) if load else None
        if base is not None:
            empty = LexicalState(base, base.generation, Delta(frozenset()))
            caught_up = self._advance(empty, generation)
            if caught_up is not None:
                return caught_up
        base = self._build()
        return LexicalState(base, base.generation if base else generation, Delta(frozenset()))

    def _build(self) -> Base | None:
        """A base over every stored chunk. The generation is read first: writes made while the chunks are read
        belong to a later generation, whose log entry the next catch-up applies."""
        import bm25s
        from llama_index.core.vector_stores.utils import node_to_metadata_dict

        generation = self.store.generation()
        nodes = [_node(*chunk) for chunk in self.store.all_chunks()]
        if not nodes:
            return None
        tokenized = bm25s.tokenize(
            [_indexed_text(n) for n in nodes], stopwords="en", stemmer=self.stemmer, show_progress=False
        )
        bm25 = bm25s.BM25()
        bm25.index(tokenized, show_progress=False)
        bm25.corpus = [node_to_metadata_dict(n) | {"node_id": n.node_id} for n in nodes]
        retriever = _matching_bm25_class()(existing_bm25=bm25, similarity_top_k=self.candidates)
        avg_length = sum(len(ids) for ids in tokenized.ids) / len(nodes)
        log.info("BM25 rebuilt over %d chunks", len(nodes))
        base = Base(retriever, [n.metadata for n in nodes], {n.node_id: i for i, n in enumerate(nodes)},
                    generation, avg_length)  # fmt: skip
        self._save(base)
        return base

    def _folder(self, generation: int) -> Path | None:
        """Where the base of this store's ``generation`` is kept: the chunk collection's id names the store (a
        store deleted and rebuilt restarts its generations under a new id), so a saved base never outlives the
        data it was built from."""
        if self.cache_dir is None:
            return None
        return self.cache_dir / f"bm25-{self.store.chunks.id}-g{generation}"

    def _load(self, generation: int) -> Base | None:
        """The newest saved base at or before ``generation`` (a restart, another process that indexed), or None."""
        if self.cache_dir is None or not self.cache_dir.exists():
            return None
        prefix = f"bm25-{self.store.chunks.id}-g"
        saved = sorted(
            (int(p.name[len(prefix) :]), p)
            for p in self.cache_dir.glob(f"{prefix}*")
            if p.name[len(prefix) :].isdigit() and (p / "complete").exists()
        )
        saved = [(g, p) for g, p in saved if g <= generation]
        if not saved:
            return None
        base_generation, folder = saved[-1]
        try:
            retriever = _matching_bm25_class().from_persist_dir(str(folder), show_progress=False)
            stats = json.loads((folder / STATS_FILE).read_text(encoding="utf-8"))
            avg_length = float(stats["avg_length"])
        except Exception as exc:  # a damaged or foreign file: derived state, so rebuild
            log.warning("BM25 index at %s unreadable (%s): rebuilding", folder, exc)
            return None
        retriever.similarity_top_k = self.candidates
        # an entry is the chunk's flat metadata plus llama-index's node keys: reading it is 10x faster than
        # rebuilding every node (seconds at 100k chunks, at every start)
        metas = [{k: v for k, v in entry.items() if k not in NODE_KEYS} for entry in retriever.corpus]
        position = {entry["node_id"]: i for i, entry in enumerate(retriever.corpus)}
        log.info("BM25 loaded over %d chunks from %s", len(metas), folder)
        return Base(retriever, metas, position, base_generation, avg_length)

    def _save(self, base: Base) -> None:
        """Keep the base for the next start (written aside, then renamed; older bases removed)."""
        folder = self._folder(base.generation)
        if folder is None:
            return
        try:
            folder.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
            base.retriever.persist(str(tmp), show_progress=False)
            (tmp / STATS_FILE).write_text(json.dumps({"avg_length": base.avg_length}), encoding="utf-8")
            (tmp / "complete").touch()
            if folder.exists():
                shutil.rmtree(folder)
            tmp.rename(folder)
            for old in folder.parent.glob(f"bm25-{self.store.chunks.id}-g*"):
                if old != folder:
                    shutil.rmtree(old, ignore_errors=True)
        except OSError as exc:  # a read-only home still answers: it only rebuilds at every start
            log.warning("could not save the BM25 index under %s: %s", folder.parent, exc)


@functools.cache
def _matching_bm25_class():
    from llama_index.retrievers.bm25 import BM25Retriever

    class MatchingBM25(BM25Retriever):
        """BM25 that returns only chunks sharing a term with the query (bm25s pads top-k with zero scores,
        including chunks a mask left out)."""

        def _retrieve(self, query_bundle):
            return [r for r in super()._retrieve(query_bundle) if r.score and r.score > 0]

    return MatchingBM25
