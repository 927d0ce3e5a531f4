"""A killed ``rag index`` leaves a store that the next run converges to exactly what a clean build gives.

Two tests:

* ``test_kill_9_mid_index_then_reindex_equals_clean_build``: the real thing. ``python -m ui.cli index`` on
  150 generated articles is killed with SIGKILL the moment its first write reaches Chroma (seen through a
  separate read-only look at the SQLite file), then indexed again; the store must equal a clean build in
  another RAG_HOME, and every vector must be searchable.
* ``test_crash_before_any_write_converges``: the same, deterministic and exhaustive: an update (one article
  changed, one removed, one added) is interrupted before each of its Chroma writes in turn, then the next run
  indexes either the same folder or a folder changed again in between.

"Equal" means: the same chunk ids (no duplicates), the same chunk and article records, no chunk whose article
has no record, and no article record without its chunks.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest

from index import build
from index.build import index_paths
from rag.encoders.embedding import embed_texts, load_embedder
from rag.retrieval.store import Store
from rag.settings import Settings
from tests.generated import generated_article, write_corpus

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def store_state(home: Path) -> dict:
    """The store's content, after checking its invariants (unique ids, no orphans, no article without chunks)."""
    store = Store(Settings(home=home))
    chunks = store.chunks.get(include=["metadatas", "documents"])
    articles = store.articles.get(include=["metadatas", "documents"])
    chunk_ids, article_ids = chunks["ids"], articles["ids"]
    assert len(chunk_ids) == len(set(chunk_ids)) == store.chunks.count(), "duplicate chunk ids"
    assert len(article_ids) == len(set(article_ids)) == store.articles.count(), "duplicate article ids"
    by_article: dict[str, set[str]] = defaultdict(set)
    for chunk_id, meta in zip(chunk_ids, chunks["metadatas"], strict=True):
        by_article[meta["article_id"]].add(chunk_id)
    orphans = {a: sorted(c) for a, c in by_article.items() if a not in set(article_ids)}
    assert not orphans, f"chunks whose article has no record: {orphans}"
    bare = set(article_ids) - set(by_article)
    assert not bare, f"article records without chunks: {sorted(bare)}"
    return {
        "chunks": dict(zip(chunk_ids, zip(chunks["metadatas"], chunks["documents"], strict=True), strict=True)),
        "articles": dict(zip(article_ids, zip(articles["metadatas"], articles["documents"], strict=True), strict=True)),
    }


def assert_same_store(recovered: dict, clean: dict) -> None:
    assert set(recovered["chunks"]) == set(clean["chunks"]), (
        f"missing {sorted(set(clean['chunks']) - set(recovered['chunks']))[:5]}, "
        f"extra {sorted(set(recovered['chunks']) - set(clean['chunks']))[:5]}"
    )
    assert len(recovered["chunks"]) == len(clean["chunks"])
    assert recovered["chunks"] == clean["chunks"]
    assert recovered["articles"] == clean["articles"]


def rows_at(sqlite_file: Path) -> dict[str, int]:
    """Writes logged per collection, read straight from Chroma's SQLite file without opening a Chroma client."""
    with sqlite3.connect(f"file:{sqlite_file}?mode=ro", uri=True, timeout=5) as db:
        names = dict(db.execute("SELECT id, name FROM collections").fetchall())
        logged = db.execute("SELECT topic, count(*) FROM embeddings_queue GROUP BY topic").fetchall()
    return {names.get(topic.rsplit("/", 1)[-1], topic): count for topic, count in logged}


def first_write_seen(sqlite_file: Path) -> bool:
    if not sqlite_file.exists():
        return False
    try:
        with sqlite3.connect(f"file:{sqlite_file}?mode=ro", uri=True, timeout=0.05) as db:
            return db.execute("SELECT count(*) FROM embeddings_queue").fetchone()[0] > 0
    except sqlite3.Error:  # the schema is not there yet, or the writer holds a lock: look again
        return False


