"""Question in, cited answer out: validate → retrieve (dense + BM25, fused) → read → answer.

The reader reads the top fused passages (a few per batch); passages are then ordered by what it found (its
answerability, with the fused rank as a small prior), and the extractive or the generative answerer writes
from that :class:`~rag.evidence.Evidence`. The sentence-level reranker (MiniLM similarity + lexical coverage)
may order the fused passages before the reader reads them (``rerank=True``, an ablation in ``rag eval``).

A :class:`Pipeline` loads its models once and is safe to share between the threads of a server.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import date

from rag.answering.brief import brief
from rag.answering.extractive import compose
from rag.encoders.embedding import load_embedder
from rag.errors import IndexMissing, LLMNotConfigured
from rag.evidence import Evidence, elapsed_ms
from rag.followup.history import check_history
from rag.followup.resolver import LLMCondenser, Resolver, RuleResolver
from rag.judging.answer_types import wanted
from rag.judging.confidence import JUDGED, Judge, Judged, abstention_point, load_calibrator
from rag.limits import check_top_k
from rag.question import normalize_answer, same_answer, validate
from rag.reading.reader import Reader, ReadSpan, load_reader
from rag.records import Filters
from rag.retrieval.rerank import CrossEncoderReranker, rerank_passages, score_sentences
from rag.retrieval.retriever import HybridRetriever
from rag.retrieval.store import Store
from rag.retrieval.support import SentenceScorer
from rag.settings import Settings, load_settings, packaged_embedding_model
from rag.timeframe import (
    LATEST,
    Timeframe,
    choose,
    published_day,
    recaps,
    reports_over_time,
    state_question,
    timeframe,
    without_time_words,
)
from rag.types import Answer, Passage

logging.getLogger("llama_index.retrievers.bm25").setLevel(logging.ERROR)
logging.getLogger("bm25s").setLevel(logging.ERROR)


REPORT_ANSWERS = 0.5  # reader answerability at which a dated report counts as answering a question about time
RETRIEVAL_PRIOR = 0.0  # weight of the fused rank beside answerability; evals.tune_reader: 0 gives the best F1


def same_story(report: Judged) -> bool:
    """Whether a dated report is about what the question names: its article mentions every name, number and quoted
    title of the question (a report of another story that happens to hold an answer-shaped span is not)."""
    return not report.signals.story.missing_of("name", "number", "quoted")


def reading_score(reading: ReadSpan, rank: int) -> float:
    """Combined reader + retrieval score of a passage's best span: answerability, nudged by retrieval rank."""
    return reading.answerable + RETRIEVAL_PRIOR / (1 + rank)


@dataclass
class Result:
    answer: Answer
    passages: list[Passage] = field(default_factory=list)  # final ranking, best first
    evidence: Evidence | None = None  # what the answer rests on: the reader's spans, best first


