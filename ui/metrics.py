"""Prometheus metrics of one service, served as ``GET /metrics``: what an operator needs to see that the service
keeps answering, over months, without reading its logs.

Everything is registered in a :class:`CollectorRegistry` of its own (never the process-wide default), so two
services in one process (tests, replicas in one interpreter) count apart. Callers use the small interface of
:class:`Metrics` (``observe_answer``, ``observe_shed``, ``index_write`` ...): no prometheus call lives elsewhere.
What is a state rather than an event (queue depth, busy workers, index size, feeds) is read when scraped, from a
:class:`Snapshot` the service hands over, so nothing has to be kept in step with it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, Info
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

from rag import Answer

MODES = ("extractive", "generative")
OUTCOMES = ("answered", "abstained", "error", "shed")
# one question's stages run from ~5 ms (resolve, judge) to ~30 s (a generative answer on a slow LLM)
STAGE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# an index write is one upload or one feed poll's items: a fraction of a second to minutes of embedding
WRITE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)
WRITE_KINDS = ("add", "delete")
WRITE_OUTCOMES = ("written", "unchanged", "error")
FEED_OUTCOMES = {"ok": "ok", "not modified": "not_modified", "error": "error"}  # the poller's status -> label


@dataclass(frozen=True)
class Snapshot:
    """The service's state at scrape time. ``articles``/``chunks`` are None while no index can be read."""

    workers: int
    queue: int
    in_flight: int
    waiting: int
    busy: int
    articles: int | None = None
    chunks: int | None = None
    feeds: list[dict] = field(default_factory=list)  # as FeedPoller.list() gives them


@dataclass
class IndexWrite:
    """The outcome of one write, set by the writer inside :meth:`Metrics.index_write` (``error`` if it raises)."""

    outcome: str = "written"


class Metrics:
    def __init__(self, info: dict[str, str], snapshot: Callable[[], Snapshot]) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.questions = Counter(
            "rag_questions", "Questions by answer mode and outcome (shed: refused with 503 by admission control).",
            ["mode", "outcome"], registry=r,
        )  # fmt: skip
        self.question_errors = Counter(
            "rag_question_errors", "Questions that failed, by the error's kind.", ["mode", "error"], registry=r
        )
        self.stages = Histogram(
            "rag_question_stage_seconds", "Time per stage of answered and abstained questions (resolve, retrieve, "
            "rerank, read, judge, answer or generate/verify, first_token, total).",
            ["mode", "stage"], buckets=STAGE_BUCKETS, registry=r,
        )  # fmt: skip
        self.index_writes = Counter(
            "rag_index_writes", "Index writes (uploads, fetched URLs, feed items, deletes) by outcome: written "
            "(chunks embedded or deleted), unchanged (nothing new) or error.", ["kind", "outcome"], registry=r,
        )  # fmt: skip
        self.index_write_seconds = Histogram(
            "rag_index_write_seconds", "Duration of index writes.", ["kind"], buckets=WRITE_BUCKETS, registry=r
        )
        self.feed_polls = Counter(
            "rag_feed_polls", "Feed polls by outcome: ok, not_modified or error.", ["outcome"], registry=r
        )
        self.feed_poll_seconds = Histogram(
            "rag_feed_poll_seconds", "Duration of feed polls, indexing included.", buckets=WRITE_BUCKETS, registry=r
        )
        self.http_requests = Counter(
            "rag_http_requests", "HTTP requests to the API routes by route and status.",
            ["method", "route", "status"], registry=r,
        )  # fmt: skip
        self.http_seconds = Histogram(
            "rag_http_request_seconds", "Duration of HTTP requests to the API routes, to their last byte.",
            ["method", "route"], buckets=STAGE_BUCKETS, registry=r,
        )  # fmt: skip
        Info("rag_service", "What this server runs: version, models and backends.", registry=r).info(info)
        r.register(_StateCollector(snapshot))
        # every outcome's series from the start, at 0: rate() and alerts work before the first event
        for mode in MODES:
            for outcome in OUTCOMES:
                self.questions.labels(mode, outcome)
        for kind in WRITE_KINDS:
            for outcome in WRITE_OUTCOMES:
                self.index_writes.labels(kind, outcome)
        for outcome in FEED_OUTCOMES.values():
            self.feed_polls.labels(outcome)

    # -- questions
    def observe_answer(self, answer: Answer, mode: str) -> None:
        """An answer given (or an abstention), with its stage timings."""
        mode = _mode(mode)
        self.questions.labels(mode, "abstained" if answer.abstained else "answered").inc()
        for stage, ms in answer.timings_ms.items():
            self.stages.labels(mode, stage).observe(ms / 1000)

    def observe_shed(self, mode: str) -> None:
        """A question refused at once by admission control (HTTP 503 with Retry-After)."""
        self.questions.labels(_mode(mode), "shed").inc()

    def observe_error(self, mode: str, error: BaseException) -> None:
        """A question that failed (bad question, no index, LLM unavailable, a bug): counted with its kind."""
        mode = _mode(mode)
        self.questions.labels(mode, "error").inc()
        self.question_errors.labels(mode, type(error).__name__).inc()

    # -- the write side
    @contextmanager
    def index_write(self, kind: str) -> Iterator[IndexWrite]:
        """Times one index write (``kind``: add or delete); the writer may set ``outcome`` to ``unchanged``."""
        write, started = IndexWrite(), time.perf_counter()
        try:
            yield write
        except BaseException:
            write.outcome = "error"
            raise
        finally:
            self.index_writes.labels(kind, write.outcome).inc()
            self.index_write_seconds.labels(kind).observe(time.perf_counter() - started)

    def observe_feed_poll(self, status: str, seconds: float) -> None:
        """One poll of one feed, as :class:`~ui.feeds.FeedPoller` reports it (``ok``, ``not modified``, ``error``)."""
        self.feed_polls.labels(FEED_OUTCOMES.get(status, "error")).inc()
        self.feed_poll_seconds.observe(seconds)

    # -- HTTP
    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """One API request; ``route`` is the route's template (``/articles/{article_id}``), never the raw path."""
        self.http_requests.labels(method, route, str(status)).inc()
        self.http_seconds.labels(method, route).observe(seconds)

    def render(self, accept: str | None = None) -> tuple[bytes, str]:
        """The exposition and its content type: Prometheus text, or OpenMetrics when the scraper asks for it."""
        encoder, content_type = choose_encoder(accept or "")
        return encoder(self.registry), content_type