@pytest.mark.integration
def test_kill_9_mid_index_then_reindex_equals_clean_build(tmp_path):
    folder = write_corpus(
        tmp_path / "corpus", {f"article-{i:03d}.txt": generated_article(i, paragraphs=1) for i in range(150)}
    )
    crashed, clean = tmp_path / "crashed-home", tmp_path / "clean-home"
    command = [sys.executable, "-m", "ui.cli", "index", str(folder), "--json"]
    env = {**os.environ, "RAG_HOME": str(crashed)}

    started = time.monotonic()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sqlite_file = crashed / "chroma" / "chroma.sqlite3"
    try:
        while process.poll() is None and time.monotonic() - started < 240:
            if first_write_seen(sqlite_file):
                process.send_signal(signal.SIGKILL)
                break
            time.sleep(0.01)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL, "the indexer finished before it could be killed mid-write"
    print(f"\nkilled after {time.monotonic() - started:.1f}s; writes logged then: {rows_at(sqlite_file)}")

    t = time.monotonic()
    rerun = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    print(f"rerun took {time.monotonic() - t:.1f}s: {json.loads(rerun.stdout)}")
    index_paths([folder], Settings(home=clean))

    recovered = store_state(crashed)
    assert_same_store(recovered, store_state(clean))
    assert len(recovered["articles"]) == 150 and len(recovered["chunks"]) >= 150

    # Every stored vector is in the vector index: each chunk's own embedding finds that chunk first.
    store = Store(Settings(home=crashed))
    got = store.chunks.get(include=["embeddings"])
    nearest = store.chunks.query(query_embeddings=got["embeddings"], n_results=1, include=[])["ids"]
    assert [ids[0] for ids in nearest] == got["ids"]


class SimulatedCrash(BaseException):
    """Raised instead of a Chroma write: the process 'dies' there (BaseException: nothing catches it)."""


WRITES = ("upsert", "update", "delete", "modify")


@pytest.fixture
def chroma_writes(monkeypatch):
    """Counts Chroma collection writes; ``crash_at = k`` makes write number k (1-based) raise instead."""
    from chromadb.api.models.Collection import Collection

    class Writes:
        count = 0
        crash_at: int | None = None
        log: list[str] = []

    for name in WRITES:
        original = getattr(Collection, name)

        def wrapper(self, *args, _original=original, _name=name, **kwargs):
            Writes.count += 1
            if Writes.crash_at == Writes.count:
                raise SimulatedCrash(f"before write {Writes.count}: {_name} {self.name}")
            Writes.log.append(f"{_name} {self.name}")
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(Collection, name, wrapper)
    return Writes


def test_crash_before_any_write_converges(tmp_path, monkeypatch, chroma_writes):
    # Speed only: one model for every home, and each text embedded once (the store never knows the difference).
    shared = load_embedder(Settings(home=tmp_path / "model-home"))
    monkeypatch.setattr(build, "load_embedder", lambda settings: shared)
    vectors: dict[str, list[float]] = {}

    def embed_once(embedder, texts, progress=False):
        todo = [t for t in dict.fromkeys(texts) if t not in vectors]
        vectors.update(zip(todo, embed_texts(embedder, todo), strict=True))
        return [vectors[t] for t in texts]

    monkeypatch.setattr(build, "embed_texts", embed_once)
    settings = {"chunk_size": 48, "chunk_overlap": 8}
    folder = tmp_path / "news"
    a, b, c, d = (generated_article(i, paragraphs=3) for i in range(4))
    a2, c2 = a.replace("reopened", "closed again"), c.replace("Title: ", "Title: Updated: ")
    versions = {
        "v1": {"a.txt": a, "b.txt": b, "c.txt": c},
        "v2": {"a.txt": a2, "c.txt": c2, "d.txt": d},  # a's text and c's title changed, b gone, d new
        "v3": {"a.txt": a2, "c.txt": c2},  # ... and d gone again before the rerun
    }

    def index(version: str, home: Path, crash_at: int | None = None) -> None:
        write_corpus(folder, versions[version])
        chroma_writes.count, chroma_writes.crash_at = 0, crash_at
        try:
            index_paths([folder], Settings(home=home, **settings))
        finally:
            chroma_writes.crash_at = None

    clean = {}
    for version in ("v2", "v3"):
        index(version, tmp_path / f"clean-{version}")
        clean[version] = store_state(tmp_path / f"clean-{version}")
    template = tmp_path / "v1-home"
    index("v1", template)
    shutil.copytree(template, probe := tmp_path / "probe")
    chroma_writes.log.clear()
    index("v2", probe)
    writes = list(chroma_writes.log)
    print(f"\nthe update makes {len(writes)} writes, each one crashed before in turn: {writes}")
    assert len(writes) >= 6 and store_state(probe) == clean["v2"], writes

    for k, write in enumerate(writes, start=1):
        for rerun in ("v2", "v3"):
            home = tmp_path / f"crash-{k}-{rerun}"
            shutil.copytree(template, home)
            with pytest.raises(SimulatedCrash):
                index("v2", home, crash_at=k)
            index(rerun, home)
            try:
                assert_same_store(store_state(home), clean[rerun])
            except AssertionError as exc:
                raise AssertionError(f"crash before write {k} ({write}), rerun on {rerun}: {exc}") from None
