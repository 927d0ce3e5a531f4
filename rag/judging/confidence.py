"""A confidence that means what it says: the probability that the short answer is right.

The reader's answerability alone is sure of itself on questions about stories that were never indexed (it reads
the nearest article about something else and finds an answer-shaped span). So the answer's confidence weighs
every signal the pipeline has about one reading, each of which a wrong answer tends to give away:

- the reader's answerability (its logit);
- grounding (:mod:`rag.judging.grounding`): names, numbers and quoted phrases of the question that the answer's article
  never mentions, and the rare words it lacks (idf-weighted share), in the article and in the passage read;
- agreement: other passages whose best span is the same answer;
- shape: whether the span is what the question asks for (a time for "when", a number for "how many":
  :mod:`rag.judging.answer_types`);
- the span itself: the reader's probability of it among the passage's spans, its length (a long span is more
  often a neighbouring clause), and the question's rare words its own sentence lacks (an answer taken from a
  sentence about something else: "Vera Drake" from a sentence on the films, for the best actress).

A logistic model over them (Platt scaling with several inputs) was fitted on questions about held-out titles of
the SQuAD-Shifts sets the project may tune on, a share of the titles left out of the index, by
``python -m evals.calibrate``; its coefficients, the abstention point it chose and its scores live in
``rag/models/confidence.json``. Without that file (or with ``RAG_CONFIDENCE=reader``) the confidence is the
reader's answerability, as it was before.

Tried and left out: the MiniLM cosine of the question and the span's sentence (AURC 0.357 -> 0.355 on the check
titles, ECE worse, and 40 ms a question for embedding the sentences on 2 cores); the fused retrieval rank of the
answer's passage (AURC 0.365 -> 0.357, but it made the answer to one question flip with the order a concurrent
write gave the candidates: the reference question was declined while articles were being indexed); the MiniLM
cosine of the question and the answer's chunk, and the best such cosine (cross-validated AURC 0.409 -> 0.411 /
0.413); the margin over the best reading with another answer and the count of confident readings (AURC 0.393
with them, but the reference question, whose seed index offers two other answerable-looking readings, fell under
the abstention point). Measured in docs/evaluation.md.
"""

from __future__ import annotations

import json
import math
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rag.judging.answer_types import fits, wanted
from rag.judging.grounding import ArticleWords, Grounding, check, idf, specific_terms, words_of
from rag.question import content_stems
from rag.reading.reader import ReadSpan
from rag.sentences import split_sentences

MODEL_FILE = Path(__file__).resolve().parent.parent / "models" / "confidence.json"
FEATURES = ("answerable_logit", "name_missing", "names_missing", "number_missing", "words_missing", "agreement",
            "type_mismatch", "passage_words_missing", "span_log_probability", "sentence_words_missing",
            "span_words")  # fmt: skip
READER_ABSTAIN_BELOW = 0.80  # the reader-only confidence's abstention point (evals.tune_reader)
JUDGED = 4  # readings whose signals are weighed: the answer is the most likely right of them
ARTICLE_CACHE = 512  # articles and passages whose words are kept for grounding checks


@dataclass(frozen=True)
class Signals:
    """What the pipeline knows about one reading, as the calibrator's inputs."""

    answerable: float
    grounding: Grounding = field(default_factory=Grounding)
    agreement: int = 0  # other read passages whose best span is the same answer
    type_fits: bool = True  # the span has the shape the question asks for (rag.judging.answer_types)
    passage_missing_share: float = 0.0  # rare words of the question missing from the passage itself (idf-weighted)
    span_probability: float = 1.0  # the reader's probability of the span among the passage's spans
    sentence_missing_share: float = 0.0  # rare words of the question missing from the span's own sentence
    span_words: int = 1  # a long span is more often a neighbouring clause than the answer
    story: Grounding = field(default_factory=Grounding)  # the names checked strictly: is the article about them?

    def features(self) -> list[float]:
        p = min(max(self.answerable, 1e-6), 1 - 1e-6)
        names = len(self.grounding.missing_of("name"))
        numbers = len(self.grounding.missing_of("number", "quoted"))
        return [math.log(p / (1 - p)), float(names > 0), float(min(names, 3)), float(numbers > 0),
                self.grounding.missing_share, math.log1p(self.agreement), float(not self.type_fits),
                self.passage_missing_share, math.log(max(self.span_probability, 1e-6)), self.sentence_missing_share,
                math.log1p(self.span_words)]  # fmt: skip


@dataclass(frozen=True)
class Judged:
    reading: ReadSpan
    signals: Signals
    confidence: float


