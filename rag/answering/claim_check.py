"""Does the cited evidence answer the way a generated statement claims? The reader asks, and compares names.

Lexical and embedding support cannot see a swapped subject: "Michael Carpenter proposed delaying NATO membership"
shares nearly every word with the article that says Keith Kellogg did. The reader can: asked the question, it
reads the passage and names who. Two questions are put to the evidence:

* **the user's question**: a statement that answers it (it holds most of the question's content words) must name
  what the evidence's confident answer names (the extractive answer; a surname or another variant counts);
  naming something else of the same kind in its place is a contradiction;
* **the statement's own questions**: each name, number or date of the statement, replaced by who / what / when /
  how many, is asked of the passages the statement cites; a confident reading that names something else of the
  same kind contradicts it, one that names the same thing confirms it.

Something else of the same kind that the evidence's own sentence names too is context, not a swap: the sentence
"Trump's envoy Keith Kellogg proposed ..." does not contradict "Trump's envoy proposed ...". A reading under the
confidence bar says nothing either way: the lexical + embedding score decides then, as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache

from rag.answering.extractive import quote_of
from rag.followup.mentions import recognise
from rag.judging.grounding import NOT_NAMES, NUMBER, words_of
from rag.question import content_stems, normalize_answer
from rag.reading.reader import ReadSpan
from rag.retrieval.support import Sentence
from rag.sentences import split_sentences
from rag.types import Passage

ReadPairs = Callable[[list[tuple[str, Passage]]], list[ReadSpan | None]]

# spaCy entity labels by the kind of thing they name; a swap is only ever between two things of one kind. People
# and organisations are one kind: both act ("Who proposed ...?"), and the small model often takes one for the other.
KINDS = {
    "PERSON": "name", "ORG": "name", "GPE": "place", "LOC": "place", "FAC": "place",
    "DATE": "time", "TIME": "time", "CARDINAL": "number", "MONEY": "number", "PERCENT": "number",
    "QUANTITY": "number",
}  # fmt: skip
ASKS = {"name": "who", "place": "where", "time": "when", "number": "how many"}
ANSWERS_QUESTION = 0.6  # share of the question's content words a statement holds to count as answering it
MAX_SLOTS = 3  # own questions asked per statement: names first, as they are what gets swapped
_TITLES = NOT_NAMES | {"jr", "sr", "ii", "iii"}
_TIME_PREPOSITION = re.compile(r"\b(?:in|on|at|since|by|during|from|until)\s+$", re.IGNORECASE)


@dataclass(frozen=True)
class Slot:
    """A name, number or date in a text, with what kind of thing it is."""

    text: str
    kind: str
    start: int
    end: int


@dataclass(frozen=True)
class Finding:
    """What the evidence answered to one question about a statement, and whether that agrees with it."""

    verdict: str  # "confirmed", "contradicted", or "unstated" (answers the question without the evidence's answer)
    question: str  # what was asked of the evidence
    claimed: str  # what the statement says
    said: str  # what the evidence says
    quote: str  # the evidence's sentence that says it
    users_question: bool = False  # asked the user's question (else one the statement's own words make)

    def describe(self) -> str:
        if self.verdict == "contradicted":
            return f"the cited passage names “{self.said}”, not “{self.claimed}” (asked: {self.question})"
        if self.verdict == "unstated":
            return f"it does not say what the cited passage answers: “{self.said}” (asked: {self.question})"
        return f"the cited passage confirms “{self.said}”"


@lru_cache(maxsize=4096)
def slots(text: str) -> tuple[Slot, ...]:
    """The named entities of ``text`` that a statement can get wrong (people, organisations, places, times,
    numbers), from spaCy's small English pipeline (its recogniser only: the parser is not needed)."""
    doc = recognise(text)
    return tuple(Slot(e.text, KINDS[e.label_], e.start_char, e.end_char) for e in doc.ents if e.label_ in KINDS)


def same_thing(claimed: str, said: str) -> bool:
    """Whether two mentions name the same thing: one inside the other after SQuAD normalisation, a shared number,
    or for names the same last word ("Kellogg" ~ "Retired Lt. Gen. Keith Kellogg")."""
    return mentions(said, claimed) or mentions(claimed, said)


def mentions(text: str, name: str) -> bool:
    """``text`` names ``name``: its words in a row, its numbers (commas aside), or its last word (a surname)."""
    folded_name, folded_text = normalize_answer(name), normalize_answer(text)
    if not folded_name or not folded_text:
        return False
    if f" {folded_name} " in f" {folded_text} ":
        return True
    numbers = _numbers(name)
    if numbers:
        return numbers <= _numbers(text)
    words = [w for w in words_of(name) if w not in _TITLES]
    return bool(words) and words[-1] in set(words_of(text))


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in NUMBER.findall(text)}


def states(statement: str, answer: str) -> bool:
    """The statement says ``answer``: names it, or holds most of its content words (a clause-long answer, "as a
    carrot to bring Russia to peace talks", is rarely repeated word for word)."""
    if mentions(statement, answer):
        return True
    wanted = set(content_stems(answer))
    return bool(wanted) and len(wanted & set(content_stems(statement))) / len(wanted) >= ANSWERS_QUESTION


