"""Bounds and phrases every entry point shares (API, UI, CLI, pipeline), so they can never disagree.

Bounds that a deployment may change are :class:`~rag.settings.Settings` fields (``max_question_chars``);
the ones here are part of the service's contract.
"""

from __future__ import annotations

from rag.errors import BadQuestion

TOP_K_MAX = 50  # passages one answer may consider and return
HISTORY_TURNS_MAX = 10  # earlier turns a follow-up question may send
HISTORY_ANSWER_CHARS_MAX = 4000  # an earlier answer: its short answer or its full text
HISTORY_ARTICLES_MAX = 20  # the article ids an earlier answer cited
ARTICLE_ID_CHARS_MAX = 300
ARTICLES_PER_REQUEST_MAX = 1000  # records or files one POST /articles may add
URLS_PER_REQUEST_MAX = 100  # pages or feeds one POST /articles may fetch
ABSTAIN_MESSAGE = "The articles don't say."
# Why an answer abstained (``abstain_reason``); rag.answering.extractive adds the ones that name what was not found.
NO_MATCH = "no indexed passage matches the question"
NO_MATCH_FILTERED = "no indexed passage matches the question within the filters"
NOT_ANSWERED = "the closest passages do not answer the question"


def check_top_k(top_k: int | None) -> int | None:
    """``top_k`` as asked (None = the configured default), or :class:`BadQuestion` saying the bounds."""
    if top_k is not None and (isinstance(top_k, bool) or not 1 <= top_k <= TOP_K_MAX):
        raise BadQuestion(f"top_k must be between 1 and {TOP_K_MAX}, got {top_k}")
    return top_k
