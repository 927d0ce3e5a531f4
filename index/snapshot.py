"""``rag export``: one file holding everything an index is, read at one store generation; and the checks that
``rag import`` (``index.restore``) runs on such a file before it writes anything.

The file is a zip archive (random access: the manifest is found and every member checked without unpacking):

* ``articles.jsonl``: one ``{"id", "text", "meta"}`` per article record (meta as stored: citation fields,
  origin, content and text hashes, the "fully indexed" marker);
* ``chunks.jsonl``: one ``{"id", "text", "meta"}`` per chunk (meta as stored: article fields, character offsets
  ``start``/``end``, position, text and article hashes), in the row order of ...
* ``vectors.npy``: the chunk embeddings, float32 little-endian, shape (chunks, dimensions), stored uncompressed;
* ``fetch-state.json`` and ``feeds.json``: copies of those files of ``RAG_HOME`` when it has them (the
  conditional-request state of fetched pages and feeds; the feeds the server polls);
* ``manifest.json``, written last: the format and its version, what shaped the index (embedding model, record
  format, chunking, project version), the counts, and the sha256 and size of every member.

Consistent while the index is served and written to: writers announce every write in the store's change log
before making it (``rag.retrieval.store``), so the export reads the generation and "no write pending" before it
reads anything and again after; if either moved, it throws the file away and reads again (backing off), up to
``wait`` seconds. No lock is taken, so questions and indexing never wait for an export, and the same check works
for a Chroma server shared by replicas (where a lock file in one ``RAG_HOME`` would not be seen by the others).

Atomic: the archive is written to a hidden ``.NAME.<pid>.part`` beside ``PATH``, flushed to disk, then renamed
over ``PATH``; a crash leaves ``PATH`` as it was (absent, or the previous snapshot, still whole). A ``.part``
file left by a killed export is removed by the next export to the same ``PATH``.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import itertools
import json
import logging
import os
import tempfile
import time
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rag import __version__
from rag.encoders.backends import embed_identity
from rag.errors import BadInput
from rag.retrieval.store import PAGE, SCHEMA, Store
from rag.settings import Settings

log = logging.getLogger(__name__)

FORMAT = "rag-news-snapshot"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
ARTICLES, CHUNKS, VECTORS = "articles.jsonl", "chunks.jsonl", "vectors.npy"
REQUIRED = (ARTICLES, CHUNKS, VECTORS)
HOME_FILES = ("fetch-state.json", "feeds.json")  # copied from RAG_HOME when present
BLOCK = 1 << 20


class SnapshotError(BadInput):
    """A snapshot that cannot be written or read (damaged, truncated, another format or model); says which."""


# --- reading a snapshot ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """A snapshot whose every member was checked against its manifest."""

    path: Path
    manifest: dict
    dimensions: int

    @property
    def counts(self) -> dict[str, int]:
        return self.manifest["counts"]

    @property
    def store(self) -> dict:
        return self.manifest["store"]


def open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except FileNotFoundError:
        raise SnapshotError(f"no snapshot at {path}") from None
    except IsADirectoryError:
        raise SnapshotError(f"{path} is a folder, not a snapshot file") from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise SnapshotError(f"{path} is not a whole snapshot (truncated or not a `rag export` file): {exc}") from None


def verify(path: Path, settings: Settings | None = None) -> Snapshot:
    """Check everything before anything is written: the manifest, its format version, that every member is there
    with its sha256 and line count, the vectors' shape, and (with ``settings``) the embedding model."""
    path = Path(path)
    with open_zip(path) as archive:
        manifest = _manifest(archive, path)
        names = set(archive.namelist())
        members = manifest["members"]
        missing = [n for n in (*REQUIRED, *members) if n not in names or n not in members]
        if missing:
            raise SnapshotError(f"damaged snapshot {path}: member {sorted(set(missing))[0]} is missing")
        for name, expected in members.items():
            digest, size, lines = _digest(archive, name, path)
            if digest != expected.get("sha256") or size != expected.get("bytes"):
                raise SnapshotError(f"damaged snapshot {path}: member {name} does not match its checksum")
            wanted = {ARTICLES: "articles", CHUNKS: "chunks"}.get(name)
            if wanted and lines != manifest["counts"][wanted]:
                raise SnapshotError(f"damaged snapshot {path}: {name} holds {lines} records, the manifest says "
                                    f"{manifest['counts'][wanted]}")  # fmt: skip
        with archive.open(VECTORS) as stream:
            rows, dimensions = _vector_header(stream, path)
    if rows != manifest["counts"]["chunks"]:
        raise SnapshotError(f"damaged snapshot {path}: {rows} vectors for {manifest['counts']['chunks']} chunks")
    snapshot = Snapshot(path, manifest, dimensions)
    if settings is not None:
        check_settings(snapshot, settings)
    return snapshot


