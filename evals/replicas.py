"""Replicas on one Chroma server under load: an article indexed through one is answered by the others, and
when one is killed the others keep answering. Loopback only, bounded.

    python -m evals.replicas [--replicas 2] [--clients 32] [--seconds 60] [--baseline-seconds 10]

It starts a real ``chroma run`` on a free loopback port, indexes seeds/ into it, and starts ``--replicas``
``rag serve`` processes, each with its own RAG_HOME (only derived state: the saved BM25 base) and all on the
one Chroma server. ``--clients`` clients are spread over the replicas (each client fails over to the next
replica when its own cannot be reached, as a load balancer would). A third of the way in, one article is
posted to replica 0 (``POST /articles``) and the last replica is asked about it until its answer cites it;
two thirds of the way in, the last replica is killed (SIGKILL). Prints the load table, the seconds until the
other replica answered from the new article, and the failovers; exits 1 on any failed request.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from evals.bench import cpu_name
from evals.load_test import (
    MAX_CLIENTS,
    MAX_SECONDS,
    free_port,
    index_seeds,
    loopback_url,
    run_load,
    start_server,
    stop,
    summary,
    table,
)

ARTICLE = {
    "id": "replicas/lighthouse",
    "title": "Lighthouse keeper retires",
    "text": "The Carrow lighthouse keeper, Ines Moreau, retired in May after 31 years on the rock.",
}
PROBE = "Which lighthouse keeper retired in May?"


@contextlib.contextmanager
def chroma_server(data: Path, timeout: float = 60) -> Iterator[str]:
    """A real ``chroma run`` over ``data`` on a free loopback port, for the duration; yields its URL."""
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    if not chroma:
        raise RuntimeError("the chroma CLI (installed with chromadb) is not on PATH")
    port = free_port()
    process = subprocess.Popen([chroma, "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the chroma server did not start") from None
                time.sleep(0.3)
        yield url
    finally:
        stop(process)


def post_json(url: str, path: str, body: dict, timeout: float = 120) -> tuple[int, dict]:
    connection = http.client.HTTPConnection(*loopback_url(url), timeout=timeout)
    try:
        connection.request("POST", path, body=json.dumps(body), headers={"content-type": "application/json"})
        response = connection.getresponse()
        payload = response.read()
        return response.status, (json.loads(payload) if payload else {})
    finally:
        connection.close()


def index_through_one_answer_from_another(writer: str, reader: str, timeout: float = 60) -> dict:
    """Post the article to ``writer``; ask ``reader`` until its answer cites it. Seconds from the end of the
    upload; 503s (the reader is busy) are retried."""
    started = time.perf_counter()
    status, body = post_json(writer, "/articles", {"articles": [ARTICLE]})
    if status != 200:
        raise RuntimeError(f"POST /articles to {writer} answered {status}: {body}")
    uploaded = time.perf_counter()
    while time.perf_counter() - uploaded < timeout:
        status, answer = post_json(reader, "/query", {"question": PROBE})
        cited = status == 200 and any(c["article_id"] == ARTICLE["id"] for c in answer.get("citations", []))
        if cited:
            after = time.perf_counter() - uploaded
            return {"upload_s": round(uploaded - started, 2), "answered_by_other_s": round(after, 2),
                    "short_answer": answer.get("short_answer")}  # fmt: skip
        time.sleep(0.2)
    raise RuntimeError(f"{reader} never cited the article posted to {writer} within {timeout:.0f}s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.replicas", description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--baseline-seconds", type=float, default=10, help="one client alone first (0 = skip)")
    parser.add_argument("--timeout", type=float, default=120, help="seconds one request may take")
    args = parser.parse_args(argv)
    if not 2 <= args.replicas <= 8 or not 1 <= args.clients <= MAX_CLIENTS or not 0 < args.seconds <= MAX_SECONDS:
        print("replicas: error: --replicas 2..8, --clients 1..256, --seconds up to 600", file=sys.stderr)
        return 2
    events: dict = {}
    with tempfile.TemporaryDirectory(prefix="rag-replicas-") as tmp, chroma_server(Path(tmp) / "chroma") as chroma:
        base_env = {**os.environ, "RAG_CHROMA_URL": chroma}
        index_seeds({**base_env, "RAG_HOME": str(Path(tmp) / "indexer")}, timeout=300)
        servers, urls = [], []
        try:
            for n in range(args.replicas):
                env = {**base_env, "RAG_HOME": str(Path(tmp) / f"replica-{n}")}
                server, url = start_server(env, Path(tmp) / f"replica-{n}.log", timeout=300)
                servers.append(server)
                urls.append(url)
            alone = (
                run_load(urls[0], 1, args.baseline_seconds, 100_000, args.timeout) if args.baseline_seconds else None
            )

            def script() -> None:
                try:
                    time.sleep(args.seconds / 3)
                    events["index"] = index_through_one_answer_from_another(urls[0], urls[-1])
                    time.sleep(max(0.0, args.seconds * 2 / 3 - (time.monotonic() - started)))
                    servers[-1].kill()
                    events["killed_at_s"] = round(time.monotonic() - started, 1)
                except Exception as exc:  # reported, and the run fails
                    events["error"] = f"{type(exc).__name__}: {exc}"

            started = time.monotonic()
            runner = threading.Thread(target=script, daemon=True)
            runner.start()
            results = run_load(urls, args.clients, args.seconds, 100_000, args.timeout)
            runner.join(timeout=args.timeout)
        finally:
            for server in servers:
                stop(server)
    report = summary(results, args.clients)
    print(table(report))
    print(f"{args.replicas} replicas on one `chroma run` (CPU: {cpu_name()}, {os.cpu_count()} cores); "
          f"failed over after the kill: {report['all']['failed_over']} requests")  # fmt: skip
    if alone is not None:
        single = summary(alone, 1)["all"]["p50_ms"]
        print(f"one client alone: p50 {single} ms; p99 under load / that = "
              f"{round(report['all']['p99_ms'] / single, 2) if single else '—'}")  # fmt: skip
    if "index" in events:
        i = events["index"]
        print(f"article posted to replica 0 ({i['upload_s']} s), cited by replica {args.replicas - 1} "
              f"{i['answered_by_other_s']} s later: {i['short_answer']!r}")  # fmt: skip
    if "killed_at_s" in events:
        print(f"replica {args.replicas - 1} killed at {events['killed_at_s']} s; the others answered on")
    if "error" in events:
        print(f"error: {events['error']}")
    return 1 if report["all"]["errors"] or "error" in events or not report["all"]["requests"] else 0


if __name__ == "__main__":
    sys.exit(main())
