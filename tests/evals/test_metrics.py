"""Each metric on small hand-made answers and rankings (real rag.types objects, no pipeline)."""

import pytest

from evals import metrics as m
from evals.dataset import EvalItem
from rag.types import Answer, Citation, Passage

KELLOGG = EvalItem("q1", "Who proposed delaying NATO membership?", ["Keith Kellogg", "Kellogg"], "art-1",
                   "Keith Kellogg has proposed putting off NATO membership.")  # fmt: skip
QUOTE_ONLY = EvalItem("q2", "What did he say?", [], "art-1", "They will need to figure out how to make this work.")
UNANSWERABLE = EvalItem("q3", "What is the capital of Australia?", [], None, None, unanswerable=True)


def passage(n: int, text: str, article_id: str = "art-1") -> Passage:
    return Passage(chunk_id=f"c{n}", article_id=article_id, text=text, start=0, end=len(text))


def cite(quote: str, n: int = 1) -> Citation:
    return Citation(n=n, article_id="art-1", title=None, chunk_id="c1", passage=quote, quote=quote, start=0,
                    end=len(quote), score=0.9)  # fmt: skip


def answer(short: str | None, text: str = "", citations=(), abstained: bool = False, **timings) -> Answer:
    return Answer(question="q", answer=text, short_answer=short, abstained=abstained, confidence=0.5,
                  citations=list(citations), timings_ms=timings)  # fmt: skip


def test_normalize_answer_is_squad_normalisation():
    assert m.normalize_answer("The  Denver Broncos!") == "denver broncos"
    assert m.normalize_answer("an apple, a pear") == "apple pear"
    assert m.normalize_answer("Ukraine’s “victory plan”") == m.normalize_answer('Ukraine\'s "victory plan"')
    assert m.normalize_answer("theatre") == "theatre"  # articles only as whole words


def test_exact_match_and_f1_scores():
    assert m.exact_match_score("the Keith Kellogg.", ["Keith Kellogg"]) == 1.0
    assert m.exact_match_score("Kellogg said", ["Keith Kellogg", "Kellogg"]) == 0.0
    assert m.exact_match_score(None, ["Kellogg"]) == 0.0
    # "lt gen keith kellogg" vs "keith kellogg": precision 2/4, recall 2/2 -> F1 2/3
    assert m.f1_score("Lt. Gen. Keith Kellogg", ["Keith Kellogg"]) == pytest.approx(2 / 3)
    assert m.f1_score("Lt. Gen. Keith Kellogg", ["Zelensky", "Keith Kellogg"]) == pytest.approx(2 / 3)
    assert m.f1_score("Zelensky", ["Keith Kellogg"]) == 0.0
    assert m.f1_score(None, ["Keith Kellogg"]) == 0.0


def test_exact_match_and_f1_over_items():
    items = [KELLOGG, KELLOGG, KELLOGG, UNANSWERABLE]
    answers = [answer("Kellogg"), answer("Lt. Gen. Keith Kellogg"), answer(None), answer(None, abstained=True)]
    assert m.exact_match(items, answers) == (pytest.approx(1 / 3, abs=1e-4), [1.0, 0.0, 0.0, None])
    f1, per = m.token_f1(items, answers)
    assert per == [1.0, pytest.approx(0.6667), 0.0, None]
    assert f1 == pytest.approx((1 + 2 / 3) / 3, abs=1e-4)


def test_abstained_or_refused_scores_zero():
    assert m.exact_match([KELLOGG, KELLOGG], [answer("Kellogg", abstained=True), None]) == (0.0, [0.0, 0.0])


