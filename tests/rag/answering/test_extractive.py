"""rag.answering.extractive: the extractive answer composed from hand-built passages and reader spans (no models)."""

import time
from datetime import date

import pytest

from rag.answering.extractive import MAX_CITATIONS, RELATED, compose, quote_of
from rag.evidence import Evidence
from rag.limits import ABSTAIN_MESSAGE
from rag.question import normalize_answer, same_answer
from rag.reading.reader import ReadSpan
from rag.sentences import split_sentences
from rag.types import Passage

HARBOUR = (
    "The harbour of Port Elm reopened on Monday. Mayor Ana Duarte said the repairs cost 4.2 million euros. "
    "Fishing crews returned to the docks before dawn. The sea wall was rebuilt by Duarte's engineers."
)
BRIDGE = "The bridge in Lindholm opened. Engineer Tomas Berg designed it. Mayor Ana Duarte cut the ribbon."
PROFILE = "Ana Duarte was born in Porto. Ana Duarte studied law. Ana Duarte became mayor. Ana Duarte plans more."
TEXTS = {"harbour": HARBOUR, "bridge": BRIDGE, "profile": PROFILE}
THRESHOLD = 0.9


def passage(article_id: str, start: int, end: int, chunk: str = "") -> Passage:
    text = TEXTS[article_id]
    return Passage(
        chunk_id=chunk or f"{article_id}-{start}", article_id=article_id, text=text[start:end], start=start, end=end,
        title=article_id.title(), source="Gazette", author=f"Author of {article_id}", published=date(2024, 3, 4),
        article_hash=f"hash-{article_id}", url=f"https://example.org/{article_id}",
    )  # fmt: skip


def span(p: Passage, answer: str, answerable: float, occurrence: int = 0) -> ReadSpan:
    """The reader's span ``answer`` in passage ``p`` (its ``occurrence``-th appearance), in article offsets."""
    at = -1
    for _ in range(occurrence + 1):
        at = p.text.index(answer, at + 1)
    start = p.start + at
    return ReadSpan(p, answer, start, start + len(answer), span_score=5.0, answerable=answerable)


def evidence(*readings: ReadSpan, question: str = "Who said the repairs cost 4.2 million euros?") -> Evidence:
    context = list({r.passage.chunk_id: r.passage for r in readings}.values())
    confidence = readings[0].answerable if readings else 0.0
    return Evidence(question, context, list(readings), {}, time.perf_counter(), confidence=confidence)


WHOLE = passage("harbour", 0, len(HARBOUR))
TAIL = passage("harbour", 44, len(HARBOUR))  # starts at "Mayor": overlaps WHOLE
BRIDGE_P = passage("bridge", 0, len(BRIDGE))
MAYOR_QUOTE = "Mayor Ana Duarte said the repairs cost 4.2 million euros."


def test_confident_answer_is_the_span_and_its_sentence():
    answer = compose(evidence(span(TAIL, "Ana Duarte", 0.98)), THRESHOLD)
    assert not answer.abstained
    assert answer.short_answer == "Ana Duarte"
    assert answer.confidence == 0.98
    assert answer.answer == f"{MAYOR_QUOTE} [1]"
    [cited] = answer.citations
    assert cited.quote == MAYOR_QUOTE
    assert HARBOUR[cited.start : cited.end] == cited.quote
    assert (cited.start, cited.end) == (44, 44 + len(MAYOR_QUOTE))
    assert answer.related == []


def test_citation_carries_the_passage_metadata():
    [cited] = compose(evidence(span(TAIL, "Ana Duarte", 0.98)), THRESHOLD).citations
    assert cited.n == 1
    assert (cited.article_id, cited.chunk_id, cited.passage) == ("harbour", TAIL.chunk_id, TAIL.text)
    assert (cited.author, cited.article_hash) == ("Author of harbour", "hash-harbour")
    assert (cited.title, cited.source, cited.published, cited.url) == (
        "Harbour", "Gazette", date(2024, 3, 4), "https://example.org/harbour",
    )  # fmt: skip
    assert cited.score == 0.98


def test_below_threshold_abstains_with_related_passages():
    readings = [span(TAIL, "Ana Duarte", 0.6), span(BRIDGE_P, "Tomas Berg", 0.3)]
    answer = compose(evidence(*readings), THRESHOLD)
    assert answer.abstained
    assert answer.answer == ABSTAIN_MESSAGE
    assert answer.short_answer is None
    assert answer.citations == []
    assert answer.confidence == pytest.approx(0.4)
    assert [r.quote for r in answer.related] == [MAYOR_QUOTE, "Engineer Tomas Berg designed it."]
    assert [r.n for r in answer.related] == [1, 2]
    for related in answer.related:
        assert TEXTS[related.article_id][related.start : related.end] == related.quote


def test_exactly_at_threshold_answers():
    assert not compose(evidence(span(TAIL, "Ana Duarte", THRESHOLD)), THRESHOLD).abstained


