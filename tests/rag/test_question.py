"""rag.question: what a question may be, and the content words lexical support compares."""

import pytest

from rag.errors import BadQuestion
from rag.question import content_stems, tokens, validate


def test_content_stems_drop_stopwords_and_possessives():
    assert content_stems("Who proposed delaying Ukraine's NATO membership?") == [
        "propos", "delay", "ukrain", "nato", "membership",
    ]  # fmt: skip


def test_tokens_are_lower_case_words_and_numbers():
    assert tokens("NATO’s 32 allies, U.S.-led") == ["nato", "32", "allies", "u", "s", "led"]


@pytest.mark.parametrize(
    ("question", "message"),
    [("", "empty"), ("   \n", "empty"), ("?" * 5, "no words"), ("x" * 1001, "limit is 1000"),
     ("Кто предложил отложить членство?", "not in English")],
)  # fmt: skip
def test_bad_questions_are_rejected_with_reason(question, message):
    with pytest.raises(BadQuestion, match=message):
        validate(question, 1000)


def test_a_good_question_comes_back_stripped():
    assert validate("  Who proposed it?\n", 1000) == "Who proposed it?"
    assert validate("x" * 10 + " y", 12) == "xxxxxxxxxx y"