def check_settings(snapshot: Snapshot, settings: Settings) -> None:
    """Refuse a snapshot whose vectors this configuration could not use, or whose records it could not read."""
    model, configured = snapshot.store.get("embed_model"), embed_identity(settings)
    if model != configured:
        raise SnapshotError(
            f"snapshot {snapshot.path} was built with embedding model '{model}', but this configuration uses "
            f"'{configured}': set RAG_EMBED_MODEL / RAG_EMBED_BACKEND to match it, or re-index the articles"
        )
    schema = int(snapshot.store.get("schema", 0))
    if schema > SCHEMA:
        raise SnapshotError(
            f"snapshot {snapshot.path} holds record format {schema}, written by a newer version of rag-news "
            f"(this one reads formats up to {SCHEMA}): upgrade rag-news to import it"
        )


def _manifest(archive: zipfile.ZipFile, path: Path) -> dict:
    try:
        raw = archive.read(MANIFEST)
    except KeyError:
        raise SnapshotError(f"damaged snapshot {path}: member {MANIFEST} is missing") from None
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:  # bad CRC, bad compressed data
        raise SnapshotError(f"damaged snapshot {path}: member {MANIFEST} is unreadable ({exc})") from None
    try:
        manifest = json.loads(raw)
    except ValueError as exc:
        raise SnapshotError(f"damaged snapshot {path}: {MANIFEST} is not JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise SnapshotError(f"{path} is not a rag-news snapshot (its manifest names no format {FORMAT!r})")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise SnapshotError(f"snapshot {path} is in format version {version}; this version of rag-news reads "
                            f"format version {FORMAT_VERSION}")  # fmt: skip
    counts, members, store = manifest.get("counts"), manifest.get("members"), manifest.get("store")
    if not (isinstance(members, dict) and isinstance(store, dict) and isinstance(counts, dict)
            and all(isinstance(counts.get(k), int) for k in ("articles", "chunks"))):  # fmt: skip
        raise SnapshotError(f"damaged snapshot {path}: its manifest lacks its members, counts or settings")
    return manifest


def _digest(archive: zipfile.ZipFile, name: str, path: Path) -> tuple[str, int, int]:
    """sha256, size and newline count of a member, read once."""
    digest, size, lines = hashlib.sha256(), 0, 0
    try:
        with archive.open(name) as stream:
            while block := stream.read(BLOCK):
                digest.update(block)
                size += len(block)
                lines += block.count(b"\n")
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error) as exc:  # bad CRC, cut or bad deflate data
        raise SnapshotError(f"damaged snapshot {path}: member {name} is unreadable ({exc})") from None
    return digest.hexdigest(), size, lines


def _vector_header(stream, path: Path) -> tuple[int, int]:
    import numpy as np

    try:
        version = np.lib.format.read_magic(stream)
        shape, fortran, dtype = _read_header(stream, version)
    except (ValueError, OSError) as exc:
        raise SnapshotError(f"damaged snapshot {path}: {VECTORS} is not a NumPy array ({exc})") from None
    if dtype != np.dtype("<f4") or fortran or len(shape) != 2:
        raise SnapshotError(f"damaged snapshot {path}: {VECTORS} is not a float32 matrix")
    return int(shape[0]), int(shape[1])


def _read_header(stream, version: tuple[int, int]):
    import numpy as np

    read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    return read(stream)


