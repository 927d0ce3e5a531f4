"""Follow-up questions: "Who proposed delaying NATO membership?" → "Keith Kellogg", then "What job did Trump pick
him for?" is searched as "What job did Trump pick Keith Kellogg for?".
Resolution needs no LLM. spaCy's small English pipeline tags the question (``him`` is an object pronoun, ``her``
may be possessive, "is there" is existential) and finds the candidates in the earlier turns: their short answers,
the named entities of their answers and questions, and their questions' noun phrases. The rules, one per kind of
reference, were developed on ``evals/data/conversations_dev.jsonl`` and are measured on the multi-turn eval set
(``rag eval --conversations``); each batch of dev conversations was written before the rules it led to, so a new
batch first measures how the rules carry over:

- he/him/his/she/her → a person; it/its → an organisation or another named thing, else a short answer that
  names no entity, else a place; they/them/their → a short answer phrase ("the incoming Trump administration"),
  else an organisation, a group, a place, and a plural or a body ("the administration", "the Assad family")
  before a single thing;
  possessives become "X's". The previous answer wins when it is a name of a fitting kind (a follow-up most often
  asks about what was just answered; "Which Russian energy giant…?" → "Gazprom" names a company); otherwise the
  first fitting kind in order of preference, newest turn first, in a turn what the conversation said more than
  once, then the question's subject before a possessor before the rest. A noun phrase said in two turns is the
  topic ("the US budget shortfall"), as strong as a short answer. Quantities ("$8bn") are never what "it" means,
  nor plurals ("foreigners", "Fitch and Moody's"), nor a name that only qualifies a noun ("the Trump
  administration", "London-listed"), nor a name whose last word the question says ("Where did he beat
  Saulnier?"); "how cold does it get" has no referent, "how profitable is it" has. The small tagger errs on
  names, so a one-word "person" ("Yukos") may also be "it", a two- or three-word capitalised "organisation"
  ("Oleg Rybachuk") may be "he" when no person is named, a name it cuts short runs on ("Group" → "Group
  Menatep"), a capitalised name it misses is still a candidate, and an acronym ("CNPC") is a company.
- a first name says whether a person is "he" or "she" ("her union" is not Carl Meadows'), and makes a name the
  tagger calls an organisation a person when it answers a question ("Which state mediator…?" → "Renata
  Vollmer"); two persons of different genders both resolve ("Which TV show did he produce for her?");
- there → "in X" for a place (or the previous short answer when it is a name, or an event);
- the + noun → a thing an earlier turn named with that noun: the answer to the question that asked for it ("Which
  Saudi insurer…?" → "the insurer"), the name it ends or qualifies ("the Tilden Street Bridge", "Broadcast
  magazine"), the person it titles ("Ofsted chief David Bell"); a company or a country that no turn called so is
  the nearest name of that kind; a noun no turn used for a named thing ("the offer price") is left alone;
- that/this/these/those + noun → the longest phrase with the same noun, or for an event another word for it
  ("that deal" → "the merger with Rosneft"), in an earlier turn, or the answer's when the question asked "Whose
  …?"; the answer itself when the question asked for it ("Which gas monopoly…?" →
  "that monopoly" is Gazprom, "What kind of deal…?" → "that kind of deal" is "a loan-for-oil deal"); else the
  previous answer when it describes the thing ("that region" → "Europe"), or owns it when it is a name ("that
  study" → "the Centre for Economic Policy Research's study"); else "X's noun" ("that sale" → "Krivorizhstal's sale");
- "What about X?" / "And X?" (a phrase, not a clause) → the previous question with its phrase of X's
  preposition ("against the yen" for "against the euro"), its entity of X's kind, its time word ("And before?"
  after "…now classed…?"), or, for a phrase that names no entity, its last noun phrase, replaced by X; "And the
  year before?" counts back from the year it said.

When nothing can be resolved the question is asked as it is. The service is stateless: the client sends the
turns, so any replica can answer any turn.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from rag.followup.mentions import (
    ANSWER,
    NAME_LABELS,
    NAMED,
    NOUN,
    NUMBER,
    NUMERIC_LABELS,
    ORG_NOUNS,
    PHRASE,
    PLACE_NOUNS,
    QUESTION_WORDS,
    UNSURE,
    Candidate,
    asked_noun,
    candidates,
    given_name,
    has_verb,
    parse,
    parse_all,
    plural,
    proper,
    short,
    words,
)
from rag.sentences import ABBREVIATIONS

# What each reference may stand for, in order of preference: entity labels and the kinds of rag.followup.mentions.
PERSON = ("PERSON", NAMED)
THING = ("ORG", "PRODUCT", "FAC", "EVENT", "LAW", "WORK_OF_ART", PHRASE, UNSURE, "GPE", "LOC", NOUN)
GROUP = (PHRASE, "ORG", "NORP", "GPE", NOUN, "PERSON")
PLACE = ("GPE", "LOC", "FAC")
THERE = (*PLACE, "EVENT", "WORK_OF_ART")  # "there" after "Davos", which the small tagger calls a work of art
PERSONAL = {"he": PERSON, "him": PERSON, "she": PERSON, "her": PERSON, "his": PERSON, "hers": PERSON,
            "it": THING, "its": THING, "they": GROUP, "them": GROUP, "their": GROUP, "theirs": GROUP}  # fmt: skip
POSSESSIVES = {"his", "hers", "its", "their", "theirs"}
_GENDER = {"he": "male", "him": "male", "his": "male", "she": "female", "her": "female", "hers": "female"}
_POSSESSIVE_DETERMINERS = {"his", "her", "its", "their", "our", "my", "your"}
_SAME_EVENT = [words("event_nouns")]  # nouns a demonstrative may use for one event: "that deal" → "the merger"
_NOUN_KINDS = {
    **dict.fromkeys(PLACE_NOUNS, PLACE),
    **dict.fromkeys(ORG_NOUNS, ("ORG", "NORP")),
    **dict.fromkeys(words("amount_nouns"), (NUMBER,)),
}
_TIME_WORDS = words("time_words")
DEMONSTRATIVES = {"that", "this", "these", "those"}
_ELLIPSIS = re.compile(r"^\s*(?:and\s+)?(?:what|how)\s+about\s+(.+?)\s*\??\s*$|^\s*and\s+(.+?)\s*\?\s*$", re.I)


@dataclass(frozen=True)
class Turn:
    """An earlier question of the conversation, the answer it got (short answer or full answer text) and the
    articles that answer cited (a follow-up most often stays with them)."""

    question: str
    answer: str = ""
    articles: tuple[str, ...] = ()


@dataclass(frozen=True)
class Resolution:
    question: str  # as asked
    standalone: str  # as read (and shown): equal to ``question`` when nothing was resolved
    referent: str | None = None  # what a reference was resolved to
    rule: str = "none"  # which rule resolved it: pronoun, possessive, there, demonstrative, description, ellipsis,
    # llm, unresolved
    context: str = ""  # words of the previous turn searched with the question when its reference was not resolved

    @property
    def search(self) -> str:
        """What to retrieve with: the standalone question, with the previous turn's words when no referent was
        sure enough to commit to (better a broader search than a confident wrong rewrite)."""
        return f"{self.standalone} {self.context}" if self.context else self.standalone

    @property
    def keeps_articles(self) -> bool:
        """Whether the previous turn's articles stay preferred: "What about the WTO?" may leave them."""
        return self.rule != "ellipsis"


