"""The claim check with the real trained reader and spaCy: a swapped name is contradicted, a variant is not."""

import json

import pytest

from rag import seeds_folder
from rag.answering.claim_check import ClaimChecker, answers_question, around, cloze, mentions, same_thing, slots
from rag.pipeline import packaged_embedding_model
from rag.reading.reader import load_reader
from rag.retrieval.support import sentences_of
from rag.settings import Settings
from rag.types import Passage

QUESTION = "Who proposed delaying NATO membership?"


def test_same_thing_knows_surnames_numbers_and_containment():
    assert same_thing("Kellogg", "retired Lt. Gen. Keith Kellogg")
    assert same_thing("4,200 acres", "4200")
    assert not same_thing("Michael Carpenter", "Keith Kellogg")
    assert not same_thing("4,200 acres", "15,300 acres")
    assert mentions("Keith Kellogg has proposed it.", "Kellogg")
    assert not mentions("Keith Smith has proposed it.", "Keith Kellogg")  # a first name alone is not the person


def test_a_statement_answers_the_question_when_it_holds_most_of_its_words():
    assert answers_question("Michael Carpenter proposed delaying NATO membership.", QUESTION)
    assert not answers_question("Keith Kellogg is a retired general.", QUESTION)


@pytest.mark.slow
def test_statements_become_questions_about_each_name_number_and_date():
    statement = "Michael Carpenter proposed delaying NATO membership in March."
    found = {s.text: s.kind for s in slots(statement)}
    assert found["Michael Carpenter"] == "name" and found["March"] == "time"
    by_text = {s.text: s for s in slots(statement)}
    assert cloze(statement, by_text["Michael Carpenter"]) == "Who proposed delaying NATO membership in March?"
    assert cloze(statement, by_text["March"]) == "Michael Carpenter proposed delaying NATO membership when?"
    trump = next(s for s in slots("Trump's envoy proposed it.") if s.text == "Trump")
    assert cloze("Trump's envoy proposed it.", trump) == "Whose envoy proposed it?"


@pytest.fixture(scope="module")
def reader():
    settings = Settings()
    return load_reader(packaged_embedding_model(), str(settings.model_cache), settings.reader_backend)


@pytest.fixture(scope="module")
def seed_passages() -> dict[str, Passage]:
    """The seed article's passages around its Kellogg and Carpenter sentences."""
    text = json.loads(next(seeds_folder().glob("*.json")).read_text(encoding="utf-8"))["text"]

    def passage(marker: str) -> Passage:
        at = text.index(marker)
        lo, hi = text.rfind("\n", 0, at) + 1, text.index("\n", at)
        return Passage(chunk_id=marker, article_id="seed", text=text[lo:hi], start=lo, end=hi, title="NATO")

    return {"kellogg": passage("retired Lt. Gen. Keith Kellogg"), "carpenter": passage("But Michael Carpenter")}


def verdicts(reader, seed_passages, statement: str, cited: str, answer=True) -> list[tuple[str, str]]:
    checker = ClaimChecker(reader.read_pairs, 0.5)
    kellogg = seed_passages["kellogg"]
    said = reader.read(QUESTION, [kellogg])[0] if answer else None
    sentence = sentences_of(seed_passages[cited])[0]
    return [(f.verdict, f.claimed) for f in checker.check(QUESTION, said, [(statement, [sentence])])[0]]


@pytest.mark.slow
def test_a_swapped_subject_is_contradicted(reader, seed_passages):
    """The statement borrows the words of Carpenter's sentence but names him for what Kellogg proposed."""
    found = verdicts(reader, seed_passages, "Michael Carpenter, special assistant to Biden, proposed delaying NATO "
                     "membership.", "carpenter")  # fmt: skip
    assert ("contradicted", "Michael Carpenter") in found


@pytest.mark.slow
def test_the_right_name_and_its_surname_are_confirmed_never_contradicted(reader, seed_passages):
    right = "Keith Kellogg proposed delaying NATO membership."
    surname = "Kellogg, Trump's pick for special envoy, proposed putting off NATO membership for Ukraine."
    for statement in (right, surname):
        found = verdicts(reader, seed_passages, statement, "kellogg")
        assert found and all(v == "confirmed" for v, _ in found), found


@pytest.mark.slow
def test_a_swap_is_caught_by_the_statements_own_question_without_the_users(reader, seed_passages):
    found = verdicts(reader, seed_passages, "Vladimir Putin proposed putting off NATO membership for Ukraine.",
                     "kellogg", answer=False)  # fmt: skip
    assert ("contradicted", "Vladimir Putin") in found


@pytest.mark.slow
def test_a_name_the_evidence_sentence_also_names_is_context_not_a_swap(reader, seed_passages):
    """Trump is in the Kellogg sentence: "Trump's envoy proposed ..." is a fair way to say it."""
    found = verdicts(reader, seed_passages, "Trump's envoy proposed delaying NATO membership for Ukraine.", "kellogg")
    assert not any(v == "contradicted" for v, _ in found), found


def test_around_keeps_the_sentence_and_its_neighbours_with_article_offsets():
    text = "One. Two is here. Three. Four."
    passage = Passage(chunk_id="c", article_id="a", text=text, start=50, end=50 + len(text))
    two = sentences_of(passage)[1]
    window = around(two)
    assert window.text == "One. Two is here. Three."
    assert window.start == 50 and window.text in text
