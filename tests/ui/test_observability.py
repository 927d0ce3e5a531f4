"""GET /metrics and the request log on a real server (uvicorn on 127.0.0.1) over a real Chroma index of seeds/ with
the packaged embedding model: questions counted by outcome and timed by stage, shedding counted, the key checked,
the request id echoed and logged, the question kept out of the log unless asked for."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from contextlib import ExitStack

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from rag.settings import Settings
from tests.ui.server import running_server
from ui.app import create_app

pytestmark = [pytest.mark.slow, pytest.mark.integration]

REFERENCE = "Who proposed delaying NATO membership?"
UNRELATED = "What is the capital of Australia?"


def scrape(base: str, key: str | None = None) -> dict[tuple[str, frozenset], float]:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    response = httpx.get(f"{base}/metrics", headers=headers)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}  # fmt: skip


def value(found: dict, name: str, **labels) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


def eventually(check: Callable[[], object], seconds: float = 10):
    """``check()`` once it is truthy: a request's line is written just after its last byte is sent."""
    deadline = time.monotonic() + seconds
    while not (result := check()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert result
    return result


def logged(caplog, request_id: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "rag.requests" and request_id in r.getMessage()]


def ask(base: str, question: str, **headers: str) -> httpx.Response:
    return httpx.post(f"{base}/query", json={"question": question}, headers=headers, timeout=120)


@pytest.fixture(scope="module")
def served(seed_home):
    """A JSON-logging server with no key, and its service (to hold admission places from the test)."""
    app = create_app(Settings(home=seed_home, log_format="json"))
    with running_server(app.state.service.settings, app) as base:
        yield base, app.state.service


@pytest.fixture(autouse=True)
def request_lines(caplog):
    caplog.set_level(logging.INFO, logger="rag.requests")


def test_questions_are_counted_by_outcome_and_timed_by_stage(served):
    base, _ = served
    before = scrape(base)
    assert ask(base, REFERENCE).json()["abstained"] is False
    assert ask(base, UNRELATED).json()["abstained"] is True
    after = scrape(base)

    def grew(name: str, **labels) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("rag_questions_total", mode="extractive", outcome="answered") == 1
    assert grew("rag_questions_total", mode="extractive", outcome="abstained") == 1
    assert grew("rag_questions_total", mode="extractive", outcome="error") == 0
    for stage in ("retrieve", "read", "judge", "answer", "total"):
        assert grew("rag_question_stage_seconds_count", mode="extractive", stage=stage) == 2, stage
    assert value(after, "rag_question_stage_seconds_bucket", mode="extractive", stage="total", le="30.0") >= 2
    assert value(after, "rag_index_articles") >= 1 and value(after, "rag_index_chunks") >= 1
    assert value(after, "rag_workers") >= 1 and value(after, "rag_questions_in_flight") == 0
    [info] = [labels for name, labels in after if name == "rag_service_info"]
    assert dict(info)["embedding_model"] == "all-MiniLM-L6-v2" and dict(info)["llm"] == ""
    ok = {"method": "POST", "route": "/query", "status": "200"}
    counted = value(before, "rag_http_requests_total", **ok) + 2
    eventually(lambda: value(scrape(base), "rag_http_requests_total", **ok) >= counted)


def test_the_request_id_is_echoed_and_logged_as_json_without_the_question(served, caplog):
    base, _ = served
    response = ask(base, REFERENCE, **{"X-Request-ID": "trace-42.a:b"})
    assert response.status_code == 200 and response.headers["x-request-id"] == "trace-42.a:b"
    [line] = eventually(lambda: logged(caplog, "trace-42.a:b"))
    fields = json.loads(line)
    assert {k: fields[k] for k in ("request_id", "method", "path", "status", "mode", "outcome")} == {
        "request_id": "trace-42.a:b", "method": "POST", "path": "/query", "status": 200, "mode": "extractive",
        "outcome": "answered",
    }  # fmt: skip
    assert fields["question_chars"] == len(REFERENCE) and fields["duration_ms"] > 0
    assert fields["confidence"] == round(response.json()["confidence"], 4)
    assert fields["articles"] == [c["article_id"] for c in response.json()["citations"]][:1]
    assert set(fields["timings_ms"]) >= {"queue", "retrieve", "read", "total"}  # queue: the wait for a worker
    assert "question" not in fields and "NATO" not in line


def test_an_insane_request_id_is_replaced_and_every_api_request_has_one(served, caplog):
    base, _ = served
    response = httpx.get(f"{base}/health", headers={"X-Request-ID": "<script>alert(1)</script>"})
    new = response.headers["x-request-id"]
    assert new != "<script>alert(1)</script>" and len(new) == 32
    fields = json.loads(eventually(lambda: logged(caplog, new))[0])
    assert fields["path"] == "/health" and fields["status"] == 200 and "outcome" not in fields
    missing = httpx.get(f"{base}/articles/no-such-article")
    assert missing.status_code == 404 and len(missing.headers["x-request-id"]) == 32


def test_a_shed_question_is_counted_logged_and_the_queue_is_seen(served, caplog):
    base, service = served
    admission = service.admission
    before = scrape(base)
    with ExitStack() as held:
        for _ in range(admission.limit):  # every place taken, one of them computing
            held.enter_context(admission.request())
        held.enter_context(admission.worker())
        during = scrape(base)
        refused = ask(base, REFERENCE)
    assert refused.status_code == 503 and refused.headers["retry-after"]
    assert value(during, "rag_questions_in_flight") == admission.limit and value(during, "rag_workers_busy") == 1
    after = scrape(base)
    assert value(after, "rag_questions_total", mode="extractive", outcome="shed") == value(
        before, "rag_questions_total", mode="extractive", outcome="shed") + 1  # fmt: skip
    assert value(after, "rag_questions_in_flight") == 0 and value(after, "rag_workers_busy") == 0
    fields = json.loads(eventually(lambda: logged(caplog, refused.headers["x-request-id"]))[0])
    assert fields["status"] == 503 and fields["outcome"] == "shed" and fields["error"] == "Overloaded"


def test_a_ui_answer_shows_its_request_id_and_is_logged_under_it(served, caplog):
    from gradio_client import Client

    base, _ = served
    client = Client(f"{base}/", verbose=False)
    html, *_ = client.predict(REFERENCE, "Quoted from the articles", 5, "", "", "", "", api_name="/ask")
    assert "Keith Kellogg" in html and "request id: " in html
    request_id = html.split("request id: ")[1].split("<")[0]
    fields = json.loads(eventually(lambda: logged(caplog, request_id))[0])
    assert fields["method"] == "UI" and fields["path"] == "/ask" and fields["outcome"] == "answered"
    assert fields["status"] == 200 and "question" not in fields


@pytest.fixture(scope="module")
def keyed(seed_home):
    """A server with an API key that logs questions, as text."""
    with running_server(Settings(home=seed_home, api_key="s3cret", log_questions=True)) as base:
        yield base


def test_metrics_need_the_api_key_when_one_is_set(keyed):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret"}):
        refused = httpx.get(f"{keyed}/metrics", headers=headers)
        assert refused.status_code == 401 and "RAG_API_KEY" in refused.json()["detail"]
        assert refused.headers["www-authenticate"] == "Bearer" and refused.headers["x-request-id"]
    assert value(scrape(keyed, "s3cret"), "rag_questions_total", mode="extractive", outcome="shed") == 0


def test_the_question_is_logged_when_asked_for(keyed, caplog):
    response = ask(keyed, REFERENCE, Authorization="Bearer s3cret", **{"X-Request-ID": "with-question"})
    assert response.status_code == 200
    [line] = eventually(lambda: logged(caplog, "with-question"))
    assert line.startswith("request request_id=with-question method=POST path=/query status=200 ")
    assert f"question={json.dumps(REFERENCE)}" in line and "outcome=answered" in line


def test_index_writes_are_counted_and_a_metrics_key_of_its_own_guards_metrics(tmp_path):
    settings = Settings(home=tmp_path / "home", api_key="s3cret", metrics_key="scrape-only")
    api = {"Authorization": "Bearer s3cret"}
    with running_server(settings, create_app(settings, warm=False)) as base:
        refused = httpx.get(f"{base}/metrics", headers=api)  # the API key is not the scraper's
        assert refused.status_code == 401 and "RAG_METRICS_KEY" in refused.json()["detail"]
        assert httpx.post(f"{base}/query", json={"question": REFERENCE},
                          headers={"Authorization": "Bearer scrape-only"}).status_code == 401  # fmt: skip
        record = {"id": "harbour", "title": "Harbour reopens", "text": "The harbour of Port Elm reopened on Monday."}
        for _ in range(2):  # written, then unchanged
            added = httpx.post(f"{base}/articles", json={"articles": [record]}, headers=api, timeout=300)
            assert added.status_code == 200, added.text
        assert httpx.delete(f"{base}/articles/harbour", headers=api, timeout=300).status_code == 200
        found = scrape(base, "scrape-only")
    assert value(found, "rag_index_writes_total", kind="add", outcome="written") == 1
    assert value(found, "rag_index_writes_total", kind="add", outcome="unchanged") == 1
    assert value(found, "rag_index_writes_total", kind="delete", outcome="written") == 1
    assert value(found, "rag_index_write_seconds_count", kind="add") == 2
    assert value(found, "rag_index_articles") == 0
