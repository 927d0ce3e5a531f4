"""rag.question: what a question may be, and the content words lexical support compares."""

import pytest

from rag.errors import BadQuestion
from rag.followup.history import check_history
from rag.question import clean, content_stems, tokens, validate


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


@pytest.mark.parametrize(
    ("typed", "seen"),
    [("Who\x00 proposed it?", "Who proposed it?"),  # NUL
     ("Who proposed \u202eti?", "Who proposed ti?"),  # right-to-left override
     ("\u2066Who\u2069 \u200fproposed\u200e it\u061c?\u202a\u202c", "Who proposed it?"),  # isolates, marks
     ("Who met Zelenskyy in Re\u0301nes?", "Who met Zelenskyy in R\u00e9nes?"),  # combining accent -> NFC
     ("Who\tproposed\n\n it?\r\n", "Who proposed it?"),  # whitespace runs: one space
     ("Who\u00a0proposed\u2003 it?", "Who proposed it?"),  # Unicode spaces too
     ("\x1b[31mWho\x7f proposed it?", "[31mWho proposed it?")],  # ESC and DEL go; what they escaped stays
)  # fmt: skip
def test_clean_normalises_what_was_typed(typed, seen):
    assert clean(typed) == seen
    assert validate(typed, 1000) == seen
    assert clean(seen) == seen


def test_combining_sequences_are_composed():
    assert clean("Cafe\u0301 owner") == "Caf\u00e9 owner"
    assert clean("\u212b") == "\u00c5"  # the Angstrom sign is NFC's A with ring; compatibility forms stay (not NFKC)
    assert clean("\ufb01le") == "\ufb01le"


@pytest.mark.parametrize("typed", ["\x00", "\x00\x01\x02", "\u202e\u202c", "\t\x00\n\u200f "])
def test_only_control_characters_is_an_empty_question(typed):
    with pytest.raises(BadQuestion, match="the question is empty"):
        validate(typed, 1000)


def test_the_limit_counts_what_is_left_after_cleaning():
    assert validate("Who\x00\x00\x00  proposed  it?", 16) == "Who proposed it?"


def test_history_turns_are_cleaned_like_questions():
    turns = check_history([{"question": "Who\x00 proposed \u202eit?", "answer": "Keith\t\u202eKellogg\n"}], 1000)
    assert (turns[0].question, turns[0].answer) == ("Who proposed it?", "Keith Kellogg")
    with pytest.raises(BadQuestion, match="history turn 1: the question is missing or empty"):
        check_history([{"question": "\x00\u202e", "answer": "Kellogg"}], 1000)
