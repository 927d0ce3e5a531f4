"""Bounds and phrases every entry point shares (API, UI, CLI, pipeline), so they can never disagree.

Bounds that a deployment may change are :class:`~rag.settings.Settings` fields (``max_question_chars``);
the ones here are part of the service's contract.
"""

from __future__ import annotations

from rag.errors import BadQuestion

TOP_K_MAX = 50  # passages one answer may consider and return
ABSTAIN_MESSAGE = "The articles don't say."


def check_top_k(top_k: int | None) -> int | None:
    """``top_k`` as asked (None = the configured default), or :class:`BadQuestion` saying the bounds."""
    if top_k is not None and (isinstance(top_k, bool) or not 1 <= top_k <= TOP_K_MAX):
        raise BadQuestion(f"top_k must be between 1 and {TOP_K_MAX}, got {top_k}")
    return top_k
