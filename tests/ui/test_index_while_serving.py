"""Indexing into the RAG_HOME a server is reading: no query fails, and new articles become answerable live.

A real uvicorn server answers a stream of questions from a client thread while new articles are indexed into
its RAG_HOME twice: with ``index_paths`` in this process, and with ``python -m ui.cli index`` as a second
process, the way an operator runs ``rag index`` next to ``rag serve``. No restart in between.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from index.build import index_paths
from rag.settings import Settings
from tests.conftest import SEEDS
from tests.generated import generated_article, write_corpus
from tests.ui.server import running_server

pytestmark = [pytest.mark.slow, pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = "Who proposed delaying NATO membership?"
BRIDGE_Q = "Who designed the new Lindholm river bridge?"
FERRY_Q = "Who is the captain of the Carrow ferry?"
BRIDGE = (
    "Title: Lindholm opens its new river bridge\n\n"
    "The new river bridge in Lindholm opened to cyclists on Friday. The bridge was designed by the engineer "
    "Marta Kowalczyk, who worked on it for six years. It is 320 metres long."
)
FERRY = (
    "Title: Carrow ferry gets a new captain\n\n"
    "The Carrow ferry service has a new captain. Captain Idris Okonkwo took command of the ferry on Tuesday "
    "after thirty years at sea. The ferry carries 400 passengers a day."
)
QUESTIONS = [REFERENCE, BRIDGE_Q, "What is the capital of Australia?", FERRY_Q]


@dataclass
class Reply:
    question: str
    started: float
    ended: float
    status: int | None  # None: no HTTP answer at all
    body: dict | str


def ask(base: str, question: str) -> Reply:
    started = time.monotonic()
    request = urllib.request.Request(
        f"{base}/query", data=json.dumps({"question": question}).encode(), headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return Reply(question, started, time.monotonic(), response.status, json.load(response))
    except urllib.error.HTTPError as exc:
        return Reply(question, started, time.monotonic(), exc.code, exc.read().decode(errors="replace"))
    except Exception as exc:  # connection reset, timeout: a failed query all the same
        return Reply(question, started, time.monotonic(), None, repr(exc))


class Asker(threading.Thread):
    """Asks the rotating QUESTIONS back to back until stopped."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.base, self.replies, self.stop = base, [], threading.Event()

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            self.replies.append(ask(self.base, QUESTIONS[n % len(QUESTIONS)]))
            n += 1


def cites(reply: Reply, article_id: str, name: str) -> bool:
    body = reply.body
    return (
        reply.status == 200
        and not body["abstained"]
        and article_id in {c["article_id"] for c in body["citations"]}
        and name in (body["short_answer"] or body["answer"])
    )


