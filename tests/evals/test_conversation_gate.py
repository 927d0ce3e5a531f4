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


# Conversations of the development set that open like one of the eval set (same article, same first question);
# the follow-ups differ. Known, and listed so that no other can creep in and this one is seen: fixing the data
# (another first question for dev2-037) must empty it.
SHARED_OPENINGS = {"dev2-037": "conv-042"}


def _said(text: str) -> str:
    return " ".join(text.lower().split())


def _opening(conversation) -> tuple[str | None, str]:
    """What a conversation is about and how it starts: its first turn's article and question."""
    return conversation.first.evidence_article_id, _said(conversation.first.question)


def _articles(conversations) -> set[str]:
    return {i.evidence_article_id for c in conversations for i in (c.first, *(f.item for f in c.follow_ups))}


def test_the_development_set_is_apart_from_the_eval_set():
    """The resolver's rules are developed on conversations_dev.jsonl; the eval set measures them only if the two
    share no follow-up and no conversation. Both are written over the same articles (README), so the articles alone
    cannot keep them apart: a conversation is its article and its first question."""
    from evals.conversations import CONVERSATIONS, load_conversations

    dev = load_conversations(CONVERSATIONS.with_name("conversations_dev.jsonl"))
    held = load_conversations(CONVERSATIONS)
    assert sum(len(c.follow_ups) for c in dev) >= 60
    assert len(held) >= 30 and not {c.id for c in dev} & {c.id for c in held}
    assert None not in _articles(dev) | _articles(held)
    assert _articles(dev) == _articles(held)  # the same corpus: what the sets share
    asked = {_said(f.item.question) for c in held for f in c.follow_ups}
    assert not [f.item.question for c in dev for f in c.follow_ups if _said(f.item.question) in asked]
    opening = {_opening(c): c.id for c in held}
    shared = {c.id: opening[_opening(c)] for c in dev if _opening(c) in opening}
    assert shared == SHARED_OPENINGS
    assert {f.pattern for c in dev for f in c.follow_ups} == {f.pattern for c in held for f in c.follow_ups}


def test_the_fresh_sets_share_no_article_with_each_other_or_with_the_articles_the_rules_were_written_on():
    """The fresh sets judge whether the resolver works on articles it was never written on: their dev and held-out
    halves are split by article (and by dated story), and neither uses an article of the old sets."""
    from evals.conversations import CONVERSATIONS, load_conversations

    fresh_dev = load_conversations(CONVERSATIONS.with_name("conversations_fresh_dev.jsonl"))
    fresh_dev2 = load_conversations(CONVERSATIONS.with_name("conversations_fresh_dev2.jsonl"))
    fresh_held = load_conversations(CONVERSATIONS.with_name("conversations_fresh_heldout.jsonl"))
    old = _articles(load_conversations(CONVERSATIONS)) | _articles(
        load_conversations(CONVERSATIONS.with_name("conversations_dev.jsonl")))
    assert sum(len(c.follow_ups) for c in fresh_held) >= 60 and sum(len(c.follow_ups) for c in fresh_dev) >= 60
    assert sum(len(c.follow_ups) for c in fresh_dev2) >= 60
    assert None not in _articles(fresh_dev) | _articles(fresh_dev2) | _articles(fresh_held)
    assert not _articles(fresh_dev) & _articles(fresh_held)
    assert not _articles(fresh_dev2) & (_articles(fresh_held) | _articles(fresh_dev))
    assert not (_articles(fresh_dev) | _articles(fresh_dev2) | _articles(fresh_held)) & old

    def stories(conversations):
        return {a.split("/")[1] for a in _articles(conversations) if a.startswith("time/")}

    assert stories(fresh_dev) and not stories(fresh_dev) & stories(fresh_held)
