"""The OpenAPI document names every route of ours: an explicit, unique operation id (what a generated client calls
its methods) and a tag (how /docs groups them). No client is generated here; the ids are checked."""

import pytest
from fastapi.testclient import TestClient

from rag.settings import Settings
from ui.app import create_app

# (method, path) -> (operation id, tag): every API route; a new route fails here until it is named
EXPECTED = {
    ("post", "/query"): ("query", "answers"),
    ("post", "/query/stream"): ("query_stream", "answers"),
    ("get", "/articles"): ("list_articles", "articles"),
    ("post", "/articles"): ("add_articles", "articles"),
    ("get", "/articles/{article_id}"): ("get_article", "articles"),
    ("delete", "/articles/{article_id}"): ("delete_article", "articles"),
    ("get", "/feeds"): ("list_feeds", "feeds"),
    ("post", "/feeds"): ("add_feed", "feeds"),
    ("delete", "/feeds"): ("delete_feed", "feeds"),
    ("get", "/health"): ("health", "service"),
    ("get", "/metrics"): ("metrics", "service"),
}
METHODS = {"get", "put", "post", "delete", "patch", "options", "head", "trace"}


@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    home = tmp_path_factory.mktemp("openapi-home")  # no index needed: the document is built from the routes
    with TestClient(create_app(Settings(home=home), warm=False)) as client:
        response = client.get("/openapi.json")
        assert response.status_code == 200
        return response.json()


def operations(spec: dict) -> dict[tuple[str, str], dict]:
    return {
        (method, path): operation
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def test_every_route_is_ours_and_named_as_expected(spec):
    found = operations(spec)
    assert set(found) == set(EXPECTED)  # Gradio's routes are not in the document; ours all are
    named = {key: (op.get("operationId"), op.get("tags")) for key, op in found.items()}
    assert named == {key: (op_id, [tag]) for key, (op_id, tag) in EXPECTED.items()}


def test_operation_ids_are_unique_identifiers(spec):
    ids = [op["operationId"] for op in operations(spec).values()]
    assert len(ids) == len(set(ids))
    assert all(op_id.isidentifier() and op_id == op_id.lower() for op_id in ids)


def test_every_tag_is_declared_with_a_description(spec):
    declared = {tag["name"]: tag.get("description") for tag in spec.get("tags", [])}
    used = {tag for op in operations(spec).values() for tag in op["tags"]}
    assert used <= set(declared)
    assert all(declared[tag] for tag in used)
