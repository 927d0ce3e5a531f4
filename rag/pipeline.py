"""Question in, cited answer out: validate → retrieve (dense + BM25, fused) → rerank → extract.

A :class:`Pipeline` loads its models once and is safe to share between the threads of a server.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from rag.answer import Assessment, assess, compose
from rag.embedding import load_embedder
from rag.errors import BadQuestion, IndexMissing
from rag.question import analyse, validate
from rag.rerank import CrossEncoderReranker, SentenceScorer, rerank_passages
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
        self.scorer = SentenceScorer(self.embedder)
        self.cross_encoder = (
            CrossEncoderReranker(self.settings.cross_encoder, self.settings.candidates)
            if self.settings.cross_encoder else None
        )  # fmt: skip

    def warm_up(self) -> None:
        """Load the lazy parts (BM25 index, spaCy) so the first real question is not the slow one."""
        from rag.spans import load_nlp

        load_nlp()
        if self.store.counts()[1]:
            self.run("warm up")

    def ask(self, question: str, **options) -> Answer:
        return self.run(question, **options).answer

    def run(self, question: str, *, top_k: int | None = None, filters: Filters | None = None,
            retrieval: str = "hybrid", rerank: bool = True) -> Result:  # fmt: skip
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
        passages = self.retriever.retrieve(text, filters=filters or Filters(), mode=retrieval)
        timings["retrieve"] = _ms(t)

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
        timings["rerank"] = _ms(t)

        t = time.perf_counter()
        assessment = assess(parsed, sentences)
        answer = compose(parsed, sentences, self.settings.abstain_below, assessment)
        timings["answer"] = _ms(t)
        timings["total"] = _ms(started)
        answer.timings_ms = timings
        return Result(answer=answer, passages=passages[:top_k], assessment=assessment)


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 2)
