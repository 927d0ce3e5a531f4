"""Answering end to end over a real index of the seed article plus small test articles, real models."""

from datetime import date

import pytest

from index.build import index_paths
from rag.errors import BadQuestion, IndexMissing
from rag.pipeline import Pipeline
from rag.retrieval.retriever import Filters
from rag.retrieval.store import Store
from rag.settings import Settings
from tests.conftest import SEEDS, write_articles, write_harbour_and_bridge, write_json_article

pytestmark = pytest.mark.slow

REFERENCE_QUOTE = (
    "President-elect Trump’s pick for special envoy for Ukraine and Russia, retired Lt. Gen. Keith Kellogg, "
    "has proposed putting off NATO membership for Ukraine as a carrot to bring Russia to peace talks."
)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    extra = tmp_path_factory.mktemp("extra")
    write_harbour_and_bridge(extra)
    settings = Settings(home=home)
    index_paths([SEEDS, extra], settings)
    return Pipeline(settings)


def names(short_answer: str | None, name: str) -> bool:
    """The short answer is ``name``, or ``name`` with a title or role before it ("Engineer Tomas Berg", "ferry
    captain, Ines Moreau"): the reader often keeps the appositive, which is still the right person."""
    return bool(short_answer) and short_answer.endswith(name) and len(short_answer.split()) <= len(name.split()) + 2


def by_article(answer, article_id):
    return [c for c in answer.citations if c.article_id == article_id]


def test_reference_question(pipeline):
    answer = pipeline.ask("Who proposed delaying NATO membership?")
    assert not answer.abstained
    assert answer.short_answer == "Keith Kellogg"
    assert answer.citations[0].quote == REFERENCE_QUOTE
    assert "[1]" in answer.answer
    assert set(answer.timings_ms) >= {"retrieve", "read", "answer", "total"}


def test_paraphrase_with_few_shared_words(pipeline):
    answer = pipeline.ask("Which retired general wants Ukraine's alliance membership put off?")
    assert answer.short_answer in ("Keith Kellogg", "retired Lt. Gen. Keith Kellogg")  # the seed set's gold answers
    assert answer.citations[0].quote == REFERENCE_QUOTE


@pytest.mark.parametrize("question", ["What is the capital of Australia?", "Who won the 1998 football World Cup?"])
def test_unrelated_question_abstains(pipeline, question):
    answer = pipeline.ask(question)
    assert answer.abstained and answer.citations == [] and answer.short_answer is None
    assert answer.related  # the closest passages are still offered, as related


def test_every_citation_offset_points_at_its_quote(pipeline):
    store = Store(pipeline.settings)
    for question in ["Who proposed delaying NATO membership?", "How much did the harbour repairs cost?",
                     "Who designed the bridge in Lindholm?", "Who is Michael Carpenter?"]:  # fmt: skip
        answer = pipeline.ask(question)
        assert answer.citations
        for c in answer.citations:
            text = store.get_article(c.article_id).text
            assert text[c.start : c.end] == c.quote
            assert c.quote in c.passage


def test_answers_from_small_articles(pipeline):
    assert names(pipeline.ask("Who designed the bridge in Lindholm?").short_answer, "Tomas Berg")
    assert pipeline.ask("How much did the harbour repairs cost?").short_answer.startswith("4.2 million")


def test_filters_apply_to_both_retrievers(pipeline):
    question = "Who designed the bridge repairs in Lindholm?"
    only_gazette = Filters(source="Coast Gazette")
    for mode in ("dense", "bm25", "hybrid"):
        passages = pipeline.retriever.retrieve(question, filters=only_gazette, mode=mode)
        assert passages and {p.source for p in passages} == {"Coast Gazette"}
    in_2023 = Filters(published_from=date(2023, 1, 1), published_to=date(2023, 12, 31))
    assert {p.article_id for p in pipeline.run(question, filters=in_2023).passages} == {"bridge"}
    assert "Tomas Berg" not in (pipeline.ask(question, filters=only_gazette).short_answer or "")


def test_bad_inputs_raise_typed_errors(pipeline, tmp_path):
    for bad in ["", "   ", "x" * 1001, "谁提议推迟北约成员资格？"]:
        with pytest.raises(BadQuestion):
            pipeline.ask(bad)
    with pytest.raises(BadQuestion, match="top_k"):
        pipeline.ask("Who?", top_k=0)
    with pytest.raises(IndexMissing, match="rag index"):
        Pipeline(Settings(home=tmp_path / "never-indexed"))


def test_new_articles_become_answerable_without_restart(pipeline, tmp_path):
    folder = write_articles(tmp_path / "late", {"ferry.txt": "The ferry captain, Ines Moreau, retired in May."})
    index_paths([folder], pipeline.settings)
    # ("Which captain retired in May?" gets "Lt. Gen. Keith Kellogg" from the second-stage reader: see the known
    # limits in docs/operations.md; the question here names the ferry, as the article does)
    answer = pipeline.ask("Which ferry captain retired in May?")
    assert names(answer.short_answer, "Ines Moreau")
    assert [c.article_id for c in answer.citations] == ["late/ferry.txt"]


def test_cli_ask_readable_and_json(pipeline, capsys, monkeypatch):
    import json

    from ui.cli import main

    monkeypatch.setenv("RAG_HOME", str(pipeline.settings.home))
    assert main(["ask", "Who proposed delaying NATO membership?"]) == 0
    out = capsys.readouterr().out
    assert "Short answer: Keith Kellogg" in out and "[1]" in out and "Sources" in out
    assert main(["ask", "Who proposed delaying NATO membership?", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["short_answer"] == "Keith Kellogg" and doc["citations"][0]["start"] >= 0
    assert main(["ask", "   "]) == 2
    assert "empty" in capsys.readouterr().err


@pytest.fixture(scope="module")
def two_towns(tmp_path_factory):
    home, folder = tmp_path_factory.mktemp("towns-home"), tmp_path_factory.mktemp("towns")
    for town, cost in (("Leeds", "4 million pounds"), ("Bristol", "9 million pounds")):
        write_json_article(folder / f"{town.lower()}.json", id=town.lower(),
                           title=f"{town} square reopens", text=f"The main square of {town} reopened on Monday "
                           f"after a year of works. The mayor said the works cost {cost}.")  # fmt: skip
    settings = Settings(home=home)
    index_paths([folder], settings)
    return Pipeline(settings)


@pytest.mark.parametrize(("cited", "cost"), [("leeds", "4 million pounds"), ("bristol", "9 million pounds")])
def test_a_follow_up_prefers_the_article_the_previous_turn_cited(two_towns, cited, cost):
    """Two articles answer "What did the mayor say the works cost?"; after a turn that cited one of them, the
    follow-up is answered from it (the client sends the cited ids back with the turn)."""
    history = [{"question": "When did the main square reopen?", "answer": "on Monday", "articles": [cited]}]
    answer = two_towns.ask("What did the mayor say the works cost?", history=history)
    assert answer.short_answer == cost and answer.citations[0].article_id == cited


def test_an_ellipsis_may_leave_the_article_the_previous_turn_cited(two_towns):
    """ "What about Bristol?" names what the follow-up is about now: the cited article gets no preference."""
    history = [{"question": "What did the mayor of Leeds say the works cost?", "answer": "4 million pounds",
                "articles": ["leeds"]}]  # fmt: skip
    answer = two_towns.ask("What about Bristol?", history=history)
    assert answer.standalone_question == "What did the mayor of Bristol say the works cost?"
    assert answer.short_answer == "9 million pounds" and answer.citations[0].article_id == "bristol"
