"""The conversation's earlier turns as a client sends them (API ``history``, the UI, ``rag chat``), checked against
the limits of :mod:`rag.limits` and turned into :class:`~rag.followup.conversation.Turn` objects: one place that
says what a well-formed history is and why a bad one is refused."""

from __future__ import annotations

from rag.errors import BadQuestion
from rag.followup.conversation import Turn
from rag.limits import ARTICLE_ID_CHARS_MAX, HISTORY_ANSWER_CHARS_MAX, HISTORY_ARTICLES_MAX, HISTORY_TURNS_MAX
from rag.question import clean


def check_history(history: list | None, max_question_chars: int) -> list[Turn]:
    """Earlier turns as :class:`~rag.followup.conversation.Turn` objects (oldest first), or :class:`BadQuestion` saying
    which turn is wrong and how. Accepts turns as objects with ``question``/``answer`` or as dicts. Questions and
    answers are normalised as a new question is (:func:`rag.question.clean`) before they are checked."""
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
        if not isinstance(question, str) or not (question := clean(question)):
            raise BadQuestion(f"history turn {n}: the question is missing or empty")
        if not isinstance(answer, str):
            raise BadQuestion(f"history turn {n}: the answer must be text")
        answer = clean(answer)
        if len(question) > max_question_chars:
            raise BadQuestion(f"history turn {n}: the question is over {max_question_chars} characters")
        if len(answer) > HISTORY_ANSWER_CHARS_MAX:
            raise BadQuestion(f"history turn {n}: the answer is over {HISTORY_ANSWER_CHARS_MAX} characters")
        articles = (turn.get("articles") if isinstance(turn, dict) else getattr(turn, "articles", ())) or ()
        turns.append(Turn(question, answer, _cited(articles, n)))
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
