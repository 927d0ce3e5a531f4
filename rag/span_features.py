"""Features of a candidate answer span, shared by the span ranker at answer time and by its training script.

In the spirit of the SQuAD paper's logistic-regression baseline: answer type against entity kind, lexical
overlap with the question, distance to the question's words in the sentence, and dependency cues.
"""

from __future__ import annotations

import math

from rag.question import KINDS, Question, stemmer

GROUP = {
    "PERSON": "person", "ORG": "org", "NORP": "org", "GPE": "place", "LOC": "place", "FAC": "place",
    "DATE": "date", "TIME": "date", "CARDINAL": "number", "QUANTITY": "number", "MONEY": "money",
    "PERCENT": "percent", "ORDINAL": "ordinal", "EVENT": "misc", "WORK_OF_ART": "misc", "LAW": "misc",
    "LANGUAGE": "misc", "PRODUCT": "misc", "NP": "np",
}  # fmt: skip
GROUPS = sorted(set(GROUP.values()))
DEPS = ["nsubj", "nsubjpass", "dobj", "pobj", "appos", "attr", "conj", "compound", "ROOT", "npadvmod", "other"]
WINDOW = 5  # tokens either side of a span that count as its context
_ATTACH_DEPS = {"appos", "compound", "nsubj", "nsubjpass", "dobj", "pobj", "prep", "agent", "poss", "attr"}


def feature_names() -> list[str]:
    names = [
        "proximity",
        "log_distance",
        "no_match",
        "attached",
        "overlap",
        "repeats_question",
        "after_match",
        "has_digit",
        "capitalised",
        "in_quotes",
        "sentence_start",
        "window_overlap",
        "sentence_overlap",
        "appos_child_overlap",
        "appos_head_overlap",
    ]
    names += [f"kind={k}&group={g}" for k in KINDS for g in GROUPS]
    names += [f"group={g}" for g in GROUPS]
    names += [f"len={n}" for n in range(1, 7)]
    names += [f"dep={d}" for d in DEPS]
    return names


FEATURES = feature_names()
INDEX = {name: i for i, name in enumerate(FEATURES)}


def candidates(doc) -> list[tuple[object, str]]:
    """Entities, and noun chunks that are not already an entity: (span, kind label)."""
    out = [(ent, ent.label_) for ent in doc.ents if ent.label_ in GROUP]
    taken = {(ent.start, ent.end) for ent, _ in out}
    for chunk in doc.noun_chunks:
        if chunk.root.pos_ == "PRON" or (chunk.start, chunk.end) in taken:
            continue
        start = chunk.start + (1 if chunk[0].dep_ == "det" and len(chunk) > 1 else 0)
        out.append((doc[start : chunk.end], "NP"))
    return out


def question_positions(question: Question, doc) -> list[int]:
    return [t.i for t in doc if stemmer().stemWord(t.lower_) in question.stems]


def features(question: Question, span, label: str, matched: list[int]) -> dict[str, float]:
    words = [t for t in span if not t.is_punct]
    stems = set(stemmer().stemWords([t.lower_ for t in words])) if words else set()
    overlap = len(stems & question.words) / len(stems) if stems else 1.0
    outside = [i for i in matched if not span.start <= i < span.end]
    group = GROUP[label]
    f = {
        "overlap": overlap,
        # a number is never "the question repeated": "how many years" → "50-year"
        "repeats_question": float(
            (overlap >= 0.5 and not any(c.isdigit() for c in span.text)) or bool(stems & question.names)
        ),
        "has_digit": float(any(c.isdigit() for c in span.text)),
        "capitalised": float(bool(words) and all(t.text[:1].isupper() for t in words)),
        "in_quotes": float(span.start > 0 and span.doc[span.start - 1].text in "\"“'‘("),
        "sentence_start": float(span.start == 0),
        f"kind={question.kind}&group={group}": 1.0,
        f"group={group}": 1.0,
        f"len={min(len(words), 6) or 1}": 1.0,
        f"dep={span.root.dep_ if span.root.dep_ in DEPS else 'other'}": 1.0,
        "attached": float(attached_to_question_verb(question, span)),
    }
    if question.stems:
        doc = span.doc
        window = doc[max(0, span.start - WINDOW) : min(len(doc), span.end + WINDOW)]
        near = {stemmer().stemWord(t.lower_) for t in window if not span.start <= t.i < span.end}
        f["window_overlap"] = len(near & question.stems) / len(question.stems)
        f["sentence_overlap"] = len({doc[i].i for i in outside}) / len(question.stems)
        f.update(appositive_overlap(question, span))
    if outside:
        nearest = min(outside, key=lambda i: min(abs(i - span.start), abs(i - (span.end - 1))))
        distance = min(abs(nearest - span.start), abs(nearest - (span.end - 1)))
        f["proximity"] = 1.0 / (1.0 + distance / 3.0)
        f["log_distance"] = math.log1p(distance)
        f["after_match"] = float(nearest < span.start)
    else:
        f["no_match"] = 1.0
    return f


def appositive_overlap(question: Question, span) -> dict[str, float]:
    """'Michael Carpenter, ... senior director for Europe' answers 'who is the senior director for Europe':
    the question's words sit in an apposition of the span (or the span is the apposition of a phrase holding
    them)."""
    root = span.root
    out = {}
    described = [t for child in root.children if child.dep_ == "appos" for t in child.subtree]
    if described:
        out["appos_child_overlap"] = _stem_share(question, described)
    if root.dep_ == "appos":
        own = {t.i for t in root.subtree}
        out["appos_head_overlap"] = _stem_share(question, [t for t in root.head.subtree if t.i not in own])
    return out


def _stem_share(question: Question, tokens) -> float:
    found = {stemmer().stemWord(t.lower_) for t in tokens}
    return len(found & question.stems) / len(question.stems)


def attached_to_question_verb(question: Question, span) -> bool:
    """The span is the subject/object (or an apposition of one) of a verb the question mentions."""
    token = span.root
    for _ in range(3):
        head = token.head
        if head is token:
            return False
        if head.pos_ in ("VERB", "AUX") and stemmer().stemWord(head.lower_) in question.stems:
            return True
        if token.dep_ not in _ATTACH_DEPS:
            return False
        token = head
    return False


def vector(f: dict[str, float]) -> list[float]:
    out = [0.0] * len(FEATURES)
    for name, value in f.items():
        out[INDEX[name]] = value
    return out
