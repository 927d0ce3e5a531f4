"""HTML for answers and citations. Every piece of article text goes through ``html.escape``: an article that
contains markup or script is shown as text, never executed."""

from __future__ import annotations

import re
from html import escape

from rag import ABSTAIN_MESSAGE, Answer, Citation

CSS = """
.rag-short { font-size: 1.6em; font-weight: 700; margin: .2em 0 .4em; }
.rag-abstain { font-size: 1.3em; font-weight: 600; color: #92400e; }
.rag-reason { color: #92400e; margin: 0.2em 0 0.6em; }
.rag-full { font-size: 1.05em; line-height: 1.5; white-space: pre-line; }  /* a dated brief: one report a line */
.rag-marker { font-weight: 700; text-decoration: none; color: #1d4ed8; }
.rag-card { border: 1px solid #d1d5db; border-radius: 8px; padding: .6em .9em; margin: .6em 0; }
.rag-card-title { font-weight: 600; }
.rag-meta, .rag-timings { color: #6b7280; font-size: .85em; }
.rag-passage, .rag-article { white-space: pre-wrap; line-height: 1.45; }
.rag-card mark { background: #fde68a; padding: 0 .1em; }
.rag-unsupported { text-decoration: underline wavy #dc2626; }
.rag-contradicted { text-decoration: line-through #dc2626; }
.rag-flag { color: #dc2626; font-size: .8em; font-weight: 600; margin-left: .2em; }
.rag-streaming { white-space: pre-wrap; line-height: 1.5; color: #374151; }
.rag-turn { border-bottom: 1px solid #e5e7eb; padding: .4em 0 .8em; }
.rag-asked { font-weight: 600; color: #111827; margin-top: .4em; }
.rag-asked::before { content: "Q: "; color: #6b7280; }
.rag-searched { color: #6b7280; font-size: .85em; font-style: italic; }
.rag-article { max-height: 28em; overflow-y: auto; border-top: 1px dashed #d1d5db; margin-top: .4em; }
"""


def highlighted(text: str, start: int, end: int) -> str:
    """``text`` escaped, with ``text[start:end]`` wrapped in <mark>."""
    start, end = max(0, start), min(len(text), end)
    return f"{escape(text[:start])}<mark>{escape(text[start:end])}</mark>{escape(text[end:])}"


def date_label(article) -> str | None:
    """When the report was published, or, when no date was given, the day it was first indexed, said as such (an
    undated article is at least that old, not "current")."""
    if article.published:
        return article.published.isoformat()
    return f"first seen {article.seen.isoformat()}, no publication date" if article.seen else None


def card(c: Citation, article_text: str | None, label: str, anchor: str = "cite") -> str:
    byline = f"by {c.author}" if c.author else None
    derived = ' <span class="rag-meta" title="The article had no title">(title from its text)</span>' \
        if c.title_derived else ""
    where = f"characters {c.start}–{c.end}"
    meta = " · ".join(escape(x) for x in (c.source, byline, date_label(c), c.article_id, where) if x)
    passage_start = c.passage.find(c.quote)
    passage = (
        highlighted(c.passage, passage_start, passage_start + len(c.quote)) if passage_start >= 0 else escape(c.passage)
    )
    full = ""
    if article_text is not None and article_text[c.start : c.end] != c.quote:
        # The article was re-indexed with other text after this answer was found: its offsets no longer point
        # at the quote, so no highlight rather than a highlight of the wrong words.
        full = '<div class="rag-meta">The article has changed since this answer was found: ask again.</div>'
    elif article_text is not None:
        full = (
            f"<details><summary>Open the full article</summary>"
            f'<div class="rag-article">{highlighted(article_text, c.start, c.end)}</div></details>'
        )
    link = f' · <a href="{escape(c.url, quote=True)}" rel="noopener noreferrer">link</a>' if c.url else ""
    return (
        f'<div class="rag-card" id="{anchor}-{c.n}">'
        f'<div class="rag-card-title">{label} {escape(c.title or c.article_id)}{derived}</div>'
        f'<div class="rag-meta">{meta}{link}</div><div class="rag-passage">{passage}</div>{full}</div>'
    )


def _markers(text: str, anchor: str = "cite") -> str:
    return re.sub(r"\[(\d+)\]", rf'<a class="rag-marker" href="#{anchor}-\1">[\1]</a>', escape(text))


