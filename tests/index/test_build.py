"""The write path against a real Chroma under tmp_path and the real packaged MiniLM model."""

import json
import subprocess
import sys

import pytest

from index.build import index_paths
from index.chunk import chunk_article
from index.load import load_paths
from rag.retrieval.store import Store
from rag.settings import Settings
from tests.conftest import SEEDS, write_articles

pytestmark = pytest.mark.slow

HARBOUR = (
    "The harbour of Port Elm reopened on Monday after a three-week closure. "
    "Engineers repaired the sea wall that a winter storm had breached.\n\n"
    "Mayor Ana Duarte said the repairs cost 4.2 million euros. "
    "Fishing crews returned to the docks before dawn."
)
BRIDGE = "The new river bridge in Lindholm opened to cyclists. It is 320 metres long and took two years to build."


def stored(settings):
    store = Store(settings)
    return store.article_records(), store.chunk_records()


def test_offsets_round_trip_for_every_chunk(tmp_path):
    long_text = " ".join(f"Sentence number {i} talks about the harbour and the sea wall." for i in range(120))
    folder = write_articles(tmp_path / "news", {"long.txt": long_text + "\n\n" + HARBOUR, "b.md": BRIDGE})
    for article in [*load_paths([folder]).articles, *load_paths([SEEDS]).articles]:
        for size, overlap in [(64, 16), (128, 32), (200, 40)]:
            chunks = chunk_article(article, size, overlap)
            assert chunks
            for chunk in chunks:
                assert article.text[chunk.start : chunk.end] == chunk.text


def test_index_is_idempotent_and_stores_offsets(tmp_path, settings):
    folder = write_articles(tmp_path / "news", {"harbour.txt": HARBOUR, "bridge.txt": BRIDGE})
    first = index_paths([folder], settings)
    assert first.articles == 2 and first.embedded == first.chunks > 0 and first.unchanged == 0
    second = index_paths([folder], settings)
    assert (second.embedded, second.unchanged, second.deleted) == (0, first.chunks, 0)
    articles, chunks = stored(settings)
    assert len(chunks) == first.chunks
    store = Store(settings)
    for article_id in articles:  # each article's chunks, in order, cover all of its text with no gap
        text = store.get_article(article_id).text
        spans = sorted((m["position"], m["start"], m["end"]) for m in chunks.values() if m["article_id"] == article_id)
        assert [p for p, _, _ in spans] == list(range(len(spans)))
        assert spans[0][1] == 0 and spans[-1][2] == len(text.rstrip())
        assert all(b[1] <= a[2] for a, b in zip(spans, spans[1:], strict=False)), "a gap between chunks"
    got = store.chunks.get(include=["documents", "metadatas"])
    for doc, meta in zip(got["documents"], got["metadatas"], strict=True):
        assert store.get_article(meta["article_id"]).text[meta["start"] : meta["end"]] == doc


def test_changed_article_replaces_only_its_stale_chunks(tmp_path):
    settings = Settings(chunk_size=32, chunk_overlap=8)
    folder = write_articles(tmp_path / "news", {"harbour.txt": HARBOUR, "bridge.txt": BRIDGE})
    index_paths([folder], settings)
    before = set(stored(settings)[1])
    (folder / "harbour.txt").write_text(HARBOUR.replace("4.2 million", "5.9 million"), encoding="utf-8")
    report = index_paths([folder], settings)
    after = stored(settings)[1]
    assert 0 < report.embedded < report.chunks
    assert report.deleted == len(before - set(after)) > 0
    assert len(after) == report.chunks
    docs = Store(settings).chunks.get(include=["documents"])["documents"]
    assert any("5.9 million" in d for d in docs) and not any("4.2 million" in d for d in docs)


def test_removed_article_is_deleted_from_store(tmp_path, settings):
    folder = write_articles(tmp_path / "news", {"harbour.txt": HARBOUR, "bridge.txt": BRIDGE})
    index_paths([folder], settings)
    (folder / "bridge.txt").unlink()
    report = index_paths([folder], settings)
    articles, chunks = stored(settings)
    assert list(articles) == ["news/harbour.txt"]
    assert report.deleted > 0
    assert {m["article_id"] for m in chunks.values()} == {"news/harbour.txt"}