def resolve(question: str, history: list[Turn]) -> Resolution:
    """The standalone form of ``question`` given the earlier ``history`` (oldest first)."""
    if not history:
        return Resolution(question, question)
    parse_all([question, *(text for turn in history for text in (turn.question, short(turn.answer)) if text)])
    resolved: list[Turn] = []  # earlier questions resolved in turn, so a reference chain ("he" → "his") holds
    for turn in history:
        resolved.append(Turn(_resolve_one(turn.question, resolved).standalone, turn.answer, turn.articles))
    return _resolve_one(question, resolved)


def _resolve_one(question: str, history: list[Turn]) -> Resolution:
    """The question's first reference resolved, and a second when it is a person of the other gender ("Which TV
    show did he produce for her?"); a second "its" or "his" most often means a thing of the question itself ("his
    company … its defences")."""
    first = _resolve_first(question, history)
    genders = {_GENDER[t.lower_] for t in parse(question) if t.lower_ in _GENDER and t.tag_ in ("PRP", "PRP$")}
    if first.rule in ("pronoun", "possessive") and len(genders) == 2:
        return Resolution(question, _resolve_first(first.standalone, history).standalone, first.referent, first.rule)
    return first


def _resolve_first(question: str, history: list[Turn]) -> Resolution:
    if not history:
        return Resolution(question, question)
    match = _ELLIPSIS.match(question)
    if match and (focus := (match.group(1) or match.group(2)).strip()) and _is_phrase(focus):
        return _ellipsis(question, focus, history[-1].question)
    doc = parse(question)
    referring = False  # the question refers to something no rule resolved
    for token in doc:
        word = token.text.lower()
        if word == "there" and token.dep_ != "expl":
            referring = True
            if place := _where_answer(history[-1]):  # "Where did…?" → "at Barcelona": "there" is that place
                return _replace(question, token, place, place, "there")
            if found := (_candidate(history, PLACE, question=question) or _proper_answer(history, avoid=PERSON)
                         or _candidate(history, THERE, question=question)):  # fmt: skip
                return _replace(question, token, f"in {found.text}", found.text, "there")
        elif word in PERSONAL and token.tag_ in ("PRP", "PRP$") and not _expletive(token):
            referring = True
            possessive = token.tag_ == "PRP$" or word in POSSESSIVES
            kinds = PERSONAL[word]
            found = _candidate(history, kinds, question=question, definite=possessive, singular=word in ("it", "its"),
                               gender=_GENDER.get(word))
            if found is None and kinds == PERSON:  # the tagger knows "Rinat Akhmetov" as no person
                found = _proper_answer(history, avoid=PLACE)
                other = found and given_name(found.text) not in (None, _GENDER[word])
                if found and (other or found.text.lower() in question.lower()):
                    found = None  # "Which film did Terry Melcher make with her?": not Terry Melcher again
            if found:
                alone = word in ("hers", "theirs") and token.i and token.nbor(-1).lower_ == "of"  # "of theirs"
                text = _possessive(found.text) if possessive and not alone else found.text
                return _replace(question, token, text, found.text, "possessive" if possessive else "pronoun")
        elif (word in DEMONSTRATIVES and (noun := _determined(token))
              and (phrase := _demonstrative(noun, history, question))):  # fmt: skip
            start, end = token.idx, noun.idx + len(noun.text)
            if noun.lower_ in ("kind", "type", "sort") and noun.i + 2 < len(doc) and doc[noun.i + 1].lower_ == "of":
                end = doc[noun.i + 2].idx + len(doc[noun.i + 2])  # "that kind of deal" → "a loan-for-oil deal"
                phrase = phrase if phrase.split()[0].lower() in ("a", "an", "the") else f"a {phrase}"
            standalone = question[:start] + phrase + question[end:]
            return Resolution(question, standalone, phrase, "demonstrative")
    for token in doc:
        if token.lower_ == "the" and token.dep_ == "det" and (name := _described(token.head, history, question)):
            end = token.head.idx + len(token.head.text)
            return Resolution(question, question[: token.idx] + name + question[end:], name, "description")
    if referring:  # search with the previous turn too, and keep its articles preferred
        said = f"{history[-1].question} {short(history[-1].answer)}"
        return Resolution(question, question, rule="unresolved", context=said)
    return Resolution(question, question)


