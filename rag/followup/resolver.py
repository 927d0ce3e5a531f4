"""One way in for follow-up questions: a :class:`Resolver` turns a question and the conversation's earlier turns
into a :class:`~rag.followup.conversation.Resolution`: what to read, what to search with, and whether the previous
turn's articles stay preferred. Two implementations, chosen once when the pipeline is built (``RAG_RESOLVER``):
the rules (spaCy, no model, milliseconds) and an LLM condenser (llama-index's condense-question prompt through
the configured LLM), which falls back to the rules when the model's reply is unusable. The pipeline asks the
resolution, never which rule or model made it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from rag.followup.conversation import Resolution, Turn, resolve


class Resolver(Protocol):
    def resolve(self, question: str, turns: Sequence[Turn]) -> Resolution: ...


class RuleResolver:
    """The rules of :mod:`rag.followup.conversation`."""

    def resolve(self, question: str, turns: Sequence[Turn]) -> Resolution:
        return resolve(question, list(turns))


class LLMCondenser:
    """A model rewrites the follow-up (``condense(question, turns) -> text``); an empty or over-long reply falls
    back to the rules. The model's rewrite keeps the previous turn's articles preferred, as a rule's does."""

    def __init__(self, condense: Callable[[str, list[Turn]], str], max_chars: int,
                 fallback: Resolver | None = None) -> None:  # fmt: skip
        self.condense, self.max_chars = condense, max_chars
        self.fallback = fallback or RuleResolver()

    def resolve(self, question: str, turns: Sequence[Turn]) -> Resolution:
        if not turns:
            return Resolution(question, question)
        reply = [line.strip() for line in self.condense(question, list(turns)).strip().splitlines() if line.strip()]
        standalone = reply[0].strip("\"“”'") if reply else ""
        if not standalone or len(standalone) > self.max_chars:
            return self.fallback.resolve(question, turns)
        return Resolution(question, standalone, rule="llm")
