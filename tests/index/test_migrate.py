"""Upgrades: a store in the previous record format (made here by writing one with the current code and stripping it
back: no format stamp, no derived titles, the content hashes of then) is migrated in place to exactly what the
current code writes, and answers as it would have; a store from a newer release is refused with what to do."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from index import migrate as migrate_module
from index.build import index_paths
from index.migrate import MIGRATIONS, migrate
from index.restore import import_snapshot
from index.snapshot import export, verify
from rag.errors import StoreError
from rag.records import DERIVED_TITLE, article_from_record
from rag.retrieval.store import SCHEMA, SCHEMA_UNSTAMPED, Store
from rag.settings import Settings
from tests.conftest import SEEDS, write_articles

ROOT = Path(__file__).resolve().parents[2]
UNTITLED = {
    f"untitled-{i}.txt": f"The ferry captain number {i}, Ines Moreau {i}, retired in May after {i + 20} years on the "
    f"crossing. Her last trip was on a calm morning."
    for i in range(5)
}


def strip_to_format_1(settings: Settings) -> int:
    """Rewrite the store as releases before derived titles wrote it; returns how many articles were changed."""
    store = Store(settings)
    changed = 0
    for article_id, meta in store.article_records().items():
        if not meta.get(DERIVED_TITLE):
            continue
        text = store.articles.get(ids=[article_id], include=["documents"])["documents"][0]
        old_hash = article_from_record(article_id, text, {**meta, DERIVED_TITLE: None}).content_hash
        indexed = meta["indexed"].replace(meta["article_hash"], old_hash, 1)
        store.articles.update(ids=[article_id], metadatas=[{DERIVED_TITLE: None, "article_hash": old_hash,
                                                            "indexed": indexed}])  # fmt: skip
        chunks = list(store.chunk_records({"article_id": article_id}))
        store.chunks.update(ids=chunks, metadatas=[{DERIVED_TITLE: None, "article_hash": old_hash}] * len(chunks))
        changed += 1
    store.chunks.modify(metadata={k: v for k, v in store.chunks.metadata.items() if k != "schema"})
    shutil.rmtree(settings.home / "derived", ignore_errors=True)  # its BM25 base was built from the new records
    return changed


def content(settings: Settings) -> dict:
    from tests.index.test_snapshot import store_content

    return store_content(settings)


def same(got: dict, want: dict) -> bool:
    from tests.index.test_snapshot import assert_same_content

    assert_same_content(got, want)
    return True


@pytest.fixture
def small(tmp_path, fake_embedder) -> Settings:
    settings = Settings(home=tmp_path / "home")
    index_paths([write_articles(tmp_path / "news", UNTITLED)], settings, embedder=fake_embedder)
    return settings


def test_every_older_format_has_a_step():
    assert sorted(MIGRATIONS) == list(range(SCHEMA_UNSTAMPED, SCHEMA))
    assert all(m.source == s for s, m in MIGRATIONS.items())


def test_a_new_store_is_stamped_and_keeps_its_stamp(small, fake_embedder, tmp_path):
    store = Store(small)
    assert store.schema == store.stored_schema() == SCHEMA
    assert store.chunks.metadata["schema"] == SCHEMA and store.chunks.metadata["embed_model"]
    write_articles(tmp_path / "news", {"more.txt": "Title: More\n\nAnother report."})
    index_paths([tmp_path / "news"], small, embedder=fake_embedder)  # bumps the generation: the stamp stays
    assert Store(small).stored_schema() == SCHEMA and Store(small).generation() == 2


def test_migration_gives_exactly_what_the_current_code_writes(small):
    want = content(small)
    assert strip_to_format_1(small) == len(UNTITLED)
    old = Store(small)
    assert old.schema == SCHEMA_UNSTAMPED
    assert all(not m.get(DERIVED_TITLE) for m in old.article_records().values())
    generation = old.generation()
    steps = migrate(old)
    assert [(s.source, s.target, s.articles) for s in steps] == [(1, 2, len(UNTITLED))]
    assert same(content(small), want)
    store = Store(small)
    assert store.schema == SCHEMA and store.generation() == generation + 1 and not store.has_pending_writes()
    assert migrate(store) == []  # done: a rerun does nothing


def test_a_store_from_a_newer_release_is_refused(small, tmp_path):
    store = Store(small)
    store.chunks.modify(metadata={**store.chunks.metadata, "schema": SCHEMA + 1})
    message = rf"record format {SCHEMA + 1}, written by a newer version of rag-news.*upgrade rag-news"
    with pytest.raises(StoreError, match=message):
        Store(small)
    with pytest.raises(StoreError, match=message):
        index_paths([tmp_path / "news"], small)
    env = {"RAG_HOME": str(small.home), "PATH": "/usr/bin:/bin"}
    run = subprocess.run([sys.executable, "-m", "ui.cli", "migrate"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)  # fmt: skip
    assert run.returncode == 2 and "Traceback" not in run.stderr and "upgrade rag-news" in run.stderr


def test_index_migrates_an_older_store_before_it_writes(small, tmp_path, fake_embedder):
    strip_to_format_1(small)
    index_paths([tmp_path / "news"], small, embedder=fake_embedder)
    store = Store(small)
    assert store.stored_schema() == SCHEMA
    assert all(m.get(DERIVED_TITLE) for m in store.article_records().values())


def test_an_older_snapshot_is_migrated_when_imported(small, tmp_path):
    want = content(small)
    strip_to_format_1(small)
    export(small, tmp_path / "old.zip")
    assert verify(tmp_path / "old.zip").store["schema"] == SCHEMA_UNSTAMPED
    restored = Settings(home=tmp_path / "restored")
    report = import_snapshot(restored, tmp_path / "old.zip")
    assert report["schema"] == SCHEMA and report["migrated"] == [MIGRATIONS[1].what]
    assert same(content(restored), want)


def test_the_migration_works_in_batches(small, monkeypatch):
    want = content(small)
    strip_to_format_1(small)
    monkeypatch.setattr(migrate_module, "BATCH", 2)
    migrate(Store(small))
    assert same(content(small), want)


@pytest.mark.slow
def test_a_store_in_the_previous_format_migrates_and_answers_identically(tmp_path):
    """The real model and the pipeline: the untitled article's citation gets its derived title back, every answer
    (text, citations, confidence) is the current code's, both in a new process and in a server that kept running."""
    from rag.pipeline import Pipeline
    from tests.index.test_snapshot import QUESTIONS, answer_key, write_extra

    settings = Settings(home=tmp_path / "home")
    index_paths([SEEDS, write_extra(tmp_path / "extra")], settings)
    want = content(settings)
    pipeline = Pipeline(settings)
    answers = {q: answer_key(pipeline.ask(q)) for q in QUESTIONS}
    del pipeline

    assert strip_to_format_1(settings) == 1
    running = Pipeline(settings)  # a server started on the old store: it reads it as it is
    ferry = running.ask("Which ferry captain retired in May?")
    assert ferry.citations[0].article_id.endswith("ferry.txt")
    assert ferry.citations[0].title is None and not ferry.citations[0].title_derived  # its id is shown
    assert answer_key(ferry) != answers["Which ferry captain retired in May?"]

    env = {"RAG_HOME": str(settings.home), "PATH": "/usr/bin:/bin"}
    run = subprocess.run([sys.executable, "-m", "ui.cli", "migrate"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=300)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "record format 1 -> 2: derived titles for articles stored without a title (1 articles changed)" in run.stdout
    assert same(content(settings), want)

    for pipeline in (running, Pipeline(settings)):  # caught up through the change log / opened afresh
        for question in QUESTIONS:
            assert answer_key(pipeline.ask(question)) == answers[question], question