def _expletive(token) -> bool:
    """ "How cold does it get there?", "Is it true that…", "How long did it take to…": an "it" that stands for
    nothing ("How profitable is it?" stands for something)."""
    if token.dep_ == "expl":
        return True
    head = token.head
    if token.lower_ == "it" and head.lower_ in ("take", "takes", "took", "taken") and any(
        c.dep_ in ("advcl", "xcomp") and c.i > head.i for c in head.children
    ):  # fmt: skip
        return True  # "How many elections did it take for him to become president?"
    if token.lower_ != "it" or token.dep_ != "nsubj" or not any(c.dep_ in ("acomp", "oprd") for c in head.children):
        return False
    return head.lower_ not in ("is", "was", "be", "been", "are", "were", "'s") or any(
        c.dep_ in ("ccomp", "xcomp", "csubj") and c.i > token.i for c in head.children)  # fmt: skip


def _determined(token):
    """The noun a demonstrative determines: the word a determiner determines is a noun whatever the tagger says
    ("that firm" tagged ADJ); in "Which court ruled that sale illegal?" the tagger's "that" starts a clause with
    no verb, so it is a determiner too, and so is a "that" the tagger calls a pronoun before a noun."""
    doc = token.doc
    if token.dep_ == "det" and token.head.i == token.i + 1:
        return token.head
    if token.dep_ == "mark" and token.i + 1 < len(doc) and doc[token.i + 1].pos_ == "NOUN" and (
            token.head.pos_ not in ("VERB", "AUX") or doc[token.i + 1].tag_ == "NN"):  # fmt: skip
        return doc[token.i + 1]  # a clause would need "that the studio": "that" before a bare singular noun is its det
    if (token.lower_ in ("that", "this") and token.pos_ == "PRON" and token.dep_ == "nsubj"
            and token.i + 1 < len(doc) and doc[token.i + 1].is_alpha):  # fmt: skip
        # "…considered that deal valid?", "What time does that record stand at?": with "the" for "that" the word
        # after it is a singular noun, so "that" determined it
        text = doc.text[: token.idx] + "the" + doc.text[token.idx + len(token.text) :]
        again = next((t for t in parse(text) if t.idx == token.idx), None)
        following = again.doc[again.i + 1] if again is not None and again.i + 1 < len(again.doc) else None
        if following is not None and following.tag_ == "NN":
            return doc[token.i + 1]
    return None


