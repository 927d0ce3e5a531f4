"""Questions and the words that carry meaning in them: normalisation and validation of what a user asked, the
content-word stems that lexical support scores compare (:mod:`rag.retrieval.support`), and the SQuAD normalisation
by which two answers are the same answer (the extractive answerer, the confidence model, the claim check and the
evals)."""

from __future__ import annotations

import re
import string
import unicodedata
from functools import lru_cache

from rag.errors import BadQuestion

_STOPWORDS = """
    a an the of to in on at for from by with about as into over after before under between and or but not no is
    are was were be been being am do does did doing have has had having will would shall should can could may
    might must what which who whom whose when where why how that this these those it its it's there their they
    them he him his she her we us our you your i me my mine any some all each every such than then so if else
    also just only very more most much many one ones said say says according does did s t
"""
STOPWORDS = frozenset(_STOPWORDS.split())


@lru_cache(maxsize=1)
def stemmer():
    import Stemmer  # PyStemmer, already a dependency of the BM25 retriever

    return Stemmer.Stemmer("english")


def tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", re.sub(r"['’]s\b", "", text.lower()))


def content_stems(text: str) -> list[str]:
    return stemmer().stemWords([t for t in tokens(text) if t not in STOPWORDS])


# Invisible characters that reorder how text displays (bidi embeddings, overrides, isolates and marks): an answer
# that echoes one would show the question, or what follows it, other than as typed.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def clean(text: str) -> str:
    """What a person typed, as everything after the edge sees it: Unicode NFC; control characters (NUL, ESC, ...)
    and bidi controls removed; whitespace (tabs, newlines, non-breaking spaces) collapsed to one space; stripped.
    Every question (:func:`validate`) and every history turn (:func:`rag.followup.history.check_history`) goes
    through it, so an answer's ``question`` and ``standalone_question`` never carry such characters."""
    kept = "".join(ch for ch in text if ch.isspace() or (ch not in _BIDI and unicodedata.category(ch) != "Cc"))
    return " ".join(unicodedata.normalize("NFC", kept).split())


def validate(text: str, max_chars: int) -> str:
    """The question :func:`clean`; :class:`BadQuestion` with a reason for what no search can answer."""
    if not isinstance(text, str) or not (text := clean(text)):
        raise BadQuestion("the question is empty")
    if len(text) > max_chars:
        raise BadQuestion(f"the question is {len(text)} characters long; the limit is {max_chars}")
    letters = [c for c in text if c.isalpha()]
    if not letters:
        raise BadQuestion("the question has no words in it")
    latin = sum(1 for c in letters if c.isascii() or "\u00c0" <= c <= "\u024f")
    if latin / len(letters) < 0.5:
        raise BadQuestion("the question is not in English; the articles and models here are English")
    return text


_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_answer(text: str) -> str:
    """SQuAD normalisation: lower-case, strip punctuation, drop the articles a/an/the, collapse whitespace.
    Non-ASCII punctuation (’ “ ” –) is stripped too, so "Ukraine’s" equals "Ukraine's"; for ASCII text the
    result is identical to the official SQuAD script's. The evals score with this same function."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = "".join(ch for ch in text if ch not in string.punctuation and not unicodedata.category(ch).startswith("P"))
    return " ".join(_ARTICLES.sub(" ", text).split())


def same_answer(a: str, b: str) -> bool:
    return bool(normalize_answer(a)) and normalize_answer(a) == normalize_answer(b)


_PLACE = re.compile(r"^\s*(?:from )?where\b|\b(?:what|which) (?:city|town|place|country|state|county|village|region)\b",
                    re.I)


def asks_place(question: str) -> bool:
    """Whether the question asks where: only then can a report's dateline be its answer."""
    return bool(_PLACE.search(question))