def test_related_passages_are_capped_and_one_per_chunk():
    readings = [span(passage("harbour", 0, len(HARBOUR), chunk=f"c{i}"), "Port Elm", 0.1) for i in range(RELATED + 2)]
    readings.insert(1, span(passage("harbour", 0, len(HARBOUR), chunk="c0"), "Monday", 0.1))
    related = compose(evidence(*readings), THRESHOLD).related
    assert [r.chunk_id for r in related] == [f"c{i}" for i in range(RELATED)]


def test_no_readings_abstains_with_nothing_related():
    answer = compose(evidence(), THRESHOLD)
    assert answer.abstained and answer.answer == ABSTAIN_MESSAGE
    assert answer.related == [] and answer.confidence == 1.0


def test_other_readings_of_the_same_answer_are_cited_too():
    readings = [
        span(TAIL, "Ana Duarte", 0.98),
        span(BRIDGE_P, "Ana Duarte", 0.95),  # same answer, another article: cited
        span(passage("harbour", 100, len(HARBOUR)), "Duarte", 0.97),  # a different answer: not cited
    ]
    answer = compose(evidence(*readings), THRESHOLD)
    assert answer.short_answer == "Ana Duarte"
    assert [c.article_id for c in answer.citations] == ["harbour", "bridge"]
    assert answer.citations[1].quote == "Mayor Ana Duarte cut the ribbon."
    assert BRIDGE[answer.citations[1].start : answer.citations[1].end] == answer.citations[1].quote
    assert answer.answer == f"{MAYOR_QUOTE} [1] Mayor Ana Duarte cut the ribbon. [2]"


def test_same_answer_below_threshold_is_not_cited():
    readings = [span(TAIL, "Ana Duarte", 0.98), span(BRIDGE_P, "Ana Duarte", 0.5)]
    assert [c.article_id for c in compose(evidence(*readings), THRESHOLD).citations] == ["harbour"]


def test_same_answer_by_normalisation_is_cited():
    readings = [span(TAIL, "Ana Duarte", 0.98), span(BRIDGE_P, "Ana Duarte", 0.95)]
    readings[1] = ReadSpan(BRIDGE_P, "the ana duarte.", readings[1].start, readings[1].end, 5.0, 0.95)
    assert len(compose(evidence(*readings), THRESHOLD).citations) == 2


def test_citations_are_capped():
    p = passage("profile", 0, len(PROFILE))
    readings = [span(p, "Ana Duarte", 0.99 - i / 100, occurrence=i) for i in range(MAX_CITATIONS + 1)]
    cited = compose(evidence(*readings), THRESHOLD).citations
    assert len(cited) == MAX_CITATIONS
    assert [c.quote for c in cited] == [PROFILE[s:e] for s, e in split_sentences(PROFILE)][:MAX_CITATIONS]
    assert [c.n for c in cited] == list(range(1, MAX_CITATIONS + 1))


def test_the_same_sentence_in_overlapping_chunks_is_cited_once():
    readings = [span(TAIL, "Ana Duarte", 0.98), span(WHOLE, "Ana Duarte", 0.97)]
    answer = compose(evidence(*readings), THRESHOLD)
    assert len(answer.citations) == 1
    assert answer.citations[0].quote == MAYOR_QUOTE


def test_a_sentence_cited_twice_keeps_the_best_readings_chunk_and_score():
    readings = [span(TAIL, "Ana Duarte", 0.98), span(WHOLE, "Ana Duarte", 0.97)]
    [cited] = compose(evidence(*readings), THRESHOLD).citations
    assert (cited.chunk_id, cited.passage, cited.score) == (TAIL.chunk_id, TAIL.text, 0.98)


def test_quote_of_a_span_crossing_sentences_covers_both():
    start = HARBOUR.index("Monday")
    end = HARBOUR.index("Duarte") + len("Duarte")
    reading = ReadSpan(WHOLE, HARBOUR[start:end], start, end, 1.0, 0.99)
    quote = quote_of(reading)
    assert quote.text == "The harbour of Port Elm reopened on Monday. " + MAYOR_QUOTE
    assert HARBOUR[quote.start : quote.end] == quote.text
    assert quote.score == 0.99


def test_quote_offsets_are_article_offsets_when_the_passage_starts_late():
    late = passage("harbour", HARBOUR.index("Fishing"), len(HARBOUR))
    quote = quote_of(span(late, "engineers", 0.99))
    assert quote.text == "The sea wall was rebuilt by Duarte's engineers."
    assert HARBOUR[quote.start : quote.end] == quote.text


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("The Eiffel Tower!", "eiffel tower"),
        ("  an   apple ", "apple"),
        ("A.B.C.", "abc"),
        ("Ukraine’s army", "ukraines army"),
        ("4.2 million", "42 million"),
        ("Theatre", "theatre"),  # "the" inside a word stays
        ("“Quoted” – text", "quoted text"),
        ("the", ""),
    ],
)
def test_normalize_answer(text, normal):
    assert normalize_answer(text) == normal


def test_same_answer():
    assert same_answer("Ana Duarte", "ana duarte.")
    assert same_answer("The Eiffel Tower", "Eiffel Tower")
    assert same_answer("Ukraine’s", "Ukraine's")
    assert not same_answer("Ana Duarte", "Duarte")
    assert not same_answer("", "")
    assert not same_answer("the", "a")  # nothing left after normalising is never an answer