def _is_phrase(text: str) -> bool:
    """ "Carpenter", "the second quarter", "in 2001": an elliptical focus, not a clause ("how much does it cost")."""
    return len(text.split()) <= 8 and not has_verb(parse(text))


def _candidate(history: list[Turn], kinds: tuple[str, ...], strict: bool = False, question: str = "",
               definite: bool = False, singular: bool = False,
               gender: str | None = None) -> Candidate | None:  # fmt: skip
    """The best candidate for a reference that may stand for ``kinds``: the previous answer when it is a name of
    a wanted kind (what was just answered is what a follow-up most often asks about); else the first kind in
    order of preference found in any turn, newest turn first ("its" prefers a company named two turns back to
    a country named in the last one), and within a turn the most central (:func:`_role`). ``strict``: the
    newest turn only.

    Never a name the ``question`` itself says ("What share of Ukraine's imports does it supply?": "it" is not
    Ukraine), never a bare abbreviation ("Gen"); when ``definite`` (a possessor) never an indefinite
    phrase ("a treaty's parent company"), and when ``singular`` ("it", "its") never "foreigners" or two things
    joined by "and"; when ``gender`` ("she") never a person whose first name says otherwise ("Carl Meadows")."""
    said = question.lower()
    turns = [[c for c in candidates(turn.question, turn.answer) if _fits(c, said, definite, singular)
              and not (gender and c.gender and c.gender != gender)]
             for turn in reversed(history[-1:] if strict else history)]  # fmt: skip
    newest = turns[0]
    answer = short(history[-1].answer)
    if newest and newest[0].text == answer and set(newest[0].labels) & (set(kinds) - {PHRASE, NOUN}):
        return newest[0]
    plural = kinds == GROUP  # "they", "them", "their": a plural or a body ("the administration") before a thing
    mentions = Counter(text for found in turns for text in {c.text.lower() for c in found})  # turns saying it
    ranked = [(plural and not c.plural, kinds.index(kind), back, -mentions[c.text.lower()], c.role, c)
              for back, found in enumerate(turns) for c in found if (kind := _kind(c, kinds, mentions))]  # fmt: skip
    return min(ranked, key=lambda r: r[:5])[5] if ranked else None


