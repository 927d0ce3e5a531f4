"""Bring a store written by an older release up to the record format this code writes (``Store.schema``).

The store stamps its format as ``schema`` in the chunk collection's metadata (``rag.retrieval.store.SCHEMA``); a
store with no stamp is the format before stamping (``SCHEMA_UNSTAMPED``). :data:`MIGRATIONS` holds one step per
format, from it to the next. A step rewrites records in place and is written so that running it again is
harmless: it selects only the records still in the old form, and within a record writes the chunks before the
article record that selects it, so a run killed anywhere (kill -9) is finished by the next run, which redoes at
most the article it was on. Each step's writes go through the store's change log and end with a generation bump
that also stamps the new format, so readers (the BM25 side, other replicas) pick the changed records up as they
do any write, and a step is never stamped done before its last record is written.

Who runs it: ``rag migrate``, every ``rag index`` (and the server's indexing) before it writes, and ``rag import``
after restoring an older snapshot. Readers never migrate (a server reads an older store as it is: the fields it
lacks default), and a store from a newer release is refused when it is opened.

Format 1 → 2, *derived titles*: releases before derived titles stored an article read without a title with an
empty title and nothing else, so its citations show its id. The current loader derives a title from the text
(``index.load.derive_title``) and stores it as ``derived_title`` on the article record and every chunk, and the
article's content hash covers it. A re-indexed folder picks that up by itself, but uploaded, fetched and feed
articles are never re-read; the step gives them what the current code would have written: the derived title,
the new content hash on the record and its chunks, and the "fully indexed" marker re-keyed to that hash.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from index.load import derive_title
from rag.errors import StoreError
from rag.records import DERIVED_TITLE, TITLE, article_from_record
from rag.retrieval.store import SCHEMA, SCHEMA_UNSTAMPED, Store
from rag.settings import Settings

log = logging.getLogger(__name__)

BATCH = 200  # articles per step of a migration (their chunks are written with them)


class MigrationError(StoreError):
    """A store this version cannot bring up to date; the message says what to run instead."""


@dataclass(frozen=True)
class Migration:
    source: int  # the format it upgrades from (to ``source + 1``)
    what: str
    run: Callable[[Store], int]  # idempotent; returns how many articles it changed


@dataclass(frozen=True)
class Step:
    source: int
    target: int
    what: str
    articles: int


def _derive_titles(store: Store) -> int:
    """Format 1 → 2: a derived title for each article stored with an empty title and none derived."""
    todo = [i for i, meta in store.article_records({TITLE: ""}).items() if not meta.get(DERIVED_TITLE)]
    changed = 0
    for lo in range(0, len(todo), BATCH):
        got = store.articles.get(ids=todo[lo : lo + BATCH], include=["documents", "metadatas"])
        batch = [(i, text, meta) for i, text, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
                 if not meta.get(DERIVED_TITLE) and (text or "").strip()]  # fmt: skip
        _derive_batch(store, batch)
        changed += len(batch)
    return changed


def _derive_batch(store: Store, todo: list[tuple[str, str, dict]]) -> None:
    records: dict[str, dict] = {}
    chunk_ids: list[str] = []
    chunk_metas: list[dict] = []
    for article_id, text, meta in todo:
        title = derive_title(text)
        new_hash = article_from_record(article_id, text, {**meta, DERIVED_TITLE: title}).content_hash
        record = {DERIVED_TITLE: title, "article_hash": new_hash}
        old_hash = meta.get("article_hash", "")
        if old_hash and str(meta.get("indexed", "")).startswith(f"{old_hash}:"):
            record["indexed"] = new_hash + meta["indexed"][len(old_hash) :]
        records[article_id] = record
        for chunk_id, chunk_meta in store.chunk_records({"article_id": article_id}).items():
            chunk_ids.append(chunk_id)
            chunk_metas.append({**chunk_meta, DERIVED_TITLE: title, "article_hash": new_hash})
    # Chunks first: the article records, which select what is left to do, are written last.
    store.update_chunk_records(chunk_ids, chunk_metas)
    store.articles.update(ids=list(records), metadatas=list(records.values()))


MIGRATIONS: dict[int, Migration] = {
    1: Migration(1, "derived titles for articles stored without a title", _derive_titles),
}


def pending(store: Store) -> list[Migration]:
    """The steps that would bring ``store`` to the current format (none when it is there)."""
    schema = store.stored_schema()
    return [MIGRATIONS[s] for s in range(schema, SCHEMA) if s in MIGRATIONS]


def migrate(store: Store) -> list[Step]:
    """Run every step from the store's format to the current one, each published and stamped when done."""
    schema = store.stored_schema()
    steps: list[Step] = []
    while schema < SCHEMA:
        step = MIGRATIONS.get(schema)
        if step is None:
            raise MigrationError(
                f"the index in {store.where} has record format {schema}, which this version cannot migrate "
                f"(it migrates formats {SCHEMA_UNSTAMPED} to {SCHEMA}): index your articles into a new RAG_HOME"
            )
        log.info("migrating the index in %s: format %d -> %d (%s)", store.where, schema, schema + 1, step.what)
        changed = step.run(store)
        store.bump_generation(schema=schema + 1)
        steps.append(Step(schema, schema + 1, step.what, changed))
        schema += 1
    store.schema = schema
    return steps


def open_for_writing(settings: Settings) -> Store:
    """The store, created if need be and brought to the current format: what every writer starts with."""
    store = Store(settings, create=True)
    if store.schema < SCHEMA:
        migrate(store)
    return store