def statements_html(answer: Answer, anchor: str = "cite") -> str:
    """A generated answer sentence by sentence; what no cited passage backs is marked, what the passages contradict
    is struck through, each with the reason."""
    out = []
    for s in answer.statements:
        markers = _markers("".join(f" [{n}]" for n in s.citations), anchor)
        if s.supported:
            out.append(f"{escape(s.text)}{markers}")
        else:
            note = escape(s.note or "not backed by the passages", quote=True)
            out.append(f'<span class="rag-{s.verdict}" title="{note}">{escape(s.text)}</span>'
                       f'<span class="rag-flag" title="{note}">{s.verdict}</span>')  # fmt: skip
    return " ".join(out)


def streaming_html(text: str) -> str:
    """The model's text while it is being written: not yet verified, and said so."""
    return (
        '<div class="rag-answer"><div class="rag-meta">Writing… (citations are checked when the answer is complete)'
        f'</div><p class="rag-streaming">{escape(text)}</p></div>'
    )


def answer_html(answer: Answer, article_texts: dict[str, str], anchor: str = "cite",
                request_id: str | None = None) -> str:  # fmt: skip
    """One answer with its citation cards; ``anchor`` makes the cards' ids unique within a conversation;
    ``request_id`` (shown small, last) finds the request's log line when someone reports the answer."""
    parts = ['<div class="rag-answer">']
    if answer.abstained:
        parts.append(f'<div class="rag-abstain">{escape(ABSTAIN_MESSAGE)}</div>')
        if answer.abstain_reason:
            parts.append(f'<p class="rag-reason">Why: {escape(answer.abstain_reason)}.</p>')
        if answer.related:
            parts.append("<p>Related passages (they do not answer the question):</p>")
            parts += [card(c, article_texts.get(c.article_id), "Related:", f"{anchor}-rel") for c in answer.related]
        if answer.statements:
            parts.append("<details><summary>What the model wrote (not backed by the passages)</summary>"
                         f'<p class="rag-full">{statements_html(answer, anchor)}</p></details>')  # fmt: skip
    else:
        if answer.short_answer:
            parts.append(f'<div class="rag-short">{escape(answer.short_answer)}</div>')
        written = answer.statements and not answer.note  # with a note, the answer shown is the extracted one
        body = statements_html(answer, anchor) if written else _markers(answer.answer, anchor)
        parts.append(f'<p class="rag-full">{body}</p>')
        if answer.as_of:
            parts.append(f'<p class="rag-meta">As of {answer.as_of.isoformat()} (the newest report that answers it)'
                         + "".join(f"; earlier: {escape(e.answer)} ({e.published.isoformat() if e.published else '?'},"
                                   f" {escape(e.title or e.article_id)})" for e in answer.earlier) + "</p>")
        if answer.note:
            parts.append(f'<p class="rag-reason">{escape(answer.note)}</p>'
                         "<details><summary>What the model wrote (contradicted by the passages)</summary>"
                         f'<p class="rag-full">{statements_html(answer, anchor)}</p></details>')  # fmt: skip
        parts += [card(c, article_texts.get(c.article_id), f"[{c.n}]", anchor) for c in answer.citations]
    timings = " · ".join(f"{k} {v:.0f} ms" for k, v in answer.timings_ms.items())
    model = f" · written by {escape(answer.model)}" if answer.model else ""
    rid = f' · <span class="rag-request-id">request id: {escape(request_id)}</span>' if request_id else ""
    parts.append(f'<div class="rag-timings">confidence {answer.confidence:.2f}{model} · {timings}{rid}</div></div>')
    return "".join(parts)


def _asked(n: int, question: str, searched: str | None) -> str:
    out = f'<div class="rag-asked">{escape(question)}</div>'
    if searched and searched != question:
        out += f'<div class="rag-searched">Searched for: {escape(searched)}</div>'
    return out


def answered_turn(n: int, answer: Answer, article_texts: dict[str, str], request_id: str | None = None) -> dict:
    """A finished turn as the browser session keeps it: what the next question is resolved against, and its HTML
    (rendered once: the article texts it highlights are not kept)."""
    html = _asked(n, answer.question, answer.standalone_question) + answer_html(
        answer, article_texts, f"t{n}-cite", request_id
    )
    return {**answer.history_turn(), "html": f'<div class="rag-turn" id="turn-{n}">{html}</div>'}


def pending_turn(n: int, question: str, written: str) -> dict:
    """The turn being answered, while the model writes."""
    return {"html": f'<div class="rag-turn" id="turn-{n}">{_asked(n, question, None)}{streaming_html(written)}</div>'}


def conversation_html(turns: list[dict]) -> str:
    """Every turn, oldest first."""
    return "".join(t["html"] for t in turns)
