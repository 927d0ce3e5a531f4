"""The before/after driver: an older checkout answers in a process of its own, this checkout scores like
``rag eval --time``."""

import json

import pytest

from evals.before import HERE, answers_of, right_by_kind
from evals.dataset import EvalItem
from tests.conftest import SEEDS


def test_answers_are_scored_per_kind_like_the_time_eval():
    items = [
        EvalItem("a", "How many acres?", ["15,300 acres"], kind="latest"),
        EvalItem("b", "How many acres first?", ["4,200 acres"], kind="earliest"),
        EvalItem("c", "What happened?", ["15,300 acres"], kind="what_happened"),
        EvalItem("d", "Who?", ["Keith Kellogg"], kind="stable"),
    ]
    answers = [
        {"id": "a", "short_answer": "11,800 acres", "answer": "11,800 acres", "abstained": False},  # superseded
        {"id": "b", "short_answer": "4,200 acres", "answer": "4,200 acres", "abstained": False},
        {"id": "c", "short_answer": "fire", "answer": "It grew; by 9 Aug it was 15,300 acres.", "abstained": False},
        {"id": "d", "short_answer": "Keith Kellogg", "answer": "...", "abstained": True},  # abstained: wrong
    ]
    assert right_by_kind(items, answers) == {"latest": [False], "earliest": [True], "what_happened": [True],
                                             "stable": [False]}  # fmt: skip


@pytest.mark.slow
@pytest.mark.integration
def test_a_checkout_indexes_and_answers_in_its_own_process(tmp_path):
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"id": "ref", "question": "Who proposed delaying NATO membership?",
                                     "answers": ["Keith Kellogg"], "kind": "stable"}) + "\n")  # fmt: skip
    (answer,) = answers_of(HERE, questions, [SEEDS], tmp_path)
    assert answer["id"] == "ref" and not answer["abstained"]
    assert answer["short_answer"] == "Keith Kellogg"
    assert (tmp_path / "home").is_dir()  # its own home, not the caller's