@dataclass(frozen=True)
class Calibrator:
    """``P(right) = sigmoid(intercept + coefficients · (features - means) / scales)``; ``abstain_below`` is the
    abstention point chosen with it. ``weights`` empty: the reader's answerability itself."""

    coefficients: tuple[float, ...] = ()
    intercept: float = 0.0
    means: tuple[float, ...] = ()
    scales: tuple[float, ...] = ()
    abstain_below: float = READER_ABSTAIN_BELOW
    name: str = "reader"

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> Calibrator:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if tuple(doc["features"]) != FEATURES:
            raise ValueError(f"{path} was fitted on features {doc['features']}, this code computes {FEATURES}")
        return cls(tuple(doc["coefficients"]), float(doc["intercept"]), tuple(doc["means"]), tuple(doc["scales"]),
                   float(doc["abstain_below"]), "calibrated")  # fmt: skip

    def probability(self, signals: Signals) -> float:
        if not self.coefficients:
            return signals.answerable
        z = self.intercept + sum(
            c * (x - m) / s
            for c, x, m, s in zip(self.coefficients, signals.features(), self.means, self.scales, strict=True)
        )
        return 1.0 / (1.0 + math.exp(-z))


def span_sentence(reading: ReadSpan) -> str:
    """The sentence of the passage that holds the span (the passage when it has none): where a reader's right
    answer usually has the question's own words around it."""
    text, at = reading.passage.text, reading.start - reading.passage.start
    for start, end in split_sentences(text):
        if start <= at < end:
            return text[start:end]
    return text


def load_calibrator(kind: str) -> Calibrator:
    """``calibrated`` (the fitted model, when its file is there) or ``reader`` (answerability alone)."""
    return Calibrator.load() if kind == "calibrated" and MODEL_FILE.exists() else Calibrator()


def abstention_point(settings, calibrator: Calibrator | None = None) -> float:
    """The confidence under which answers abstain: ``RAG_ABSTAIN_BELOW``, else the confidence model's own
    (``calibrator``: the one already loaded, else the one the settings name)."""
    given = settings.abstain_below
    if given is not None:
        return given
    return (calibrator or load_calibrator(settings.confidence)).abstain_below


class Judge:
    """Signals and confidence for the top readings of a question. ``article_text(id)`` gives an article's text
    (the store), ``doc_freq(stem)`` how many of how many indexed chunks hold a word stem (the BM25 index)."""

    def __init__(self, calibrator: Calibrator, article_text: Callable[[str], str | None],
                 doc_freq: Callable[[str], tuple[int, int]]) -> None:  # fmt: skip
        self.calibrator = calibrator
        self.article_text = article_text
        self.doc_freq = doc_freq
        self._articles: OrderedDict[tuple, ArticleWords] = OrderedDict()  # answers come from few articles

    def article(self, passage) -> ArticleWords:
        """The words of a passage's article (its stored text; the passage's own when the article is gone),
        cached by article version."""
        return self._words((passage.article_id, passage.article_hash),
                           lambda: self.article_text(passage.article_id) or passage.text)  # fmt: skip

    def passage(self, passage) -> ArticleWords:
        return self._words(("chunk", passage.chunk_id), lambda: passage.text)

    def _words(self, key: tuple, text: Callable[[], str]) -> ArticleWords:
        words = self._articles.get(key)
        if words is None:
            words = ArticleWords(text())
            self._articles[key] = words
            while len(self._articles) > ARTICLE_CACHE:
                self._articles.popitem(last=False)
        return words

    def rarity(self, stem: str) -> float:
        return idf(*self.doc_freq(stem))

    def judge(self, question: str, readings: Sequence[ReadSpan], limit: int = JUDGED) -> list[Judged]:
        """The first ``limit`` readings (best first by answerability), each with its signals and confidence, most
        likely right first."""
        from rag.question import same_answer

        terms = specific_terms(question, self.rarity)
        kind = wanted(question)
        out = []
        named = [t for t in terms if t.kind != "word"]
        for reading in readings[:limit]:
            agreement = sum(
                1 for other in readings if other is not reading and other.answerable >= 0.5
                and same_answer(other.text, reading.text)
            )  # fmt: skip
            signals = Signals(
                reading.answerable, check(terms, self.article(reading.passage)), agreement, fits(kind, reading.text),
                check(terms, self.passage(reading.passage)).missing_share, reading.span_probability,
                check(terms, ArticleWords(span_sentence(reading))).missing_share, len(reading.text.split()),
                check(named, self.article(reading.passage), strict=True),
            )  # fmt: skip
            out.append(Judged(reading, signals, self.calibrator.probability(signals)))
        return sorted(out, key=lambda j: -j.confidence)

    def unknown_names(self, grounding: Grounding) -> list[str]:
        """Missing names of the question that no indexed chunk holds at all (by any of their words)."""
        out = []
        for term in grounding.missing_of("name", "quoted"):
            counts = [self.doc_freq(s) for s in content_stems(" ".join(words_of(term.text)))]
            if counts and all(df == 0 and n > 0 for df, n in counts):  # n == 0: no BM25 index to ask
                out.append(term.text)
        return out
