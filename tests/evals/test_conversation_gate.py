"""The multi-turn set as a CI gate: follow-ups answered through the conversation meet evals/thresholds.json."""

import argparse
import json

import pytest

from evals.cli import add_eval_parser, cmd_eval
from evals.conversations import GROUPS

pytestmark = pytest.mark.slow


def test_conversations_meet_thresholds(rag_home, tmp_path, capsys):
    parser = argparse.ArgumentParser(prog="rag")
    add_eval_parser(parser.add_subparsers(dest="command"), cmd_eval)
    out = tmp_path / "results"
    args = parser.parse_args(["eval", "--conversations", "--check", "--json", "--out", str(out)])

    code = args.func(args)

    captured = capsys.readouterr()
    groups = json.loads(captured.out)
    assert set(GROUPS) <= set(groups)
    assert groups["first turns"]["questions"] >= 30 and groups["follow-ups"]["questions"] >= 60
    assert code == 0, captured.err[-3000:]
    report = json.loads((out / "conversations.json").read_text())
    assert len(report["records"]) == groups["follow-ups"]["questions"]
    assert "Resolution accuracy" in (out / "conversations.md").read_text()