def _kind(candidate: Candidate, kinds: tuple[str, ...], mentions: Counter) -> str | None:
    """The candidate's most preferred kind among ``kinds``; a noun phrase said in two turns is the conversation's
    topic ("the US budget shortfall"), as strong as a short answer."""
    labels = (
        (PHRASE, *candidate.labels)
        if NOUN in candidate.labels and mentions[candidate.text.lower()] > 1
        else candidate.labels
    )
    return next((k for k in kinds if k in labels), None)


def _fits(candidate: Candidate, question: str, definite: bool, singular: bool = False) -> bool:
    text = candidate.text.lower()
    if singular and (candidate.plural or re.search(r"\b(?:and|&)\b", text)):
        return False
    if question and re.search(rf"\b{re.escape(text)}\b", question):
        return False
    if question and proper(candidate.text) and re.search(rf"\b{re.escape(text.split()[-1])}\b", question):
        return False  # "Where did he beat Saulnier?": "he" is not Cyril Saulnier
    words = [w.strip(".").lower() for w in candidate.text.split()]
    if all(w in ABBREVIATIONS for w in words):
        return False
    return not (definite and PHRASE in candidate.labels and words[0] in ("a", "an"))


def _where_answer(turn: Turn) -> str | None:
    """The answer to a "Where …?" question when it is a place phrase ("at Barcelona", "in Houston"): what "there"
    means next, preposition and all."""
    answer = short(turn.answer)
    located = re.match(r"(?:at|in|on|near|outside|inside)\s+\S", answer, re.I)
    if re.match(r"\s*where\b", turn.question, re.I) and located and len(answer.split()) <= 8:
        return answer[0].lower() + answer[1:]
    return None


def _proper_answer(history: list[Turn], avoid: tuple[str, ...] = ()) -> Candidate | None:
    """The previous short answer when it is a name ("Kyiv" alone is no entity to the tagger), unless the tagger
    says it is of a kind in ``avoid`` ("there" is no person)."""
    answer = short(history[-1].answer)
    if proper(answer) and not {e.label_ for e in parse(answer).ents} & set(avoid):
        return Candidate(answer, (), ANSWER)
    return None


def _demonstrative(noun, history: list[Turn], question: str = "") -> str | None:
    """ "that plan" → the longest phrase headed by "plan" in the earlier turns ("the victory plan"); else the
    previous short answer when it names a thing ("that region" → "Europe"); else "X's plan" for the previous
    turn's main name."""
    head = noun.text.lower().rstrip("s")
    same = next((group for group in _SAME_EVENT if head in group), {head})  # "that deal" → "the merger with Rosneft"
    newest = candidates(history[-1].question, history[-1].answer)
    answer = short(history[-1].answer)
    if answer and head in answer.lower() and len(answer.split()) <= 8:  # "that article" after "Article 5"
        first, _, rest = answer.partition(" ")
        return f"the {rest}" if first.lower() in _POSSESSIVE_DETERMINERS and rest else answer
    if answer and asked_noun(history[-1].question).rstrip("s") == head and len(answer.split()) <= 8:
        return answer  # "Which gas monopoly…?" → "Gazprom": "that monopoly" is Gazprom
    kinds = _NOUN_KINDS.get(head) or _NOUN_KINDS.get(noun.text.lower())
    if kinds == (NUMBER,) and newest and NUMBER in newest[0].labels:  # "that money" after "$27m"
        return f"the {newest[0].text}"
    if kinds == (NUMBER,) and (amount := next((c for c in newest if "MONEY" in c.labels), None)):
        said = re.search(rf"[$£€]?{re.escape(amount.text)}", history[-1].question)  # the tagger drops the "$"
        return f"the {said.group(0) if said else amount.text}"  # "that money" after "Which bank lent Rosneft $6bn?"
    if kinds and kinds != (NUMBER,) and (found := _candidate(history, kinds, question=question)):  # → "Europe"
        return found.text
    for turn in reversed(history):
        for text in (turn.answer, turn.question):
            if not text.strip():
                continue
            chunks = [c for c in parse(text).noun_chunks if c.root.text.lower().rstrip("s") in same
                      and (sum(t.dep_ != "det" and t.tag_ != "PRP$" for t in c) > 1 or _attached(c))]  # fmt: skip
            if chunks and (chunk := max(chunks, key=len))[0].lower_ == "whose" and turn.answer.strip():
                # "Whose 60m world record…?" → "Maurice Greene": "Maurice Greene's 60m world record"
                return f"{_possessive(short(turn.answer))} {chunk[1:].text}"
            if chunks:
                return _definite(chunk)
    if (
        newest
        and newest[0].labels[0] not in ("PERSON", NUMBER, *NUMERIC_LABELS)
        and len(newest[0].text.split()) <= 6
        and same == {head}
    ):  # "that sale" is no firm: Krivorizhstal's sale
        # a description is the thing ("that contract" → "a gas supply contract"); a name owns it ("that study"
        # after "Which organisation produced the study?" → "the Centre for Economic Policy Research's study")
        named = {PHRASE, NOUN, NUMBER}.isdisjoint(newest[0].labels)
        return f"{_possessive(newest[0].text)} {noun.text}" if named else newest[0].text
    if found := _candidate(history, ("PERSON", "ORG", "NORP", "GPE"), strict=True, question=question):
        return f"{_possessive(found.text)} {noun.text}"
    return None


