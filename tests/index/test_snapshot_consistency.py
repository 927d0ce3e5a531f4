"""An export taken while the index is written to is one published state, never a mix: the store's generation
and change log are read before and after, and a write in between makes the export read again (real Chroma, the
fake embedder: the store never knows the difference)."""

from __future__ import annotations

import json
import threading
import zipfile
from pathlib import Path

import pytest

from index import snapshot as snapshot_module
from index.build import index_loaded, index_paths
from index.load import LoadResult
from index.snapshot import SnapshotError, export
from rag.retrieval.store import Store
from rag.settings import Settings
from rag.types import Article
from tests.conftest import write_articles


@pytest.fixture
def small_home(tmp_path, fake_embedder) -> Settings:
    settings = Settings(home=tmp_path / "home")
    folder = write_articles(tmp_path / "news", {f"a{i}.txt": f"Title: Story {i}\n\nReport number {i} says {i} "
                                                              f"boats sailed." for i in range(5)})  # fmt: skip
    index_paths([folder], settings, embedder=fake_embedder)
    return settings


def late_articles(n: int, start: int = 100) -> LoadResult:
    articles = [Article(id=f"late-{i}", text=f"Late report {i}: the ferry left at {i} o'clock.", title=f"Late {i}")
                for i in range(start, start + n)]  # fmt: skip
    return LoadResult(articles=articles, origins={"upload": [a.id for a in articles]})


def snapshot_ids(path: Path) -> tuple[set[str], set[str]]:
    with zipfile.ZipFile(path) as archive:
        articles = [json.loads(line) for line in archive.read("articles.jsonl").splitlines()]
        chunks = [json.loads(line) for line in archive.read("chunks.jsonl").splitlines()]
    # a published state: every article fully indexed, with exactly its chunks, and no chunk without its article
    by_article: dict[str, int] = {}
    for chunk in chunks:
        by_article[chunk["meta"]["article_id"]] = by_article.get(chunk["meta"]["article_id"], 0) + 1
    for article in articles:
        assert article["meta"]["indexed"], f"{article['id']} is not fully indexed: a half-written state"
        assert by_article.pop(article["id"], 0) == article["meta"]["n_chunks"], article["id"]
    assert not by_article, f"chunks without their article: {by_article}"
    return {a["id"] for a in articles}, {c["id"] for c in chunks}


def test_a_write_during_the_read_makes_the_export_read_again(small_home, tmp_path, monkeypatch, fake_embedder):
    real = snapshot_module._dump_articles
    calls = []

    def dump_with_a_write_meanwhile(store, archive, members):
        calls.append(1)
        if len(calls) == 1:  # another process indexes while the first read is under way
            index_loaded(late_articles(2), small_home, embedder=fake_embedder)
        return real(store, archive, members)

    monkeypatch.setattr(snapshot_module, "_dump_articles", dump_with_a_write_meanwhile)
    manifest = export(small_home, tmp_path / "s.zip")
    assert len(calls) == 2 and manifest["counts"]["articles"] == 7
    assert manifest["store"]["generation"] == Store(small_home).generation()
    assert {"late-100", "late-101"} <= snapshot_ids(tmp_path / "s.zip")[0]


def test_unpublished_writes_make_the_export_wait_then_say_why(small_home, tmp_path):
    store = Store(small_home)
    store.upsert_articles(late_articles(1).articles, "upload")  # a writer killed before its generation bump
    with pytest.raises(SnapshotError, match="not yet published.*killed: its next run publishes them.*--wait"):
        export(small_home, tmp_path / "s.zip", wait=0.3)
    assert not (tmp_path / "s.zip").exists() and not list(tmp_path.glob(".s.zip.*"))
    store.bump_generation()
    export(small_home, tmp_path / "s.zip")


@pytest.mark.slow
def test_exports_taken_while_indexing_runs_are_each_one_published_state(small_home, tmp_path, fake_embedder):
    stop = threading.Event()
    failures: list[BaseException] = []

    def keep_indexing() -> None:
        try:
            for round_ in range(40):
                if stop.is_set():
                    return
                index_loaded(late_articles(3, start=100 + 3 * round_), small_home, embedder=fake_embedder)
        except BaseException as exc:  # noqa: BLE001
            failures.append(exc)

    writer = threading.Thread(target=keep_indexing)
    writer.start()
    seen = set()
    try:
        for i in range(6):
            export(small_home, tmp_path / f"s{i}.zip", wait=60)
            seen.add(len(snapshot_ids(tmp_path / f"s{i}.zip")[0]))
    finally:
        stop.set()
        writer.join()
    assert not failures, failures
    print(f"\narticle counts seen by 6 exports during indexing: {sorted(seen)}")
