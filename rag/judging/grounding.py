"""Is the evidence about what the question asks? The question's specific content, looked up in the answer's article.

A reader finds the most answer-like span in whatever it is handed; asked about a story that was never indexed, it
happily answers from the nearest article about something else. What gives that away is the question's *specific*
content (the names, numbers, quoted titles and rare words that pick one story out of many): if the article the
answer comes from never mentions "Lebedev", it cannot say what Lebedev told the court.

:func:`specific_terms` finds that content; :func:`check` looks each term up in an article's text, with the
variants writers use: a surname for a full name ("Kellogg" for "Keith Kellogg"), possessives, a demonym for its
country ("Ukrainian" for "Ukraine": a shared stem of most of the word), small typos in the question, numbers
written as words. A term is only ever *missing* when no variant is found, so a check can cost a right answer only
when the article really does not name what the question names. The result is plain data: the calibrated
confidence (:mod:`rag.judging.confidence`) weighs it, and the abstention reason quotes it.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, lru_cache

from rag.question import STOPWORDS, content_stems

# Words that start a question or a clause with a capital letter without naming anything.
NOT_NAMES = STOPWORDS | {
    "did", "does", "do", "is", "was", "were", "are", "has", "have", "had", "will", "would", "can", "could", "should",
    "name", "tell", "list", "according", "mr", "mrs", "ms", "dr", "st", "sir", "lord", "lady", "the", "in", "on",
}  # fmt: skip
_NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "thousand": 1000,
}  # fmt: skip
_WORD_OF = {v: k for k, v in _NUMBER_WORDS.items()}
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_QUOTED = re.compile(r"(?:[\"“”]([^\"“”]{3,80}?)[\"“”]|(?:(?<=\s)|^)['‘]([^'‘’]{3,80}?)['’])(?!\w)")
NUMBER = re.compile(r"(?<![\w.-])\d[\d,]*(?:\.\d+)?")
_JOINERS = ("of", "de", "du", "von", "van", "al", "&", "the")  # inside a name: Bank of England, Standard & Poor


@dataclass(frozen=True)
class Term:
    """A piece of the question that pins down its story: ``kind`` is name, number, quoted or word."""

    text: str  # as written in the question
    kind: str
    weight: float = 1.0  # rarity of a plain word in the index (idf); names, numbers and quotes count 1
    key: str = ""  # a name that is not a person's: its rarest word, which an article about it must hold


@dataclass(frozen=True)
class Grounding:
    """Which specific terms of the question an article holds."""

    terms: tuple[Term, ...] = ()
    missing: tuple[Term, ...] = ()

    def missing_of(self, *kinds: str) -> list[Term]:
        return [t for t in self.missing if t.kind in kinds]

    @property
    def missing_share(self) -> float:
        """Share of the plain words' weight that is missing (0 when the question has none)."""
        words = [t for t in self.terms if t.kind == "word"]
        total = sum(t.weight for t in words)
        return sum(t.weight for t in self.missing if t.kind == "word") / total if total else 0.0


