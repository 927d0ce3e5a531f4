"""POST /articles and DELETE /articles/{id}: records, uploaded files, limits and reasons, with a real index."""

import json

import pytest
from fastapi.testclient import TestClient

from index.build import index_paths
from rag.settings import Settings
from tests.conftest import SEEDS
from ui.app import create_app

pytestmark = pytest.mark.slow

HARBOUR = ("The harbour of Port Elm reopened on Monday after repairs that cost 4.2 million euros. "
           "Mayor Ana Duarte cut the ribbon in front of three hundred residents.")  # fmt: skip


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    home = tmp_path_factory.mktemp("articles-home")
    index_paths([SEEDS], Settings(home=home))
    with TestClient(create_app(Settings(home=home, max_upload_bytes=200_000))) as test_client:
        yield test_client


def test_records_are_added_answered_and_deleted(client):
    record = {"title": "Harbour reopens", "text": HARBOUR, "author": "Jane Roe", "source": "Port Elm Post",
              "published": "2024-05-06", "url": "https://post.example/harbour"}  # fmt: skip
    report = client.post("/articles", json={"articles": [record, {"title": "empty", "text": " "}]}).json()
    assert report["articles"] == 1 and report["embedded"] >= 1
    assert report["skipped"] == [{"path": "articles[1]", "reason": "missing or empty 'text'"}]
    article = client.get("/articles/https://post.example/harbour").json()  # no id given: the URL is the id
    assert article["author"] == "Jane Roe" and article["published"] == "2024-05-06"
    answer = client.post("/query", json={"question": "Who cut the ribbon at the Port Elm harbour?"}).json()
    assert answer["short_answer"] == "Mayor Ana Duarte" or answer["short_answer"] == "Ana Duarte"
    assert answer["citations"][0]["author"] == "Jane Roe"
    again = client.post("/articles", json={"articles": [record]}).json()
    assert (again["articles"], again["embedded"]) == (1, 0)  # the same article again: nothing re-embedded
    listed = client.get("/articles", params={"q": "harbour"}).json()
    assert [i["id"] for i in listed["items"]] == ["https://post.example/harbour"]
    deleted = client.delete("/articles/https://post.example/harbour")
    assert deleted.status_code == 200 and deleted.json()["chunks"] >= 1
    assert client.get("/articles/https://post.example/harbour").status_code == 404
    gone = client.post("/query", json={"question": "Who cut the ribbon at the Port Elm harbour?"}).json()
    assert all(c["article_id"] != "https://post.example/harbour" for c in gone["citations"])
    assert client.delete("/articles/https://post.example/harbour").status_code == 404


def test_uploaded_files_are_indexed_and_bad_ones_skipped_with_reasons(client):
    files = [
        ("files", ("ferry.md", f"Title: Ferry news\nAuthor: Ola Berg\n\n{HARBOUR}".encode(), "text/markdown")),
        ("files", ("page.html", b"<html><head><title>Bridge</title></head><body><p>The Lindholm bridge opened."
                                b"</p></body></html>", "text/html")),
        ("files", ("notes.pdf", b"%PDF-1.4", "application/pdf")),
        ("files", ("bad.json", b"{not json", "application/json")),
    ]  # fmt: skip
    report = client.post("/articles", files=files).json()
    assert report["articles"] == 2
    reasons = {s["path"]: s["reason"] for s in report["skipped"]}
    assert "unsupported file type '.pdf'" in reasons["notes.pdf"] and "invalid JSON" in reasons["bad.json"]
    article = client.get("/articles/upload/ferry.md").json()
    assert article["title"] == "Ferry news" and article["author"] == "Ola Berg"


@pytest.mark.parametrize(
    ("kwargs", "status", "reason"),
    [
        ({"json": {}}, 422, "nothing to add"),
        ({"json": {"articles": [{"title": "x"}]}}, 422, "articles.0.text: Field required"),
        ({"json": {"urls": ["x"] * 101}}, 422, "at most 100 items"),
        ({"json": {"articles": [], "extra": 1}}, 422, "Extra inputs"),
        ({"content": b"{oops", "headers": {"content-type": "application/json"}}, 422, "not valid JSON"),
        ({"content": b"text", "headers": {"content-type": "text/plain"}}, 422, "application/json or multipart"),
        ({"json": {"articles": [{"text": "x" * 250_000}]}}, 413, "RAG_MAX_UPLOAD_BYTES"),
        ({"files": [("other", ("a.txt", b"A text.", "text/plain"))]}, 422, "no files in the form"),
    ],
)  # fmt: skip
def test_bad_additions_get_a_reason_and_lose_nothing(client, kwargs, status, reason):
    before = client.get("/health").json()["articles"]
    response = client.post("/articles", **kwargs)
    assert response.status_code == status and reason in json.dumps(response.json()), response.text
    assert client.get("/health").json()["articles"] == before


def test_adding_and_deleting_need_the_api_key_when_one_is_set(tmp_path):
    home = tmp_path / "home"
    index_paths([SEEDS], Settings(home=home))
    with TestClient(create_app(Settings(home=home, api_key="s3cret"), warm=False)) as client:
        body = {"articles": [{"text": HARBOUR}]}
        assert client.post("/articles", json=body).status_code == 401
        assert client.delete("/articles/x").status_code == 401
        ok = client.post("/articles", json=body, headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 200 and ok.json()["articles"] == 1
