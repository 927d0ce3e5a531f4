"""``rag import``: restore a snapshot (``index.snapshot``) into an empty ``RAG_HOME``, or into an empty set of
collections on a Chroma server (``RAG_CHROMA_URL``), without embedding anything again.

Order, and why:

1. **Check everything first, write nothing.** Every member's sha256 and record count, the format version, the
   vectors' shape and the embedding model (``index.snapshot.verify``), then the target: a store holding any
   article or chunk, or a ``fetch-state.json``/``feeds.json`` in ``RAG_HOME``, is refused. A damaged, truncated
   or foreign snapshot therefore leaves the target exactly as it was.
2. **Mark, then fill, then unmark.** The chunk collection is created (empty) and marked ``import_in_progress``
   in its metadata before the first record is written; articles, chunks with their stored vectors, and the home
   files follow; the counts are checked; then one metadata write drops the mark and publishes generation 1.

Crash safety, the choice: a mark rather than a staging store switched in at the end. Chroma cannot rename a set
of collections atomically (and a staging folder renamed over ``RAG_HOME/chroma`` would not exist for a Chroma
server), while a mark in the store itself works the same for an embedded store and a server, and is seen by
every process: the store refuses to open a marked collection for anyone but the import (a server reports "not
ready" and picks the store up once the import is done; ``rag index`` says to rerun the import). So a kill -9 at
any point leaves either a store with nothing in it (killed before the mark: an empty target, as before) or a
marked one; a rerun of ``rag import`` recognises its own mark, deletes the half-written collections (the marked
one last, so the mark outlives everything it covers) and starts over from the snapshot, which was never changed.
Nothing is lost: every record comes from the file.

Afterwards the BM25 side is built from the restored chunks, as any reader would build it (``rag.retrieval.lexical``:
the store's collection id names its saved base, so a replica holding a base of an older store never mistakes it
for this one), and a snapshot of an older record format is migrated (``index.migrate``).
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from itertools import islice
from pathlib import Path

from index.migrate import migrate
from index.snapshot import ARTICLES, CHUNKS, HOME_FILES, Snapshot, SnapshotError, open_zip, records, vector_rows, verify
from rag.errors import IndexMissing
from rag.retrieval.store import IMPORTING, SCHEMA, SCHEMA_UNSTAMPED, Store, connect
from rag.settings import Settings

log = logging.getLogger(__name__)

BATCH = 1000  # records per Chroma write


def import_snapshot(settings: Settings, path: Path) -> dict:
    """Restore ``path`` into the configured store; returns what was restored."""
    started = time.monotonic()
    snapshot = verify(Path(path), settings)  # 1. nothing is written before the file and the target are checked
    resuming = _check_target(settings)
    store = _fresh_store(settings, resuming)
    schema = int(snapshot.store.get("schema", SCHEMA_UNSTAMPED))
    mark = {IMPORTING: snapshot.manifest["members"][CHUNKS]["sha256"], "schema": schema}
    store.chunks.modify(metadata={**(store.chunks.metadata or {}), **mark})  # 2. marked before the first record
    with open_zip(snapshot.path) as archive:
        _write_articles(store, archive)
        _write_chunks(store, archive)
        for name in HOME_FILES:
            if name in snapshot.manifest["members"]:
                _write_home_file(settings.home / name, archive.read(name))
    got = dict(zip(("articles", "chunks"), store.counts(), strict=True))
    if got != snapshot.counts:
        raise SnapshotError(f"the import wrote {got} but the snapshot holds {snapshot.counts}: run it again")
    unmarked = {k: v for k, v in (store.chunks.metadata or {}).items() if k != IMPORTING}
    store.chunks.modify(metadata={**unmarked, "generation": 1, "embed_model": store.model_name})  # 3. published
    steps = migrate(store) if schema < SCHEMA else []
    _build_lexical(settings)
    return {"articles": got["articles"], "chunks": got["chunks"], "into": store.where, "resumed": resuming,
            "schema": store.stored_schema(), "migrated": [s.what for s in steps], "notes": _notes(snapshot, settings),
            "seconds": round(time.monotonic() - started, 2)}  # fmt: skip


def _collections(settings: Settings) -> tuple[object | None, dict[str, object]]:
    """The Chroma client and whichever of the store's collections exist (looked at one by one: a half-created
    or half-deleted store still shows its mark), without creating anything."""
    try:
        client, _ = connect(settings, create=False)
    except IndexMissing:
        return None, {}
    names = [f"{settings.collection}-{part}" for part in ("chunks", "articles", "changes")]
    existing = {c.name if hasattr(c, "name") else str(c) for c in client.list_collections()}
    return client, {name: client.get_collection(name, embedding_function=None) for name in names if name in existing}


def _check_target(settings: Settings) -> bool:
    """Refuse a target holding anything; True when it holds an interrupted import of ours (started over)."""
    _, collections = _collections(settings)
    chunks = collections.get(f"{settings.collection}-chunks")
    if chunks is not None and (chunks.metadata or {}).get(IMPORTING):
        return True
    held = {name: c.count() for name, c in collections.items() if not name.endswith("-changes")}
    if any(held.values()):
        where = settings.chroma_url or settings.home.resolve() / "chroma"
        raise SnapshotError(f"the target is not empty: the index in {where} holds "
                            + ", ".join(f"{n} records in {name}" for name, n in held.items() if n)
                            + "; import into a new RAG_HOME (or another RAG_COLLECTION)")  # fmt: skip
    present = [name for name in HOME_FILES if (settings.home / name).exists()]
    if present:
        raise SnapshotError(f"the target is not empty: {settings.home.resolve() / present[0]} exists; import into "
                            f"a new RAG_HOME")  # fmt: skip
    return False


def _fresh_store(settings: Settings, resuming: bool) -> Store:
    """New collections to fill. What an interrupted import wrote is removed first (home files, then collections,
    the marked one last, so the mark outlives all it covers); an empty target's collections are dropped too, so
    the import starts generations and change log afresh under new collection ids (a replica's saved BM25 base
    names the collection it was built from, so none can pass for this store)."""
    client, collections = _collections(settings)
    if resuming:
        log.warning("an earlier import into %s was interrupted: starting it over", settings.chroma_url or settings.home)
        for name in HOME_FILES:
            (settings.home / name).unlink(missing_ok=True)
    for part in ("articles", "changes", "chunks"):
        name = f"{settings.collection}-{part}"
        if name in collections:
            client.delete_collection(name)
    return Store(settings, create=True, importing=True)


def _batches(items, size: int):
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _write_articles(store: Store, archive) -> None:
    for batch in _batches(records(archive, ARTICLES), BATCH):
        store.articles.upsert(ids=[r["id"] for r in batch], embeddings=[[1.0]] * len(batch),
                              documents=[r["text"] for r in batch], metadatas=[r["meta"] for r in batch])  # fmt: skip


def _write_chunks(store: Store, archive) -> None:
    """Chunks with their stored vectors, row for row (the JSONL and the matrix are in the same order)."""
    rows = vector_rows(archive, BATCH)
    for batch in _batches(records(archive, CHUNKS), BATCH):
        vectors = next(rows)
        if len(vectors) != len(batch):
            raise SnapshotError("the snapshot's vectors and chunk records do not line up")
        store.chunks.upsert(ids=[r["id"] for r in batch], embeddings=vectors, documents=[r["text"] for r in batch],
                            metadatas=[r["meta"] for r in batch])  # fmt: skip


def _write_home_file(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _build_lexical(settings: Settings) -> None:
    """Build and save the BM25 base now, so the first question does not wait for it (derived state: a failure
    here only moves that work to the first question)."""
    from rag.retrieval.lexical import LexicalIndex

    try:
        LexicalIndex(Store(settings), settings.candidates, settings.home / "derived").rebuild()
    except Exception as exc:  # noqa: BLE001
        log.warning("the BM25 index was not built now (%s): the first question builds it", exc)


def _notes(snapshot: Snapshot, settings: Settings) -> list[str]:
    shaped = snapshot.store
    notes = []
    if (shaped.get("chunk_size"), shaped.get("chunk_overlap")) != (settings.chunk_size, settings.chunk_overlap):
        notes.append(f"the snapshot was chunked with RAG_CHUNK_SIZE={shaped.get('chunk_size')} and "
                     f"RAG_CHUNK_OVERLAP={shaped.get('chunk_overlap')}, this configuration says "
                     f"{settings.chunk_size}/{settings.chunk_overlap}: the next `rag index` of the same files "
                     f"re-chunks them")  # fmt: skip
    return notes
