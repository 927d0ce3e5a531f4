"""Feeds polled while serving: a real feed on 127.0.0.1, a real server; an item added to the feed is answerable
within one interval (plus the indexing), questions keep being answered meanwhile, an unchanged feed downloads
nothing, a failing feed is recorded and backed off, and the API adds and removes feeds."""

import threading
import time

import httpx
import pytest

from rag.settings import Settings
from tests.conftest import SEEDS
from tests.ui.server import running_server
from ui.bench_feeds import Site

pytestmark = [pytest.mark.slow, pytest.mark.integration]

ITEM = ("<item><title>Ferry route to Skelby reopens</title><link>{base}/news/ferry</link><guid>{base}/news/ferry"
        "</guid><pubDate>Mon, 03 Nov 2025 08:00:00 GMT</pubDate><content:encoded><![CDATA[<p>The ferry route between "
        "Arnholm and Skelby reopened on Monday after repairs to the pier. Harbour master Ilse Varga said the crossing "
        "will run every forty minutes. " + "The ferry carries cars and foot passengers across the sound. " * 6 +
        "</p>]]></content:encoded></item>")  # fmt: skip


@pytest.fixture
def feed_site():
    site = Site()
    yield site, site.base
    site.server.shutdown()


def ask(base: str, question: str) -> dict:
    response = httpx.post(f"{base}/query", json={"question": question}, timeout=60)
    response.raise_for_status()
    return response.json()


def test_a_new_feed_item_is_answerable_within_an_interval_and_no_question_fails(feed_site, tmp_path):
    from index.build import index_paths

    feed, site = feed_site
    interval = 3.0
    settings = Settings(home=tmp_path / "home", feeds=f"{site}/feed.xml", feed_interval=interval)
    index_paths([SEEDS], settings)
    question = "How often will the ferry between Arnholm and Skelby run?"
    with running_server(settings) as base:
        assert ask(base, question)["abstained"]
        failures, answered = [], []
        stop = threading.Event()

        def keep_asking() -> None:
            while not stop.is_set():
                try:
                    ask(base, "Who proposed delaying NATO membership?")
                    answered.append(1)
                except Exception as exc:  # noqa: BLE001  (counted: the test asserts there are none)
                    failures.append(exc)

        worker = threading.Thread(target=keep_asking)
        worker.start()
        feed.items.append(ITEM)
        added = time.monotonic()
        answer = None
        while time.monotonic() - added < interval * 1.2 + 10:
            answer = ask(base, question)
            if not answer["abstained"]:
                break
            time.sleep(0.5)
        took = time.monotonic() - added
        stop.set()
        worker.join()
        assert answer and not answer["abstained"] and "forty minutes" in answer["short_answer"], answer
        assert took <= interval * 1.2 + 10 and failures == [] and answered
        status = httpx.get(f"{base}/feeds").json()
        [polled] = status
        assert polled["origin"] == "settings" and polled["total_new"] == 1 and polled["last_error"] is None
        full = feed.full_responses
        time.sleep(interval * 2.5)  # polls of an unchanged feed: conditional requests, nothing downloaded
        assert feed.full_responses == full and httpx.get(f"{base}/feeds").json()[0]["last_status"] == "not modified"


def test_feeds_are_added_and_removed_through_the_api_and_failures_back_off(feed_site, tmp_path):
    from index.build import index_paths

    _, site = feed_site
    settings = Settings(home=tmp_path / "home", feed_interval=1.0, fetch_allow_private=True)
    index_paths([SEEDS], settings)
    with running_server(settings) as base:
        assert httpx.post(f"{base}/feeds", json={"url": "ftp://example.org/feed"}).status_code == 422
        created = httpx.post(f"{base}/feeds", json={"url": f"{site}/broken.xml"})
        assert created.status_code == 201 and created.json()["origin"] == "api"
        time.sleep(4)
        [broken] = httpx.get(f"{base}/feeds").json()
        assert broken["last_status"] == "error" and broken["last_error"]
        assert 1 <= broken["polls"] <= 3  # backed off: 2, then 4 intervals, not one poll a second
        assert httpx.delete(f"{base}/feeds", params={"url": f"{site}/broken.xml"}).status_code == 200
        assert httpx.get(f"{base}/feeds").json() == []
        assert httpx.delete(f"{base}/feeds", params={"url": f"{site}/broken.xml"}).status_code == 404


def test_rag_feeds_lists_the_configured_and_added_feeds_with_their_last_poll(tmp_path, monkeypatch, capsys):
    from ui.cli import main
    from ui.feeds import FeedPoller

    home = tmp_path / "home"
    polls = []
    poller = FeedPoller(home, ["http://wire.example/feed.xml"], 900, index=lambda urls, private: polls.append(
        (urls, private)) or {"articles": 2}, allow_private=False)  # fmt: skip
    poller.add("http://other.example/rss")
    for feed in list(poller.feeds.values()):
        poller.poll(feed)
    assert sorted(polls) == [(["http://other.example/rss"], False), (["http://wire.example/feed.xml"], True)]
    monkeypatch.setenv("RAG_HOME", str(home))
    monkeypatch.setenv("RAG_FEEDS", "http://wire.example/feed.xml")
    assert main(["feeds"]) == 0
    out = capsys.readouterr().out
    assert "http://wire.example/feed.xml  [settings]" in out and "http://other.example/rss  [api]" in out
    assert out.count("2 new articles in 1 polls") == 2


def test_a_poll_counts_only_the_items_it_had_not_indexed(tmp_path):
    """A feed repeats its older items in every response: the index skips them as unchanged, and the feed view's
    "new articles" is what was added (it counted every item of the changed feed)."""
    from ui.feeds import FeedPoller

    reports = iter([{"articles": 20}, {"articles": 21, "unchanged": 20}, {"not_modified": 1}])
    poller = FeedPoller(tmp_path, ["http://wire.example/feed.xml"], 900, lambda urls, private: next(reports), False)
    [feed] = poller.feeds.values()
    got = []
    for _ in range(3):
        poller.poll(feed)
        got.append((feed.last_status, feed.new_articles))
    assert got == [("ok", 20), ("ok", 1), ("not modified", 0)] and feed.total_new == 21


def test_the_poll_bench_counts_requests_bytes_and_what_each_poll_added(capsys):
    from ui.bench_feeds import main

    assert main(["--items", "3", "--polls", "2"]) == 0
    rows = {}
    for line in capsys.readouterr().out.splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) == 10 and cells[1].isdigit():
            rows[cells[0]] = cells
    first, unchanged, new_item = rows["first (3 new items)"], rows["unchanged feed (baseline)"], rows["one new item"]
    assert (first[4], first[7], first[8]) == ("1.00", "3", "3")  # one request; three added
    assert (unchanged[4], unchanged[5], unchanged[6], unchanged[7]) == ("1.00", "0", "not modified", "0")
    assert (new_item[4], new_item[7], new_item[8]) == ("1.00", "1", "5")  # each poll adds its one item; 3 + 2