def records(archive: zipfile.ZipFile, name: str) -> Iterator[dict]:
    """The records of a JSONL member, one at a time."""
    with archive.open(name) as stream:
        for line in io.TextIOWrapper(stream, encoding="utf-8"):
            yield json.loads(line)


def vector_rows(archive: zipfile.ZipFile, rows: int) -> Iterator:
    """The embedding matrix, ``rows`` rows at a time (float32 arrays)."""
    import numpy as np

    with archive.open(VECTORS) as stream:
        shape, _, _ = _read_header(stream, np.lib.format.read_magic(stream))
        width = int(shape[1]) * 4
        while block := stream.read(rows * width):
            yield np.frombuffer(block, dtype="<f4").reshape(-1, int(shape[1]))


# --- writing a snapshot -----------------------------------------------------------------------------------------


class _Moved(Exception):
    """The store moved while it was read: read again."""


def export(settings: Settings, path: Path, *, wait: float = 120.0) -> dict:
    """Write a snapshot of the index to ``path`` (atomically) and return its manifest."""
    path = Path(path)
    if path.is_dir():
        raise SnapshotError(f"{path} is a folder: give the snapshot a file name (e.g. {path / 'rag-backup.zip'})")
    if not path.parent.is_dir():
        raise SnapshotError(f"cannot write {path}: the folder {path.parent} does not exist")
    store = Store(settings)
    _remove_leftovers(path)
    part = path.parent / f".{path.name}.{os.getpid()}.part"
    try:
        manifest = _write_consistent(store, settings, part, wait)
        _fsync(part)
        os.replace(part, path)
        _fsync(path.parent)
    except OSError as exc:
        raise SnapshotError(f"cannot write the snapshot {path}: {exc}") from exc
    finally:
        part.unlink(missing_ok=True)
    return manifest


def _write_consistent(store: Store, settings: Settings, part: Path, wait: float) -> dict:
    """Read the store into ``part`` until one read saw no write from start to end."""
    deadline, delay = time.monotonic() + wait, 0.05
    while True:
        before = _write_state(store)
        if before["pending"]:
            reason = "writes are not yet published (an indexing run is under way, or one was killed: its next run " \
                     "publishes them)"  # fmt: skip
        else:
            try:
                return _write(store, settings, part, before)
            except _Moved:
                reason = "the index kept changing while it was read"
        if time.monotonic() + delay > deadline:
            raise SnapshotError(f"could not read the index at one generation within {wait:g} s: {reason}; "
                                f"try again, or give it longer with --wait")  # fmt: skip
        (log.warning if delay == 0.05 else log.info)("export: %s; reading again until it is quiet", reason)
        time.sleep(delay)
        delay = min(2 * delay, 2.0)


def _write_state(store: Store) -> dict:
    """What must not move while the store is read: generation, record format, pending writes, counts."""
    pending = store.changes is not None and store.has_pending_writes()
    return {"generation": store.generation(), "schema": store.stored_schema(), "pending": pending,
            "counts": list(store.counts())}  # fmt: skip


def _write(store: Store, settings: Settings, part: Path, before: dict) -> dict:
    members: dict[str, dict] = {}
    with zipfile.ZipFile(part, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        n_articles = _dump_articles(store, archive, members)
        n_chunks, dimensions = _dump_chunks(store, archive, members, before["counts"][1])
        for name in HOME_FILES:
            with contextlib.suppress(FileNotFoundError):
                _put(archive, members, name, [(settings.home / name).read_bytes()])
        if _write_state(store) != before or [n_articles, n_chunks] != before["counts"]:
            raise _Moved
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "project_version": __version__,
            "store": {
                "schema": before["schema"],
                "generation": before["generation"],
                "embed_model": embed_identity(settings),
                "embed_model_name": settings.embed_model_name,
                "dimensions": dimensions,
                "collection": settings.collection,
                "chunk_size": settings.chunk_size,
                "chunk_overlap": settings.chunk_overlap,
            },
            "counts": {"articles": n_articles, "chunks": n_chunks},
            "members": members,
        }
        archive.writestr(MANIFEST, json.dumps(manifest, indent=1, sort_keys=True))
    return manifest


