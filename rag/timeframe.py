"""Time in a question: the dates it asks about, and whether it wants the newest report or the first one.

News is a stream of reports that update and correct each other; a reader treats them as timeless. This module
reads what a question says about time, resolved against ``as_of`` (the asker's "now"): explicit dates and ranges
("in April 2025", "on August 4", "last year", "as of March 3") through the ``dateparser`` package, and the words
that ask for the current state ("now", "currently", "latest", "still", or a present-tense question about a state:
"Who is the director?") or for the first report ("first", "originally", "initially"). :func:`choose` then picks,
among readings that are each plausible answers, the report the question means. Undated passages are never
excluded: a question about a timeless corpus (an encyclopedia, an undated archive) is answered as before.
"""

from __future__ import annotations

import calendar
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

LATEST, EARLIEST = "latest", "earliest"
_EARLIEST = re.compile(r"\b(?:first|originally|initially|at first|original|initial|earliest)\b", re.IGNORECASE)
_LATEST = re.compile(
    r"\b(?:now|currently|current|latest|still|today|presently|at present|so far|most recent|newest|anymore)\b",
    re.IGNORECASE,
)
# A present-tense question about a state ("Who is the director?", "How many homes are without power?"), or about
# what is planned ("When will the bridge reopen?", "When is it expected to reopen?"): the answer may have changed
# since the first report (news moves dates). Past-tense questions ask about an event and keep no preference.
_PRESENT_STATE = re.compile(
    r"^\s*(?:who|what|which|where|when|how \w+(?: \w+)?)\b[^?]*?\b(?:is|are|has|have|does|do|remains?|will)\b",
    re.IGNORECASE,
)
_PAST = re.compile(r"\b(?:was|were|had|did)\b", re.IGNORECASE)
# Words that may start a date: only a question holding one is handed to the (slower) date parser.
_DATE_HINT = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b|\b(?:1[89]|20)\d\d\b|\b\d{1,2}/\d{1,2}\b|"
    r"\b(?:yesterday|ago|last|this|past|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
    re.IGNORECASE,
)
# "What happened with …?", "How has … changed?": the story over time, told as a dated brief ending with the newest
ASKS_STORY = re.compile(
    r"^\s*(?:so,?\s+)?what(?:'s| has| have)? happen|^\s*how (?:has|have|did|does|is) .+? (?:change|develop|evolv|unfold"
    r"|progress)|\bwhat(?:'s| is| has)? (?:the )?latest\b|\bwhat (?:has )?changed\b",
    re.IGNORECASE,
)
# "the latest <noun>" names a value ("estimate", "count"); "the latest on / with / news" names the story
_LATEST_VALUE = re.compile(
    r"\bwhat(?:'s| is| are)? (?:the )?latest (?!(?:on|with|about|in|from|for|news|word)\b)\w", re.IGNORECASE
)
# A report's recap of what was said before ("The county had originally targeted an April 15 reopening", "Norvale
# had said on February 9 that about 12,400 members were affected"): news follow-ups restate the superseded
# figure beside the new one, and a question about the present must not be answered from the recap.
_RECAP = re.compile(
    r"\b(?:originally|initially|previously|formerly|at first|had (?:first |initially |originally |previously )?"
    r"(?:said|estimated|expected|projected|planned|targeted|reported|announced|predicted|forecast|proposed|"
    r"scheduled|put|set|counted|been expected|been scheduled|been set))\b",
    re.IGNORECASE,
)
_NOT_DATES = {"now", "today", "currently", "present", "may"}  # "may" alone is a verb; "in May 2024" keeps its year


@dataclass(frozen=True)
class Timeframe:
    """What the question asks of time: reports within ``[start, end]`` (either may be open), and which of several
    plausible reports it wants (``latest``, ``earliest`` or none)."""

    as_of: date
    start: date | None = None
    end: date | None = None
    want: str | None = None
    said: str | None = None  # the question's words that set the range
    story: bool = False  # it asks what happened or how something changed: a dated brief answers it
    stream: bool = False  # the passages hold reports from several days
    revise: bool = False  # no time asked, over a stream, for a count or an amount: a later report may revise it

    @property
    def asks(self) -> bool:
        return self.want is not None or self.start is not None or self.end is not None


_PARSER_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _parser():
    from dateparser.date import DateDataParser

    return DateDataParser(languages=["en"])


# News writes months the AP way ("Jan. 22", "Sept. 17"), which the date parser reads as a year; parts of a month
# ("mid-March", "early August") and seasons ("the spring of 2025") it reads as the month or the year around them.
_MONTH_DOT = re.compile(r"\b(jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.", re.IGNORECASE)
_MONTHS = "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec"
_PART = re.compile(rf"\b(early|mid|late)[- ](?:in )?((?:{_MONTHS})[a-z]*)\b", re.IGNORECASE)
_PARTS = {"early": (1, 10), "mid": (11, 20), "late": (21, 31)}
_SEASON = re.compile(r"\b(?:the )?(spring|summer|fall|autumn|winter)(?:\s+of)?\s+((?:19|20)\d\d)\b", re.IGNORECASE)
_SEASONS = {"spring": (3, 5), "summer": (6, 8), "fall": (9, 11), "autumn": (9, 11), "winter": (12, 14)}


def _written(question: str) -> str:
    """The question with AP-style month abbreviations unstopped ("Sept. 17" -> "Sept 17") and "mid-March" spaced."""
    return re.sub(r"\bmid-(?=[a-z0-9])", "mid ", _MONTH_DOT.sub(r"\1", question), flags=re.IGNORECASE)