def answers_question(statement: str, question: str) -> bool:
    """The statement is an answer to the question: it holds most of the question's content words."""
    wanted = set(content_stems(question))
    if not wanted:
        return False
    held = set(content_stems(statement))
    return len(wanted & held) / len(wanted) >= ANSWERS_QUESTION


def kind_of(reading: ReadSpan) -> str | None:
    """The kind of thing the reader's span names, from the entities of the sentence it sits in."""
    quote = quote_of(reading)
    lo, hi = reading.start - quote.start, reading.end - quote.start
    inside = [slot for slot in slots(quote.text) if slot.start < hi and lo < slot.end]
    return inside[-1].kind if inside else None  # a phrase's last name is its head: "Trump's pick, Keith Kellogg"


def cloze(statement: str, slot: Slot) -> str:
    """The statement as a question about ``slot``: "Kellogg proposed it in March." → "Kellogg proposed it when?"."""
    head, tail = statement[: slot.start], statement[slot.end :]
    ask = ASKS[slot.kind]
    if re.match(r"['’]s\b", tail):  # "Trump's envoy" → "whose envoy"
        tail, ask = tail[2:], "whose"
    if slot.kind == "time":
        head = _TIME_PREPOSITION.sub("", head)
    ask = ask if head.strip() else ask.capitalize()
    return re.sub(r"[.!;:,\s]*$", "", f"{head}{ask}{tail}".strip()) + "?"


def around(sentence: Sentence, context: int = 1) -> Passage:
    """The passage cut down to ``sentence`` and ``context`` sentences either side: what the claim rests on, and a
    short read (a question the length of a statement leaves little room in a window)."""
    passage = sentence.passage
    bounds = split_sentences(passage.text)
    here = next((i for i, (s, e) in enumerate(bounds) if s <= sentence.start - passage.start < e), None)
    if here is None:
        return passage
    lo, hi = bounds[max(0, here - context)][0], bounds[min(len(bounds) - 1, here + context)][1]
    return replace(passage, text=passage.text[lo:hi], start=passage.start + lo, end=passage.start + hi)


class ClaimChecker:
    """Puts the questions to the evidence through the reader, all in one batch per answer."""

    def __init__(self, read_pairs: ReadPairs, confident: float) -> None:
        self.read_pairs = read_pairs
        self.confident = confident  # reader answerability at which a reading counts as what the evidence says

    def check(self, question: str, answer: ReadSpan | None,
              statements: list[tuple[str, list[Sentence]]]) -> list[list[Finding]]:  # fmt: skip
        """Findings for each ``(statement, the sentences it cites)``: the user's question against ``answer`` (the
        evidence's confident answer to it, or ``None``), then the statement's own questions, read in the cited
        sentences with one sentence of context either side."""
        asked: list[tuple[int, Slot, str, Passage]] = []
        question_words = words_of(question)
        for index, (text, cited) in enumerate(statements):
            own = [s for s in slots(text) if not _in_question(s, question_words)]
            own.sort(key=lambda s: s.kind != "name")
            windows = [around(sentence) for sentence in cited]
            for slot in own[:MAX_SLOTS]:
                asked += [(index, slot, cloze(text, slot), w) for w in windows]
        readings = self.read_pairs([(q, p) for _, _, q, p in asked])
        findings: list[list[Finding]] = [[] for _ in statements]
        for index, (text, _) in enumerate(statements):
            if answer is not None and answer.answerable >= self.confident and answers_question(text, question):
                found = self._compare(question, text, None, answer, users_question=True)
                if found:
                    findings[index].append(found)
        best: dict[tuple[int, Slot], tuple[str, ReadSpan]] = {}
        for (index, slot, q, _), reading in zip(asked, readings, strict=True):
            if reading is None or reading.answerable < self.confident:
                continue
            key = (index, slot)
            if key not in best or reading.answerable > best[key][1].answerable:
                best[key] = (q, reading)
        for (index, slot), (q, reading) in best.items():
            found = self._compare(q, statements[index][0], slot, reading)
            if found:
                findings[index].append(found)
        return findings

    def _compare(self, question: str, statement: str, slot: Slot | None, said: ReadSpan,
                 users_question: bool = False) -> Finding | None:  # fmt: skip
        """Confirmed when the statement names what the evidence says; contradicted when, in its place, it names
        another thing of the same kind that the evidence's sentence does not name."""
        quote = quote_of(said).text
        claims = [slot] if slot else list(slots(statement))
        if slot is None and states(statement, said.text) or slot and same_thing(slot.text, said.text):
            return Finding("confirmed", question, slot.text if slot else said.text, said.text, quote, users_question)
        kind = kind_of(said)
        rivals = [
            c for c in claims
            if c.kind == kind and not same_thing(c.text, said.text) and not _in_question(c, words_of(question))
            and not mentions(quote, c.text)
        ] if kind else []  # fmt: skip
        if rivals and not (slot and mentions(statement, said.text)):
            return Finding("contradicted", question, rivals[0].text, said.text, quote, users_question)
        if slot is None:  # it answers the user's question, and not with what the evidence answers
            return Finding("unstated", question, statement, said.text, quote, users_question)
        return None


def _in_question(slot: Slot, question_words: list[str]) -> bool:
    words = words_of(slot.text)
    return bool(words) and all(w in question_words for w in words)
