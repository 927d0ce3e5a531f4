"""The Chroma store: one collection of chunk vectors, one of article records, a generation stamp and a change log.

Chroma is the single source of truth for what is indexed: the write path diffs against it, the BM25 side is
derived from it (a saved base plus the chunks the change log names), and replicas pointed at one Chroma server
see the same data and the same log. Metadata stays flat and plain
(no llama-index node JSON), which llama-index's ``ChromaVectorStore`` reads back as ``TextNode`` objects.

The chunk collection's metadata is the store's label: its generation, its embedding model, its record format
(``schema``, :data:`SCHEMA`) and, while ``rag import`` restores a snapshot into it, :data:`IMPORTING`. A store
from a newer format is refused; an older one is read as it is (readers default the fields it lacks) and is
brought up to date by ``index.migrate`` (``rag migrate``, and every ``rag index`` first). Every write announces
itself in the change log before it is made, article records included, so a reader that sees the same
generation and no pending entry before and after reading has read one consistent state (``rag export``).
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from rag.encoders.backends import embed_identity
from rag.errors import IndexMissing, StoreError
from rag.records import article_from_record, article_record
from rag.settings import Settings
from rag.types import Article

log = logging.getLogger(__name__)

PAGE = 5000
CHANGES_KEPT = 1000  # generations whose touched chunk ids stay in the log (a reader further behind rebuilds)
CHANGED_IDS_MAX = 20_000  # past this, a generation's entry says "everything may have changed" instead
SCHEMA = 2  # the record format this code writes: 2 = titles derived from the text stored as ``derived_title``
SCHEMA_UNSTAMPED = 1  # a store written before the format was stamped (untitled articles have no derived title)
IMPORTING = "import_in_progress"  # set while ``rag import`` fills the store: everyone else refuses to open it


class StoreUnusable(StoreError):
    """The store is there but cannot be used (damaged, not a folder, built with another model). A server
    started on it reports "not ready" with the reason (HTTP 503) and picks the store up once it is rebuilt."""


def _one_line(exc: BaseException, limit: int = 300) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _forget_failed_client(path: Path) -> None:
    """Drop the half-started Chroma system that a failed ``PersistentClient(path)`` leaves in chromadb's
    per-path cache: otherwise every later open in this process fails with an unrelated AttributeError, and a
    server never sees the store once it has been rebuilt."""
    from chromadb.api.shared_system_client import SharedSystemClient

    system = SharedSystemClient._identifier_to_system.pop(str(path), None)
    if system is not None:
        with contextlib.suppress(Exception):  # it never fully started
            system.stop()


def _local_store_path(home: Path, create: bool) -> Path:
    """``home/chroma``, after checking that ``home`` and it are folders (or absent, when creating)."""
    path = home / "chroma"
    shown = home.resolve()
    for part in (home, path):
        if part.exists() and not part.is_dir():
            raise StoreUnusable(
                f"RAG_HOME {shown} is not usable: {part.resolve()} is a file, not a folder; "
                f"point RAG_HOME at a folder (or move the file aside) and run `rag index`"
            )
    if not create and not path.exists():
        raise IndexMissing(f"no index under {shown}: run `rag index` first")
    return path


def _batches(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def connect(settings: Settings, create: bool = False) -> tuple[Any, str]:
    """A Chroma client on the configured store, and where that is (for messages). ``create``: make the local
    folder if it is missing (otherwise :class:`IndexMissing`)."""
    import chromadb

    chroma_settings = chromadb.Settings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        where = settings.chroma_url
        try:
            client = chromadb.HttpClient(
                host=url.hostname or "localhost",
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        except Exception as exc:  # chromadb raises plain exceptions for connection problems
            raise StoreError(f"cannot reach the Chroma server at {where}: {_one_line(exc)}") from exc
    else:
        path = _local_store_path(settings.home, create)
        where = str(path.resolve())
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreUnusable(
                f"cannot create the index folder {path.resolve()} ({_one_line(exc)}): "
                f"point RAG_HOME at a folder you can write to"
            ) from exc
        try:
            client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
        except Exception as exc:
            _forget_failed_client(path)
            raise StoreUnusable(
                f"the index at {path.resolve()} is damaged or unreadable ({_one_line(exc)}): "
                f"move it aside (or delete it) and run `rag index` again"
            ) from exc
    return client, where


class Store:
    """Handle on the Chroma collections under ``settings.home`` (or on ``settings.chroma_url``)."""

    def __init__(self, settings: Settings, *, create: bool = False, importing: bool = False) -> None:
        """``importing``: open a store that ``rag import`` is filling (only the import itself does)."""
        self.settings = settings
        self.client, where = connect(settings, create)
        self.where = where
        try:
            self.chunks = self._collection(f"{settings.collection}-chunks", create)
            self.articles = self._collection(f"{settings.collection}-articles", create)
            self.changes = self._change_log(f"{settings.collection}-changes", create)
        except IndexMissing:
            raise
        except Exception as exc:
            raise StoreUnusable(
                f"the index at {where} is damaged or unreadable ({_one_line(exc)}): "
                f"move it aside (or delete it) and run `rag index` again"
            ) from exc
        self._check_model()
        self.schema = self._check_schema(create, importing)

    def _collection(self, name: str, create: bool):
        if create:
            return self.client.get_or_create_collection(
                name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
            )
        try:
            return self.client.get_collection(name, embedding_function=None)
        except Exception as exc:
            if "does not exist" in str(exc) or "not found" in str(exc).lower():
                raise IndexMissing(f"no index in {self.where}: run `rag index` first") from exc
            raise

    def _change_log(self, name: str, create: bool):
        """The log collection, or None in a store written before it existed (readers then rebuild in full)."""
        try:
            return self._collection(name, create)
        except IndexMissing:
            return None

    def _check_model(self) -> None:
        stored = (self.chunks.metadata or {}).get("embed_model")
        if stored and stored != self.model_name:
            raise StoreUnusable(
                f"the index in {self.where} was built with embedding model '{stored}', "
                f"not '{self.model_name}': use another RAG_HOME or re-index from scratch"
            )

    def _check_schema(self, create: bool, importing: bool) -> int:
        """The store's record format, after refusing one that is being imported or is newer than this code; a
        store created just now is stamped with :data:`SCHEMA` (an unstamped store with data is the older format)."""
        meta = self.chunks.metadata or {}
        if meta.get(IMPORTING) and not importing:
            raise StoreUnusable(
                f"the index in {self.where} is being restored by `rag import`, or a restore was interrupted: "
                f"wait for it, or run `rag import SNAPSHOT` again (it starts over)"
            )
        schema = meta.get("schema")
        if schema is None:
            if create and not meta.get("generation") and self.counts() == (0, 0):
                self.chunks.modify(metadata={**meta, "schema": SCHEMA})
                return SCHEMA
            schema = SCHEMA_UNSTAMPED
        if int(schema) > SCHEMA:
            raise StoreUnusable(
                f"the index in {self.where} has record format {schema}, written by a newer version of rag-news; "
                f"this version reads formats up to {SCHEMA}: upgrade rag-news, or use another RAG_HOME"
            )
        if int(schema) < SCHEMA and not create:  # a writer opens with create and migrates at once
            log.warning(
                "the index in %s is in record format %s (this version writes %d): it is read as it is; "
                "`rag migrate` (or the next `rag index`) brings it up to date",
                self.where, schema, SCHEMA,
            )  # fmt: skip
        return int(schema)

    def stored_schema(self) -> int:
        """The record format stamped on the store now (another process may have migrated it since it was opened)."""
        meta = self.client.get_collection(self.chunks.name, embedding_function=None).metadata or {}
        return int(meta.get("schema", SCHEMA_UNSTAMPED))

    @property
    def model_name(self) -> str:
        return embed_identity(self.settings)

    # -- generation and change log: how derived state (BM25) follows the store without rebuilding
    def generation(self) -> int:
        meta = self.client.get_collection(self.chunks.name, embedding_function=None).metadata or {}
        return int(meta.get("generation", 0))

    def bump_generation(self, schema: int | None = None) -> None:
        """Publish the writes since the last bump: readers at an older generation read the log entry of each
        generation they missed. ``schema``: stamp this record format (a migration step that is done); otherwise
        the stored stamp is kept (Chroma's ``modify`` replaces the whole metadata)."""
        meta = self.client.get_collection(self.chunks.name, embedding_function=None).metadata or {}
        generation = int(meta.get("generation", 0)) + 1
        self._log_touched([], entry_needed=True)  # a bump with no recorded write still gets one: readers read all
        stamp = {"schema": schema} if schema is not None else {}
        self.chunks.modify(metadata={**meta, "generation": generation, "embed_model": self.model_name, **stamp})
        if self.changes is not None and generation % 100 == 0:
            self.changes.delete(where={"generation": {"$lt": generation - CHANGES_KEPT}})

    def _log_touched(self, ids: Iterable[str], entry_needed: bool = False) -> None:
        """Record chunk ids about to be written, deleted or changed in the entry of the next generation, before
        the write itself: a run killed in between leaves them in the entry, which the next run extends, so
        nothing written is ever missing from the log once the generation moves."""
        ids = list(ids)
        if self.changes is None or not (ids or entry_needed):
            return  # nothing is written (an empty delete): no entry, so no write looks pending
        generation = self.generation() + 1
        key = f"g{generation}"
        got = self.changes.get(ids=[key], include=["documents"])
        touched: list[str] | None = json.loads(got["documents"][0]) if got["ids"] else []
        if touched is not None:  # None: this generation already says "everything"
            touched = list(dict.fromkeys([*touched, *ids]))
            if len(touched) > CHANGED_IDS_MAX:
                touched = None
        self.changes.upsert(ids=[key], embeddings=[[1.0]], documents=[json.dumps(touched)],
                            metadatas=[{"generation": generation}])  # fmt: skip

    def has_pending_writes(self) -> bool:
        """Whether chunks were written since the last bump (a writer running now, or one that was killed); True
        when the store keeps no log and cannot tell."""
        if self.changes is None:
            return True
        return bool(self.changes.get(ids=[f"g{self.generation() + 1}"], include=[])["ids"])

    def touched_since(self, generation: int, now: int) -> set[str] | None:
        """The chunk ids written, deleted or changed after ``generation`` up to ``now``; None when the log
        cannot say (an entry pruned or too large, or a store without a log): the caller rebuilds in full."""
        if now <= generation:
            return set()
        if self.changes is None:
            return None
        keys = [f"g{g}" for g in range(generation + 1, now + 1)]
        got = self.changes.get(ids=keys, include=["documents"])
        if len(got["ids"]) != len(keys):
            return None
        touched: set[str] = set()
        for document in got["documents"]:
            ids = json.loads(document)
            if ids is None:
                return None
            touched.update(ids)
        return touched

    # -- chunks
    def chunk_records(self, where: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for page in self._pages(self.chunks, where, include=["metadatas"]):
            out.update(zip(page["ids"], page["metadatas"], strict=True))
        return out

    def embeddings_by_text_hash(self, hashes: Iterable[str]) -> dict[str, list[float]]:
        """Stored embeddings for chunk texts already embedded anywhere in the store (keyed by text hash)."""
        out: dict[str, list[float]] = {}
        for batch in _batches(sorted(set(hashes)), 500):
            got = self.chunks.get(where={"text_hash": {"$in": batch}}, include=["embeddings", "metadatas"])
            for meta, emb in zip(got["metadatas"], got["embeddings"], strict=True):
                out.setdefault(meta["text_hash"], list(map(float, emb)))
        return out

    def upsert_chunks(self, ids: list[str], embeddings: list, documents: list[str], metadatas: list[dict]) -> None:
        self._log_touched(ids)
        size = self.client.get_max_batch_size()
        for lo in range(0, len(ids), size):
            hi = lo + size
            self.chunks.upsert(
                ids=ids[lo:hi], embeddings=embeddings[lo:hi], documents=documents[lo:hi], metadatas=metadatas[lo:hi]
            )

    def update_chunk_records(self, ids: list[str], metadatas: list[dict]) -> None:
        self._log_touched(ids)
        size = self.client.get_max_batch_size()
        for lo in range(0, len(ids), size):
            self.chunks.update(ids=ids[lo : lo + size], metadatas=metadatas[lo : lo + size])

    def delete_chunks(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        self._log_touched(ids)
        for batch in _batches(ids, self.client.get_max_batch_size()):
            self.chunks.delete(ids=batch)

    def all_chunks(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        for page in self._pages(self.chunks, None, include=["documents", "metadatas"]):
            yield from zip(page["ids"], page["documents"], page["metadatas"], strict=True)

    def chunks_by_id(self, ids: Iterable[str]) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """The stored chunks among ``ids`` (absent ones, deleted, are left out)."""
        for batch in _batches(sorted(set(ids)), 1000):
            got = self.chunks.get(ids=batch, include=["documents", "metadatas"])
            yield from zip(got["ids"], got["documents"], got["metadatas"], strict=True)

    # -- articles
    def upsert_articles(self, articles: list[Article], origin: str) -> None:
        """Write article records (text and metadata), not yet marked as fully indexed."""
        self._log_touched([], entry_needed=bool(articles))  # no chunk id, but the write shows as pending
        for batch in _batches(articles, 1000):
            self.articles.upsert(
                ids=[a.id for a in batch], embeddings=[[1.0]] * len(batch), documents=[a.text for a in batch],
                metadatas=[article_record(a, origin) for a in batch],
            )  # fmt: skip

    def mark_indexed(self, articles: list[Article], origin: str, chunk_counts: dict[str, int], marker: str) -> None:
        """Mark articles whose chunks are all written: a later run may skip them while their content and
        chunking are unchanged. Metadata only: the text was written with the record."""
        self._log_touched([], entry_needed=bool(articles))
        for batch in _batches(articles, 1000):
            self.articles.update(
                ids=[a.id for a in batch],
                metadatas=[article_record(a, origin, chunk_counts.get(a.id, 0), marker) for a in batch],
            )

    def delete_articles(self, ids: Iterable[str]) -> None:
        """Delete articles with their chunks: chunks first, so that a crash in between leaves no orphan chunk."""
        ids = list(ids)
        for batch in _batches(ids, 500):
            chunk_ids = self.chunks.get(where={"article_id": {"$in": batch}}, include=[])["ids"]
            self._log_touched(chunk_ids, entry_needed=True)  # an article without chunks is a write too
            self.chunks.delete(where={"article_id": {"$in": batch}})
            self.articles.delete(ids=batch)

    def article_records(self, where: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for page in self._pages(self.articles, where, include=["metadatas"]):
            out.update(zip(page["ids"], page["metadatas"], strict=True))
        return out

    def get_article(self, article_id: str) -> Article | None:
        got = self.articles.get(ids=[article_id], include=["documents", "metadatas"])
        if not got["ids"]:
            return None
        return article_from_record(article_id, got["documents"][0], got["metadatas"][0])

    def list_articles(self, offset: int, limit: int) -> list[Article]:
        got = self.articles.get(include=["metadatas"], offset=offset, limit=limit)
        return [article_from_record(i, "", m) for i, m in zip(got["ids"], got["metadatas"], strict=True)]

    def counts(self) -> tuple[int, int]:
        return self.articles.count(), self.chunks.count()

    @staticmethod
    def _pages(collection, where, include) -> Iterator[dict]:
        offset = 0
        while True:
            page = collection.get(where=where, include=include, offset=offset, limit=PAGE)
            if not page["ids"]:
                return
            yield page
            offset += len(page["ids"])

    def vector_store(self):
        from llama_index.vector_stores.chroma import ChromaVectorStore

        return ChromaVectorStore(chroma_collection=self.chunks)
