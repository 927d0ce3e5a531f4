"""Pure parts of answering: question typing, validation, sentence splitting."""

import pytest

from rag.errors import BadQuestion
from rag.question import DATE, NUMBER, OTHER, PERSON, PLACE, REASON, analyse, validate
from rag.sentences import split_sentences


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Who proposed delaying NATO membership?", PERSON),
        ("Which retired general wants Ukraine's alliance membership put off?", PERSON),
        ("How many members does the alliance have?", NUMBER),
        ("When did the rebels take the capital?", DATE),
        ("Where did Carpenter speak?", PLACE),
        ("In which country did the offensive happen?", PLACE),
        ("Why does Carpenter favour membership?", REASON),
        ("What did Zelensky call for?", OTHER),
    ],
)
def test_answer_type(question, kind):
    assert analyse(question).kind == kind


def test_terms_drop_stopwords_and_possessives():
    assert analyse("Who proposed delaying Ukraine's NATO membership?").terms == (
        "proposed", "delaying", "ukraine", "nato", "membership",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("question", "message"),
    [("", "empty"), ("   \n", "empty"), ("?" * 5, "no words"), ("x" * 1001, "limit is 1000"),
     ("Кто предложил отложить членство?", "not in English")],
)  # fmt: skip
def test_bad_questions_are_rejected_with_reason(question, message):
    with pytest.raises(BadQuestion, match=message):
        validate(question, 1000)


def test_sentences_keep_titles_and_initials_together():
    text = "Retired Lt. Gen. Keith Kellogg spoke. The U.S. Army agreed at 5 p.m. on Monday. J. Smith left!\nNew line"
    sentences = [text[s:e] for s, e in split_sentences(text)]
    assert sentences == [
        "Retired Lt. Gen. Keith Kellogg spoke.", "The U.S. Army agreed at 5 p.m. on Monday.", "J. Smith left!",
        "New line",
    ]  # fmt: skip


def test_sentence_offsets_are_exact():
    text = "  “Quoted,” he said. Then more.  Last one? Yes."
    for start, end in split_sentences(text, offset=10):
        assert (" " * 10 + text)[start:end].strip() == (" " * 10 + text)[start:end]
