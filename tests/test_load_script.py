"""evals/load_test.py: a short real run (own server over seeds/, 4 clients, 3 s) has zero errors; it refuses
anything but loopback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from evals.load_test import main

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
@pytest.mark.integration
def test_four_clients_three_seconds_zero_errors(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "evals.load_test", "--clients", "4", "--seconds", "3", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    report = json.loads(run.stdout)
    print(f"\n{report['all']}")
    assert report["clients"] == 4 and 3 <= report["seconds"] < 60
    assert report["all"]["errors"] == 0 and report["error_samples"] == []
    assert report["answerable"]["requests"] > 0 and report["unanswerable"]["requests"] > 0
    assert 0 < report["all"]["p50_ms"] <= report["all"]["p95_ms"] <= report["all"]["p99_ms"] <= report["all"]["max_ms"]


@pytest.mark.parametrize(
    "url", ["http://example.com:7860", "http://10.0.0.5:7860", "http://192.168.1.2", "https://127.0.0.1:7860", "x"]
)
def test_refuses_anything_but_loopback_http(url, capsys):
    assert main(["--url", url, "--seconds", "1"]) == 2
    assert "load_test: error:" in capsys.readouterr().err


def test_limits_and_nothing_listening(capsys):
    assert main(["--clients", "0"]) == 2
    assert main(["--seconds", "601"]) == 2
    assert main(["--url", "http://127.0.0.1:9", "--seconds", "1"]) == 1  # discard port: nothing answers
    assert "no rag server answers" in capsys.readouterr().err


def test_a_client_fails_over_to_the_next_replica_when_its_own_is_gone():
    """The client's failover (what a load balancer does), against a minimal stand-in server: the replica a
    client starts on is dead, so each of its requests is asked of the other one and none fails."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from evals.load_test import free_port, run_load, summary

    class Answering(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (the stdlib's name)
            self.rfile.read(int(self.headers["content-length"]))
            body = b'{"answer": "ok"}'
            self.send_response(200)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Answering)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        dead, live = f"http://127.0.0.1:{free_port()}", f"http://127.0.0.1:{server.server_address[1]}"
        report = summary(run_load([dead, live], clients=2, seconds=1, max_requests=40, timeout=5), 2)
    finally:
        server.shutdown()
    assert report["all"]["requests"] == 40 and report["all"]["errors"] == 0
    assert report["all"]["failed_over"] >= 1  # the client that started on the dead replica moved over


@pytest.mark.slow
@pytest.mark.integration
def test_two_replicas_on_one_chroma_server_index_through_one_and_survive_a_kill():
    run = subprocess.run(
        [sys.executable, "-m", "evals.replicas", "--clients", "4", "--seconds", "15", "--baseline-seconds", "0"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "cited by replica 1" in run.stdout and "replica 1 killed" in run.stdout
