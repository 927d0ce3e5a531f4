"""What a question asks for: its answer type (who → person, when → date, ...) and its content terms.

The answer type shapes the short answer: only spans of a compatible kind are candidates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rag.errors import BadQuestion

PERSON, ORG, PLACE, DATE, NUMBER, MONEY, PERCENT, REASON, OTHER = (
    "PERSON", "ORG", "PLACE", "DATE", "NUMBER", "MONEY", "PERCENT", "REASON", "OTHER",
)  # fmt: skip

KINDS = [PERSON, ORG, PLACE, DATE, NUMBER, MONEY, PERCENT, REASON, OTHER]

# spaCy entity labels each answer type accepts, with how well each fits.
ENTITY_LABELS: dict[str, dict[str, float]] = {
    PERSON: {"PERSON": 1.0, "ORG": 0.45, "NORP": 0.35},
    ORG: {"ORG": 1.0, "NORP": 0.7, "PERSON": 0.5, "GPE": 0.4},
    PLACE: {"GPE": 1.0, "LOC": 1.0, "FAC": 0.9, "ORG": 0.4},
    DATE: {"DATE": 1.0, "TIME": 0.8, "EVENT": 0.3},
    NUMBER: {
        "CARDINAL": 1.0,
        "QUANTITY": 1.0,
        "MONEY": 0.9,
        "PERCENT": 0.9,
        "DATE": 0.6,
        "ORDINAL": 0.5,
        "TIME": 0.5,
    },  # fmt: skip
    MONEY: {"MONEY": 1.0, "CARDINAL": 0.8, "QUANTITY": 0.6},
    PERCENT: {"PERCENT": 1.0, "CARDINAL": 0.6},
}

# Head nouns of "which/what X" questions that imply a type.
_NOUN_TYPES = {
    PERSON: "person man woman people president general official envoy leader minister diplomat aide director "
    "spokesman spokeswoman captain commander officer engineer judge lawyer author writer player actor singer "
    "ceo chairman founder king queen prince senator "
    "governor mayor secretary ambassador assistant adviser advisor candidate pick",
    ORG: "organization organisation company alliance party agency group team firm body bloc institution "
    "council club band newspaper university army union",
    PLACE: "country city state nation place region town capital continent area location county province island river",
    DATE: "year date day month decade century time season",
}
NOUN_TYPE = {noun: kind for kind, nouns in _NOUN_TYPES.items() for noun in nouns.split()}

STOPWORDS = set(
    [
        "a",
        "an",
        "the",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "from",
        "by",
        "with",
        "about",
        "as",
        "into",
        "over",
        "after",
        "before",
        "under",
        "between",
        "and",
        "or",
        "but",
        "not",
        "no",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "am",
        "do",
        "does",
        "did",
        "doing",
        "have",
        "has",
        "had",
        "having",
        "will",
        "would",
        "shall",
        "should",
        "can",
        "could",
        "may",
        "might",
        "must",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "that",
        "this",
        "these",
        "those",
        "it",
        "its",
        "it's",
        "there",
        "their",
        "they",
        "them",
        "he",
        "him",
        "his",
        "she",
        "her",
        "we",
        "us",
        "our",
        "you",
        "your",
        "i",
        "me",
        "my",
        "mine",
        "any",
        "some",
        "all",
        "each",
        "every",
        "such",
        "than",
        "then",
        "so",
        "if",
        "else",
        "also",
        "just",
        "only",
        "very",
        "more",
        "most",
        "much",
        "many",
        "one",
        "ones",
        "said",
        "say",
        "says",
        "according",
        "does",
        "did",
        "s",
        "t",
    ]
)


@dataclass(frozen=True)
class Question:
    text: str
    kind: str  # expected answer type
    wh: str  # the question word ("who", "how many", ...) or ""
    terms: tuple[str, ...]  # lower-cased content words, in order
    stems: frozenset[str]  # stems of the content words
    words: frozenset[str]  # stems of every word, stopwords included
    names: frozenset[str] = frozenset()  # stems of capitalised words after the first: the question's names
    strict: bool = False  # the type comes from a head noun ("which general"): only that kind of answer fits


_WH_PATTERNS: list[tuple[str, str]] = [
    (r"\bhow (many|few)\b", NUMBER),
    (r"\bhow much\b", MONEY),
    (r"\bhow (long|old|far|big|large|tall|often)\b", NUMBER),
    (r"\bwhat (percentage|percent|proportion|share)\b", PERCENT),
    (r"\b(who|whom|whose)\b", PERSON),
    (r"\bwhen\b", DATE),
    (r"\bwhere\b", PLACE),
    (r"\bwhy\b", REASON),
    (r"\b(what|which)\b", OTHER),
    (r"\bhow\b", OTHER),
]


@lru_cache(maxsize=1)
def stemmer():
    import Stemmer  # PyStemmer, already a dependency of the BM25 retriever

    return Stemmer.Stemmer("english")


def tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", re.sub(r"['’]s\b", "", text.lower()))


def content_stems(text: str) -> list[str]:
    return stemmer().stemWords([t for t in tokens(text) if t not in STOPWORDS])


def validate(text: str, max_chars: int) -> str:
    """The question, stripped; :class:`BadQuestion` with a reason for what no search can answer."""
    if not isinstance(text, str) or not text.strip():
        raise BadQuestion("the question is empty")
    text = text.strip()
    if len(text) > max_chars:
        raise BadQuestion(f"the question is {len(text)} characters long; the limit is {max_chars}")
    letters = [c for c in text if c.isalpha()]
    if not letters:
        raise BadQuestion("the question has no words in it")
    latin = sum(1 for c in letters if c.isascii() or "\u00c0" <= c <= "\u024f")
    if latin / len(letters) < 0.5:
        raise BadQuestion("the question is not in English; the articles and models here are English")
    return text


def analyse(text: str) -> Question:
    lowered = text.lower()
    kind, wh, at = OTHER, "", len(lowered)
    for pattern, pattern_kind in _WH_PATTERNS:
        match = re.search(pattern, lowered)
        if match and match.start() < at:  # the earliest question word decides
            kind, wh, at = pattern_kind, match.group(0), match.start()
    strict = False
    if wh in ("what", "which") or kind == OTHER:
        noun_kind = _type_from_head_noun(lowered[at:])
        kind, strict = (noun_kind, True) if noun_kind else (kind, False)
    terms = tuple(t for t in tokens(text) if t not in STOPWORDS)
    return Question(
        text=text, kind=kind, wh=wh, terms=terms, stems=frozenset(stemmer().stemWords(list(terms))),
        words=frozenset(stemmer().stemWords(tokens(text))), strict=strict,
        names=frozenset(stemmer().stemWords([w.lower() for w in re.findall(r"(?<!^)\b[A-Z][\w]+", text)])),
    )  # fmt: skip


def _type_from_head_noun(rest: str) -> str | None:
    """'which retired general ...' → PERSON: the first typed noun within a few words of the question word."""
    words = tokens(rest)[1:6]
    for word in words:
        singular = word[:-1] if word.endswith("s") and word[:-1] in NOUN_TYPE else word
        if singular in NOUN_TYPE:
            return NOUN_TYPE[singular]
        if word in ("is", "was", "are", "were", "did", "does", "do", "has", "had"):
            break
    return None
