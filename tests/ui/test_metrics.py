"""ui.metrics: what is counted, timed and read at scrape time, in a registry of each service's own."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from rag import Answer
from rag.errors import BadQuestion
from ui.feeds import FeedPoller
from ui.metrics import Metrics, Snapshot

INFO = {"embedding_model": "all-MiniLM-L6-v2", "reader": "MiniLM extractive reader (openvino)", "llm": ""}


def samples(metrics: Metrics) -> dict[tuple[str, frozenset], float]:
    """Every sample of the exposition, parsed back as a scraper reads it."""
    body, _ = metrics.render()
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(body.decode()) for s in family.samples}  # fmt: skip


def value(found: dict, name: str, **labels) -> float | None:
    return found.get((name, frozenset(labels.items())))


def answer(abstained: bool = False, **timings: float) -> Answer:
    return Answer(question="Who?", answer="Someone.", abstained=abstained, confidence=0.7, timings_ms=timings)


@pytest.fixture
def state() -> dict:
    return {"workers": 2, "queue": 4, "in_flight": 0, "waiting": 0, "busy": 0}


@pytest.fixture
def metrics(state) -> Metrics:
    return Metrics(INFO, lambda: Snapshot(**state))


def test_every_outcome_starts_at_zero_and_the_models_are_named(metrics):
    found = samples(metrics)
    for mode in ("extractive", "generative"):
        for outcome in ("answered", "abstained", "error", "shed"):
            assert value(found, "rag_questions_total", mode=mode, outcome=outcome) == 0
    assert value(found, "rag_index_writes_total", kind="add", outcome="error") == 0
    assert value(found, "rag_feed_polls_total", outcome="not_modified") == 0
    assert value(found, "rag_service_info", **INFO) == 1


def test_answers_are_counted_by_outcome_and_their_stages_timed(metrics):
    metrics.observe_answer(answer(retrieve=12.0, read=40.0, total=60.0), "extractive")
    metrics.observe_answer(answer(abstained=True, retrieve=3.0, total=2500.0), "extractive")
    found = samples(metrics)
    assert value(found, "rag_questions_total", mode="extractive", outcome="answered") == 1
    assert value(found, "rag_questions_total", mode="extractive", outcome="abstained") == 1
    assert value(found, "rag_question_stage_seconds_count", mode="extractive", stage="retrieve") == 2
    assert value(found, "rag_question_stage_seconds_sum", mode="extractive", stage="total") == pytest.approx(2.56)
    # buckets from 5 ms to 30 s: 60 ms lands in 0.1, 2.5 s in 2.5 and above
    total = {le: value(found, "rag_question_stage_seconds_bucket", mode="extractive", stage="total", le=le)
             for le in ("0.005", "0.05", "0.1", "2.5", "30.0", "+Inf")}  # fmt: skip
    assert total == {"0.005": 0, "0.05": 0, "0.1": 1, "2.5": 2, "30.0": 2, "+Inf": 2}
    assert value(found, "rag_question_stage_seconds_count", mode="extractive", stage="read") == 1


def test_failures_and_refusals_are_counted_apart(metrics):
    metrics.observe_error("generative", BadQuestion("the question is empty"))
    metrics.observe_shed("extractive")
    metrics.observe_shed("no-such-mode")  # a caller's typo cannot mint new series
    found = samples(metrics)
    assert value(found, "rag_questions_total", mode="generative", outcome="error") == 1
    assert value(found, "rag_question_errors_total", mode="generative", error="BadQuestion") == 1
    assert value(found, "rag_questions_total", mode="extractive", outcome="shed") == 1
    assert value(found, "rag_questions_total", mode="other", outcome="shed") == 1


def test_index_writes_are_counted_by_outcome_and_timed(metrics):
    with metrics.index_write("add"):
        pass
    with metrics.index_write("add") as write:
        write.outcome = "unchanged"
    with pytest.raises(OSError), metrics.index_write("delete"):
        raise OSError("disk full")
    found = samples(metrics)
    assert value(found, "rag_index_writes_total", kind="add", outcome="written") == 1
    assert value(found, "rag_index_writes_total", kind="add", outcome="unchanged") == 1
    assert value(found, "rag_index_writes_total", kind="delete", outcome="error") == 1
    assert value(found, "rag_index_write_seconds_count", kind="add") == 2


def test_state_is_read_at_scrape_time(metrics, state):
    found = samples(metrics)
    assert value(found, "rag_workers") == 2 and value(found, "rag_queue_limit") == 4
    assert value(found, "rag_queue_depth") == 0 and ("rag_index_articles", frozenset()) not in found
    state.update(in_flight=5, waiting=3, busy=2, articles=10, chunks=31)
    found = samples(metrics)
    assert value(found, "rag_questions_in_flight") == 5 and value(found, "rag_queue_depth") == 3
    assert value(found, "rag_workers_busy") == 2
    assert value(found, "rag_index_articles") == 10 and value(found, "rag_index_chunks") == 31


def test_feed_polls_and_each_feeds_last_success(metrics, state, tmp_path):
    polls = []
    outcomes = iter([{"articles": 2}, {"articles": 0, "not_modified": True}, RuntimeError("feed gone")])

    def index(urls, private):
        result = next(outcomes)
        if isinstance(result, Exception):
            raise result
        return result

    def on_poll(status: str, seconds: float) -> None:
        polls.append(status)
        metrics.observe_feed_poll(status, seconds)

    poller = FeedPoller(tmp_path, ["http://wire.example/feed.xml"], 900, index, False, on_poll=on_poll)
    feed = poller.feeds["http://wire.example/feed.xml"]
    poller.poll(feed)
    poller.poll(feed)
    success = feed.last_success
    poller.poll(feed)
    assert polls == ["ok", "not modified", "error"] and feed.last_success == success  # an error keeps the last
    state["feeds"] = poller.list()
    found = samples(metrics)
    for outcome in ("ok", "not_modified", "error"):
        assert value(found, "rag_feed_polls_total", outcome=outcome) == 1
    assert value(found, "rag_feed_poll_seconds_count") == 3 and value(found, "rag_feeds") == 1
    url = "http://wire.example/feed.xml"
    assert value(found, "rag_feed_failures", feed=url) == 1
    assert value(found, "rag_feed_last_success_timestamp_seconds", feed=url) == pytest.approx(
        datetime.fromisoformat(success).timestamp()
    )
    assert abs(datetime.fromisoformat(success).timestamp() - datetime.now(UTC).timestamp()) < 60


def test_each_metrics_has_its_own_registry(state):
    first, second = Metrics(INFO, lambda: Snapshot(**state)), Metrics(INFO, lambda: Snapshot(**state))
    first.observe_shed("extractive")
    assert value(samples(first), "rag_questions_total", mode="extractive", outcome="shed") == 1
    assert value(samples(second), "rag_questions_total", mode="extractive", outcome="shed") == 0
    assert REGISTRY.get_sample_value("rag_questions_total", {"mode": "extractive", "outcome": "shed"}) is None


def test_requests_are_counted_by_route_template(metrics):
    metrics.observe_request("DELETE", "/articles/{article_id}", 404, 0.02)
    found = samples(metrics)
    assert value(found, "rag_http_requests_total", method="DELETE", route="/articles/{article_id}", status="404") == 1


def test_prometheus_text_by_default_and_openmetrics_when_asked(metrics):
    body, content_type = metrics.render(None)
    assert content_type.startswith("text/plain") and b"# TYPE rag_questions_total counter" in body
    body, content_type = metrics.render("application/openmetrics-text; version=1.0.0")
    assert content_type.startswith("application/openmetrics-text") and body.endswith(b"# EOF\n")