def wait_for(base: str, question: str, article_id: str, name: str, within: float = 60) -> float:
    """Seconds until the server answers ``question`` from ``article_id``; fails after ``within``."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        if cites(ask(base, question), article_id, name):
            return time.monotonic() - started
        time.sleep(0.2)
    raise AssertionError(f"{question!r} not answered from {article_id} within {within}s")


def test_queries_never_fail_while_indexing_and_new_articles_answer_live(tmp_path):
    home = tmp_path / "home"
    settings = Settings(home=home)
    index_paths([SEEDS], settings)
    bridge_folder = write_corpus(
        tmp_path / "wire", {"bridge.txt": BRIDGE, **{f"wire-{i:02d}.txt": generated_article(i) for i in range(40)}}
    )
    ferry_folder = write_corpus(tmp_path / "ferry", {"ferry.txt": FERRY})

    with running_server(settings) as base:
        before = ask(base, BRIDGE_Q)
        assert before.status == 200 and not cites(before, "wire/bridge.txt", "Kowalczyk")
        asker = Asker(base)
        asker.start()
        try:
            while len(asker.replies) < 3:
                time.sleep(0.1)
            # A second writer in this process: 41 articles, embedded and written while questions keep coming.
            windows = [(time.monotonic(), None)]
            report = index_paths([bridge_folder], settings)
            windows[0] = (windows[0][0], time.monotonic())
            assert report.articles == 41
            bridge_after = wait_for(base, BRIDGE_Q, "wire/bridge.txt", "Kowalczyk")

            # A second process, as `rag index` in another shell.
            started = time.monotonic()
            indexer = subprocess.run(
                [sys.executable, "-m", "ui.cli", "index", str(ferry_folder)],
                cwd=ROOT, env={**os.environ, "RAG_HOME": str(home)}, capture_output=True, text=True, timeout=300,
            )  # fmt: skip
            windows.append((started, time.monotonic()))
            assert indexer.returncode == 0, indexer.stderr[-2000:]
            ferry_after = wait_for(base, FERRY_Q, "ferry/ferry.txt", "Okonkwo")
        finally:
            asker.stop.set()
            asker.join(timeout=120)

    replies = asker.replies
    failed = [r for r in replies if r.status != 200]
    during = [r for r in replies if any(r.started < end and r.ended > start for start, end in windows)]
    reference = [r.body for r in replies if r.question == REFERENCE and r.status == 200]
    # the reference's confidence (0.32) sits near the abstention point (0.27): while a write reorders the fused
    # candidates it may be declined, never answered with another name, and it is answered again once written
    wrong = [b for b in reference if not b["abstained"] and b["short_answer"] != "Keith Kellogg"]
    declined = [b for b in reference if b["abstained"]]
    print(
        f"\n{len(replies)} queries, {len(during)} while indexing, {len(failed)} failed, the reference declined "
        f"{len(declined)} of {len(reference)} times; new articles answered "
        f"{bridge_after:.1f}s (in-process index) and {ferry_after:.1f}s (second process) after indexing"
    )
    assert not failed, [(r.question, r.status, str(r.body)[:300]) for r in failed]
    assert len(during) >= 4, "too few queries overlapped the indexing to prove anything"
    assert not wrong, json.dumps(wrong[:1])[:3000]
    assert len(declined) < len(reference) / 2, f"the reference was declined {len(declined)} of {len(reference)} times"
    assert reference[-1]["short_answer"] == "Keith Kellogg"  # after both writes
    assert any(cites(r, "wire/bridge.txt", "Kowalczyk") for r in replies if r.question == BRIDGE_Q)


def test_an_upload_of_100_articles_through_the_api_fails_no_question(tmp_path):
    """The issue's target: POST /articles with 100 articles while 4 clients ask questions: 0 failed questions."""
    home = tmp_path / "home"
    settings = Settings(home=home)
    index_paths([SEEDS], settings)
    records = [{"id": f"wire-{i:03d}", "text": generated_article(i)} for i in range(99)]
    records.append({"id": "bridge", "title": "Lindholm opens its new river bridge", "text": BRIDGE.split("\n\n", 1)[1]})
    with running_server(settings) as base:
        askers = [Asker(base) for _ in range(4)]
        for asker in askers:
            asker.start()
        try:
            while min(len(a.replies) for a in askers) < 2:
                time.sleep(0.1)
            started = time.monotonic()
            request = urllib.request.Request(f"{base}/articles", data=json.dumps({"articles": records}).encode(),
                                             headers={"content-type": "application/json"})  # fmt: skip
            with urllib.request.urlopen(request, timeout=600) as response:
                report = json.load(response)
            window = (started, time.monotonic())
            assert report["articles"] == 100 and not report["skipped"]
            wait_for(base, BRIDGE_Q, "bridge", "Kowalczyk")
        finally:
            for asker in askers:
                asker.stop.set()
            for asker in askers:
                asker.join(timeout=120)
    replies = [r for a in askers for r in a.replies]
    failed = [r for r in replies if r.status != 200]
    during = [r for r in replies if r.started < window[1] and r.ended > window[0]]
    print(f"\n{len(replies)} questions from 4 clients, {len(during)} during the upload "
          f"({window[1] - window[0]:.1f}s), {len(failed)} failed")  # fmt: skip
    assert not failed, [(r.question, r.status, str(r.body)[:300]) for r in failed]
    assert len(during) >= 4, "too few questions overlapped the upload to prove anything"
