"""Generative answers: the LLM writes from the passages the reader ranked, then every sentence is verified.

Three steps, so a server can hold its lock only around the CPU-bound parts: :meth:`gate` (abstain without
calling the model when the reader found no answer), :meth:`generate` (stream the model's text) and
:meth:`finish` (verify the citations and build the answer object).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from rag.answering.claim_check import ClaimChecker, ReadPairs, answers_question
from rag.answering.extractive import abstention, compose
from rag.answering.llm import describe, load_llm, stream_chat
from rag.answering.prompt import messages
from rag.answering.verify import Verifier, is_refusal, parse_claims
from rag.evidence import Evidence, elapsed_ms
from rag.followup.conversation import Turn
from rag.retrieval.support import SentenceScorer
from rag.settings import Settings
from rag.types import Answer


def condense(llm, question: str, history: list[Turn], timeout: float, where: str) -> str:
    """The model's reply to llama-index's condense-question prompt for the follow-up ``question``
    (:class:`rag.followup.resolver.LLMCondenser` checks it and falls back to the rules)."""
    from llama_index.core.chat_engine.condense_question import DEFAULT_PROMPT

    chat = "\n".join(f"Human: {t.question}\nAssistant: {t.answer}" for t in history)
    prompt = DEFAULT_PROMPT.format(chat_history=chat, question=question)
    return "".join(stream_chat(llm, [("user", prompt)], timeout, where))


class GenerativeAnswerer:
    def __init__(self, settings: Settings, scorer: SentenceScorer, abstain_below: float,
                 read_pairs: ReadPairs | None = None) -> None:  # fmt: skip
        self.settings = settings
        self.abstain_below = abstain_below  # the pipeline's: one abstention point for both answer modes
        self.llm = load_llm(settings)
        self.where = describe(settings) or ""
        checker = ClaimChecker(read_pairs, settings.check_confident) if read_pairs else None
        self.verifier = Verifier(scorer, settings.support_threshold, checker)

    def condense(self, question: str, history: list[Turn]) -> str:
        return condense(self.llm, question, history, self.settings.llm_timeout, self.where)

    def gate(self, evidence: Evidence) -> Answer | None:
        """The extractive abstention, when the passages hold no evidence worth asking a model about."""
        if evidence.strength >= self.abstain_below:
            return None
        return self._abstain(evidence, generated=None)

    def generate(self, evidence: Evidence) -> Iterator[str]:
        started = time.perf_counter()
        first = True
        prompt = messages(evidence.question, evidence.context)
        for delta in stream_chat(self.llm, prompt, self.settings.llm_timeout, self.where):
            if first:
                evidence.timings["first_token"] = elapsed_ms(evidence.started)  # as the asker waits: from question in
                first = False
            yield delta
        evidence.timings["generate"] = elapsed_ms(started)

    def finish(self, evidence: Evidence, text: str) -> Answer:
        """Verify ``text`` (the model's whole reply) into the answer object. When the statement that answers the
        question is contradicted by the evidence, the answer is the extractive one, with a note saying so."""
        started = time.perf_counter()
        claims = parse_claims(text, len(evidence.context))
        if not claims or is_refusal(claims):
            return self._abstain(evidence, generated=text, started=started)
        statements, citations, answer_text = self.verifier.verify(
            claims, evidence.context, evidence.question, evidence.best
        )
        main = next((s for s in statements if answers_question(s.text, evidence.question)), statements[0])
        if main.verdict != "supported" and main.evidence_says:  # the evidence answers otherwise: show its answer
            answer = compose(evidence, self.abstain_below)
            answer.note = f"The written answer (“{main.text}”) disagreed with its sources: {main.note}."
            return self._as_generative(answer, evidence, statements, started)
        supported = sum(s.supported for s in statements)
        if not supported:
            answer = self._abstain(evidence, generated=text, started=started)
            answer.statements = statements
            return answer
        best = evidence.best  # the reader's span: the short answer when the model's text states it
        short = best.text if best and best.text.lower() in answer_text.lower() else None
        evidence.timings["verify"] = elapsed_ms(started)
        share = supported / len(statements)
        return Answer(
            question=evidence.asked, standalone_question=evidence.question, mode="generative", answer=answer_text,
            short_answer=short,
            abstained=False, model=self.where, citations=citations, statements=statements,
            confidence=round(evidence.strength * share, 4),
            timings_ms=evidence.finish_timings(),
        )  # fmt: skip

    def _as_generative(self, answer: Answer, evidence: Evidence, statements, started: float) -> Answer:
        evidence.timings["verify"] = elapsed_ms(started)
        answer.mode, answer.model, answer.statements = "generative", self.where, statements
        answer.timings_ms = evidence.finish_timings()
        return answer

    def _abstain(self, evidence: Evidence, generated: str | None, started: float | None = None) -> Answer:
        if started is not None:
            evidence.timings["verify"] = elapsed_ms(started)
        answer = abstention(evidence, self.abstain_below)
        answer.mode = "generative"
        answer.model = self.where if generated is not None else None
        answer.timings_ms = evidence.finish_timings()
        return answer
