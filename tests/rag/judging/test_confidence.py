"""rag.judging.confidence and rag.judging.answer_types: the signals of a reading, the calibrated probability, the
abstention reason (hand-built readings and a small linear model; the fitted model file is checked for shape)."""

import json
import time

import pytest

from rag.answering.extractive import compose
from rag.evidence import Evidence
from rag.judging.answer_types import fits, wanted
from rag.judging.confidence import FEATURES, MODEL_FILE, Calibrator, Judge, Signals, load_calibrator
from rag.judging.grounding import Grounding, Term
from rag.reading.reader import ReadSpan
from rag.types import Passage

KELLOGG = "Retired Lt. Gen. Keith Kellogg has proposed putting off NATO membership for Ukraine."
CARPENTER = "Michael Carpenter said the decision is up to the incoming administration."
TEXTS = {"kellogg": KELLOGG, "carpenter": CARPENTER}
# P(right) falls by a lot for a missing name, a little for each missing-word share; answerability counts too
MODEL = Calibrator(
    coefficients=(1.0, -4.0, 0.0, -2.0, -1.0, 0.5, -1.0, 0.0, 0.0, 0.0, 0.0), intercept=0.0,
    means=(0.0,) * len(FEATURES), scales=(1.0,) * len(FEATURES), abstain_below=0.5, name="test",
)  # fmt: skip


def reading(article_id: str, span: str, answerable: float) -> ReadSpan:
    text = TEXTS[article_id]
    passage = Passage(chunk_id=f"{article_id}-0", article_id=article_id, text=text, start=0, end=len(text),
                      title=article_id.title())  # fmt: skip
    start = text.index(span)
    return ReadSpan(passage, span, start, start + len(span), span_score=5.0, answerable=answerable)


def judge(doc_freq=lambda stem: (1, 100)) -> Judge:
    return Judge(MODEL, TEXTS.get, doc_freq)


def test_a_missing_name_lowers_the_confidence():
    grounded = Signals(0.9)
    ungrounded = Signals(0.9, Grounding((Term("Lebedev", "name"),), (Term("Lebedev", "name"),)))
    assert MODEL.probability(ungrounded) < 0.2 < 0.8 < MODEL.probability(grounded)


def test_the_reader_calibrator_is_the_answerability():
    assert Calibrator().probability(Signals(0.73)) == 0.73


def test_the_reading_whose_article_names_the_question_s_person_leads():
    readings = [reading("carpenter", "Michael Carpenter", 0.95), reading("kellogg", "Keith Kellogg", 0.90)]
    judged = judge().judge("What did Keith Kellogg propose?", readings)
    assert [j.reading.passage.article_id for j in judged] == ["kellogg", "carpenter"]
    assert [t.text for t in judged[1].signals.grounding.missing_of("name")] == ["Keith Kellogg"]


def test_agreement_counts_other_passages_with_the_same_answer():
    other = reading("kellogg", "Keith Kellogg", 0.9)
    readings = [reading("kellogg", "Keith Kellogg", 0.9), reading("carpenter", "Michael Carpenter", 0.9), other]
    agreement = {(j.reading.text, j.reading is other): j.signals.agreement
                 for j in judge().judge("Who proposed a delay?", readings)}  # fmt: skip
    assert agreement == {("Keith Kellogg", False): 1, ("Michael Carpenter", False): 0, ("Keith Kellogg", True): 1}


def test_the_span_s_own_sentence_probability_and_length_are_signals():
    text = f"{KELLOGG} {CARPENTER}"
    TEXTS["both"] = text
    passage = Passage(chunk_id="both-0", article_id="both", text=text, start=0, end=len(text), title="Both")
    try:
        spans = [ReadSpan(passage, name, text.index(name), text.index(name) + len(name), span_score=5.0,
                          answerable=0.9, span_probability=p)
                 for name, p in (("Keith Kellogg", 0.8), ("Michael Carpenter", 0.3))]  # fmt: skip
        judged = {j.reading.text: j.signals for j in judge().judge("Who proposed putting off NATO membership?", spans)}
    finally:
        del TEXTS["both"]
    kellogg, carpenter = judged["Keith Kellogg"], judged["Michael Carpenter"]
    assert kellogg.sentence_missing_share == 0.0 < carpenter.sentence_missing_share  # its sentence is about a decision
    assert kellogg.grounding.missing_share == carpenter.grounding.missing_share  # one article: the same words
    assert (kellogg.span_probability, kellogg.span_words) == (0.8, 2)


