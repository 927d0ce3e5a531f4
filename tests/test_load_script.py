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
