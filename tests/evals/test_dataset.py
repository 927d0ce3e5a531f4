"""The question-set loader: good lines load, bad lines are reported by number, unusable files raise."""

import json

import pytest

from evals.cli import SEED_QUESTIONS
from evals.dataset import load_questions
from rag.errors import BadInput

GOOD = {"id": "a", "question": "Who?", "answers": ["Kellogg"], "evidence": {"article_id": "x", "quote": "Kellogg."},
        "unanswerable": False, "kind": "name"}  # fmt: skip


def write_lines(path, lines):
    path.write_text("\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n")
    return path


def test_seed_set_loads_cleanly():
    items, problems = load_questions(SEED_QUESTIONS)
    assert problems == []
    assert len(items) == 81
    assert sum(i.unanswerable for i in items) == 45
    assert sum(i.kind == "not-indexed" for i in items) == 24  # about stories the seed corpus does not hold
    first = items[0]
    assert first.id == "seed-001" and first.answers[0] == "Keith Kellogg"
    assert first.evidence_article_id == "000_6ce29fcde6849a77" and "Kellogg" in first.evidence_quote


def test_bad_lines_are_reported_and_the_rest_loads(tmp_path):
    path = write_lines(tmp_path / "q.jsonl", [
        GOOD,
        "{not json",
        {"id": "no-question", "answers": ["x"]},
        {"id": "bad-answers", "question": "Why?", "answers": "x"},
        {"id": "bad-flag", "question": "Why?", "answers": ["x"], "unanswerable": "no"},
        "",
        {"id": "b", "question": "What is the capital of Australia?", "evidence": None, "unanswerable": True},
        {"id": "a", "question": "Again?", "answers": ["y"]},
        {"id": "no-gold", "question": "Answerable but nothing to check?"},
        [1, 2],
    ])  # fmt: skip
    items, problems = load_questions(path)
    assert [i.id for i in items] == ["a", "b"]
    assert items[1].unanswerable and items[1].answers == [] and items[1].evidence_article_id is None
    lines = [p.split(":")[1] for p in problems]
    assert lines == ["2", "3", "4", "5", "8", "9", "10"]
    assert "invalid JSON" in problems[0]
    assert "'question'" in problems[1]
    assert "'answers'" in problems[2]
    assert "'unanswerable'" in problems[3]
    assert "duplicate id 'a'" in problems[4]


def test_missing_file_raises(tmp_path):
    with pytest.raises(BadInput, match="not found"):
        load_questions(tmp_path / "nope.jsonl")


@pytest.mark.parametrize("content", ["", "\n\n", "{broken\n"])
def test_empty_or_all_bad_raises(tmp_path, content):
    path = tmp_path / "q.jsonl"
    path.write_text(content)
    with pytest.raises(BadInput, match="no usable questions"):
        load_questions(path)


def test_bbc_leave_out_sets_are_split_by_article():
    data = SEED_QUESTIONS.parent
    dev, _ = load_questions(data / "bbc_leave_out_dev.jsonl")
    held, _ = load_questions(data / "bbc_leave_out_heldout.jsonl")
    assert len(dev) == len(held) == 96
    dev_articles = {i.evidence_article_id for i in dev}
    held_articles = {i.evidence_article_id for i in held}
    assert len(dev_articles) == len(held_articles) == 32
    assert not dev_articles & held_articles  # no article, so no story, is in both
    assert not {i.question for i in dev} & {i.question for i in held}
    second, _ = load_questions(data / "bbc_leave_out_dev2.jsonl")  # a larger dev set, written later
    second_articles = {i.evidence_article_id for i in second}
    assert len(second) == 156 and len(second_articles) == 52
    assert not second_articles & (dev_articles | held_articles)
