"""The extractive answer: the reader's span as the short answer, the sentence holding it as the cited quote.

Other passages whose best span is the same answer are cited too (up to :data:`MAX_CITATIONS`). When the
reader's answerability is under the threshold the answer is the abstention, with the closest passages offered
as related reading, not as evidence.
"""

from __future__ import annotations

from rag.evidence import Evidence
from rag.limits import ABSTAIN_MESSAGE, NO_MATCH, NO_MATCH_FILTERED, NOT_ANSWERED
from rag.question import same_answer
from rag.reading.reader import ReadSpan
from rag.retrieval.support import Sentence
from rag.sentences import split_sentences
from rag.types import Answer, Citation, EarlierReport, meta_of

MAX_CITATIONS = 3
MAX_EARLIER = 3  # older reports an answer about the present recalls
RELATED = 3
SUPPORTING = 0.8  # reader answerability at which another passage with the same answer is cited beside the best


def citation(n: int, quote: Sentence, score: float | None = None) -> Citation:
    """A citation of ``quote`` (scored by its own score unless ``score`` is given)."""
    p = quote.passage
    return Citation(
        n=n, article_id=p.article_id, **meta_of(p), article_hash=p.article_hash, chunk_id=p.chunk_id, passage=p.text,
        quote=quote.text,
        start=quote.start, end=quote.end,
        score=round(quote.score if score is None else score, 4),
    )  # fmt: skip


def quote_of(reading: ReadSpan) -> Sentence:
    """The sentences of the reading's passage that hold its span (one, unless the span crosses a boundary)."""
    passage = reading.passage
    lo, hi = reading.start - passage.start, reading.end - passage.start
    spans = [(s, e) for s, e in split_sentences(passage.text) if s < hi and e > lo] or [(lo, hi)]
    start, end = min(s for s, _ in spans), max(e for _, e in spans)
    return Sentence(passage, passage.start + start, passage.start + end, passage.text[start:end], reading.answerable)


def compose(evidence: Evidence, threshold: float) -> Answer:
    """Answer from the best span, or abstain when its confidence (the probability that it is right) is under
    ``threshold``."""
    best = evidence.best
    if best is None or evidence.strength < threshold:
        return abstention(evidence, threshold)
    support = [best]
    for other in evidence.readings[1:]:
        if len(support) == MAX_CITATIONS:
            break
        if other.answerable >= SUPPORTING and same_answer(other.text, best.text):
            support.append(other)
    quotes = _first_per_key(map(quote_of, support), lambda q: (q.passage.article_id, q.start))
    citations = [citation(n, q) for n, q in enumerate(quotes, start=1)]
    return Answer(
        question=evidence.asked,
        standalone_question=evidence.question,
        answer=" ".join(f"{c.quote} [{c.n}]" for c in citations),
        short_answer=best.text,
        abstained=False,
        confidence=round(evidence.strength, 4),
        citations=citations,
        as_of=evidence.as_of,
        earlier=[earlier_report(reading) for reading, _ in evidence.earlier[:MAX_EARLIER]],
    )


def earlier_report(reading: ReadSpan) -> EarlierReport:
    quote = quote_of(reading)
    return EarlierReport(answer=reading.text, article_id=reading.passage.article_id, quote=quote.text,
                         start=quote.start, end=quote.end, **meta_of(reading.passage))  # fmt: skip


def abstention(evidence: Evidence, threshold: float) -> Answer:
    """The "articles don't say" answer, with why; the closest passages' best sentences come along as related
    reading. Its confidence is that of the abstention: the probability that the best span would have been wrong."""
    quotes = _first_per_key(map(quote_of, evidence.readings), lambda q: q.passage.chunk_id)[:RELATED]
    return Answer(
        question=evidence.asked, standalone_question=evidence.question, answer=ABSTAIN_MESSAGE, short_answer=None,
        abstained=True, abstain_reason=abstain_reason(evidence),
        confidence=round(1.0 - evidence.strength, 4),
        related=[citation(n, q) for n, q in enumerate(quotes, start=1)],
    )  # fmt: skip


def abstain_reason(evidence: Evidence) -> str:
    """One line a person can act on: rephrase, widen the filters, or add the story to the index."""
    best = evidence.best
    if best is None:
        return NO_MATCH_FILTERED if evidence.filtered else NO_MATCH
    if evidence.unknown:
        return f"no indexed article mentions {_quoted(evidence.unknown)}"
    grounding = evidence.grounding
    missing = grounding.missing_of("name", "quoted", "number") if grounding else []
    if missing:
        title = best.passage.title or best.passage.article_id
        return f"the closest article (“{title}”) does not mention {_quoted([t.text for t in missing])}"
    return NOT_ANSWERED


def _quoted(names) -> str:
    shown = [f"“{n}”" for n in list(dict.fromkeys(names))[:3]]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]


def _first_per_key(quotes, key) -> list[Sentence]:
    """One quote per key, the first (best-ranked) of its kind: overlapping chunks repeat the same sentence."""
    out: dict = {}
    for quote in quotes:
        out.setdefault(key(quote), quote)
    return list(out.values())