def test_hit_at_k_and_mrr():
    relevant = passage(1, "Retired Lt. Gen. KEITH KELLOGG has proposed ...")
    other_article = passage(2, "Keith Kellogg was also mentioned here.", article_id="art-2")
    off_topic = passage(3, "Zelensky called for an invitation.")
    rankings = [[relevant, off_topic], [off_topic, other_article, relevant], [off_topic, other_article], []]
    items = [KELLOGG, KELLOGG, KELLOGG, KELLOGG]
    assert m.hit_at_k(items, rankings, 1) == (0.25, [1.0, 0.0, 0.0, 0.0])
    assert m.hit_at_k(items, rankings, 3) == (0.5, [1.0, 1.0, 0.0, 0.0])
    assert m.mrr(items, rankings) == (pytest.approx((1 + 1 / 3) / 4, abs=1e-4), [1.0, 0.3333, 0.0, 0.0])


def test_retrieval_metrics_skip_questions_without_gold():
    ranking = [passage(1, "Canberra is the capital.")]
    assert m.hit_at_k([UNANSWERABLE], [ranking], 5) == (None, [None])
    assert m.mrr([UNANSWERABLE], [ranking]) == (None, [None])


def test_evidence_quote_counts_when_there_are_no_answers():
    holds = passage(1, "Carpenter said: they will need to FIGURE OUT how to make this work.  Then he left.")
    assert m.hit_at_k([QUOTE_ONLY], [[passage(2, "Nothing here."), holds]], 2) == (1.0, [1.0])
    assert m.mrr([QUOTE_ONLY], [[passage(2, "Nothing here."), holds]]) == (0.5, [0.5])


def test_answer_containment_on_word_boundaries():
    number = EvalItem("n", "How many members?", ["32"], "art-1")
    items = [KELLOGG, KELLOGG, number, number]
    answers = [
        answer("x", "The envoy, Keith Kellogg, proposed it. [1]"),
        answer(None, "The articles don't say.", abstained=True),
        answer("x", "NATO has 32 members [1]"),
        answer("x", "NATO has 320 members [1]"),
    ]
    assert m.answer_containment(items, answers) == (0.5, [1.0, 0.0, 1.0, 0.0])


def test_citation_precision():
    good = cite("Retired Lt. Gen. Keith Kellogg has proposed putting off NATO membership.")
    unrelated = cite("Zelensky called for an immediate invitation.", n=2)
    evidence_part = cite("They will need to figure out how to make this work.")
    items = [KELLOGG, KELLOGG, QUOTE_ONLY, KELLOGG, UNANSWERABLE, KELLOGG]
    answers = [
        answer("Kellogg", "...", [good]),
        answer("Kellogg", "...", [good, unrelated]),
        answer(None, "...", [evidence_part]),
        answer(None, "The articles don't say.", abstained=True),  # not answered: not counted
        answer("Canberra", "...", [unrelated]),  # unanswerable: not counted
        answer("Kellogg", "...", []),  # answered without citations
    ]
    assert m.citation_precision(items, answers) == (0.625, [1.0, 0.5, 1.0, None, None, 0.0])


def test_abstention_precision_and_recall():
    items = [UNANSWERABLE, UNANSWERABLE, UNANSWERABLE, KELLOGG, KELLOGG]
    answers = [
        answer(None, abstained=True),
        None,  # refused by the pipeline: an abstention
        answer("Canberra", "Canberra."),
        answer(None, abstained=True),
        answer("Kellogg", "Kellogg."),
    ]
    # abstained on items 0, 1, 3: two of three were unanswerable; two of three unanswerable were caught
    assert m.abstention_precision(items, answers) == (0.6667, [1.0, 1.0, None, 0.0, None])
    assert m.abstention_recall(items, answers) == (0.6667, [1.0, 1.0, 0.0, None, None])


def test_abstention_precision_undefined_without_abstentions():
    assert m.abstention_precision([KELLOGG], [answer("Kellogg", "Kellogg.")]) == (None, [None])


def test_latency_percentiles():
    answers = [answer("x", retrieve=float(ms), total=2.0 * ms) for ms in range(1, 101)] + [None]
    (percentiles, per) = m.latency(answers, "retrieve")
    assert percentiles == {"p50": 50.5, "p95": 95.05}
    assert per[:3] == [1.0, 2.0, 3.0] and per[-1] is None
    assert m.latency(answers, "total")[0]["p50"] == 101.0
    assert m.latency([None], "total")[0] == {"p50": None, "p95": None}
    assert m.percentile([7.0], 95) == 7.0


