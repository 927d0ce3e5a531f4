"""Bounds and phrases every entry point shares (API, UI, CLI, pipeline), so they can never disagree.

Bounds that a deployment may change are :class:`~rag.settings.Settings` fields (``max_question_chars``);
the ones here are part of the service's contract.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rag.errors import BadQuestion

if TYPE_CHECKING:
    from rag.conversation import Turn

TOP_K_MAX = 50  # passages one answer may consider and return
HISTORY_TURNS_MAX = 10  # earlier turns a follow-up question may send
HISTORY_ANSWER_CHARS_MAX = 4000  # an earlier answer: its short answer or its full text
HISTORY_ARTICLES_MAX = 20  # the article ids an earlier answer cited
ARTICLE_ID_CHARS_MAX = 300
ARTICLES_PER_REQUEST_MAX = 1000  # records or files one POST /articles may add
URLS_PER_REQUEST_MAX = 100  # pages or feeds one POST /articles may fetch
ABSTAIN_MESSAGE = "The articles don't say."
# Why an answer abstained (``abstain_reason``); rag.answer adds the ones that name what was not found.
NO_MATCH = "no indexed passage matches the question"
NO_MATCH_FILTERED = "no indexed passage matches the question within the filters"
NOT_ANSWERED = "the closest passages do not answer the question"


def check_top_k(top_k: int | None) -> int | None:
    """``top_k`` as asked (None = the configured default), or :class:`BadQuestion` saying the bounds."""
    if top_k is not None and (isinstance(top_k, bool) or not 1 <= top_k <= TOP_K_MAX):
        raise BadQuestion(f"top_k must be between 1 and {TOP_K_MAX}, got {top_k}")
    return top_k


def check_history(history: list | None, max_question_chars: int) -> list[Turn]:
    """Earlier turns as :class:`~rag.conversation.Turn` objects (oldest first), or :class:`BadQuestion` saying
    which turn is wrong and how. Accepts turns as objects with ``question``/``answer`` or as dicts."""
    from rag.conversation import Turn

    if not history:
        return []
    if not isinstance(history, list):
        raise BadQuestion("history must be a list of {question, answer} turns")
    if len(history) > HISTORY_TURNS_MAX:
        raise BadQuestion(f"history has {len(history)} turns; the limit is {HISTORY_TURNS_MAX}")
    turns = []
    for n, turn in enumerate(history, start=1):
        question = turn.get("question") if isinstance(turn, dict) else getattr(turn, "question", None)
        answer = (turn.get("answer") if isinstance(turn, dict) else getattr(turn, "answer", "")) or ""
        if not isinstance(question, str) or not question.strip():
            raise BadQuestion(f"history turn {n}: the question is missing or empty")
        if not isinstance(answer, str):
            raise BadQuestion(f"history turn {n}: the answer must be text")
        if len(question) > max_question_chars:
            raise BadQuestion(f"history turn {n}: the question is over {max_question_chars} characters")
        if len(answer) > HISTORY_ANSWER_CHARS_MAX:
            raise BadQuestion(f"history turn {n}: the answer is over {HISTORY_ANSWER_CHARS_MAX} characters")
        articles = (turn.get("articles") if isinstance(turn, dict) else getattr(turn, "articles", ())) or ()
        turns.append(Turn(question.strip(), answer.strip(), _cited(articles, n)))
    return turns


def _cited(articles, n: int) -> tuple[str, ...]:
    """An earlier turn's cited article ids, checked: a list of at most :data:`HISTORY_ARTICLES_MAX` ids."""
    if not isinstance(articles, (list, tuple)) or not all(isinstance(a, str) and a.strip() for a in articles):
        raise BadQuestion(f"history turn {n}: articles must be a list of article ids")
    if len(articles) > HISTORY_ARTICLES_MAX:
        raise BadQuestion(f"history turn {n}: {len(articles)} articles; the limit is {HISTORY_ARTICLES_MAX}")
    if any(len(a) > ARTICLE_ID_CHARS_MAX for a in articles):
        raise BadQuestion(f"history turn {n}: an article id is over {ARTICLE_ID_CHARS_MAX} characters")
    return tuple(dict.fromkeys(a.strip() for a in articles))
