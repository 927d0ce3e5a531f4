"""Articles from the web, end to end on 127.0.0.1: realistic news pages and an RSS feed served over HTTP with
ETag/Last-Modified, indexed through `index.web`, the CLI and the API; re-running an unchanged feed downloads no
page in full and embeds nothing; URLs from the API are refused private addresses unless the operator allows."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import Counter
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from evals.pages import news_page
from index.build import index_loaded
from index.web import load_feed_file, load_urls
from rag.settings import Settings

pytestmark = pytest.mark.slow

LOCAL_HTML, LOCAL = news_page("local")
OPENGRAPH_HTML, OPENGRAPH = news_page("opengraph")
LIVE_HTML, LIVE = news_page("liveblog")
FULL_TEXT = " ".join(["The Cedar river ferry resumes its winter timetable on Monday, the operator said."] * 8)
MODIFIED = formatdate(1_700_000_000, usegmt=True)


def rss(base: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>County wire</title>
<link>{base}/</link><description>News</description>
<item><title>Schools add 40 minutes</title><link>{base}/news/opengraph.html</link>
  <description>Short summary only.</description><pubDate>Tue, 11 Feb 2025 09:00:00 GMT</pubDate></item>
<item><title>Storm live</title><link>{base}/news/live.html</link><pubDate>Sun, 02 Nov 2025 08:00:00 GMT</pubDate></item>
<item><title>Ferry timetable</title><link>{base}/news/ferry</link><guid>{base}/news/ferry</guid>
  <author>desk@wire.example (Sam Okafor)</author><pubDate>Mon, 01 Dec 2025 07:00:00 GMT</pubDate>
  <content:encoded><![CDATA[<p>{FULL_TEXT}</p>]]></content:encoded></item>
</channel></rss>""".encode()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802  (http.server's name)
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        routes = {
            "/news/local.html": (LOCAL_HTML.encode(), "text/html; charset=utf-8"),
            "/news/opengraph.html": (OPENGRAPH_HTML.encode(), "text/html; charset=utf-8"),
            "/news/live.html": (LIVE_HTML.encode(), "text/html; charset=utf-8"),
            "/feed.xml": (rss(base), "application/rss+xml"),
        }
        if self.path not in routes:
            self.send_error(404)
            return
        body, kind = routes[self.path]
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag or self.headers.get("If-Modified-Since") == MODIFIED:
            self.send_response(304)
            self.end_headers()
            return
        self.server.full[self.path] += 1
        self.send_response(200)
        for name, value in (("Content-Type", kind), ("ETag", etag), ("Last-Modified", MODIFIED),
                            ("Content-Length", str(len(body)))):  # fmt: skip
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.full = Counter()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_page_is_one_article_with_its_metadata_and_no_chrome(site, tmp_path):
    _, base = site
    loaded = load_urls([f"{base}/news/local.html", f"{base}/missing.html"], Settings(home=tmp_path),
                       allow_private=True)  # fmt: skip
    (article,) = loaded.articles
    assert article.id == LOCAL.url and article.url == LOCAL.url  # the canonical URL, stable across runs
    assert (article.title, article.author, article.published, article.source) == (
        LOCAL.title, LOCAL.author, LOCAL.published, LOCAL.source)  # fmt: skip
    assert not [b for b in LOCAL.boilerplate if b in article.text]
    assert [(s.path, s.reason) for s in loaded.skipped] == [(f"{base}/missing.html", "HTTP 404")]


def test_a_feed_is_indexed_once_and_an_unchanged_rerun_downloads_and_embeds_nothing(site, tmp_path):
    server, base = site
    settings = Settings(home=tmp_path / "home")
    first = index_loaded(load_urls([f"{base}/feed.xml"], settings, allow_private=True), settings)
    assert first.articles == 3 and first.embedded > 0 and not first.skipped
    downloads = dict(server.full)
    again = index_loaded(load_urls([f"{base}/feed.xml"], settings, allow_private=True), settings)
    assert dict(server.full) == downloads  # 304 for the feed: no page downloaded in full again
    assert (again.embedded, again.deleted, again.not_modified) == (0, 0, 1)

    from rag.retrieval.store import Store

    store = Store(settings)
    ferry = store.get_article(f"{base}/news/ferry")  # full content in the feed: no page fetched for it
    assert ferry.author == "Sam Okafor" and ferry.text.startswith("The Cedar river ferry")
    assert server.full[f"{base}/news/ferry".removeprefix(base)] == 0
    assert store.get_article(OPENGRAPH.url).title == OPENGRAPH.title  # a summary-only item: its page


def test_a_saved_feed_file_is_read_like_a_feed_url(site, tmp_path):
    _, base = site
    feed = tmp_path / "wire.xml"
    feed.write_bytes(rss(base))
    loaded = load_feed_file(feed, Settings(home=tmp_path / "home"))
    assert {a.id for a in loaded.articles} == {f"{base}/news/ferry", OPENGRAPH.url, LIVE.url}


def test_the_cli_indexes_urls_and_may_reach_private_addresses(site, tmp_path, monkeypatch, capsys):
    from ui.cli import main

    _, base = site
    monkeypatch.setenv("RAG_HOME", str(tmp_path / "cli-home"))
    assert main(["index", f"{base}/news/local.html", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["articles"] == 1 and report["skipped"] == []


def test_the_api_refuses_private_addresses_unless_allowed(site, tmp_path):
    from fastapi.testclient import TestClient

    from ui.app import create_app

    _, base = site
    url = f"{base}/news/local.html"
    with TestClient(create_app(Settings(home=tmp_path / "api-home"), warm=False)) as client:
        refused = client.post("/articles", json={"urls": [url, "file:///etc/passwd"]}).json()
        assert refused["articles"] == 0
        reasons = [s["reason"] for s in refused["skipped"]]
        assert "127.0.0.1" in reasons[0] and "loopback" in reasons[0]
        assert "http" in reasons[1]
    with TestClient(create_app(Settings(home=tmp_path / "api-home", fetch_allow_private=True), warm=False)) as client:
        added = client.post("/articles", json={"urls": [url]}).json()
        assert added["articles"] == 1
        assert client.get(f"/articles/{LOCAL.url}").json()["author"] == LOCAL.author
