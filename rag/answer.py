"""The extractive answerer: supporting sentences with [n] markers, a short answer span, or an abstention."""

from __future__ import annotations

import math
from dataclasses import dataclass

from rag.question import ENTITY_LABELS, Question
from rag.rerank import ScoredSentence
from rag.spans import Span, best_span
from rag.types import Answer, Citation

ABSTAIN_MESSAGE = "The articles don't say."
SECOND_SENTENCE_MARGIN = 0.06  # a runner-up this close to the best sentence is cited too
SPAN_SENTENCES = 3
TYPE_MISSING_FACTOR = 0.9  # chosen with SPAN_WEIGHT and RAG_ABSTAIN_BELOW by evals/tune_abstention.py
SPAN_WEIGHT = 0.0


def citation(n: int, sentence, score: float | None = None) -> Citation:
    """A citation of ``sentence`` (anything with passage, start, end, text; and score unless given)."""
    p = sentence.passage
    return Citation(
        n=n, article_id=p.article_id, title=p.title, url=p.url, source=p.source, published=p.published,
        chunk_id=p.chunk_id, passage=p.text, quote=sentence.text, start=sentence.start, end=sentence.end,
        score=round(sentence.score if score is None else score, 4),
    )  # fmt: skip


def confidence(evidence: float, threshold: float) -> float:
    return round(1.0 / (1.0 + math.exp(-10.0 * (evidence - threshold))), 4)


@dataclass(frozen=True)
class Assessment:
    """What the answer rests on: the best sentence's score, and whether a span of the asked-for type exists."""

    top_score: float
    type_missing: bool
    span: Span | None

    def evidence(self, type_missing_factor: float = TYPE_MISSING_FACTOR, span_weight: float = SPAN_WEIGHT) -> float:
        span_score = self.span.score if self.span and not self.type_missing else 0.0
        return self.top_score * (type_missing_factor if self.type_missing else 1.0) + span_weight * span_score


def assess(question: Question, sentences: list[ScoredSentence]) -> Assessment:
    """A question that asks for a kind of thing (a person, a date, a number) and finds none in the best
    sentences has weaker evidence: the passages are on topic but do not hold the answer."""
    span = best_span(question, [(s.text, s.start, s.score) for s in sentences[:SPAN_SENTENCES]]) if sentences else None
    typed = question.kind in ENTITY_LABELS
    missing = typed and (span is None or span.label not in ENTITY_LABELS[question.kind])
    return Assessment(sentences[0].score if sentences else 0.0, missing, span)


def compose(question: Question, sentences: list[ScoredSentence], threshold: float,
            assessment: Assessment | None = None, related: int = 3) -> Answer:  # fmt: skip
    """``sentences`` are scored best first; abstain when the evidence is under ``threshold``."""
    assessment = assessment or assess(question, sentences)
    evidence, span = assessment.evidence(), assessment.span
    if evidence < threshold:
        return abstention(question, sentences, evidence, threshold, related)
    top = sentences[0]
    support = [top]
    for runner_up in sentences[1:3]:
        if runner_up.score >= max(threshold, top.score - SECOND_SENTENCE_MARGIN):
            support.append(runner_up)
    support.sort(key=lambda s: (s.passage.article_id, s.start) if s.passage.article_id == top.passage.article_id
                 else ("~", 0))  # fmt: skip
    citations = [citation(n, s) for n, s in enumerate(support, start=1)]
    answer_text = " ".join(f"{c.quote} [{c.n}]" for c in citations)
    return Answer(
        question=question.text,
        answer=answer_text,
        short_answer=span.text if span else None,
        abstained=False,
        confidence=confidence(evidence, threshold),
        citations=citations,
    )


def abstention(question: Question, sentences: list[ScoredSentence], evidence: float, threshold: float,
               related: int = 3) -> Answer:  # fmt: skip
    """The "articles don't say" answer, with the closest passages offered as related reading, not evidence."""
    return Answer(
        question=question.text, answer=ABSTAIN_MESSAGE, short_answer=None, abstained=True,
        confidence=round(1.0 - confidence(evidence, threshold), 4),
        related=[citation(n, s) for n, s in enumerate(_one_per_passage(sentences)[:related], start=1)],
    )  # fmt: skip


def _one_per_passage(sentences: list[ScoredSentence]) -> list[ScoredSentence]:
    seen, out = set(), []
    for s in sentences:
        if s.passage.chunk_id not in seen:
            seen.add(s.passage.chunk_id)
            out.append(s)
    return out
