"""index.manifest: a re-index of unchanged files over an unchanged store reads neither; any change to a file or
to the store, by anyone, takes the full path (real Chroma, the fake embedder)."""

import os

import pytest

import index.build
from index.build import index_paths
from rag.retrieval.store import Store
from tests.conftest import write_articles

ARTICLES = {"a.md": "Title: Harbour\n\nThe harbour reopened on Monday.", "b.md": "Title: Bridge\n\nThe bridge opened."}


@pytest.fixture
def folder(tmp_path):
    return write_articles(tmp_path / "news", ARTICLES)


@pytest.fixture
def loads(monkeypatch):
    """How many times files were read (load_paths called)."""
    calls = []
    real = index.build.load_paths
    monkeypatch.setattr(index.build, "load_paths", lambda *a, **k: calls.append(1) or real(*a, **k))
    return calls


def test_an_unchanged_rerun_reads_nothing_and_reports_the_same(folder, settings, fake_embedder, loads):
    first = index_paths([folder], settings, embedder=fake_embedder)
    again = index_paths([folder], settings, embedder=fake_embedder)
    assert len(loads) == 1
    assert (again.articles, again.chunks, again.unchanged, again.embedded, again.deleted) == (
        first.articles, first.chunks, first.chunks, 0, 0)  # fmt: skip


@pytest.mark.parametrize("change", ["touch", "add", "remove"])
def test_a_changed_file_takes_the_full_path(folder, settings, fake_embedder, loads, change):
    index_paths([folder], settings, embedder=fake_embedder)
    if change == "touch":
        stat = (folder / "a.md").stat()
        os.utime(folder / "a.md", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    elif change == "add":
        (folder / "c.md").write_text("Title: Ferry\n\nThe ferry got a new captain.", encoding="utf-8")
    else:
        (folder / "b.md").unlink()
    report = index_paths([folder], settings, embedder=fake_embedder)
    assert len(loads) == 2
    assert report.articles == {"touch": 2, "add": 3, "remove": 1}[change]


def test_any_write_to_the_store_takes_the_full_path(folder, tmp_path, settings, fake_embedder, loads):
    index_paths([folder], settings, embedder=fake_embedder)
    store = Store(settings)
    store.delete_articles(["news/a.md"])  # as DELETE /articles does
    store.bump_generation()
    report = index_paths([folder], settings, embedder=fake_embedder)
    assert len(loads) == 2 and report.embedded == 1 and "news/a.md" in Store(settings).article_records()

    index_paths([write_articles(tmp_path / "other", {"x.md": "Title: X\n\nAnother text."})], settings,
                embedder=fake_embedder)  # fmt: skip
    index_paths([folder], settings, embedder=fake_embedder)
    assert len(loads) == 4


def test_a_write_not_yet_published_takes_the_full_path(folder, settings, fake_embedder, loads):
    index_paths([folder], settings, embedder=fake_embedder)
    Store(settings)._log_touched(["chunk-of-a-killed-run"])  # a writer died before bumping the generation
    index_paths([folder], settings, embedder=fake_embedder)
    assert len(loads) == 2


def test_an_unchanged_bad_file_is_reported_again_and_a_fixed_one_is_read(folder, settings, fake_embedder, loads):
    (folder / "bad.md").write_bytes(b"\xff\xfe not utf-8 \xff")
    first = index_paths([folder], settings, embedder=fake_embedder)
    again = index_paths([folder], settings, embedder=fake_embedder)
    assert len(loads) == 1 and first.skipped and again.skipped == first.skipped
    (folder / "bad.md").write_text("Title: Fixed\n\nNow it reads.", encoding="utf-8")
    fixed = index_paths([folder], settings, embedder=fake_embedder)
    assert len(loads) == 2 and not fixed.skipped and fixed.articles == 3