def _dates(question: str, as_of: date) -> list[tuple[str, date, date, str]]:
    """``(words, start, end, period)`` of each date or range the question names, relative ones resolved against
    ``as_of``."""
    question = _written(question)
    out = []
    for match in _SEASON.finditer(question):  # the months of a season (winter runs into the next year)
        first, last = _SEASONS[match.group(1).lower()]
        year = int(match.group(2))
        end_year, end_month = year + (last - 1) // 12, (last - 1) % 12 + 1
        out.append((match.group(0), date(year, first, 1),
                    date(end_year, end_month, calendar.monthrange(end_year, end_month)[1]), "season"))  # fmt: skip
        question = question.replace(match.group(0), " ")
    if not _DATE_HINT.search(question):
        return out
    from dateparser.search import search_dates

    settings = {"RELATIVE_BASE": datetime(as_of.year, as_of.month, as_of.day), "PREFER_DATES_FROM": "past",
                "RETURN_AS_TIMEZONE_AWARE": False}  # fmt: skip
    parts = {m.group(2).lower()[:3]: _PARTS[m.group(1).lower()] for m in _PART.finditer(question)}
    with _PARSER_LOCK:  # dateparser keeps caches that are not safe to fill from two threads at once
        found = search_dates(question, languages=["en"], settings=settings) or []
        for words, when in found:
            if words.strip().lower() in _NOT_DATES:
                continue
            period = _parser().get_date_data(words).period or "day"
            start, end = _span(when.date(), period)
            part = parts.get(calendar.month_abbr[start.month].lower()) if period == "month" else None
            if part:  # "mid-March": the 11th to the 20th
                start, end = start.replace(day=part[0]), end.replace(day=min(part[1], end.day))
            out.append((words, start, end, period))
    return out


def _span(day: date, period: str) -> tuple[date, date]:
    if period == "year":
        return date(day.year, 1, 1), date(day.year, 12, 31)
    if period == "month":
        return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])
    return day, day


def timeframe(question: str, as_of: date | None = None) -> Timeframe:
    """What ``question`` asks of time, as of ``as_of`` (default: today)."""
    as_of = as_of or date.today()
    found = _dates(question, as_of)
    if found:
        start, end = min(s for _, s, _, _ in found), max(e for _, _, e, _ in found)
        words = ", ".join(w for w, *_ in found)
        if re.search(r"\b(?:as of|by|since|until)\b", question, re.IGNORECASE) or all(p == "day" for *_, p in found):
            start = None  # a state at a date: the newest report up to it ("as of March 3", "on August 4")
        return Timeframe(as_of, start, min(end, as_of), LATEST, words)
    if ASKS_STORY.search(question):
        return Timeframe(as_of, end=as_of, want=LATEST, story=True)
    if _EARLIEST.search(question):
        return Timeframe(as_of, want=EARLIEST)
    if _LATEST.search(question) or (_PRESENT_STATE.search(question) and not _PAST.search(question)):
        return Timeframe(as_of, end=as_of, want=LATEST)
    return Timeframe(as_of)


_CHANGED = re.compile(r"^\s*how (?:has|have|did|does|is) (.+?) (?:changed?|develop\w*|evolv\w*|progress\w*)\b\W*$",
                      re.IGNORECASE)


def state_question(question: str) -> str:
    """What a "how has X changed?" question asks each report: "What is X?" (each report's value of it, which the
    brief then puts in date order); any other question is read as asked."""
    match = _CHANGED.match(question)
    return f"What is {match.group(1)}?" if match else question


def names_a_value(question: str) -> bool:
    """Whether a question told as a brief names the value it follows ("How has the cost changed?", "What is the
    latest estimate of the damage?"): the newest report's figure then heads the brief. "What happened with …?" and
    "What's the latest on …?" name none: the story is the answer."""
    return state_question(question) != question or bool(_LATEST_VALUE.search(question))


def recaps(sentence: str) -> bool:
    """Whether a report's sentence restates what an earlier report said (see :data:`_RECAP`)."""
    return bool(_RECAP.search(sentence))


def published_day(value) -> date | None:
    if isinstance(value, date):
        return value
    return date.fromisoformat(value) if value else None


def choose(frame: Timeframe, dated: Sequence[tuple[object, date]]) -> object | None:
    """The report the question means among ``(item, published)`` pairs (each a plausible answer), or ``None``
    when time says nothing: reports inside the range, else up to its end; then the newest or the earliest."""
    if not frame.asks or not dated:
        return None
    inside = [(item, day) for item, day in dated if (frame.start is None or day >= frame.start)
              and (frame.end is None or day <= frame.end)]  # fmt: skip
    pool = inside or [(item, day) for item, day in dated if frame.end is None or day <= frame.end]
    if not pool:
        return None
    pick = min if frame.want == EARLIEST else max
    return pick(pool, key=lambda pair: pair[1])[0]


def reports_over_time(passages: Sequence) -> bool:
    """Whether the passages hold dated reports from at least two articles published on different days: only then
    can time choose between them (and is the reading of every passage worth its cost)."""
    days = {(p.article_id, published_day(p.published)) for p in passages if p.published}
    return len({day for _, day in days}) >= 2


def without_time_words(question: str, frame: Timeframe) -> str:
    """The question without what it says of time ("first", "currently", "as of March 3"): what is left is what it
    asks about."""
    question = _PART.sub(r"\2", _written(question))  # "in early August 2025": the part goes with its month
    for words in (frame.said or "").split(", "):
        if words:
            question = question.replace(words, " ")
    question = _EARLIEST.sub(" ", _LATEST.sub(" ", question))
    question = re.sub(r"\bas of\b", " ", question, flags=re.IGNORECASE)
    return " ".join(question.split())
