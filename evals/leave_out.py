"""The left-out eval: questions about stories that are not in the index, beside questions about those that are.

The commonest unanswerable question in real use is about a story that was simply never indexed. To measure it,
a seeded sample of the corpus's *titles* (a SQuAD title with all its paragraphs, a news article) is left out of
the index, and their questions become unanswerable (``kind: "left-out"``): the system must decline them while it
answers the questions about the titles that stayed.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from evals.dataset import EvalItem
from rag.errors import BadInput

LEFT_OUT = "left-out"


def title_of(item: EvalItem, titles: dict[str, str]) -> str:
    """The unit left out: the SQuAD title of the question's paragraph, else the article itself."""
    article = item.evidence_article_id or ""
    return titles.get(article) or article


def choose_left_out(items: Sequence[EvalItem], titles: dict[str, str], fraction: float, seed: int) -> set[str]:
    """A seeded sample of ``fraction`` of the titles that questions are about (at least one)."""
    if not 0 < fraction < 1:
        raise BadInput(f"--leave-out must be a fraction between 0 and 1, got {fraction}")
    asked = sorted({title_of(i, titles) for i in items if i.answerable and i.evidence_article_id})
    if len(asked) < 2:
        raise BadInput("--leave-out needs questions about at least two articles (evidence.article_id)")
    return set(random.Random(seed).sample(asked, max(1, math.floor(fraction * len(asked)))))


def mark_left_out(items: Sequence[EvalItem], titles: dict[str, str], left_out: set[str]) -> list[EvalItem]:
    """The questions about left-out titles turned unanswerable. Their answers stay on the item (no metric reads
    an unanswerable item's answers): an answer that matches them came from another article that tells the same
    story, which the report counts apart (a news archive repeats itself)."""
    return [
        replace(i, unanswerable=True, kind=LEFT_OUT)
        if i.answerable and title_of(i, titles) in left_out else i
        for i in items
    ]  # fmt: skip


def write_kept(paths: Sequence[Path], left_out: set[str], folder: Path) -> tuple[Path, dict[str, str]]:
    """The articles under ``paths`` except the left-out ones, as one ``articles.jsonl`` (ids, titles and dates
    kept) in ``folder``; returns it with every article's title by id."""
    from index.load import load_paths

    loaded = load_paths(list(paths))
    if not loaded.articles:
        raise BadInput(f"no articles could be read from {', '.join(map(str, paths))}")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "articles.jsonl"
    lines = [
        json.dumps({"id": a.id, "title": a.title, "text": a.text, "url": a.url, "source": a.source,
                    "author": a.author, "published": a.published.isoformat() if a.published else None},
                   ensure_ascii=False)  # fmt: skip
        for a in loaded.articles
        if a.id not in left_out
    ]
    content = "\n".join(lines) + "\n"
    if not target.exists() or target.read_text(encoding="utf-8") != content:
        target.write_text(content, encoding="utf-8")
    return folder, {a.id: a.title or "" for a in loaded.articles}
