"""The HTTP contract with a real index: TestClient for every route and error, one real uvicorn server."""

import json
import urllib.request

import pytest
from fastapi.testclient import TestClient

from index.build import index_paths
from rag.settings import Settings
from tests.conftest import SEEDS, write_articles
from tests.ui.server import running_server
from ui.app import create_app

pytestmark = pytest.mark.slow

REFERENCE = "Who proposed delaying NATO membership?"


@pytest.fixture(scope="module")
def indexed_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("api-home")
    extra = write_articles(
        tmp_path_factory.mktemp("extra"),
        {"evil.html": "<html><body><p>Harbour news.</p><script>alert('x')</script></body></html>"},
    )
    index_paths([SEEDS, extra], Settings(home=home))
    return home


@pytest.fixture(scope="module")
def client(indexed_home):
    with TestClient(create_app(Settings(home=indexed_home))) as test_client:
        yield test_client


def test_query_answers_reference_question(client, indexed_home):
    response = client.post("/query", json={"question": REFERENCE, "top_k": 5})
    assert response.status_code == 200
    body = response.json()
    assert body["short_answer"] == "Keith Kellogg" and body["abstained"] is False
    citation = body["citations"][0]
    article = client.get(f"/articles/{citation['article_id']}").json()
    assert article["text"][citation["start"] : citation["end"]] == citation["quote"]
    assert "Keith Kellogg, has proposed putting off NATO membership" in citation["quote"]
    assert set(body["timings_ms"]) >= {"retrieve", "read", "answer", "total"}


def test_query_abstains_on_unrelated_question(client):
    body = client.post("/query", json={"question": "What is the capital of Australia?"}).json()
    assert body["abstained"] is True and body["citations"] == [] and body["short_answer"] is None
    assert body["abstain_reason"]  # one line saying why


def test_abstention_names_what_no_article_mentions(client):
    body = client.post("/query", json={"question": "When did Darleen Druyun join Boeing?"}).json()
    assert body["abstained"] is True
    assert body["abstain_reason"].startswith("no indexed article mentions")
    assert "Darleen Druyun" in body["abstain_reason"] and "Boeing" in body["abstain_reason"]


def test_answer_carries_no_abstain_reason(client):
    body = client.post("/query", json={"question": "Who proposed delaying NATO membership?"}).json()
    assert body["abstained"] is False and body["abstain_reason"] is None


@pytest.mark.parametrize(
    ("payload", "status", "reason"),
    [
        ({"question": "   "}, 422, "empty"),
        ({"question": "\x00\u202e\t"}, 422, "the question is empty"),
        ({"question": ""}, 422, "at least 1 character"),
        ({"question": "x" * 1001}, 422, "at most 1000"),
        ({"question": 42}, 422, "valid string"),
        ({"question": "Who?", "top_k": 0}, 422, "greater than or equal to 1"),
        ({"question": "Who?", "top_k": 10_000}, 422, "less than or equal to 50"),
        ({"question": "Who?", "unknown": 1}, 422, "Extra inputs"),
        ({"question": "Who?", "filters": {"published_from": "not-a-date"}}, 422, "date"),
        ({"question": "Who?", "filters": {"published_from": "2024-02-01", "published_to": "2024-01-01"}}, 422,
         "after"),
        ({"question": "Who?", "mode": "generative"}, 501, "generative"),
        ({}, 422, "Field required"),
    ],
)  # fmt: skip
def test_query_errors_give_reason_and_server_keeps_serving(client, payload, status, reason):
    response = client.post("/query", json=payload)
    assert response.status_code == status
    assert reason in json.dumps(response.json())
    assert client.post("/query", json={"question": REFERENCE}).status_code == 200


