"""Multi-turn evals: follow-up questions answered through the conversation, against the same questions asked
standalone with the reference spelled out.

A conversation is one JSON object per line: ``{"id", "turns": [turn, ...]}``; a turn is a question object of the
seed set's shape (``question``, ``answers``, ``evidence``) and every turn after the first also has ``standalone``
(the follow-up rewritten by a person), ``referent`` (what the reference stands for) and ``pattern`` (pronoun,
possessive, there, demonstrative, ellipsis). Each follow-up is asked with the conversation so far as history,
its earlier turns as they should have gone (the person's standalone questions and the first gold answers, as in
CoQA and QuAC), so a follow-up measures the resolution and not an earlier turn's mistake. Three groups are scored
alike: first turns, follow-ups, and the follow-ups' gold standalone questions asked with no history (what
resolution could reach at best).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from evals import metrics as m
from evals.dataset import EvalItem, item_from_record
from evals.run import TOP_K, cited_texts, score
from evals.tables import percentile
from rag import Answer, Passage, Settings
from rag.errors import BadInput
from rag.question import tokens

CONVERSATIONS = Path(__file__).resolve().parent / "data" / "conversations.jsonl"
GROUPS = ("first turns", "follow-ups", "standalone versions")
METRICS = ("exact_match", "f1", "answer_containment", "citation_precision", "hit@5")
RESOLVED_F1 = 0.8  # token F1 of the service's standalone question against the person's rewrite


@dataclass(frozen=True)
class FollowUp:
    item: EvalItem
    standalone: str
    referent: str
    pattern: str


@dataclass(frozen=True)
class Conversation:
    id: str
    first: EvalItem
    follow_ups: list[FollowUp]


def load_conversations(path: Path = CONVERSATIONS) -> list[Conversation]:
    """Every conversation of ``path``; a bad line is an error naming it (a gold set is fixed, not user input)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise BadInput(f"cannot read conversations {path}: {exc.strerror or exc}") from None
    out = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            turns = record["turns"]
            if not isinstance(turns, list) or len(turns) < 2:
                raise ValueError("'turns' must list at least two turns")
            items = [item_from_record(t, f"{record['id']}-{k}") for k, t in enumerate(turns, start=1)]
            follow_ups = [FollowUp(item, t["standalone"], t["referent"], t.get("pattern", ""))
                          for item, t in zip(items[1:], turns[1:], strict=True)]  # fmt: skip
        except (ValueError, KeyError, TypeError) as exc:
            raise BadInput(f"{path}:{n}: {exc}") from None
        out.append(Conversation(str(record["id"]), items[0], follow_ups))
    if not out:
        raise BadInput(f"no conversations in {path}")
    return out


def resolution_correct(service_standalone: str, gold: FollowUp) -> bool:
    """The service searched for what the person meant: the referent's head word (a surname, a company's last
    word, the noun of a phrase) is in its standalone question, and the whole reads like the person's rewrite
    (token F1 ≥ :data:`RESOLVED_F1`; words lower-cased, possessive 's dropped, so "Kellogg's" has "Kellogg")."""
    said = tokens(service_standalone)
    referent = [w for w in tokens(gold.referent) if w not in ("the", "a", "an")]
    return bool(referent) and referent[-1] in said and _f1(said, tokens(gold.standalone)) >= RESOLVED_F1


def _f1(said: list[str], gold: list[str]) -> float:
    same = sum((Counter(said) & Counter(gold)).values())
    return 0.0 if not same else 2 * same / (len(said) + len(gold))


@dataclass
class Asked:
    items: list[EvalItem]
    answers: list[Answer | None]
    rankings: list[list[Passage]]


def _ask(pipeline, item: EvalItem, question: str, group: Asked, history: list[dict] | None = None) -> Answer:
    result = pipeline.run(question, top_k=TOP_K, history=history)
    group.items.append(item)
    group.answers.append(result.answer)
    group.rankings.append(list(result.passages))
    return result.answer