def test_identical_articles_are_stored_once(tmp_path, settings):
    folder = write_articles(tmp_path / "news", {"a.txt": HARBOUR, "copy/a-again.txt": HARBOUR, "b.txt": BRIDGE})
    report = index_paths([folder], settings)
    assert report.articles == 2
    assert report.duplicates == [{"path": str(folder / "copy/a-again.txt"), "duplicate_of": "news/a.txt"}]
    assert len(stored(settings)[0]) == 2


def test_bad_files_are_skipped_and_keep_earlier_copy(tmp_path, settings):
    folder = write_articles(tmp_path / "news", {"harbour.txt": HARBOUR, "bridge.txt": BRIDGE})
    index_paths([folder], settings)
    (folder / "bridge.txt").write_bytes(b"\xff\xfe broken \x81")
    (folder / "empty.txt").write_bytes(b"")
    report = index_paths([folder], settings)
    assert {s["path"].rsplit("/", 1)[-1] for s in report.skipped} == {"bridge.txt", "empty.txt"}
    assert set(stored(settings)[0]) == {"news/harbour.txt", "news/bridge.txt"}  # nothing lost


def test_two_homes_never_see_each_other(tmp_path):
    one = Settings(home=tmp_path / "one")
    two = Settings(home=tmp_path / "two")
    index_paths([write_articles(tmp_path / "a", {"harbour.txt": HARBOUR})], one)
    index_paths([write_articles(tmp_path / "b", {"bridge.txt": BRIDGE})], two)
    assert list(stored(one)[0]) == ["a/harbour.txt"]
    assert list(stored(two)[0]) == ["b/bridge.txt"]


def test_cli_json_summary_and_errors(tmp_path, rag_home, capsys):
    from ui.cli import main

    folder = write_articles(tmp_path / "news", {"harbour.txt": HARBOUR, "bad.txt": ""})
    assert main(["index", str(folder), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert set(summary) >= {"articles", "chunks", "embedded", "unchanged", "deleted", "skipped"}
    assert summary["articles"] == 1 and summary["embedded"] == summary["chunks"]
    assert summary["skipped"] == [{"path": str(folder / "bad.txt"), "reason": "empty file"}]

    assert main(["index", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "no such file or folder" in err
    (tmp_path / "empty").mkdir()
    assert main(["index", str(tmp_path / "empty")]) == 2
    assert "no files to index" in capsys.readouterr().err


def test_console_script_indexes_seeds(tmp_path, rag_home):
    rag = [sys.executable, "-m", "ui.cli"]
    out = subprocess.run([*rag, "index", str(SEEDS), "--json"], capture_output=True, text=True, check=True)
    summary = json.loads(out.stdout)
    assert summary["articles"] == 1 and summary["chunks"] >= 1 and summary["skipped"] == []
    bad = subprocess.run([*rag, "index", str(tmp_path / "nope")], capture_output=True, text=True)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_undated_articles_keep_the_day_they_were_first_seen(tmp_path, settings):
    from datetime import UTC, date, datetime

    from tests.conftest import write_json_article

    folder = write_articles(tmp_path / "news", {"harbour.txt": HARBOUR})
    write_json_article(folder / "bridge.json", title="Bridge opens", text=BRIDGE, published="2025-04-01")
    index_paths([folder], settings)
    store = Store(settings)
    by_title = {a.title: a for a in (store.get_article(i) for i in store.article_records())}
    harbour = by_title["The harbour of Port Elm reopened on Monday after a three-week closure."]
    bridge = by_title["Bridge opens"]
    assert harbour.seen == datetime.now(UTC).date() and harbour.published is None
    assert bridge.published == date(2025, 4, 1) and bridge.seen is None
    # A changed text is the same article: it keeps the day it was first seen, on its record and its chunks.
    chunk = next(iter(store.chunk_records({"article_id": harbour.id}).values()))
    assert chunk["seen"] == harbour.seen.isoformat()
    first_seen = "2020-01-02"
    store.articles.update(ids=[harbour.id], metadatas=[{"seen": first_seen}])
    (folder / "harbour.txt").write_text(HARBOUR.replace("4.2 million", "5.9 million"), encoding="utf-8")
    index_paths([folder], settings)
    store = Store(settings)
    assert store.get_article(harbour.id).seen == date(2020, 1, 2)
    assert {m["seen"] for m in store.chunk_records({"article_id": harbour.id}).values()} == {first_seen}
