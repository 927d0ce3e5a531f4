"""Question in, cited answer out: validate → retrieve (dense + BM25, fused) → rerank → extract.

A :class:`Pipeline` loads its models once and is safe to share between the threads of a server.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field

from rag.answer import Assessment, assess, compose
from rag.embedding import load_embedder
from rag.errors import BadQuestion, IndexMissing, LLMNotConfigured
from rag.question import Question, analyse, validate
from rag.rerank import CrossEncoderReranker, ScoredSentence, SentenceScorer, rerank_passages
from rag.retrieve import Filters, HybridRetriever
from rag.settings import Settings
from rag.store import Store
from rag.types import Answer, Passage

logging.getLogger("llama_index.retrievers.bm25").setLevel(logging.ERROR)
logging.getLogger("bm25s").setLevel(logging.ERROR)


NO_RERANK_PASSAGES = 3  # without the rerank stage, answers come from the top fused passages only


@dataclass
class Result:
    answer: Answer
    passages: list[Passage] = field(default_factory=list)  # final ranking, best first
    assessment: Assessment | None = None  # the evidence behind the abstain-or-answer decision


class Pipeline:
    def __init__(self, settings: Settings | None = None, store: Store | None = None) -> None:
        self.settings = settings or Settings()
        self.store = store or Store(self.settings)
        self.embedder = load_embedder(self.settings)
        self.retriever = HybridRetriever(self.store, self.embedder, self.settings.candidates)
        self.scorer = SentenceScorer(load_embedder(self.settings, self.settings.rerank_backend))
        self.cross_encoder = (
            CrossEncoderReranker(self.settings.cross_encoder, self.settings.candidates)
            if self.settings.cross_encoder else None
        )  # fmt: skip
        self._generative = None

    def warm_up(self) -> None:
        """Load the lazy parts (BM25 index, spaCy) so the first real question is not the slow one."""
        from rag.spans import load_nlp

        load_nlp()
        if self.store.counts()[1]:
            self.run("warm up")

    def ask(self, question: str, **options) -> Answer:
        return self.run(question, **options).answer

    def run(self, question: str, *, mode: str = "extractive", **options) -> Result:
        """Answer in one call (the CLI and evals); a server uses :meth:`prepare` and the answerers itself."""
        prepared = self.prepare(question, **options)
        if mode == "generative":
            *_, answer = self.generate_events(prepared)
        else:
            answer = self.compose(prepared)
        return Result(answer=answer, passages=prepared.context, assessment=prepared.assessment)

    def prepare(self, question: str, *, top_k: int | None = None, filters: Filters | None = None,
                retrieval: str = "hybrid", rerank: bool = True) -> Prepared:  # fmt: skip
        """Everything before an answer is written: validate, retrieve, rerank, weigh the evidence."""
        started = time.perf_counter()
        text = validate(question, self.settings.max_question_chars)
        if top_k is not None and not 1 <= top_k <= 50:
            raise BadQuestion(f"top_k must be between 1 and 50, got {top_k}")
        top_k = top_k or self.settings.top_k
        if self.store.counts()[1] == 0:
            raise IndexMissing(f"the index in {self.store.where} is empty: run `rag index PATH` first")
        parsed = analyse(text)
        timings: dict[str, float] = {}

        t = time.perf_counter()
        query_vector = self.embedder.get_query_embedding(text)
        passages = self.retriever.retrieve(text, filters=filters or Filters(), mode=retrieval, embedding=query_vector)
        timings["retrieve"] = elapsed_ms(t)

        t = time.perf_counter()
        if rerank:
            if self.cross_encoder:
                passages = self.cross_encoder.rerank(text, passages)
            depth = max(top_k, self.settings.rerank_depth)
            sentences = self.scorer.score(parsed, query_vector, passages[:depth])
            if not self.cross_encoder:
                passages = rerank_passages(sentences, passages)
        else:  # the plain pipeline: answer from the best sentences of the top fused passages
            sentences = self.scorer.score(parsed, query_vector, passages[:NO_RERANK_PASSAGES])
        timings["rerank"] = elapsed_ms(t)

        t = time.perf_counter()
        assessment = assess(parsed, sentences)
        timings["assess"] = elapsed_ms(t)
        return Prepared(parsed, passages[:top_k], sentences, assessment, timings, started)

    def compose(self, prepared: Prepared) -> Answer:
        """The extractive answer: supporting sentences, a short answer span, or an abstention."""
        t = time.perf_counter()
        answer = compose(prepared.question, prepared.sentences, self.settings.abstain_below, prepared.assessment)
        prepared.timings["answer"] = elapsed_ms(t) + prepared.timings.pop("assess", 0.0)
        answer.timings_ms = prepared.finish_timings()
        return answer

    def generative(self):
        """The generative answerer, built on first use; :class:`LLMNotConfigured` when no LLM is set."""
        if not self.settings.generative:
            raise LLMNotConfigured("generative mode needs an LLM: set RAG_LLM_URL (OpenAI-compatible) or RAG_LLM_GGUF")
        if self._generative is None:
            from rag.generate import GenerativeAnswerer

            self._generative = GenerativeAnswerer(self.settings, self.scorer.embed)
        return self._generative

    def generate_events(self, prepared: Prepared, lock=None) -> Iterator[str | Answer]:
        """Text deltas as the model writes, then the verified :class:`Answer`. ``lock`` guards the CPU-bound
        verification when several threads share this pipeline; the model's generation runs outside it."""
        lock = lock or nullcontext()
        answerer = self.generative()
        with lock:
            early = answerer.gate(prepared)
        if early is not None:
            yield early
            return
        pieces = []
        for delta in answerer.generate(prepared):
            pieces.append(delta)
            yield delta
        with lock:
            answer = answerer.finish(prepared, "".join(pieces))
        yield answer


@dataclass
class Prepared:
    """A question after retrieval and rerank: what either answerer writes from."""

    question: Question
    context: list[Passage]  # the top_k passages, best first: cited passages and the LLM's numbered context
    sentences: list[ScoredSentence]  # every sentence of the reranked passages, best first
    assessment: Assessment
    timings: dict[str, float]
    started: float

    @property
    def evidence(self) -> float:
        return self.assessment.evidence()

    def finish_timings(self) -> dict[str, float]:
        self.timings["total"] = elapsed_ms(self.started)
        return dict(self.timings)


def elapsed_ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 2)
