"""The process-wide answering service shared by the HTTP API and the Gradio UI.

The pipeline (models, store handle) is built once; if there is no index yet the service reports "not ready"
and retries on the next request, so `rag index` in another shell makes a running server useful without a
restart.

The service also owns what the API and the UI share for operations: its metrics (:mod:`ui.metrics`, counted here
for questions and index writes, so both doors count alike) and its request log's format (:mod:`ui.request_log`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import closing, nullcontext

from rag import Answer, Pipeline, Settings, __version__, article_from_record, describe_llm, meta_of
from rag.errors import IndexMissing, Overloaded, StoreError
from ui.admission import Admission
from ui.metrics import Metrics, Snapshot
from ui.request_log import RequestLog

log = logging.getLogger(__name__)


class Service:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._pipeline: Pipeline | None = None
        self._build_lock = threading.Lock()
        self.admission = Admission(settings.workers, settings.queue)  # no process-wide lock on the read path
        self._llm_lock = threading.Lock()
        self._index_lock = threading.Lock()  # one indexing batch at a time; questions never wait for it
        self.startup_error: str | None = None
        self._feeds = None
        self.metrics = Metrics(self.models(), self.snapshot)
        self.request_log = RequestLog(settings)

    def start(self) -> None:
        try:
            self.pipeline().warm_up()
        except (IndexMissing, StoreError) as exc:
            self.startup_error = str(exc)
            log.warning("serving without an index: %s", exc)
        self.feeds.start()

    def stop(self) -> None:
        if self._feeds is not None:
            self._feeds.stop()

    def pipeline(self) -> Pipeline:
        if self._pipeline is None:
            with self._build_lock:
                if self._pipeline is None:
                    self._pipeline = Pipeline(self.settings, serving=True)
        return self._pipeline

    def events(self, question: str, mode: str = "extractive", **options) -> Iterator[str | Answer]:
        """Text deltas (generative mode) and then the answer, counted in the metrics: answered, abstained, shed
        (refused by admission control) or failed."""
        try:
            with closing(self._events(question, mode, **options)) as events:
                for event in events:
                    if isinstance(event, Answer):
                        self.metrics.observe_answer(event, mode)
                    yield event
        except Overloaded:
            self.metrics.observe_shed(mode)
            raise
        except Exception as exc:
            self.metrics.observe_error(mode, exc)
            raise

    def _events(self, question: str, mode: str, **options) -> Iterator[str | Answer]:
        """A question is admitted or refused at once (:class:`~ui.admission.Admission`); retrieval, reading and
        verification run in one of the worker slots; an LLM writes outside them, so other questions are answered
        meanwhile. An in-process GGUF model is not thread-safe: it gets a lock of its own. The wait for a worker is the
        answer's ``queue`` timing (``total`` is the pipeline's own time)."""
        with self.admission.request():
            pipeline = self.pipeline()
            if mode == "generative":
                pipeline.generative()  # LLMNotConfigured before any work
            waiting = time.perf_counter()
            with self.admission.worker():
                queued = round((time.perf_counter() - waiting) * 1000, 2)
                evidence = pipeline.prepare(question, **options)
            evidence.timings["queue"] = queued  # a slow answer that only waited for a worker says so in its log line
            gguf = mode == "generative" and self.settings.llm_gguf and not self.settings.llm_url
            with self._llm_lock if gguf else nullcontext():
                yield from pipeline.events(evidence, mode, self.admission.worker())

    def models(self) -> dict[str, str]:
        """What this server runs, as /health and the metrics' info say it."""
        return {
            "embedding_model": self.settings.embed_model_name,
            "embed_backend": self.settings.embed_backend,
            "reader": f"MiniLM extractive reader ({self.settings.reader_backend})",
            "reranker": self.settings.cross_encoder or "the reader's answerability",
            "llm": describe_llm(self.settings) or "",
            "version": __version__,
        }

    def snapshot(self) -> Snapshot:
        """The state the metrics read at scrape time; cheap (two counts), and it never builds the pipeline."""
        articles = chunks = None
        if self._pipeline is not None:
            try:
                articles, chunks = self._pipeline.store.counts()
            except Exception:  # noqa: BLE001  (a store that cannot be read leaves the counts out; /health says why)
                log.debug("metrics: index size unavailable", exc_info=True)
        a = self.admission
        return Snapshot(workers=a.workers, queue=a.limit - a.workers, in_flight=a.admitted, waiting=a.waiting,
                        busy=a.busy, articles=articles, chunks=chunks, feeds=self.feeds.list())  # fmt: skip

    def health(self) -> dict:
        info = {"status": "ready", "articles": 0, "chunks": 0, **self.models(), "llm": describe_llm(self.settings)}
        try:
            info["articles"], info["chunks"] = self.pipeline().store.counts()
            if not info["chunks"]:
                info["status"] = "empty index: run rag index PATH"
        except (IndexMissing, StoreError) as exc:
            info["status"] = f"no index: {exc}"
        return info

    # -- articles: the write side, shared by the API and the UI
    def list_articles(self, offset: int, limit: int, query: str | None = None) -> dict:
        """A page of article summaries; ``query``: words that must all occur in the title, id, source or author."""
        store = self.pipeline().store
        if not query or not query.strip():
            items = store.list_articles(offset, limit)
            return {"total": store.counts()[0], "offset": offset, "limit": limit, "items": [summary(a) for a in items]}
        words = query.lower().split()
        found = [
            article_from_record(article_id, "", meta)
            for article_id, meta in sorted(store.article_records().items())
            if all(
                w
                in " ".join(str(meta.get(k) or "") for k in ("title", "source", "author")).lower()
                + " "
                + article_id.lower()
                for w in words
            )
        ]  # fmt: skip (metadata only: the texts are not read)
        items = [summary(a) for a in found[offset : offset + limit]]
        return {"total": len(found), "offset": offset, "limit": limit, "items": items}

    def add_files(self, files: list[tuple[str, bytes]]) -> dict:
        from index.load import load_upload

        return self._index(load_upload(files))

    def add_records_and_urls(self, records: list[dict], urls: list[str], allow_private: bool | None = None) -> dict:
        """Index records and fetched pages or feeds; ``allow_private``: whether URLs may reach private addresses
        (default: ``RAG_FETCH_ALLOW_PRIVATE``; the operator's ``RAG_FEEDS`` always may)."""
        from index.load import load_records
        from index.web import load_urls

        loaded = load_records(records)
        if urls:
            private = self.settings.fetch_allow_private if allow_private is None else allow_private
            loaded = loaded.merge(load_urls(urls, self.settings, allow_private=private))
        return self._index(loaded)

    @property
    def feeds(self):
        """The feed poller (built on first use; :meth:`start` starts its thread)."""
        if self._feeds is None:
            from ui.feeds import FeedPoller

            self._feeds = FeedPoller(self.settings.home, self.settings.feed_urls, self.settings.feed_interval,
                                     lambda urls, private: self.add_records_and_urls([], urls, private),
                                     self.settings.fetch_allow_private,
                                     on_poll=self.metrics.observe_feed_poll)  # fmt: skip
        return self._feeds

    def _index(self, loaded) -> dict:
        from index.build import index_loaded

        with self._index_lock, self.metrics.index_write("add") as write:
            report = index_loaded(loaded, self.settings, sweep=False)
            if report.chunks:
                self.pipeline().retriever.refresh()  # the writer waits for the lexical index, not the readers
            if not (report.embedded or report.deleted):
                write.outcome = "unchanged"  # nothing to embed (an article's metadata may still have been updated)
        if self.startup_error and report.chunks:
            self.startup_error = None
        return report.to_dict()

    def delete_article(self, article_id: str) -> dict:
        from rag.errors import ArticleNotFound

        with self._index_lock:
            store = self.pipeline().store
            if store.get_article(article_id) is None:
                raise ArticleNotFound(f"no article with id {article_id!r}")
            chunks = len(store.chunk_records({"article_id": article_id}))
            with self.metrics.index_write("delete"):
                store.delete_articles([article_id])
                store.bump_generation()
                self.pipeline().retriever.refresh()
        return {"deleted": article_id, "chunks": chunks}


def summary(article) -> dict:
    """An article's metadata as the API and the UI list it."""
    return {"id": article.id, **meta_of(article)}