def _described(noun, history: list[Turn], question: str = "") -> str | None:
    """ "the insurer" after "Which Saudi insurer…?" → "National Company for Cooperative Insurance"; "the bridge"
    → "the Tilden Street Bridge"; "the Ofsted chief" → "David Bell" of "Ofsted chief David Bell": a definite
    description refers back when an earlier turn named the thing with the same noun: as the noun its question
    asked for, in the name itself, or as the title before a name. A noun no turn used so ("the offer price",
    "the end of 2006") is asked as it is."""
    if noun.pos_ != "NOUN" or any(t.dep_ == "prep" for t in noun.rights):
        return None
    head = noun.lower_.rstrip("s")
    names = {t.lower_ for t in noun.lefts if t.pos_ == "PROPN"}  # "the Gazprom-Rosneft merger" names its thing
    for turn in reversed(history):
        answer = short(turn.answer)
        if names and not names <= set(re.findall(r"\w+", f"{turn.question} {answer}".lower())):
            continue  # a turn that does not say the description's own names
        if answer and proper(answer) and asked_noun(turn.question).rstrip("s") == head:
            return answer
        for text in (turn.question, answer):
            doc = parse(text) if text else ()
            for word in doc:
                if word.lower_.rstrip("s") != head:
                    continue
                after = doc[word.i + 1] if word.i + 1 < len(doc) else None
                if word.ent_type_ and (after is None or after.ent_iob_ != "I" or after.tag_ == "POS"):
                    return _entity_of(word)  # "the Tilden Street Bridge", not "the Southeastern Film Critics"
                if word.dep_ == "compound" and word.head.ent_type_ == "PERSON":
                    return _entity_of(word.head)  # "Ofsted chief David Bell"
                if person := next((t for t in word.children if t.dep_ == "appos" and t.ent_type_ == "PERSON"), None):
                    return _entity_of(person)  # "England coach Andy Robinson", parsed as an apposition
                named = [t for t in word.children if t.dep_ == "compound" and t.pos_ == "PROPN"]
                if named and not names:  # "Broadcast magazine", "the Estby plant"
                    # the whole name: "the Centre for Economic Policy Research study", not "Research study"
                    start = min([t.left_edge.i for t in named] + [e.start for e in doc.ents if e.end - 1 in
                                                                   {t.i for t in named}])  # fmt: skip
                    before = doc[start - 1].lower_ if start else ""
                    if before in ("which", "what"):  # "Which Jupiter analyst…?": the answer is the analyst
                        return answer if proper(answer) else None
                    return doc[start - (before == "the") : word.i + 1].text
    # "the company", "the country", when no turn said that noun: the nearest name of that kind
    said = " ".join(f"{turn.question} {turn.answer}" for turn in history).lower()
    kinds = None if re.search(rf"\b{re.escape(head)}", said) else _NOUN_KINDS.get(head)
    if kinds and kinds != (NUMBER,) and not names and (found := _candidate(history, kinds, question=question)):
        return found.text
    return None