def test_citation_offsets_point_at_the_quote():
    text = "Zelensky spoke first. Keith Kellogg proposed a delay."
    start = text.index("Keith")
    right = Citation(n=1, article_id="art-1", title=None, chunk_id="c1", passage=text, quote=text[start:],
                     start=start, end=len(text), score=0.9)  # fmt: skip
    shifted = right.model_copy(update={"n": 2, "start": start + 1, "end": len(text) + 1})
    unknown = right.model_copy(update={"article_id": "gone"})
    answers = [answer("x", "...", [right]), answer("x", "...", [right, shifted]), answer("x", "...", [unknown]),
               answer(None, "The articles don't say.", abstained=True), None]  # fmt: skip
    assert m.citation_offsets(answers, {"art-1": text}) == (0.5, [1.0, 0.5, 0.0, None, None])


def test_statement_verdicts_count_supported_wrong_and_false_contradictions():
    from rag.types import Statement

    def written(*statements, note=None):
        return Answer(question="q", mode="generative", answer="a", abstained=False, confidence=0.5, note=note,
                      statements=[Statement(text=t, supported=v == "supported", verdict=v, score=0.7)
                                  for t, v in statements])  # fmt: skip

    items = [EvalItem("a", "Who proposed it?", ["Keith Kellogg"]), EvalItem("b", "Who?", ["Ana Duarte"]),
             EvalItem("c", "Who else?", unanswerable=True), EvalItem("d", "Extractive?", ["x"])]  # fmt: skip
    answers = [
        written(("Michael Carpenter proposed it.", "supported"), ("Keith Kellogg was there.", "supported")),
        written(("Ana Duarte said so.", "contradicted"), ("The mayor spoke.", "unsupported"), note="replaced"),
        written(("Zelensky did.", "supported")),
        Answer(question="q", answer="x", abstained=False, confidence=0.9),
    ]
    counts = m.statement_verdicts(items, answers)
    assert counts["statements"] == 5 and counts["statements_supported"] == 3
    assert counts["statements_supported_wrong"] == 2  # Carpenter (the main statement, no gold) and Zelensky
    assert counts["statements_contradicted"] == 1 and counts["statements_contradicted_right"] == 1
    assert counts["statements_unsupported"] == 1 and counts["written_answer_replaced"] == 1
    assert m.statement_verdicts(items[3:], answers[3:])["statements"] is None  # nothing written: n/a, not 0


def test_the_calibration_floor_is_what_a_perfectly_calibrated_confidence_reads():
    few, many = [0.3, 0.6, 0.9] * 30, [0.3, 0.6, 0.9] * 300
    assert 0.04 < m.calibration_floor(few) < 0.15  # binned ECE reads high on ninety questions
    assert m.calibration_floor(many) < m.calibration_floor(few) / 2
    assert m.calibration_floor([]) is None


def test_bootstrap_intervals_hold_the_value_narrow_with_more_questions_and_draw_whole_articles():
    def share_right(values):
        return lambda drawn: sum(values[i] for i in drawn) / len(drawn)

    small = [1.0] * 6 + [0.0] * 4
    large = small * 20
    lo, hi = m.bootstrap_interval(share_right(small), [str(i) for i in range(10)])
    wide = hi - lo
    lo2, hi2 = m.bootstrap_interval(share_right(large), [str(i) for i in range(200)])
    assert lo <= 0.6 <= hi and lo2 <= 0.6 <= hi2 and hi2 - lo2 < wide / 3
    # two articles, one all right and one all wrong: drawn whole, half the draws are all right or all wrong
    lo3, hi3 = m.bootstrap_interval(share_right([1.0] * 5 + [0.0] * 5), ["a"] * 5 + ["b"] * 5)
    assert (lo3, hi3) == (0.0, 1.0)
    assert m.bootstrap_interval(lambda drawn: None, ["a", "b"]) is None
