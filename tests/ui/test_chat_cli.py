"""`rag chat`: a conversation on the command line, one JSON answer per line, /new starts over."""

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def test_chat_resolves_follow_ups_and_starts_over(seed_home):
    lines = ["Who proposed delaying NATO membership?", "What job did Trump pick him for?", "", "?!", "/new",
             "What job did Trump pick him for?", "/quit", "never asked"]  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "ui.cli", "chat", "--json"], input="\n".join(lines) + "\n", capture_output=True,
        text=True, timeout=300, env={**os.environ, "RAG_HOME": str(seed_home)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [a["question"] for a in answers] == [lines[0], lines[1], lines[5]]
    assert answers[0]["short_answer"] == "Keith Kellogg"
    assert answers[1]["standalone_question"] == "What job did Trump pick Keith Kellogg for?"
    assert answers[2]["standalone_question"] == lines[5]  # after /new, "him" refers to nobody
    assert "the question has no words in it" in result.stderr  # a bad line is reported; the chat goes on