class Pipeline:
    """The answer path over one store. Every part it would load itself may be passed in instead: a server
    shares one store handle, and unit tests pass a small deterministic embedder (and reader) so they exercise
    retrieval and answering against a real Chroma in seconds."""

    def __init__(self, settings: Settings | None = None, store: Store | None = None, *, embedder=None,
                 reader: Reader | None = None, serving: bool = False) -> None:  # fmt: skip
        """``serving``: a server's pipeline, whose BM25 side rebuilds in a thread after a write while the older
        state keeps answering, so no question waits for a rebuild."""
        self.settings = settings or load_settings()
        self.store = store or Store(self.settings)
        self.embedder = embedder or load_embedder(self.settings)
        self._given_embedder = embedder is not None
        self.retriever = HybridRetriever(self.store, self.embedder, self.settings.candidates,
                                         cache_dir=self.settings.home / "derived")  # fmt: skip
        self.retriever.lexical.background = serving
        self.reader = reader or load_reader(packaged_embedding_model(), str(self.settings.model_cache),
                                            self.settings.reader_backend)  # fmt: skip
        self._scorer: SentenceScorer | None = None
        self.cross_encoder = (
            CrossEncoderReranker(self.settings.cross_encoder, self.settings.candidates)
            if self.settings.cross_encoder else None
        )  # fmt: skip
        self._generative = None
        self.resolver: Resolver = RuleResolver() if self.settings.resolver == "rules" else LLMCondenser(
            lambda question, turns: self.generative().condense(question, turns), self.settings.max_question_chars)
        self.calibrator = load_calibrator(self.settings.confidence)
        self.judge = Judge(self.calibrator, self._article_text, self.retriever.lexical.doc_freq)

    @property
    def abstain_below(self) -> float:
        """The confidence under which answers abstain (:func:`rag.judging.confidence.abstention_point`)."""
        return abstention_point(self.settings, self.calibrator)

    def _article_text(self, article_id: str) -> str | None:
        article = self.store.get_article(article_id)
        return article.text if article else None

    @property
    def scorer(self) -> SentenceScorer:
        """The sentence scorer (MiniLM + lexical), loaded on first use: the optional sentence rerank and the
        verification of generated answers need it; the reader's answer path does not."""
        if self._scorer is None:
            given = self.embedder if self._given_embedder else None
            self._scorer = SentenceScorer(given or load_embedder(self.settings, self.settings.rerank_backend))
        return self._scorer

    def clear_caches(self) -> None:
        """Forget cached sentence vectors, so a benchmark or an eval config starts cold."""
        if self._scorer is not None:
            self._scorer.cache.clear()

    def warm_up(self) -> None:
        """Load the lazy parts (BM25 index, the follow-up resolver, the date parser) so the first real question is
        not the slow one."""
        if self.store.counts()[1]:
            # a person's name and "she": the resolver's parser and its first names are loaded too
            self.run("What did she warm up in May 2024?",
                     history=[{"question": "Who warmed up?", "answer": "Ada Lovelace"}])

    def ask(self, question: str, **options) -> Answer:
        return self.run(question, **options).answer

    def run(self, question: str, *, mode: str = "extractive", **options) -> Result:
        """Answer in one call (the CLI and evals); a server uses :meth:`prepare` and the answerers itself."""
        evidence = self.prepare(question, **options)
        *_, answer = self.events(evidence, mode)
        return Result(answer=answer, passages=evidence.context, evidence=evidence)

    def prepare(self, question: str, *, top_k: int | None = None, filters: Filters | None = None,
                retrieval: str = "hybrid", rerank: bool = False, history: list | None = None,
                as_of: date | None = None) -> Evidence:  # fmt: skip
        """Everything before an answer is written: validate, resolve a follow-up against ``history`` (earlier
        turns, oldest first) with the pipeline's resolver, retrieve,
        (rerank,) read, weigh; ``as_of`` is the asker's "now" for questions about time (default: today)."""
        started = time.perf_counter()
        asked = validate(question, self.settings.max_question_chars)
        top_k = check_top_k(top_k) or self.settings.top_k
        turns = check_history(history, self.settings.max_question_chars)
        if self.store.counts()[1] == 0:
            raise IndexMissing(f"the index in {self.store.where} is empty: run `rag index PATH` first")
        timings: dict[str, float] = {}

        text, search, cited = asked, asked, set()
        if turns:
            t = time.perf_counter()
            resolution = self.resolver.resolve(asked, turns)
            text, search = resolution.standalone, validate(resolution.search, 2 * self.settings.max_question_chars)
            timings["resolve"] = elapsed_ms(t)
            if resolution.keeps_articles:
                cited = set(turns[-1].articles)

        t = time.perf_counter()
        query_vector = self.embedder.get_query_embedding(search)
        passages = self.retriever.retrieve(search, filters=filters or Filters(), mode=retrieval, embedding=query_vector)
        timings["retrieve"] = elapsed_ms(t)

        if rerank or self.cross_encoder:  # a user's cross-encoder, when configured, always orders the passages
            t = time.perf_counter()
            if self.cross_encoder:
                passages = self.cross_encoder.rerank(text, passages)
            else:
                depth = max(top_k, self.settings.rerank_depth)
                sentences = score_sentences(self.scorer, text, query_vector, passages[:depth])
                passages = rerank_passages(sentences, passages)
            timings["rerank"] = elapsed_ms(t)

        t = time.perf_counter()
        if cited and self.settings.follow_up_prior:  # the best passage of the previous turn's articles is read first
            first = next((i for i, p in enumerate(passages) if p.article_id in cited), 0)
            passages = [passages[first], *passages[:first], *passages[first + 1 :]]
        frame = timeframe(text, as_of)
        if not reports_over_time(passages[: self.settings.reader_depth * 2]):
            frame = Timeframe(frame.as_of)  # one report (or none dated): nothing for time to choose between
        else:  # counts and amounts are what later reports revise most ("4,800 gallons", after 4,200)
            frame = replace(frame, stream=True, revise=not frame.asks and wanted(text) == "number")
        avoid = recaps if frame.want == LATEST or frame.revise else None  # the present, not a report's recap
        readings = self.read(state_question(text) if frame.story else text, passages, frame.asks, avoid)
        if frame.revise:
            readings += self.read_newer(text, passages, readings, avoid)
        rank = {p.chunk_id: i for i, p in enumerate(passages)}
        for p in passages:
            p.scores["retrieval_rank"] = rank[p.chunk_id]
        prior = self.settings.follow_up_prior
        readings.sort(
            key=lambda r: -reading_score(r, rank[r.passage.chunk_id]) - prior * (r.passage.article_id in cited)
        )
        order = {r.passage.chunk_id: i for i, r in enumerate(readings)}
        for r in readings:
            r.passage.scores["reader"] = round(r.answerable, 4)
        passages = sorted(passages, key=lambda p: (order.get(p.chunk_id, len(order)), rank[p.chunk_id]))
        timings["read"] = elapsed_ms(t)

        t = time.perf_counter()
        evidence = Evidence(text, passages[:top_k], readings, timings, started, asked=asked,
                            filtered=bool(filters), timeframe=frame)  # fmt: skip
        self.weigh(evidence, {r.passage.chunk_id: prior for r in readings if r.passage.article_id in cited})
        self.date(evidence)
        timings["judge"] = elapsed_ms(t)
        return evidence

    def weigh(self, evidence: Evidence, prior: dict[str, float] | None = None) -> None:
        """The confidence of the evidence's best readings: the most likely right one leads (``prior``: a bonus
        by chunk id, the follow-up's preference for the articles the previous turn cited); its grounding and
        any name of the question that no article mentions come along for the abstention reason."""
        frame = evidence.timeframe
        asks = frame is not None and frame.asks
        # a question about time is judged without its time words: "first" or "as of March 3" says which report,
        # and no report needs to say it of itself
        asked = state_question(evidence.question) if asks and frame.story else evidence.question
        question = without_time_words(asked, frame) if asks else evidence.question
        judged = self.judge.judge(question, evidence.readings, len(evidence.readings) if asks else JUDGED)
        if not judged:
            return
        if prior:
            judged.sort(key=lambda j: -(j.confidence + prior.get(j.reading.passage.chunk_id, 0.0)))
        if frame is not None and frame.revise:  # the other reports, judged for a revision of the lead
            judged += self.judge.judge(question, evidence.readings[JUDGED:], len(evidence.readings))
        for j in judged:
            j.reading.passage.scores["confidence"] = round(j.confidence, 4)
        evidence.judged = tuple(judged)
        self._lead(evidence, judged[0])

    def _lead(self, evidence: Evidence, first: Judged) -> None:
        """``first`` becomes the answer's reading: first among the readings and the context, its confidence and
        grounding the evidence's."""
        if first.reading is not evidence.readings[0]:
            evidence.readings = [first.reading, *[r for r in evidence.readings if r is not first.reading]]
            lead = first.reading.passage.chunk_id
            evidence.context = sorted(evidence.context, key=lambda p: p.chunk_id != lead)
        evidence.confidence = first.confidence
        evidence.grounding = first.signals.grounding
        evidence.unknown = tuple(self.judge.unknown_names(first.signals.grounding))

    def date(self, evidence: Evidence) -> None:
        """When the question asks about time and the best answer comes from a dated report, the report it means
        among those that answer it (the reader's answerability at least :data:`REPORT_ANSWERS`) leads: the newest
        (up to the question's date) for the current state, the earliest for "first"; for a count or an amount asked
        with no word of time, a newer report's confident figure revises the lead's. Older reports that answered
        otherwise come along, newest first."""
        frame = evidence.timeframe
        if frame is None or not (frame.asks or frame.revise) or not evidence.judged:
            return
        lead = evidence.judged[0]
        if lead.confidence < self.abstain_below or published_day(lead.reading.passage.published) is None:
            return  # no answer, or an undated one (not a report in a stream): time has nothing to choose
        dated = [(j, published_day(j.reading.passage.published)) for j in evidence.judged
                 if j.reading.answerable >= REPORT_ANSWERS and j.reading.passage.published
                 and (j is lead or same_story(j))]  # fmt: skip
        if not frame.asks:  # a count or an amount, asked with no word of time: the newest figure, when one revised
            frame = replace(frame, want=LATEST, end=frame.as_of)  # it; a revision must be a figure on its own
            dated = [(j, day) for j, day in dated if j is lead or (j.confidence >= self.abstain_below
                                                                  and any(c.isdigit() for c in j.reading.text))]
        chosen = choose(frame, dated)
        if chosen is None:
            return
        if not evidence.timeframe.asks and chosen is lead and not any(
                day < published_day(lead.reading.passage.published)
                and not same_answer(j.reading.text, lead.reading.text) for j, day in dated):  # fmt: skip
            return  # nothing revised it and nothing older said otherwise: answered as any question
        self._lead(evidence, chosen)
        evidence.confidence = max(chosen.confidence, lead.confidence)  # the stream answers it; time says which
        when = published_day(chosen.reading.passage.published)
        evidence.as_of = when if frame.want == LATEST else None
        if frame.want == LATEST:
            older = [(j.reading, day) for j, day in dated
                     if day < when and not same_answer(j.reading.text, chosen.reading.text)]  # fmt: skip
            seen: set[str] = set()
            evidence.earlier = tuple(
                (r, day) for r, day in sorted(older, key=lambda pair: pair[1], reverse=True)
                if not (normalize_answer(r.text) in seen or seen.add(normalize_answer(r.text)))
            )

    def read_newer(self, question: str, passages: list[Passage], readings: list[ReadSpan],
                   avoid: Callable[[str], bool] | None = None) -> list[ReadSpan]:  # fmt: skip
        """The reports published after the one best answering, among the passages a question about time would
        read, that the first reading left unread: a later report may revise a figure ("about 4,800 gallons", after
        4,200), and a question for a count that names no time still wants the newest one."""
        best = max(readings, key=lambda r: r.answerable, default=None)
        since = published_day(best.passage.published) if best else None
        if since is None:
            return []
        read = {r.passage.chunk_id for r in readings}
        newer = [p for p in passages[: self.settings.reader_depth * 2]
                 if p.chunk_id not in read and p.published and published_day(p.published) > since]  # fmt: skip
        step = self.settings.reader_batch
        return [r for lo in range(0, len(newer), step)
                for r in self.reader.read(question, newer[lo : lo + step], avoid)]  # fmt: skip

    def read(self, question: str, passages: list[Passage], thorough: bool = False,
             avoid: Callable[[str], bool] | None = None) -> list[ReadSpan]:  # fmt: skip
        """The reader over the top ``reader_depth`` passages, ``reader_batch`` at a time, stopping early once a
        span is at least ``reader_confident`` sure: most questions are answered by the first passages, so the
        median question pays for one batch and a hard one for all of them. ``thorough``: read twice as deep and
        never stop early (a question about time needs every report, not the first confident one). ``avoid``: sentences
        the spans are not taken from (:meth:`Reader.read_pairs`)."""
        depth, step = self.settings.reader_depth * (2 if thorough else 1), self.settings.reader_batch
        readings: list[ReadSpan] = []
        for lo in range(0, min(depth, len(passages)), step):
            readings += self.reader.read(question, passages[lo : min(lo + step, depth)], avoid)
            if not thorough and readings and max(r.answerable for r in readings) >= self.settings.reader_confident:
                break
        return readings

    def events(self, evidence: Evidence, mode: str = "extractive", lock=None) -> Iterator[str | Answer]:
        """The one place that chooses between answer modes: text deltas (generative only), then the answer."""
        if mode == "generative":
            yield from self.generate_events(evidence, lock)
            return
        with lock or nullcontext():
            answer = self.compose(evidence)
        yield answer

    def compose(self, evidence: Evidence) -> Answer:
        """The extractive answer: the reader's span, the sentences citing it, or an abstention."""
        t = time.perf_counter()
        story = brief(evidence) if evidence.timeframe and evidence.timeframe.story else None
        answer = story or compose(evidence, self.abstain_below)
        evidence.timings["answer"] = elapsed_ms(t)
        answer.timings_ms = evidence.finish_timings()
        return answer

    def generative(self):
        """The generative answerer, built on first use; :class:`LLMNotConfigured` when no LLM is set."""
        if not self.settings.generative:
            raise LLMNotConfigured("generative mode needs an LLM: set RAG_LLM_URL (OpenAI-compatible) or RAG_LLM_GGUF")
        if self._generative is None:
            from rag.answering.generative import GenerativeAnswerer

            self._generative = GenerativeAnswerer(
                self.settings, self.scorer, self.abstain_below, self.reader.read_pairs
            )
        return self._generative

    def generate_events(self, evidence: Evidence, lock=None) -> Iterator[str | Answer]:
        """Text deltas as the model writes, then the verified :class:`Answer`. ``lock`` guards the CPU-bound
        verification when several threads share this pipeline; the model's generation runs outside it."""
        lock = lock or nullcontext()
        answerer = self.generative()
        with lock:
            early = answerer.gate(evidence)
        if early is not None:
            yield early
            return
        pieces = []
        for delta in answerer.generate(evidence):
            pieces.append(delta)
            yield delta
        with lock:
            answer = answerer.finish(evidence, "".join(pieces))
        yield answer
