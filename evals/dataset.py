"""The question set an eval runs: one JSON object per line, loaded into :class:`EvalItem` objects.

A line looks like ``{"id", "question", "answers": [str], "evidence": {"article_id", "quote"} | null,
"unanswerable": bool, "kind": str}``; only ``question`` is required. A bad line is reported with its line
number and skipped, so one typo never hides the other questions; a missing or empty file is an error.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from rag.errors import BadInput


@dataclass(frozen=True)
class EvalItem:
    id: str
    question: str
    answers: list[str] = field(default_factory=list)
    evidence_article_id: str | None = None
    evidence_quote: str | None = None
    unanswerable: bool = False
    kind: str = ""
    as_of: date | None = None  # the asker's "now" for a question about time (default: the day the eval runs)

    @property
    def answerable(self) -> bool:
        return not self.unanswerable

    def to_dict(self) -> dict:
        return asdict(self)


def item_from_record(record: object, default_id: str) -> EvalItem:
    """Validate one question object; raise ``ValueError`` saying what is wrong with it."""
    if not isinstance(record, dict):
        raise ValueError(f"expected a JSON object, got {type(record).__name__}")
    question = record.get("question")
    if not isinstance(question, str) or not question.strip():
        raise ValueError("missing or empty 'question'")
    item_id = record.get("id", default_id)
    if not isinstance(item_id, str | int) or isinstance(item_id, bool):
        raise ValueError(f"'id' must be a string, got {type(item_id).__name__}")
    answers = record.get("answers") or []
    if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
        raise ValueError("'answers' must be a list of strings")
    evidence = record.get("evidence")
    article_id = quote = None
    if evidence is not None:
        if not isinstance(evidence, dict):
            raise ValueError(f"'evidence' must be an object or null, got {type(evidence).__name__}")
        article_id, quote = evidence.get("article_id"), evidence.get("quote")
        for key, value in (("article_id", article_id), ("quote", quote)):
            if value is not None and not isinstance(value, str):
                raise ValueError(f"'evidence.{key}' must be a string, got {type(value).__name__}")
    unanswerable = record.get("unanswerable", False)
    if not isinstance(unanswerable, bool):
        raise ValueError(f"'unanswerable' must be true or false, got {unanswerable!r}")
    if not unanswerable and not answers and not quote:
        raise ValueError("an answerable question needs 'answers' or an evidence 'quote'")
    kind = record.get("kind") or ""
    if not isinstance(kind, str):
        raise ValueError(f"'kind' must be a string, got {type(kind).__name__}")
    try:
        as_of = date.fromisoformat(record["as_of"]) if record.get("as_of") else None
    except (TypeError, ValueError):
        raise ValueError(f"'as_of' must be a date YYYY-MM-DD, got {record.get('as_of')!r}") from None
    return EvalItem(
        id=str(item_id),
        question=question.strip(),
        answers=[a for a in answers if a.strip()],
        evidence_article_id=article_id or None,
        evidence_quote=quote or None,
        unanswerable=unanswerable,
        kind=kind,
        as_of=as_of,
    )


def load_questions(path: Path | str) -> tuple[list[EvalItem], list[str]]:
    """Items from a ``.jsonl`` question set, and one problem message per line that could not be used.

    Raises :class:`BadInput` when the file is missing or unreadable, or holds no usable question.
    """
    path = Path(path)
    if not path.is_file():
        raise BadInput(f"question set not found: {path}")
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read question set {path}: {exc}") from None
    items: list[EvalItem] = []
    problems: list[str] = []
    seen: set[str] = set()
    for n, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = item_from_record(json.loads(line), default_id=f"{path.stem}-{n}")
        except json.JSONDecodeError as exc:
            problems.append(f"{path}:{n}: invalid JSON: {exc.msg} (column {exc.colno})")
            continue
        except ValueError as exc:
            problems.append(f"{path}:{n}: {exc}")
            continue
        if item.id in seen:
            problems.append(f"{path}:{n}: duplicate id {item.id!r}")
            continue
        seen.add(item.id)
        items.append(item)
    if not items:
        detail = f" ({len(problems)} bad lines, first: {problems[0]})" if problems else ""
        raise BadInput(f"question set {path} has no usable questions{detail}")
    return items, problems
