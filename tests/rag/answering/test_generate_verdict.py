"""The generated answer follows the verification's verdict: real seed index, real reader, the model's text given.

The LLM's part (writing) is exercised against a real llama.cpp server in tests/generative; here the text it
wrote in the measured failure is handed to :meth:`GenerativeAnswerer.finish`, the step that decides what is shown.
"""

import pytest

from rag.answering.generative import GenerativeAnswerer
from rag.pipeline import Pipeline
from rag.settings import Settings

pytestmark = pytest.mark.slow

QUESTION = "Who proposed delaying NATO membership?"
SWAPPED = ("Michael Carpenter, special assistant to Biden and senior director for Europe at the National Security "
           "Council, proposed delaying NATO membership. [1]")  # fmt: skip


@pytest.fixture(scope="module")
def setup(seed_home):
    pipeline = Pipeline(Settings(home=seed_home))
    settings = pipeline.settings
    answerer = GenerativeAnswerer(settings, pipeline.scorer, pipeline.abstain_below, pipeline.reader.read_pairs)
    return pipeline, answerer


def test_a_contradicted_answer_falls_back_to_the_extractive_one_with_a_note(setup):
    pipeline, answerer = setup
    answer = answerer.finish(pipeline.prepare(QUESTION, rerank=True), SWAPPED)
    assert answer.mode == "generative" and not answer.abstained
    assert answer.short_answer and answer.short_answer.endswith("Keith Kellogg")
    assert "Carpenter" not in answer.answer  # the contradicted sentence is never shown as the answer
    assert answer.note and "disagreed with its sources" in answer.note and "Kellogg" in answer.note
    [statement] = answer.statements
    assert statement.verdict == "contradicted" and not statement.supported and statement.citations == []
    assert statement.evidence_says and "Kellogg" in statement.evidence_says


def test_the_right_answer_in_other_words_is_supported_and_shown(setup):
    pipeline, answerer = setup
    text = "Keith Kellogg wants to delay when Ukraine joins NATO, according to his proposal. [1]"
    answer = answerer.finish(pipeline.prepare(QUESTION, rerank=True), text)
    assert not answer.abstained and answer.note is None
    [statement] = answer.statements
    assert statement.verdict == "supported" and statement.supported
    assert "Keith Kellogg" in answer.citations[statement.citations[0] - 1].quote
    assert answer.answer.startswith("Keith Kellogg wants to delay")


def test_an_answer_that_leaves_out_what_the_evidence_answers_is_not_supported(setup):
    """No name is swapped, so nothing is contradicted; but the statement answers the question with a reason the
    passage does not give, so it is not supported either, and the passage's own answer is shown."""
    pipeline, answerer = setup
    question = "Why has Kellogg proposed putting off NATO membership for Ukraine?"
    written = ("Kellogg proposed putting off NATO membership for Ukraine because he believes the incoming Trump "
               "administration will leave it up to them. [1]")  # fmt: skip
    answer = answerer.finish(pipeline.prepare(question, rerank=True), written)
    [statement] = answer.statements
    assert statement.verdict == "unsupported" and not statement.supported
    assert statement.evidence_says and "peace talks" in statement.evidence_says
    assert answer.note and "peace talks" in answer.answer and "leave it up to them" not in answer.answer