def fold(text: str) -> str:
    """Lower case without accents or possessives: how terms and article words are compared."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"['’]s\b", "", text)


def words_of(text: str) -> list[str]:
    return [w.replace("’", "'") for w in _WORD.findall(fold(text))]


def specific_terms(question: str, rarity: Callable[[str], float] | None = None) -> list[Term]:
    """The names, numbers, quoted phrases and content words of ``question``. ``rarity(stem)`` weights the plain
    words (the index's idf; default 1): a word every article holds pins nothing down."""
    terms: list[Term] = []
    quoted = [(m.span(), (m.group(1) or m.group(2)).strip()) for m in _QUOTED.finditer(question)]
    terms += [Term(text, "quoted") for _, text in quoted]
    unquoted = question
    for (start, end), _ in quoted:
        unquoted = unquoted[:start] + " " * (end - start) + unquoted[end:]
    for name in _names(unquoted):
        terms.append(Term(name, "name", key=_key(name, rarity)))
    for match in NUMBER.finditer(question):
        terms.append(Term(match.group(0), "number"))
    named = {w for t in terms for w in words_of(t.text)}
    seen: set[str] = set()
    for word, stem in _content_words(question):
        if word in named or stem in seen or word.isdigit() or word in _NUMBER_WORDS:
            continue
        seen.add(stem)
        terms.append(Term(word, "word", rarity(stem) if rarity else 1.0))
    return terms


def _key(name: str, rarity: Callable[[str], float] | None) -> str:
    """The word that pins down a name of a place or an organisation: its rarest in the index ("Loxbury" of
    "Loxbury Park", which an article about a state park does not hold). A person's name has none: people are
    named again by their surname alone, which :meth:`ArticleWords.has` accepts."""
    words = [w for w in words_of(name) if w not in NOT_NAMES]
    if rarity is None or len(words) < 2:
        return ""
    from rag.followup.mentions import is_first_name

    if is_first_name(words[0]):
        return ""
    return max(words, key=lambda w: max((rarity(s) for s in content_stems(w)), default=0.0))


def _content_words(question: str) -> list[tuple[str, str]]:
    words = [w for w in words_of(question) if w not in STOPWORDS and len(w) > 1]
    return [(w, s) for w in words for s in content_stems(w)[:1]]


def _names(question: str) -> list[str]:
    """Runs of capitalised words (joined by "of", "de", "&" ...), the question's first word unless it is
    clearly a name: "Who", "Did", "In" start sentences; "Kellogg" does too, so a first word counts when it is
    not a common word."""
    tokens = list(re.finditer(r"[^\W_][\w'’.&-]*", question))
    names, run = [], []
    for i, token in enumerate(tokens):
        word = token.group(0).rstrip(".'’")
        bare = fold(word).strip("'")
        capital = word[:1].isupper() or (word[:1].isdigit() and run and any(c.isalpha() for c in word))
        joiner = run and bare in _JOINERS and i + 1 < len(tokens) \
            and tokens[i + 1].group(0)[:1].isupper()  # fmt: skip
        if (capital and bare not in NOT_NAMES and len(bare) > 1) or joiner:
            run.append(word)
            continue
        if run:
            names.append(run)
        run = []
    if run:
        names.append(run)
    out = []
    for run in names:
        while run and fold(run[-1]) in _JOINERS:
            run.pop()
        if run:
            out.append(re.sub(r"['’]s$", "", " ".join(run)))
    return out


class ArticleWords:
    """An article's text prepared for lookups: its folded text, its words and their stems."""

    def __init__(self, text: str) -> None:
        self.folded = " " + " ".join(words_of(text)) + " "
        self.words = set(self.folded.split())
        self.stems = set(content_stems(" ".join(self.words)))
        self.numbers = {n.replace(",", "") for n in NUMBER.findall(text)}

    def has_phrase(self, text: str) -> bool:
        folded = " ".join(words_of(text))
        return bool(folded) and f" {folded} " in self.folded

    def has_word(self, word: str) -> bool:
        """The word, its stem, a country for its demonym and back ("Spanish" ~ "Spain"), an inflection (a shared
        beginning of all but its last three letters, at least five: "Ukrainian" ~ "Ukraine"), or a one-letter
        typo of it."""
        if word in self.words or any(s in self.stems for s in content_stems(word)):
            return True
        if any(self.has_phrase(same) for same in countries().get(word, ())):
            return True
        if len(word) >= 5:
            prefix = word[: max(5, len(word) - 3)]
            if any(w.startswith(prefix) or word.startswith(w[: max(5, len(w) - 3)])
                   for w in self._by_start.get(word[:5], ())):  # fmt: skip
                return True
            return any(_within_one_edit(word, w) for n in (-1, 0, 1) for w in self._by_length.get(len(word) + n, ()))
        return False

    @cached_property
    def _by_start(self) -> dict[str, list[str]]:
        """Words of five letters or more by their first five (an inflection shares at least those)."""
        out: dict[str, list[str]] = {}
        for w in self.words:
            if len(w) >= 5:
                out.setdefault(w[:5], []).append(w)
        return out

    @cached_property
    def _by_length(self) -> dict[int, list[str]]:
        """Words by length (a one-letter typo changes it by one at most)."""
        out: dict[int, list[str]] = {}
        for w in self.words:
            out.setdefault(len(w), []).append(w)
        return out

    def has(self, term: Term, strict: bool = False) -> bool:
        """Whether the article mentions ``term``; ``strict``: a name of a place or an organisation by its rarest
        word (the story check), not by any of its longer words (the confidence's signal, as it was fitted)."""
        if term.kind == "number":
            digits = term.text.replace(",", "")
            if digits in self.numbers:
                return True
            value = float(digits) if digits.replace(".", "", 1).isdigit() else None
            return value is not None and value.is_integer() and _WORD_OF.get(int(value), "\0") in self.words
        if self.has_phrase(term.text):
            return True
        if term.kind == "quoted":
            return False
        words = [w for w in words_of(term.text) if w not in NOT_NAMES]
        if term.kind == "name" and term.key and strict:  # a place or an organisation: its distinctive word
            return self.has_word(term.key)
        if term.kind == "name":
            # a name is there when its last word is (the surname), or any of its longer words for a one-word
            # mention of an organisation ("Federal Reserve" ~ "the Fed" is beyond this; "Gazprom" is not)
            return bool(words) and (self.has_word(words[-1]) or any(self.has_word(w) for w in words if len(w) > 3))
        return all(self.has_word(w) for w in words)


@lru_cache(maxsize=1)
def countries() -> dict[str, frozenset[str]]:
    """Each country's name, demonym and longer alternative names (folded), mapped to all the others: the words a
    question and an article may use for the same country (from the ``countryinfo`` package's data)."""
    import countryinfo

    groups: dict[str, set[str]] = {}
    for country in countryinfo.all_countries():
        names = [country.name(), country.demonym() or ""]
        names += [n for n in country.alt_spellings() or [] if len(n) > 3 and n.isascii()]
        folded = {" ".join(words_of(n)) for n in names if n}
        folded.discard("")
        for name in folded:
            groups.setdefault(name, set()).update(folded - {name})
    return {name: frozenset(same) for name, same in groups.items()}


def _within_one_edit(a: str, b: str) -> bool:
    """Levenshtein distance of at most one (a typo in the question: "Kelog" for "Kellog")."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i + (len(a) == len(b)) :] == b[i + 1 :]


def check(terms: list[Term], article: ArticleWords, strict: bool = False) -> Grounding:
    """Which of ``terms`` the article holds (``strict``: see :meth:`ArticleWords.has`)."""
    return Grounding(tuple(terms), tuple(t for t in terms if not article.has(t, strict)))


IDF_MIN_CHUNKS = 1000  # below this many chunks, rarity is not measurable: count as if the index were this big


def idf(doc_freq: int, n_docs: int) -> float:
    """Inverse document frequency with the usual smoothing; a word no chunk holds is the rarest. A small index
    (the seed article is three chunks) would make any word it lacks outweigh all the others, so the count of
    chunks is taken as at least :data:`IDF_MIN_CHUNKS` (the confidence model was fitted on a larger index)."""
    return math.log((max(n_docs, IDF_MIN_CHUNKS) + 1) / (doc_freq + 0.5)) if n_docs else 1.0

