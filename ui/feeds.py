"""Feeds that keep the index current: polled in the background while questions go on being answered.

The operator lists feeds in ``RAG_FEEDS`` (like ``rag index URL`` on the command line they may reach any address);
people add more through ``POST /feeds`` (checked by the same guard as ``POST /articles``: public addresses only,
unless ``RAG_FETCH_ALLOW_PRIVATE``). Every ``RAG_FEED_INTERVAL`` seconds each feed is fetched with a conditional
request (the fetch state remembers ETag and Last-Modified: an unchanged feed costs one request and no parsing),
its new items are indexed through the service's one indexing lock, and the answer path picks them up through the
store's generation stamp, so no question waits for a poll. A feed that fails is retried later and later
(doubling, at most eight intervals, with ±20 % jitter so replicas do not poll in step); indexing is idempotent
(an article whose content is stored unchanged is skipped), so two replicas polling one feed index each item once.
The list of added feeds and each feed's last poll live in ``<RAG_HOME>/feeds.json``.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from rag.errors import BadQuestion

log = logging.getLogger("rag.feeds")
MAX_BACKOFF = 8  # a failing feed waits at most this many intervals
JITTER = 0.2


@dataclass
class Feed:
    url: str
    origin: str  # "settings" (RAG_FEEDS) or "api" (added by a person)
    added: str
    last_poll: str | None = None
    last_status: str | None = None  # "ok", "not modified" or "error"
    last_error: str | None = None
    last_success: str | None = None  # the last poll without error ("ok" or "not modified")
    new_articles: int = 0  # added or changed by the last poll
    total_new: int = 0
    polls: int = 0
    failures: int = 0  # in a row
    next_poll: float = 0.0  # monotonic clock

    def public(self) -> dict:
        out = asdict(self)
        out.pop("next_poll")
        return out


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class FeedPoller:
    """Owns the feed list and the thread that polls it. ``index(urls, allow_private) -> report dict`` fetches and
    indexes (the service's, under its indexing lock); ``on_poll(status, seconds)`` hears of every poll (metrics)."""

    def __init__(self, home: Path, configured: list[str], interval: float, index, allow_private: bool,
                 rng: random.Random | None = None,
                 on_poll: Callable[[str, float], None] | None = None) -> None:  # fmt: skip
        self.path = home / "feeds.json"
        self.on_poll = on_poll
        self.interval = interval
        self.index = index
        self.allow_private = allow_private
        self.rng = rng or random.Random()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.feeds: dict[str, Feed] = {}
        for record in self._load():
            self.feeds[record["url"]] = Feed(**{k: v for k, v in record.items() if k in Feed.__dataclass_fields__})
        for url in configured:
            self.feeds.setdefault(url, Feed(url, "settings", _now()))
            self.feeds[url].origin = "settings"
        for feed in self.feeds.values():
            feed.next_poll = 0.0  # due at start

    def _load(self) -> list[dict]:
        try:
            return json.loads(self.path.read_text(encoding="utf-8")).get("feeds", [])
        except (OSError, ValueError):
            return []

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"feeds": [f.public() for f in self.feeds.values()]}, indent=1), encoding="utf-8")
        tmp.replace(self.path)

    def list(self) -> list[dict]:
        with self._lock:
            return [f.public() for f in self.feeds.values()]

    def add(self, url: str) -> dict:
        from index.web import is_url

        url = url.strip()
        if not is_url(url) or len(url) > 2000:
            raise BadQuestion(f"a feed is an http(s) URL, got {url[:100]!r}")
        with self._lock:
            feed = self.feeds.setdefault(url, Feed(url, "api", _now()))
            feed.next_poll = 0.0
            self._save()
        self._wake.set()  # polled at once, once started
        return feed.public()

    def remove(self, url: str) -> dict:
        with self._lock:
            feed = self.feeds.get(url)
            if feed is None:
                raise KeyError(url)
            if feed.origin == "settings":
                raise BadQuestion("this feed is listed in RAG_FEEDS: remove it there")
            del self.feeds[url]
            self._save()
        return feed.public()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="feed-poller", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.poll_due()
            with self._lock:
                due = min((f.next_poll for f in self.feeds.values()), default=time.monotonic() + self.interval)
            self._wake.wait(timeout=max(0.05, due - time.monotonic()))
            self._wake.clear()

    def poll_due(self) -> None:
        now = time.monotonic()
        with self._lock:
            due = [f for f in self.feeds.values() if f.next_poll <= now]
        for feed in due:
            if self._stop.is_set():
                return
            self.poll(feed)

    def poll(self, feed: Feed) -> None:
        """One conditional fetch of the feed and the indexing of what is new; never raises."""
        private = feed.origin == "settings" or self.allow_private
        started = time.perf_counter()
        try:
            report = self.index([feed.url], private)
            failed = [s for s in report.get("skipped", []) if s.get("path") == feed.url or s.get("source") == feed.url]
            if failed:
                raise RuntimeError(failed[0].get("reason") or "the feed could not be read")
            error, status = None, "not modified" if report.get("not_modified") else "ok"
            new = int(report.get("articles", 0)) - int(report.get("unchanged", 0))  # a feed repeats its old items
        except Exception as exc:  # noqa: BLE001  (a feed's failure is recorded and retried, the server stays up)
            error, status, new = str(exc)[:500], "error", 0
        with self._lock:
            feed.polls += 1
            feed.last_poll, feed.last_status, feed.last_error = _now(), status, error
            feed.last_success = feed.last_success if error else feed.last_poll
            feed.new_articles, feed.total_new = new, feed.total_new + new
            feed.failures = feed.failures + 1 if error else 0
            wait = self.interval * (min(2**feed.failures, MAX_BACKOFF) if error else 1)
            feed.next_poll = time.monotonic() + wait * self.rng.uniform(1 - JITTER, 1 + JITTER)
            if feed.url in self.feeds:
                self._save()
        seconds = time.perf_counter() - started
        log.info("feed %s: %s, %d new, %.0f ms", feed.url, status, new, seconds * 1000)
        if self.on_poll is not None:
            self.on_poll(status, seconds)
