"""The write path: load → dedupe → chunk → diff against the store → embed what is new → write → sweep.

Why not llama-index's ``IngestionPipeline`` with a docstore: its docstore dedupes whole documents (a changed
article re-embeds all its chunks), lives in a separate file that can drift from Chroma after a crash, and is
not shared between replicas. Here Chroma itself is the ledger: chunk ids are deterministic, embeddings are
reused by chunk-text hash, and every run converges the store to the files, whatever state a killed run left.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path

from index.chunk import chunk_article
from index.load import LoadResult, load_paths
from index.manifest import Manifest
from index.migrate import open_for_writing
from rag.encoders.embedding import embed_texts, load_embedder
from rag.records import SEEN, chunk_record
from rag.retrieval.store import Store
from rag.settings import Settings
from rag.types import Article, Chunk, stable_hash

log = logging.getLogger(__name__)


@dataclass
class IndexReport:
    articles: int = 0
    chunks: int = 0
    embedded: int = 0
    unchanged: int = 0
    deleted: int = 0
    not_modified: int = 0  # fetched URLs whose server said nothing changed (nothing downloaded in full)
    untitled: int = 0  # articles read without a title: theirs was derived from the text
    skipped: list[dict[str, str]] = field(default_factory=list)
    duplicates: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def total(cls, reports: list[IndexReport]) -> IndexReport:
        """One summary of several runs (folders and URLs indexed by one command)."""
        out = cls()
        for r in reports:
            for name in ("articles", "chunks", "embedded", "unchanged", "deleted", "not_modified", "untitled"):
                setattr(out, name, getattr(out, name) + getattr(r, name))
            out.skipped += r.skipped
            out.duplicates += r.duplicates
        return out


def index_paths(paths: list[Path], settings: Settings, *, progress: bool = False, first_line_title: bool = False,
                embedder=None) -> IndexReport:  # fmt: skip
    """Converge the store to the articles under ``paths``: what a folder no longer holds is deleted.
    ``embedder``: a llama-index embedding to use instead of the configured model (tests pass a small one).

    When neither the files nor the store changed since the last clean run over the same paths, nothing is read
    (``index.manifest``)."""
    manifest = Manifest.for_run(settings, paths, first_line_title)
    if manifest.file.exists():
        saved = manifest.unchanged(open_for_writing(settings))
        if saved is not None:
            return IndexReport(**{**saved, "embedded": 0, "deleted": 0, "unchanged": saved["chunks"]})
    loaded = load_paths(paths, first_line_title=first_line_title)
    report = index_loaded(loaded, settings, progress=progress, embedder=embedder, sweep=True)
    manifest.save(Store(settings), report.to_dict())  # an unchanged bad file fails the same way: its skip is kept
    return report


def index_loaded(loaded: LoadResult, settings: Settings, *, progress: bool = False, embedder=None,
                 sweep: bool = False) -> IndexReport:  # fmt: skip
    """Index articles loaded from anywhere (files, fetched pages, feeds, uploads). ``sweep``: delete the stored
    articles of each origin that ``loaded`` no longer holds (a folder re-indexed); fetched and uploaded articles
    are never swept (a feed drops old items, a news archive keeps them): DELETE removes them."""
    store = open_for_writing(settings)  # an older store is migrated first
    report = IndexReport(skipped=[{"path": s.path, "reason": s.reason} for s in loaded.skipped],
                         not_modified=len(loaded.not_modified),
                         untitled=sum(a.title_derived for a in loaded.articles))  # fmt: skip
    stored = store.article_records()
    articles = [_with_seen(a, stored.get(a.id)) for a in _dedupe(loaded, stored, report)]
    by_origin = {origin: set(ids) for origin, ids in loaded.origins.items()}
    origin_of = {i: origin for origin, ids in by_origin.items() for i in ids}
    report.articles = len(articles)

    # Fast path: an article whose record says it was fully indexed with this content and chunking is skipped.
    marker = f"{settings.chunk_size}/{settings.chunk_overlap}"
    done = {a.id for a in articles if _fully_indexed(stored.get(a.id), a, marker, origin_of[a.id])}
    for i in done:
        report.chunks += stored[i].get("n_chunks", 0)
        report.unchanged += stored[i].get("n_chunks", 0)
    articles = [a for a in articles if a.id not in done]

    chunks_by_article = {a.id: chunk_article(a, settings.chunk_size, settings.chunk_overlap) for a in articles}
    articles_by_id = {a.id: a for a in articles}
    existing = store.chunk_records({"article_id": {"$in": list(articles_by_id)}}) if articles else {}

    new: list[tuple[Chunk, Article, int]] = []
    stale_meta: list[tuple[str, dict]] = []
    for article in articles:
        for position, chunk in enumerate(chunks_by_article[article.id]):
            meta = chunk_record(article, chunk, position)
            if chunk.id not in existing:
                new.append((chunk, article, position))
            elif existing[chunk.id] != meta:
                stale_meta.append((chunk.id, meta))
    changed_chunks = sum(len(c) for c in chunks_by_article.values())
    report.chunks += changed_chunks
    report.unchanged += changed_chunks - len(new)

    # Write order matters for crash safety: article records, then their new chunks, then deletions (chunks
    # before their article records). At every point each chunk's article has a record, so a killed run never
    # leaves chunks that no run would sweep (the sweep finds chunks through article records, by origin); what
    # a killed run left undone, the next run does. The "fully indexed" marker that lets a later run skip an
    # unchanged article is written last. tests/index/test_crash_recovery.py crashes at every write.
    records = {origin: [articles_by_id[i] for i in ids if i in articles_by_id] for origin, ids in by_origin.items()}
    report.embedded = _embed_and_write(new, store, settings, progress, records, embedder)
    if stale_meta:
        store.update_chunk_records([i for i, _ in stale_meta], [m for _, m in stale_meta])
    report.deleted = _sweep(store, loaded, by_origin if sweep else {}, chunks_by_article, stored)
    # Last: mark the changed articles as fully indexed (a run killed before this redoes them).
    counts = {i: len(c) for i, c in chunks_by_article.items()}
    for origin, ids in by_origin.items():
        changed = [articles_by_id[i] for i in ids if i in articles_by_id]
        if changed:
            store.mark_indexed(changed, origin, counts, marker)
    if articles or report.deleted:
        store.bump_generation()
    return report


WRITE_GROUP = 512  # chunks embedded per step; each step's Chroma write overlaps the next step's embedding


def _embed_and_write(new: list[tuple[Chunk, Article, int]], store: Store, settings: Settings, progress: bool,
                     records: dict[str, list[Article]], embedder=None) -> int:  # fmt: skip
    """Write the article ``records`` (by origin), then embed the new chunks (reusing stored vectors of identical
    texts) and write them, shortest texts first (least padding). One background thread does every write, in
    order, while the model embeds the next group, so the store's write time hides behind the model's.
    Returns how many texts were embedded."""
    writer = _OrderedWriter()
    try:
        for origin, kept in records.items():
            writer.submit(store.upsert_articles, kept, origin)
        embedded = _embed_groups(new, store, settings, progress, writer, embedder) if new else 0
    finally:
        writer.wait()  # a failed write fails the run, before any deletion or "fully indexed" marker
    return embedded


class _OrderedWriter:
    """One background thread doing the store writes in the order given; after a failed write it does no more
    (a chunk must never be written when its article's record was not)."""

    def __init__(self) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.pool = ThreadPoolExecutor(max_workers=1)
        self.pending: list = []
        self.failed = False

    def submit(self, write, *args, **kwargs) -> None:
        def run():
            if self.failed:
                raise RuntimeError("not written: an earlier write failed")
            try:
                return write(*args, **kwargs)
            except BaseException:
                self.failed = True
                raise

        self.pending.append(self.pool.submit(run))

    def wait(self) -> None:
        """Block until every write is done; raise the first failure."""
        try:
            for future in self.pending:
                future.result()
        finally:
            self.pool.shutdown(wait=True)


def _embed_groups(new, store: Store, settings: Settings, progress: bool, writer: _OrderedWriter, embedder=None) -> int:
    cached = store.embeddings_by_text_hash(c.text_hash for c, _, _ in new)
    missing = len({c.text_hash for c, _, _ in new} - set(cached))
    if progress and missing:
        print(f"embedding {missing} chunks", file=sys.stderr)
    if missing and embedder is None:
        embedder = load_embedder(settings)
    ordered = sorted(new, key=lambda item: len(item[0].text))
    embedded = 0
    for lo in range(0, len(ordered), WRITE_GROUP):
        if writer.failed:
            break  # wait() raises the failure
        group = ordered[lo : lo + WRITE_GROUP]
        todo = sorted({c.text_hash: c.text for c, _, _ in group if c.text_hash not in cached}.items())
        if todo:
            vectors = embed_texts(embedder, [t for _, t in todo], progress=progress)
            cached.update(zip([h for h, _ in todo], vectors, strict=True))
            embedded += len(todo)
        writer.submit(
            store.upsert_chunks, ids=[c.id for c, _, _ in group],
            embeddings=[cached[c.text_hash] for c, _, _ in group], documents=[c.text for c, _, _ in group],
            metadatas=[chunk_record(a, c, p) for c, a, p in group],
        )  # fmt: skip
    return embedded


def _dedupe(loaded: LoadResult, stored: dict[str, dict], report: IndexReport) -> list[Article]:
    """Identical article texts are stored once: the first by path order, or the copy already in the store."""
    seen: dict[str, str] = {}
    for article_id, meta in stored.items():
        if meta.get("text_hash"):
            seen.setdefault(meta["text_hash"], article_id)
    unique: list[Article] = []
    ids_seen: set[str] = set()
    for article in loaded.articles:
        key = stable_hash(article.text)
        original = seen.get(key)
        if article.id in ids_seen:
            report.skipped.append({"path": article.path or article.id, "reason": f"duplicate id {article.id!r}"})
            continue
        if original is not None and original != article.id:
            report.duplicates.append({"path": article.path or article.id, "duplicate_of": original})
            for ids in loaded.origins.values():
                if article.id in ids:
                    ids.remove(article.id)
            continue
        seen[key] = article.id
        ids_seen.add(article.id)
        unique.append(article)
    return unique


def _sweep(store: Store, loaded: LoadResult, by_origin: dict[str, set[str]],
           chunks_by_article: dict[str, list[Chunk]], stored: dict[str, dict]) -> int:  # fmt: skip
    """Delete what the indexed paths no longer hold: removed articles, and stale chunks of changed ones.
    ``stored``: the article records read at the start of the run (every article this run wrote is in ``loaded``,
    so it is never swept), which spares one store query per origin.

    An article whose file failed to load this time keeps its stored copy: bad input never loses data.
    """
    wanted = {c.id for chunks in chunks_by_article.values() for c in chunks}
    deleted = 0
    stored_by_origin: dict[str, list[str]] = {}
    for article_id, meta in stored.items():
        stored_by_origin.setdefault(meta.get("origin", ""), []).append(article_id)
    for origin, ids in by_origin.items():
        gone = [i for i in stored_by_origin.get(origin, []) if i not in ids and not _failed(i, loaded)]
        if gone:
            deleted += len(store.chunk_records({"article_id": {"$in": gone}}))
            store.delete_articles(gone)
    current = list(chunks_by_article)
    if current:
        stale = [i for i in store.chunk_records({"article_id": {"$in": current}}) if i not in wanted]
        store.delete_chunks(stale)
        deleted += len(stale)
    return deleted


def _with_seen(article: Article, stored: dict | None) -> Article:
    """An article with no publication date keeps the day it was first indexed (a changed text keeps it too), so
    a reader knows at least how old the report can be."""
    if article.published or article.seen:
        return article
    first = (stored or {}).get(SEEN)
    return replace(article, seen=date.fromisoformat(first) if first else datetime.now(UTC).date())


def _fully_indexed(meta: dict | None, article: Article, marker: str, origin: str) -> bool:
    """The stored record says this content was indexed with this chunking, from this origin, to the end."""
    return bool(meta) and meta.get("indexed") == f"{article.content_hash}:{marker}" and meta.get("origin") == origin


def _failed(article_id: str, loaded: LoadResult) -> bool:
    return any(article_id == f or article_id.startswith(f + "#") for f in loaded.failed_ids)
