"""What the stages of the answer path hand each other: the question, the ranked passages, what the reader found.

One home for it, so the answerers (extractive in :mod:`rag.answering.extractive`, generative in
:mod:`rag.answering.generative`) depend on this module and not on the pipeline that builds it: data flows
question → evidence → answer.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date

from rag.judging.grounding import Grounding
from rag.reading.reader import ReadSpan
from rag.timeframe import Timeframe
from rag.types import Passage


@dataclass
class Evidence:
    """A question after retrieval and reading; ``timings`` grows as the answerer adds its stages."""

    question: str  # what was searched for and read: the standalone question
    context: list[Passage]  # the top_k passages, best first: cited passages and the LLM's numbered context
    readings: list[ReadSpan]  # the reader's best span per passage read, best first
    timings: dict[str, float]
    started: float
    asked: str = ""  # the question as asked (a follow-up may differ from ``question``)
    confidence: float = 0.0  # probability that the best reading's span is right (rag.judging.confidence)
    grounding: Grounding | None = None  # which of the question's specific terms the best reading's article holds
    unknown: tuple[str, ...] = ()  # names of the question that no indexed article mentions
    filtered: bool = False  # the search was restricted by filters
    judged: tuple = ()  # rag.judging.confidence.Judged for the top readings, most likely right first
    timeframe: Timeframe | None = None  # what the question asks of time (rag.timeframe)
    as_of: date | None = None  # the date of the report the answer comes from, when time chose it
    earlier: tuple = ()  # (reading, published) of older reports that answered otherwise, newest first

    def __post_init__(self) -> None:
        self.asked = self.asked or self.question

    @property
    def best(self) -> ReadSpan | None:
        return self.readings[0] if self.readings else None

    @property
    def strength(self) -> float:
        """How likely the best span is right (0..1): the abstention decision."""
        return self.confidence if self.best else 0.0

    def finish_timings(self) -> dict[str, float]:
        self.timings["total"] = elapsed_ms(self.started)
        return dict(self.timings)


def elapsed_ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 2)