def _mode(mode: str) -> str:
    return mode if mode in MODES else "other"


class _StateCollector(Collector):
    """Gauges read at scrape time from the service's :class:`Snapshot`."""

    def __init__(self, snapshot: Callable[[], Snapshot]) -> None:
        self.snapshot = snapshot

    def collect(self) -> Iterable[Metric]:
        s = self.snapshot()
        yield _gauge(
            "rag_questions_in_flight",
            "Questions admitted and not yet finished (computing, waiting or being written by the LLM).",
            s.in_flight,
        )
        yield _gauge("rag_queue_depth", "Questions waiting for a worker.", s.waiting)
        yield _gauge("rag_workers_busy", "Worker slots computing a question.", s.busy)
        yield _gauge("rag_workers", "Worker slots (RAG_WORKERS).", s.workers)
        yield _gauge("rag_queue_limit", "Questions that may wait before the next is shed (RAG_QUEUE).", s.queue)
        if s.articles is not None:
            yield _gauge("rag_index_articles", "Articles in the index.", s.articles)
            yield _gauge("rag_index_chunks", "Chunks (passages) in the index.", s.chunks or 0)
        yield _gauge("rag_feeds", "Feeds polled (RAG_FEEDS and those added through the API).", len(s.feeds))
        failing = GaugeMetricFamily("rag_feed_failures", "Failed polls in a row, per feed.", labels=["feed"])
        success = GaugeMetricFamily(
            "rag_feed_last_success_timestamp_seconds",
            "When each feed was last polled without error (Unix time); absent until its first good poll.",
            labels=["feed"],
        )
        for feed in s.feeds:
            failing.add_metric([feed["url"]], feed.get("failures", 0))
            if feed.get("last_success"):
                success.add_metric([feed["url"]], datetime.fromisoformat(feed["last_success"]).timestamp())
        yield failing
        yield success


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)