def test_the_reader_s_span_probability_is_its_share_of_the_passage_s_spans():
    import numpy as np

    from rag.reading.decode import best_token_span

    context = np.array([False, True, True, True])
    peaked = best_token_span(np.array([0.0, 9.0, 0.0, 0.0]), np.array([0.0, 9.0, 0.0, 0.0]), context)
    flat = best_token_span(np.zeros(4), np.zeros(4), context)
    assert (peaked.start_token, peaked.end_token) == (1, 1) and peaked.probability > 0.99
    assert flat.probability == pytest.approx(1 / 9)  # three starts times three ends, all alike


def test_a_name_no_chunk_holds_is_unknown_and_the_abstention_says_so():
    no_lebedev = judge(lambda stem: (0, 100) if stem in ("platon", "lebedev") else (3, 100))
    readings = [reading("kellogg", "Keith Kellogg", 0.9)]
    [first] = no_lebedev.judge("What did Platon Lebedev propose?", readings)
    evidence = Evidence("What did Platon Lebedev propose?", [readings[0].passage], readings, {}, time.perf_counter(),
                        confidence=first.confidence, grounding=first.signals.grounding,
                        unknown=tuple(no_lebedev.unknown_names(first.signals.grounding)))  # fmt: skip
    answer = compose(evidence, MODEL.abstain_below)
    assert answer.abstained
    assert answer.abstain_reason == "no indexed article mentions \u201cPlaton Lebedev\u201d"


def test_a_name_the_index_holds_elsewhere_is_blamed_on_the_closest_article():
    elsewhere = judge(lambda stem: (2, 100))
    readings = [reading("kellogg", "Keith Kellogg", 0.9)]
    [first] = elsewhere.judge("What did Platon Lebedev propose?", readings)
    evidence = Evidence("q", [readings[0].passage], readings, {}, time.perf_counter(), confidence=first.confidence,
                        grounding=first.signals.grounding, unknown=())  # fmt: skip
    reason = compose(evidence, 0.5).abstain_reason
    assert reason == "the closest article (\u201cKellogg\u201d) does not mention \u201cPlaton Lebedev\u201d"


def test_nothing_read_is_said_plainly():
    evidence = Evidence("q", [], [], {}, time.perf_counter(), filtered=True)
    assert compose(evidence, 0.5).abstain_reason == "no indexed passage matches the question within the filters"


def test_without_a_model_file_the_confidence_is_the_reader_s(tmp_path, monkeypatch):
    monkeypatch.setattr("rag.judging.confidence.MODEL_FILE", tmp_path / "absent.json")
    assert load_calibrator("calibrated").name == "reader"
    assert load_calibrator("reader").coefficients == ()


def test_a_model_fitted_on_other_features_is_refused(tmp_path):
    doc = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    doc["features"] = doc["features"][:-1]
    (tmp_path / "old.json").write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ValueError, match="fitted on features"):
        Calibrator.load(tmp_path / "old.json")


def test_the_committed_model_fits_this_code():
    model = Calibrator.load()
    assert len(model.coefficients) == len(model.means) == len(model.scales) == len(FEATURES)
    assert 0 < model.abstain_below < 1


@pytest.mark.parametrize(
    ("question", "span", "ok"),
    [
        ("How old is Keith Kellogg?", "retired", False),
        ("How old is Keith Kellogg?", "80", True),
        ("When did Carpenter become senior director?", "National Security Council", False),
        ("When did Carpenter become senior director?", "last spring", True),
        ("In which year was the pact signed?", "1949", True),
        ("Who proposed delaying NATO membership?", "Keith Kellogg", True),
        ("Who proposed delaying NATO membership?", "proposed", False),
        ("What did Kellogg propose?", "putting off NATO membership", True),
    ],
)
def test_answer_shapes(question, span, ok):
    assert fits(wanted(question), span) is ok