def test_malformed_json_and_oversized_body(client):
    response = client.post("/query", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422
    big = json.dumps({"question": "x" * 200_000})
    assert client.post("/query", content=big, headers={"content-type": "application/json"}).status_code == 413
    assert client.get("/health").json()["status"] == "ready"


def test_health_articles_and_openapi(client):
    health = client.get("/health").json()
    assert health["status"] == "ready" and health["articles"] == 2 and health["chunks"] >= 2
    assert health["embedding_model"] == "all-MiniLM-L6-v2"
    page = client.get("/articles", params={"limit": 1}).json()
    assert page["total"] == 2 and len(page["items"]) == 1
    assert client.get("/articles/nope").status_code == 404
    assert "no article" in client.get("/articles/nope").json()["detail"]
    spec = client.get("/openapi.json").json()
    assert {"/query", "/health", "/articles", "/articles/{article_id}"} <= set(spec["paths"])
    assert "QueryRequest" in spec["components"]["schemas"]
    assert client.get("/docs").status_code == 200


def test_no_index_is_503_with_fix(tmp_path):
    with TestClient(create_app(Settings(home=tmp_path / "empty-home"))) as client:
        response = client.post("/query", json={"question": REFERENCE})
        assert response.status_code == 503 and "rag index" in response.json()["detail"]
        assert "no index" in client.get("/health").json()["status"]


@pytest.fixture(scope="module")
def server(indexed_home):
    """A real uvicorn server on 127.0.0.1 over the same index."""
    with running_server(Settings(home=indexed_home)) as base:
        yield base


def post_query(base: str, body: dict) -> dict:
    request = urllib.request.Request(
        f"{base}/query", data=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200
        return json.load(response)


@pytest.mark.integration
def test_real_uvicorn_server_on_loopback(server):
    assert post_query(server, {"question": REFERENCE})["short_answer"] == "Keith Kellogg"
    with urllib.request.urlopen(f"{server}/", timeout=30) as response:
        assert response.status == 200


@pytest.mark.integration
def test_control_and_bidi_characters_never_reach_the_answer(server):
    body = post_query(server, {"question": "Who proposed\x00 delaying\tNATO \u202emembership?"})
    assert body["question"] == body["standalone_question"] == REFERENCE
    assert body["short_answer"] == "Keith Kellogg"
    # history is cleaned too: nothing of it leaks into the resolved question
    history = [{"question": "Who proposed\x00 delaying \u202eNATO membership?", "answer": "Keith\x00 \u202eKellogg"}]
    body = post_query(server, {"question": "What job did Trump \u202epick him for?\x00", "history": history})
    assert body["question"] == "What job did Trump pick him for?"
    assert body["standalone_question"] == "What job did Trump pick Keith Kellogg for?"
    for field in ("question", "standalone_question", "answer"):
        assert "\x00" not in body[field] and "\u202e" not in body[field], field


def test_api_key_guards_the_api_and_the_ui(indexed_home):
    settings = Settings(home=indexed_home, api_key="s3cret-key")
    with TestClient(create_app(settings, warm=False)) as client:
        assert client.post("/query", json={"question": REFERENCE}).status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert client.post("/query", json={"question": REFERENCE}, headers=wrong).status_code == 401
        assert client.get("/articles", headers=wrong).status_code == 401
        assert client.get("/openapi.json").status_code == 401
        good = {"Authorization": "Bearer s3cret-key"}
        assert client.post("/query", json={"question": REFERENCE}, headers=good).json()["short_answer"]
        assert client.get("/health").status_code == 200  # liveness stays open, it reveals nothing private
        config = client.get("/config")  # what the UI loads first: refused until the login form is passed
        assert config.status_code == 401 and "API key" in config.text


def test_cors_closed_by_default_and_opened_by_setting(client, indexed_home):
    preflight = {"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"}
    for path in ("/query", "/config"):
        response = client.options(path, headers=preflight)
        assert "access-control-allow-origin" not in {k.lower() for k in response.headers}
    settings = Settings(home=indexed_home, cors_origins=["http://app.example"])
    with TestClient(create_app(settings, warm=False)) as opened:
        response = opened.options("/query", headers={**preflight, "Origin": "http://app.example"})
        assert response.headers["access-control-allow-origin"] == "http://app.example"


def test_a_follow_up_is_answered_through_its_history(client):
    first = client.post("/query", json={"question": REFERENCE}).json()
    assert first["standalone_question"] == REFERENCE  # nothing to resolve
    history = [{"question": first["question"], "answer": first["short_answer"]}]
    body = client.post("/query", json={"question": "What job did Trump pick him for?", "history": history}).json()
    assert body["question"] == "What job did Trump pick him for?"
    assert body["standalone_question"] == "What job did Trump pick Keith Kellogg for?"
    assert "special envoy" in body["short_answer"] and "resolve" in body["timings_ms"]
    citation = body["citations"][0]
    assert (
        client.get(f"/articles/{citation['article_id']}").json()["text"][citation["start"] : citation["end"]]
        == (citation["quote"])
    )
    # the full answer text is history too, with the articles it cited, and the stream takes the same body
    cited = [c["article_id"] for c in first["citations"]]
    history = [{"question": first["question"], "answer": first["answer"], "articles": cited}]
    with client.stream("POST", "/query/stream", json={"question": "What is his rank?", "history": history}) as r:
        events = [line for line in r.iter_lines() if line.startswith("data: ")]
    assert "Keith Kellogg" in json.loads(events[-1][len("data: ") :])["standalone_question"]


@pytest.mark.parametrize(
    ("history", "reason"),
    [
        ([{"question": "Who?", "answer": "Kellogg"}] * 11, "at most 10 items"),
        ([{"question": "Who?", "answer": "x" * 4001}], "at most 4000 characters"),
        ([{"question": "x" * 1001, "answer": "y"}], "history turn 1: the question is over 1000 characters"),
        ([{"answer": "Kellogg"}], "Field required"),
        ([{"question": "", "answer": "Kellogg"}], "at least 1 character"),
        ([{"question": "Who?", "answer": "K", "extra": 1}], "Extra inputs"),
        (["Who proposed it?"], "valid dictionary"),
        ([{"question": "Who?", "articles": ["x"] * 21}], "at most 20 items"),
        ([{"question": "Who?", "articles": [""]}], "at least 1 character"),
        ({"question": "Who?"}, "valid list"),
    ],
)  # fmt: skip
def test_bad_history_gets_422_with_the_reason(client, history, reason):
    response = client.post("/query", json={"question": "What job did he get?", "history": history})
    assert response.status_code == 422 and reason in response.text, response.text


def test_a_full_queue_gets_503_with_retry_after_and_nothing_waits(client):
    admission = client.app.state.service.admission
    held = [admission.request() for _ in range(admission.limit)]
    for place in held:
        place.__enter__()
    try:
        response = client.post("/query", json={"question": REFERENCE})
        assert response.status_code == 503 and int(response.headers["Retry-After"]) >= 1
        assert "busy" in response.json()["detail"]
    finally:
        for place in held:
            place.__exit__(None, None, None)
    assert client.post("/query", json={"question": REFERENCE}).status_code == 200
