"""A dated brief for "what happened" and "how has it changed" questions: the story in the reports' own sentences.

One span cannot say what happened over a week of reports: "4,200 acres" from the first day is true and misleading.
A brief takes one sentence from each dated report that is about what the question names (its names are in the
article), in date order, drops a sentence that repeats an earlier one, and ends with the newest state; each
sentence is cited like any extractive quote. No LLM: the generative mode may write from the same evidence.

A question that names what changed ("How has the cost of the renovation changed?", read as "What is the cost…?";
"What is the latest estimate of the damage?") gets the newest report's span as its short answer: "$2.52 million".
"What happened with…?" names nothing: the newest report's best span is then a fragment of whatever that report
said last ("two emergency exit signs had been wired incorrectly", "ending a five-month search"), and would stand
over the brief as if it were the answer, so such a brief has no short answer; the brief is the answer.
"""

from __future__ import annotations

from rag.answering.extractive import citation, quote_of
from rag.evidence import Evidence
from rag.question import content_stems
from rag.timeframe import names_a_value, published_day
from rag.types import Answer

MAX_SENTENCES = 5
REPEATS = 0.6  # share of content words two sentences share (Jaccard) at which the older one is dropped
ABOUT = 0.3  # reader answerability at which a report's best sentence is about the question at all


def brief(evidence: Evidence) -> Answer | None:
    """The brief, or ``None`` when fewer than two dated reports that name what the question names answer it."""
    best: dict[str, tuple] = {}  # article id -> (judged, published), the report's most answerable reading
    for judged in evidence.judged:
        reading, day = judged.reading, published_day(judged.reading.passage.published)
        story = judged.signals.story  # the names, each by its distinctive word: a report of this story
        if day is None or reading.answerable < ABOUT or story.missing_of("name", "quoted"):
            continue
        current = best.get(reading.passage.article_id)
        if current is None or reading.answerable > current[0].reading.answerable:
            best[reading.passage.article_id] = (judged, day)
    if len(best) < 2:
        return None
    reports = sorted(best.values(), key=lambda pair: pair[1])
    kept: list[tuple] = []
    for judged, day in reports:
        words = set(content_stems(quote_of(judged.reading).text))
        kept = [k for k in kept if _overlap(k[2], words) < REPEATS]  # a newer report says it again: keep the newer
        kept.append((judged, day, words))
    kept = kept[-MAX_SENTENCES:]
    if len(kept) < 2:
        return None
    citations = [citation(n, quote_of(j.reading)) for n, (j, _, _) in enumerate(kept, start=1)]
    lines = [f"{day.isoformat()}: {c.quote} [{c.n}]" for (_, day, _), c in zip(kept, citations, strict=True)]
    newest = kept[-1][0]
    return Answer(
        question=evidence.asked, standalone_question=evidence.question, answer="\n".join(lines),
        short_answer=newest.reading.text if names_a_value(evidence.question) else None, abstained=False,
        confidence=round(max(j.confidence for j, _, _ in kept), 4), citations=citations, as_of=kept[-1][1],
    )  # fmt: skip


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0
