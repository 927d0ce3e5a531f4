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


def test_the_development_set_is_apart_from_the_eval_set():
    """The resolver's rules are developed on conversations_dev.jsonl; the eval set measures them only if no
    follow-up of one is a follow-up of the other."""
    from evals.conversations import CONVERSATIONS, load_conversations

    dev = load_conversations(CONVERSATIONS.with_name("conversations_dev.jsonl"))
    held = load_conversations(CONVERSATIONS)
    assert sum(len(c.follow_ups) for c in dev) >= 60
    asked = {f.item.question.lower() for c in held for f in c.follow_ups}
    assert not [f.item.question for c in dev for f in c.follow_ups if f.item.question.lower() in asked]
    assert {f.pattern for c in dev for f in c.follow_ups} == {f.pattern for c in held for f in c.follow_ups}