def _entity_of(token) -> str:
    """The name ``token`` is part of, with the "the" before it ("the Tilden Street Bridge")."""
    entity = next(e for e in token.doc.ents if e.start <= token.i < e.end)
    name = re.sub(r"['’]s$", "", entity.text).strip()
    return f"the {name}" if entity.start and token.doc[entity.start - 1].lower_ == "the" else name


def _attached(chunk):
    """The phrase a noun's "of", "with", "between", "for" or "in" attaches ("the merger" → "with Rosneft"), if any."""
    preps = [t for t in chunk.root.rights if t.dep_ == "prep" and t.lower_ in ("of", "with", "between", "for", "in")
             and any(c.dep_ == "pobj" and c.lower_ not in QUESTION_WORDS for c in t.children)]  # fmt: skip
    return chunk.doc[preps[0].i : preps[0].right_edge.i + 1] if preps else None


def _definite(chunk) -> str:
    """A noun phrase as a definite reference: "his “victory plan,”" → "the victory plan", "How many NATO
    allies" → "the NATO allies", "Yukos's unit" stays, "the merger with Rosneft" keeps what names it."""
    if (attached := _attached(chunk)) is not None:
        chunk = chunk.doc[chunk.start : attached.end]
    words = [t for t in chunk if t.dep_ != "det" and t.tag_ not in ("PRP$", "WDT", "WP", "WP$")
             and t.text.lower() not in QUESTION_WORDS]  # fmt: skip
    phrase = "".join(t.text_with_ws for t in words).strip().strip("“”\"',")
    if any(t.dep_ == "poss" for t in words):
        return phrase
    return f"the {phrase}"


def _ellipsis(question: str, focus: str, previous: str) -> Resolution:
    """ "What about Carpenter?" after "What did Kellogg propose?" → "What did Carpenter propose?"; "And Nick
    Buckfield in the pole vault?" swaps the name, then the phrase of its preposition."""
    shift = {"the year before": -1, "the previous year": -1, "the year after": 1, "the following year": 1,
             "a year earlier": -1, "a year later": 1}.get(re.sub(r"^in\s+", "", focus.lower()))  # fmt: skip
    if shift and (year := re.search(r"\b(?:19|20)\d\d\b", previous)):  # "…in 2001?" + "And the year before?"
        said = str(int(year.group(0)) + shift)
        return Resolution(question, previous[: year.start()] + said + previous[year.end() :], said, "ellipsis")
    parsed = parse(focus)
    split = next((t for t in parsed[1:] if t.dep_ == "prep" and t.head.i < t.i and parsed[0].pos_ != "ADP"), None)
    if split is not None:
        head, phrase = focus[: split.idx].strip(), focus[split.idx :]
        return _ellipsis(question, phrase, _ellipsis(question, head, previous).standalone)
    labels = {e.label_ for e in parsed.ents}
    if not labels and focus.lower() in _TIME_WORDS:  # "And now?" after "…worth in 2003?"
        labels = {"DATE"}
    doc = parse(previous)
    same_kind = [e for e in doc.ents if e.label_ in labels]
    if not same_kind and "DATE" in labels:  # "How has S&P now classed…?" + "And before?": the time word swaps
        same_kind = [doc[t.i : t.i + 1] for t in doc if t.lower_ in _TIME_WORDS]
    first = focus.split()[0].lower()
    preps = [t for t in doc if t.dep_ == "prep" and t.lower_ == first and t.i + 1 < len(doc)]
    if preps:  # "…against the euro after Bush's win?" + "What about against the yen?": the phrase swaps whole
        shared = set(focus.lower().split()[1:])
        kind = {t.i for e in same_kind for t in e}
        prep = max(preps, key=lambda t: (len(shared & {w.lower_ for w in t.subtree}),
                                         bool(kind & {w.i for w in t.subtree}), t.i))  # fmt: skip
        target = doc[prep.i : prep.right_edge.i + 1]
    elif same_kind:  # "What did Kellogg propose?" + "What about Carpenter?": the name of the same kind swaps
        target = same_kind[0]
    elif labels and proper(focus) and len(names := [e for e in doc.ents if e.label_ in NAME_LABELS]) == 1:
        target = names[0]  # "…the mayor of Leeds…?" + "What about Bristol?", which the tagger calls a company
    elif not labels and (chunks := [c for c in doc.noun_chunks if c.root.pos_ in ("NOUN", "PROPN")]):
        target = chunks[-1]  # "How many allies…in Europe?" + "What about the troops?": the last phrase swaps
    else:  # nothing of its kind to swap: ask the previous question about it
        return Resolution(question, f"{previous.rstrip(' ?')}, {focus}?", focus, "ellipsis")
    end = target.end_char
    while end < len(previous) and previous[end].isalnum():  # "60" of "60m": the tagger's number, the word's end
        end += 1
    before, after = previous[: target.start_char], previous[end:]
    if "DATE" in labels and focus.lower() in _TIME_WORDS and before.lower().endswith((" in ", " on ", " at ")):
        before = before[: before.rstrip().rfind(" ") + 1]  # "…worth in 2003?" + "And now?": "…worth now?"
    owner = [t for t in target if t.dep_ == "poss"]
    if owner and focus.lower().startswith("the "):  # "Russia's reserves?" + "And the debt?": "Russia's debt?"
        focus = previous[owner[0].left_edge.idx : owner[0].idx + len(owner[0])] + "'s " + focus[4:]
    for word in ("the", "in", "on", "at", "for", "of"):  # "…in 2000?" + "And in 2001?": one "in", not two
        if focus.lower().startswith(word + " ") and before.lower().endswith(" " + word + " "):
            focus = focus[len(word) + 1 :]
    if "DATE" in labels and focus.lower() in _TIME_WORDS:
        return Resolution(question, _retensed(before, focus, after), focus, "ellipsis")
    return Resolution(question, _agree(before, focus) + focus + after, focus, "ellipsis")


