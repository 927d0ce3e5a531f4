"""Load test of ``POST /query``: N concurrent clients for a fixed time, on loopback only.

    python -m evals.load_test --clients 16 --seconds 30 [--url http://127.0.0.1:7860]

Without ``--url`` it indexes seeds/ into a temporary RAG_HOME and starts its own ``rag serve`` on a free
loopback port (stopped at the end). Each client keeps one HTTP connection and posts a rotating list of
questions (answerable and unanswerable) back to back until the time limit or the request cap. Prints
requests, errors, throughput and p50/p95/p99 latency; exits 1 if any request failed (not HTTP 200 with an
answer), 2 on a usage error (such as a URL that is not loopback).

Standard library only, so the clients stay light next to the server they measure.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import ipaddress
import itertools
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from evals.tables import percentile, text_table
from rag import seeds_folder
from rag.settings import PROJECT_ROOT as ROOT

SEEDS = seeds_folder()
MAX_SECONDS = 600
MAX_CLIENTS = 256

# (question, answerable from seeds/)
QUESTIONS: list[tuple[str, bool]] = [
    ("Who proposed delaying NATO membership?", True),
    ("What is the capital of Australia?", False),
    ("Who is the Ukrainian president mentioned in the article?", True),
    ("How many moons does Jupiter have?", False),
    ("Who is the senior director for Europe at the National Security Council?", True),
    ("Who won the 1998 football World Cup?", False),
    ("What did Zelensky call his plan?", True),
    ("What is the boiling point of mercury?", False),
]


class UsageError(Exception):
    pass


@dataclass
class Sample:
    answerable: bool
    seconds: float
    error: str | None = None
    refused: bool = False  # 503 with Retry-After: the server said "busy, come back", at once
    failed_over: bool = False  # its replica could not be reached: asked of the next one


@dataclass
class Results:
    samples: list[Sample] = field(default_factory=list)
    wall_seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)


def loopback_url(url: str) -> tuple[str, int]:
    """Host and port of an http URL on this machine; :class:`UsageError` for anything else."""
    parsed = urlparse(url)
    if parsed.scheme != "http" or not parsed.hostname:
        raise UsageError(f"expected an http://HOST:PORT URL, got {url!r}")
    host = parsed.hostname
    try:
        addresses = {ipaddress.ip_address(host)}
    except ValueError:
        if host != "localhost":
            raise UsageError(f"refusing {url}: only loopback addresses (127.0.0.0/8, ::1, localhost)") from None
        addresses = {ipaddress.ip_address(info[4][0]) for info in socket.getaddrinfo(host, None)}
    if not addresses or not all(a.is_loopback for a in addresses):
        raise UsageError(f"refusing {url}: only loopback addresses (127.0.0.0/8, ::1, localhost)")
    return host, parsed.port or 80


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(host: str, port: int, path: str, timeout: float = 5) -> dict:
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("GET", path)
        return json.loads(connection.getresponse().read())
    finally:
        connection.close()


RAG = [sys.executable, "-m", "ui.cli"]


def index_seeds(env: dict[str, str], timeout: float) -> None:
    print(f"indexing {SEEDS} ...", file=sys.stderr, flush=True)
    indexed = subprocess.run([*RAG, "index", str(SEEDS), "--json"], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=timeout)  # fmt: skip
    if indexed.returncode != 0:
        raise RuntimeError(f"indexing seeds/ failed: {indexed.stderr.strip()[-2000:]}")


def start_server(env: dict[str, str], log_path: Path, timeout: float) -> tuple[subprocess.Popen, str]:
    """``rag serve`` on a free loopback port, once its /health says ready; the caller stops it."""
    port = free_port()
    with log_path.open("w") as log:
        server = subprocess.Popen([*RAG, "serve", "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT,
                                  env=env, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    print(f"starting a server on 127.0.0.1:{port} ...", file=sys.stderr, flush=True)
    deadline = time.monotonic() + timeout
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited ({server.returncode}): {log_path.read_text()[-2000:]}")
        with contextlib.suppress(OSError, ValueError):
            if get_json("127.0.0.1", port, "/health").get("status") == "ready":
                return server, f"http://127.0.0.1:{port}"
        if time.monotonic() > deadline:
            stop(server)
            raise RuntimeError(f"the server was not ready within {timeout:.0f}s")
        time.sleep(0.5)


@contextlib.contextmanager
def own_server(startup_timeout: float = 300) -> Iterator[str]:
    """Index seeds/ into a temporary RAG_HOME and serve it on a free loopback port, for the duration."""
    if not SEEDS.is_dir():
        raise UsageError(f"no seeds/ folder at {SEEDS}: pass --url of a running server instead")
    with tempfile.TemporaryDirectory(prefix="rag-load-") as tmp:
        env = {**os.environ, "RAG_HOME": str(Path(tmp) / "home")}
        env.pop("RAG_CHROMA_URL", None)
        index_seeds(env, startup_timeout)
        server, url = start_server(env, Path(tmp) / "server.log", startup_timeout)
        try:
            yield url
        finally:
            stop(server)


def stop(process: subprocess.Popen, timeout: float = 20) -> None:
    """SIGTERM, then SIGKILL if it has not exited within ``timeout`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


def post_query(connection, body: str, headers: dict[str, str]) -> tuple[str | None, float | None]:
    """(error or None, Retry-After seconds of a 503 or None) of one POST /query."""
    connection.request("POST", "/query", body=body, headers=headers)
    response = connection.getresponse()
    payload = response.read()
    if response.status == 503 and response.getheader("Retry-After"):
        return None, float(response.getheader("Retry-After"))
    if response.status != 200:
        return f"HTTP {response.status}: {payload[:200]!r}", None
    if "answer" not in json.loads(payload):
        return f"no answer in {payload[:200]!r}", None
    return None, None


def client(endpoints: list[tuple[str, int]], first: int, next_question, results: Results, deadline: float,
           budget: threading.Semaphore, timeout: float, headers: dict[str, str]) -> None:  # fmt: skip
    """One client: a keep-alive connection, requests back to back until the deadline or the request cap. With
    several endpoints (replicas) it starts on ``first`` and, when its replica cannot be reached (refused, reset),
    asks the same question of the next one, as a load balancer would: that request counts as failed over, and
    as an error only when no replica answered."""
    connection: http.client.HTTPConnection | None = None
    current = first % len(endpoints)
    while time.monotonic() < deadline and budget.acquire(blocking=False):
        question, answerable = next_question()
        body = json.dumps({"question": question})
        started = time.perf_counter()
        error, retry_after, failed_over = None, None, False
        for _ in endpoints:
            try:
                connection = connection or http.client.HTTPConnection(*endpoints[current], timeout=timeout)
                error, retry_after = post_query(connection, body, headers)
                break
            except (ConnectionError, http.client.RemoteDisconnected) as exc:  # that replica is gone: the next one
                error = f"{type(exc).__name__}: {exc}"
                failed_over = len(endpoints) > 1
                connection.close()
                connection, current = None, (current + 1) % len(endpoints)
            except Exception as exc:  # a timed-out or malformed answer is a failed request, not a dead replica
                error = f"{type(exc).__name__}: {exc}"
                connection.close()
                connection = None
                break
        results.add(Sample(answerable, time.perf_counter() - started, error, retry_after is not None, failed_over))
        if retry_after is not None:
            time.sleep(min(retry_after, 5.0))  # as a well-behaved client does
        elif error:
            time.sleep(0.1)  # a failing server is not hammered
    if connection is not None:
        connection.close()


def run_load(urls: str | list[str], clients: int, seconds: float, max_requests: int, timeout: float,
             api_key: str | None = None) -> Results:  # fmt: skip
    """``clients`` clients for ``seconds`` against one server, or spread over several replicas."""
    endpoints = [loopback_url(url) for url in ([urls] if isinstance(urls, str) else urls)]
    headers = {"content-type": "application/json"}
    if api_key:
        headers["authorization"] = f"Bearer {api_key}"
    counter = itertools.count()
    lock = threading.Lock()

    def next_question() -> tuple[str, bool]:
        with lock:
            return QUESTIONS[next(counter) % len(QUESTIONS)]

    results = Results()
    budget = threading.Semaphore(max_requests)
    started = time.monotonic()
    deadline = started + seconds
    threads = [
        threading.Thread(target=client, args=(endpoints, n, next_question, results, deadline, budget, timeout,
                                              headers), daemon=True, name=f"client-{n}")
        for n in range(clients)
    ]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + timeout + 30)
    results.wall_seconds = time.monotonic() - started
    return results


def summary(results: Results, clients: int) -> dict:
    def stats(samples: list[Sample]) -> dict:
        latencies = [s.seconds * 1000 for s in samples if not s.refused]  # of the questions answered
        return {
            "requests": len(samples),
            "errors": sum(1 for s in samples if s.error),
            "refused_503": sum(1 for s in samples if s.refused),
            "failed_over": sum(1 for s in samples if s.failed_over),
            "throughput_rps": round(len(samples) / results.wall_seconds, 2) if results.wall_seconds else 0.0,
            "p50_ms": percentile(latencies, 50),
            "p95_ms": percentile(latencies, 95),
            "p99_ms": percentile(latencies, 99),
            "max_ms": round(max(latencies), 1) if latencies else None,
        }

    samples = results.samples
    return {
        "clients": clients,
        "seconds": round(results.wall_seconds, 2),
        "all": stats(samples),
        "answerable": stats([s for s in samples if s.answerable]),
        "unanswerable": stats([s for s in samples if not s.answerable]),
        "error_samples": sorted({s.error for s in samples if s.error})[:5],
    }


def table(report: dict) -> str:
    names = {"requests": "requests", "errors": "errors", "refused_503": "503s", "failed_over": "failed over",
             "throughput_rps": "req/s",
             "p50_ms": "p50 ms",
             "p95_ms": "p95 ms", "p99_ms": "p99 ms", "max_ms": "max ms"}  # fmt: skip
    rows = [{"": row, **{names[k]: report[row][k] for k in names}} for row in ("all", "answerable", "unanswerable")]
    title = f"POST /query: {report['clients']} clients for {report['seconds']:.1f}s"
    return "\n".join([text_table(rows, title), *(f"error: {e}" for e in report["error_samples"])])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.load_test", description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16)")
    parser.add_argument(
        "--seconds", type=float, default=30, help=f"how long to send (default 30, at most {MAX_SECONDS})"
    )
    parser.add_argument("--url", help="a running server on loopback (default: start one over seeds/)")
    parser.add_argument("--max-requests", type=int, default=100_000, help="stop after this many requests")
    parser.add_argument("--timeout", type=float, default=120, help="seconds one request may take (default 120)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON instead of a table")
    parser.add_argument(
        "--baseline-seconds",
        type=float,
        default=0,
        help="first measure one client alone this long: the report adds p99 under load / p50 alone",
    )
    args = parser.parse_args(argv)
    try:
        if not 1 <= args.clients <= MAX_CLIENTS:
            raise UsageError(f"--clients must be between 1 and {MAX_CLIENTS}")
        if not 0 < args.seconds <= MAX_SECONDS:
            raise UsageError(f"--seconds must be more than 0 and at most {MAX_SECONDS}")
        if args.max_requests < 1 or args.timeout <= 0:
            raise UsageError("--max-requests and --timeout must be positive")
        if args.url:
            loopback_url(args.url)
        server = contextlib.nullcontext(args.url) if args.url else own_server()
        with server as url:
            host, port = loopback_url(url)
            try:
                get_json(host, port, "/health")
            except (OSError, ValueError) as exc:
                raise RuntimeError(f"no rag server answers at {url}: {exc}") from None
            print(f"load: {args.clients} clients x {args.seconds:g}s on {url}/query", file=sys.stderr, flush=True)
            key = os.environ.get("RAG_API_KEY")
            alone = run_load(url, 1, args.baseline_seconds, args.max_requests, args.timeout, key) if (
                args.baseline_seconds) else None  # fmt: skip
            results = run_load(url, args.clients, args.seconds, args.max_requests, args.timeout, key)
    except UsageError as exc:
        print(f"load_test: error: {exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:
        print(f"load_test: error: {exc}", file=sys.stderr)
        return 1
    report = summary(results, args.clients)
    if alone is not None:
        report["one_client"] = summary(alone, 1)["all"]
        single = report["one_client"]["p50_ms"]
        report["p99_over_one_client_p50"] = round(report["all"]["p99_ms"] / single, 2) if single else None
    print(json.dumps(report, indent=2) if args.json else table(report))
    if alone is not None and not args.json:
        print(f"one client alone: p50 {report['one_client']['p50_ms']} ms; p99 under load / that = "
              f"{report['p99_over_one_client_p50']}")  # fmt: skip
    return 1 if report["all"]["errors"] or not report["all"]["requests"] else 0


if __name__ == "__main__":
    sys.exit(main())
