"""Does the span have the shape the question asks for? "When" wants a time, "how many" a number, "who" a name.

A reader that has found no answer still returns its most answer-like span: "retired" for "How old is Keith
Kellogg?", "National Security Council" for "When did Carpenter become senior director?". The mismatch is one of
the signals the answer's confidence weighs (:mod:`rag.judging.confidence`); it never rejects an answer on its own.
"""

from __future__ import annotations

import re

_TIME = """
    january february march april may june july august september october november december jan feb mar apr jun jul
    aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday today yesterday tomorrow week
    weeks month months year years decade decades century centuries day days night morning evening afternoon spring
    summer autumn fall winter ago since until before after during later earlier now soon recently hour hours minute
    minutes era age period time times once when while first last next early late
"""
_NUMBERS = """
    zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen
    eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred hundreds thousand thousands
    million millions billion billions trillion dozen dozens half quarter third double twice single several few many
    all none no couple
"""
_TIME_WORDS = frozenset(_TIME.split())
_NUMBER_WORDS = frozenset(_NUMBERS.split())
_WANTS = (
    (re.compile(r"^\s*(?:(?:in|on|at|by|since|until|from) )?(?:when|what (?:year|date|day|month|time|decade|century)"
                r"|which (?:year|date|day|month|decade|century)|how long ago)\b", re.I), "time"),
    (re.compile(r"\bhow (?:many|much|old|long|far|big|large|tall|high|often)\b|\bwhat (?:percentage|percent|number|"
                r"share|proportion|age|amount)\b", re.I), "number"),
    (re.compile(r"^\s*(?:who|whom|whose)\b", re.I), "name"),
)


def wanted(question: str) -> str | None:
    """What kind of span the question asks for: time, number, name, or None (any)."""
    for pattern, kind in _WANTS:
        if pattern.search(question):
            return kind
    return None


def fits(kind: str | None, span: str) -> bool:
    """Whether ``span`` can be an answer of ``kind``: a time or number holds a digit or such a word; a name holds a
    capitalised word (or a pronoun-free noun phrase: "the incoming Trump administration" has one)."""
    if kind is None:
        return True
    words = set(re.findall(r"[a-z]+", span.lower()))
    digit = any(c.isdigit() for c in span)
    if kind == "time":
        return digit or bool(words & _TIME_WORDS)
    if kind == "number":
        return digit or bool(words & _NUMBER_WORDS)
    return any(w[:1].isupper() for w in span.split())