_PRESENT, _PAST = {"now", "today", "currently", "at the moment"}, {"before", "previously", "earlier", "at first"}
_TO_PRESENT, _TO_PAST = {"was": "is", "were": "are"}, {"has": "had", "have": "had", "is": "was", "are": "were"}


def _retensed(before: str, when: str, after: str) -> str:
    """A time word swapped in sets the tense: "What was it worth in 2003?" + "And now?" → "What is it worth now?";
    "How has S&P now classed the bonds?" + "And before?" → "How had S&P classed the bonds before?" (an adverb
    of the past goes to the end of the clause)."""
    swap = _TO_PRESENT if when.lower() in _PRESENT else _TO_PAST if when.lower() in _PAST else {}
    words = before.split(" ")
    verb = next((i for i, w in enumerate(words) if w.lower() in swap), None)
    if verb is not None:
        word = swap[words[verb].lower()]
        words[verb] = word.capitalize() if words[verb][:1].isupper() else word
    before = " ".join(words)
    if when.lower() in _PAST and after.strip(" ?"):  # mid-clause: "…has before classed…" reads "…had classed … before"
        return f"{before.rstrip()} {after.strip().rstrip('?').strip()} {when}?"
    return before + when + after


_AGREEMENT = {"are": "is", "were": "was", "have": "has", "do": "does"}


def _agree(before: str, subject: str) -> str:
    """The verb just before a swapped-in subject agrees with it: "How big are Russia's reserves?" + "And the
    foreign public debt?" → "How big is Russia's foreign public debt?"."""
    words = before.rstrip().rsplit(" ", 1)
    if len(words) != 2 or not subject.strip():
        return before
    verb = words[1].lower()
    singular = {v: k for k, v in _AGREEMENT.items()}
    wanted = singular.get(verb, verb) if plural(parse(subject)[:]) else _AGREEMENT.get(verb, verb)
    if wanted == verb:
        return before
    wanted = wanted.capitalize() if words[1][:1].isupper() else wanted
    return f"{words[0]} {wanted} "


def _replace(question: str, token, text: str, referent: str, rule: str) -> Resolution:
    standalone = question[: token.idx] + text + question[token.idx + len(token.text) :]
    return Resolution(question, standalone, referent, rule)


def _possessive(name: str) -> str:
    if name.endswith(("'s", "’s")):  # "Standard & Poor's" is possessive already
        return name
    return f"{name}'" if name.endswith("s") and not name.endswith("ss") else f"{name}'s"