def run_conversations(conversations: Sequence[Conversation], settings: Settings, progress: bool = True) -> dict:
    """Every conversation through the default answer path; returns the report (metrics per group, resolution
    accuracy by pattern, per-follow-up records)."""
    from tqdm import tqdm

    from rag import Pipeline

    pipeline = Pipeline(settings)
    pipeline.warm_up()
    groups = {name: Asked([], [], []) for name in GROUPS}
    records = []
    total = sum(1 + 2 * len(c.follow_ups) for c in conversations)
    with tqdm(total=total, desc="conversations", unit="q", file=sys.stderr, disable=not progress) as bar:
        for conversation in conversations:
            first = conversation.first
            said = _ask(pipeline, first, first.question, groups["first turns"])
            history = [{"question": first.question, "answer": _gold_answer(first), "articles": said.cited_articles()}]
            bar.update(1)
            for follow in conversation.follow_ups:
                answer = _ask(pipeline, follow.item, follow.item.question, groups["follow-ups"], history)
                alone = _ask(pipeline, follow.item, follow.standalone, groups["standalone versions"])
                history.append({"question": follow.standalone, "answer": _gold_answer(follow.item),
                                "articles": answer.cited_articles()})  # fmt: skip
                records.append(_record(conversation.id, follow, answer, alone))
                bar.update(2)
    texts: dict[str, str] = {}
    report: dict = {}
    for name, group in groups.items():
        aggregates, _ = score(group.items, group.answers, group.rankings, cited_texts(pipeline, group.answers, texts))
        report[name] = {k: aggregates[k] for k in (*METRICS, "citation_offsets", "questions", "abstained")}
    report["follow-ups"]["resolution_accuracy"] = m.mean([float(r["resolved"]) for r in records])
    report["follow-ups"]["resolve_p50_ms"] = percentile([r["resolve_ms"] for r in records], 50)
    report["follow-ups"]["resolve_p95_ms"] = percentile([r["resolve_ms"] for r in records], 95)
    report["by_pattern"] = _by_pattern(records)
    report["records"] = records
    return report


def _gold_answer(item: EvalItem) -> str:
    return item.answers[0] if item.answers else ""


def _record(conversation: str, follow: FollowUp, answer: Answer, alone: Answer) -> dict:
    return {
        "conversation": conversation,
        "pattern": follow.pattern,
        "question": follow.item.question,
        "gold_standalone": follow.standalone,
        "service_standalone": answer.standalone_question,
        "resolved": resolution_correct(answer.standalone_question, follow),
        "resolve_ms": answer.timings_ms.get("resolve", 0.0),
        "gold_answers": follow.item.answers,
        "short_answer": answer.short_answer,
        "f1": m.f1_score(answer.short_answer, follow.item.answers),
        "standalone_short_answer": alone.short_answer,
        "standalone_f1": m.f1_score(alone.short_answer, follow.item.answers),
    }


def _by_pattern(records: list[dict]) -> dict[str, dict]:
    out = {}
    for pattern in sorted({r["pattern"] for r in records}):
        rs = [r for r in records if r["pattern"] == pattern]
        out[pattern] = {
            "follow-ups": len(rs),
            "resolution_accuracy": m.mean([float(r["resolved"]) for r in rs]),
            "f1": m.mean([r["f1"] for r in rs]),
            "standalone_f1": m.mean([r["standalone_f1"] for r in rs]),
        }
    return out


def format_conversation_report(report: dict, examples: int = 5) -> str:
    """Markdown: the groups' table, the by-pattern table, and resolved and failed follow-ups."""

    def cell(value) -> str:
        return "—" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)

    rows = ["questions", *METRICS, "citation_offsets", "abstained"]
    lines = ["| metric | " + " | ".join(GROUPS) + " |", "|---|" + "---:|" * len(GROUPS)]
    lines += [f"| {row} | " + " | ".join(cell(report[g].get(row)) for g in GROUPS) + " |" for row in rows]
    follow = report["follow-ups"]
    lines += ["", f"Resolution accuracy {cell(follow['resolution_accuracy'])}; resolving took p50 "
              f"{cell(follow['resolve_p50_ms'])} ms, p95 {cell(follow['resolve_p95_ms'])} ms.", "",
              "| pattern | follow-ups | resolution accuracy | F1 | F1 standalone |",
              "|---|---:|---:|---:|---:|"]  # fmt: skip
    lines += [f"| {p} | {v['follow-ups']} | {cell(v['resolution_accuracy'])} | {cell(v['f1'])} | "
              f"{cell(v['standalone_f1'])} |" for p, v in report["by_pattern"].items()]  # fmt: skip
    for title, wanted in (("Resolved", True), ("Not resolved", False)):
        chosen = [r for r in report["records"] if r["resolved"] == wanted][:examples]
        lines += ["", f"{title} (first {len(chosen)}):", ""]
        lines += [f"- {r['conversation']} ({r['pattern']}): “{r['question']}” → searched “{r['service_standalone']}”"
                  f" (person: “{r['gold_standalone']}”); answer {r['short_answer']!r}" for r in chosen]  # fmt: skip
    return "\n".join(lines)
