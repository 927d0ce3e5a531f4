"""What one feed poll costs: an unchanged feed (the common case, every interval) against a feed with one new item
and against the same unchanged feed from a server that ignores conditional requests, all in one run.

    python -m ui.bench_feeds [--items 20] [--polls 10]

A real feed server on 127.0.0.1 (RSS with full-text items, an ETag), the service's own poller and indexing
(``ui.service.Service``, its indexing lock and store) over a temporary home holding the seed article; each poll is
``FeedPoller.poll``, what ``rag serve`` runs every ``RAG_FEED_INTERVAL``. Requests and bytes are counted at the
server.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import rag  # noqa: F401  (offline environment first)
from evals.bench import cpu_name
from evals.tables import percentile, text_table

SENTENCES = ("The council met on {day} to discuss the harbour works, officials said. The project manager said the "
             "crossing would run every forty minutes once the pier repairs ended. ") * 4  # fmt: skip


class Site:
    """An RSS feed served on 127.0.0.1 at ``url`` (``base`` + "/feed.xml"; "/broken.xml" answers 500): its
    ``items`` (``{base}`` in them is filled in), an ETag, and a 304 for a matching If-None-Match while
    ``conditional``. Counts requests, full responses and the bytes they carried."""

    def __init__(self, items: list[str] | None = None) -> None:
        self.items = list(items or [])
        self.conditional = True
        self.requests = self.full_responses = self.bytes = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler())
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.url = f"{self.base}/feed.xml"

    @staticmethod
    def item(n: int) -> str:
        return (f"<item><title>Harbour works, update {n}</title><link>http://127.0.0.1/news/{n}</link>"
                f"<guid>harbour-{n}</guid><pubDate>Mon, {1 + n % 28:02d} Sep 2025 08:00:00 GMT</pubDate>"
                f"<content:encoded><![CDATA[<p>{SENTENCES.format(day=f'day {n}')}</p>]]></content:encoded></item>")

    def body(self) -> bytes:
        items = "".join(i.replace("{base}", self.base) for i in self.items)
        return ('<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
                f"<channel><title>Harbour wire</title><link>{self.base}/</link>{items}</channel></rss>").encode()

    def handler(self):
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802  (http.server's name)
                site.requests += 1
                if self.path == "/broken.xml":
                    self.send_response(500)
                    self.end_headers()
                    return
                body = site.body()
                etag = f'"{hash(body)}"'
                if site.conditional and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                site.full_responses += 1
                site.bytes += len(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler


def measure(service, site: Site, feed, polls: int) -> dict:
    requests, sent = site.requests, site.bytes
    times = []
    for _ in range(polls):
        started = time.perf_counter()
        service.feeds.poll(feed)
        times.append((time.perf_counter() - started) * 1000)
    return {"polls": polls, "p50 ms": percentile(times, 50), "max ms": round(max(times), 1),
            "requests / poll": round((site.requests - requests) / polls, 2),
            "bytes / poll": round((site.bytes - sent) / polls), "status": feed.last_status,
            "new (last poll)": feed.new_articles, "total new": feed.total_new}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=20, help="items in the feed (default 20)")
    parser.add_argument("--polls", type=int, default=10, help="polls timed per row (default 10)")
    args = parser.parse_args(argv)

    from index.build import index_paths
    from rag import load_settings, seeds_folder
    from ui.service import Service

    site = Site([Site.item(n) for n in range(args.items)])
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(home=Path(tmp) / "home", feeds=site.url, feed_interval=3600)
        index_paths([seeds_folder()], settings)
        service = Service(settings)
        feed = service.feeds.feeds[site.url]
        rows = [{"poll": f"first ({args.items} new items)", **measure(service, site, feed, 1)}]
        rows.append({"poll": "unchanged feed (baseline)", **measure(service, site, feed, args.polls)})
        site.conditional = False
        rows.append({"poll": "unchanged, server ignores ETag", **measure(service, site, feed, args.polls)})
        site.conditional = True
        for n in range(args.polls):  # one new item before each poll
            site.items.insert(0, site.item(args.items + n))
            rows.append({"poll": "one new item", **measure(service, site, feed, 1)})
        new = [r for r in rows if r["poll"] == "one new item"]
        rows = rows[:3] + [{**new[-1], "p50 ms": percentile([r["p50 ms"] for r in new], 50),
                            "max ms": max(r["max ms"] for r in new), "polls": len(new)}]  # fmt: skip
        base = rows[1]["p50 ms"] or 1.0
        for row in rows:
            row["× baseline"] = round((row["p50 ms"] or 0.0) / base, 1)
    site.server.shutdown()
    print(text_table(rows, f"One feed poll (CPU: {cpu_name()})"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