def _line(record_id: str, text: str, meta: dict) -> bytes:
    return (json.dumps({"id": record_id, "text": text, "meta": meta}, ensure_ascii=False, separators=(",", ":"))
            + "\n").encode("utf-8")  # fmt: skip


def _pages(collection, include: list[str]) -> Iterator[dict]:
    offset = 0
    while True:
        page = collection.get(include=include, offset=offset, limit=PAGE)
        if not len(page["ids"]):
            return
        yield page
        offset += len(page["ids"])


def _dump_articles(store: Store, archive: zipfile.ZipFile, members: dict) -> int:
    count = 0

    def lines() -> Iterator[bytes]:
        nonlocal count
        for page in _pages(store.articles, ["documents", "metadatas"]):
            for i, text, meta in zip(page["ids"], page["documents"], page["metadatas"], strict=True):
                count += 1
                yield _line(i, text, meta)

    _put(archive, members, ARTICLES, lines())
    return count


def _dump_chunks(store: Store, archive: zipfile.ZipFile, members: dict, expected: int) -> tuple[int, int]:
    """Chunk records and their vectors, row for row. A zip takes one member at a time, so the vectors wait in an
    unnamed temporary file beside the snapshot (gone with the process, however it ends). The vector header says
    ``expected`` rows (the count read before): a store that holds another number by the end is read again."""
    import numpy as np

    pages = _pages(store.chunks, ["documents", "metadatas", "embeddings"])
    first = next(pages, None)
    dimensions = len(first["embeddings"][0]) if first is not None else 0
    count = 0
    with tempfile.TemporaryFile(dir=Path(str(archive.filename)).parent) as spool:
        np.lib.format.write_array_header_1_0(spool, {"descr": "<f4", "fortran_order": False,
                                                     "shape": (expected, dimensions)})  # fmt: skip
        with _Member(archive, CHUNKS, members) as lines:
            for page in itertools.chain([first] if first is not None else [], pages):
                for i, text, meta in zip(page["ids"], page["documents"], page["metadatas"], strict=True):
                    lines.write(_line(i, text, meta))
                spool.write(np.asarray(page["embeddings"], dtype="<f4").tobytes())
                count += len(page["ids"])
        if count != expected:
            raise _Moved
        spool.seek(0)
        with _Member(archive, VECTORS, members, compress=False) as vectors:
            while block := spool.read(BLOCK):
                vectors.write(block)
    return count, dimensions


class _Member:
    """One archive member written as a stream, its sha256 and size recorded in ``members`` when it is closed."""

    def __init__(self, archive: zipfile.ZipFile, name: str, members: dict, compress: bool = True) -> None:
        self.archive, self.name, self.members = archive, name, members
        # JSON compresses well at the archive's fastest level; vectors barely compress, so they are stored
        target: str | zipfile.ZipInfo = name
        if not compress:
            target = zipfile.ZipInfo(name)  # the fixed 1980 date, as for the other members
            target.compress_type = zipfile.ZIP_STORED
        self.stream = archive.open(target, "w", force_zip64=True)
        self.digest, self.size = hashlib.sha256(), 0

    def write(self, data: bytes) -> None:
        self.stream.write(data)
        self.digest.update(data)
        self.size += len(data)

    def __enter__(self) -> _Member:
        return self

    def __exit__(self, *exc) -> None:
        self.stream.close()
        self.members[self.name] = {"sha256": self.digest.hexdigest(), "bytes": self.size}


def _put(archive: zipfile.ZipFile, members: dict, name: str, blocks) -> None:
    with _Member(archive, name, members) as member:
        for block in blocks:
            member.write(block)


def _remove_leftovers(path: Path) -> None:
    """Remove the ``.part`` files that killed exports to ``path`` left (their process is gone)."""
    for leftover in path.parent.glob(f".{path.name}.*.part"):
        pid = leftover.name[len(path.name) + 2 : -len(".part")]
        if pid.isdigit() and not _alive(int(pid)):
            leftover.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fsync(path: Path) -> None:
    """Flush a file's (or a folder's entries') data to disk, so a rename never publishes a file still in cache."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
