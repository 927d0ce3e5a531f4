"""Eval results on disk: ``report.md`` (metrics × ablations), ``report.json`` (everything), ``answers.md`` (every
question's answer in the main config) and ``chart.png``."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from evals.run import COUNT_METRICS, QUALITY_METRICS, STAGES
from rag import ABSTAIN_MESSAGE

RESULTS_ROOT = Path("evals/results")
CHART_METRICS = ("hit@5", "mrr", "exact_match", "f1", "answer_containment", "citation_precision",
                 "citation_offsets", "abstention_precision", "abstention_recall")  # fmt: skip


def config_names(report: dict) -> list[str]:
    skip = ("per_question", "worst", "main", "meta", "by_type", "by_kind")
    return [k for k, v in report.items() if k not in skip and isinstance(v, dict)]


def metric_rows() -> list[str]:
    latency = [f"latency_{s}_{p}_ms" for s in STAGES for p in ("p50", "p95")]
    return [*QUALITY_METRICS, *latency, *COUNT_METRICS]


def _cell(value) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.3f}"


def format_table(report: dict, rows: list[str] | None = None) -> str:
    """Markdown table: one row per metric, one column per ablation (the main one marked)."""
    names = config_names(report)
    main = report.get("main")
    header = ["metric", *[f"**{n}**" if n == main else n for n in names]]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * len(names)) + "|"]
    for metric in rows or metric_rows():
        lines.append("| " + " | ".join([metric, *[_cell(report[n].get(metric)) for n in names]]) + " |")
    return "\n".join(lines)


def format_intervals(report: dict) -> str:
    """The main config's trust metrics with their 95 % intervals (``evals.run.intervals``), "" when it has none."""
    main = report.get("main")
    found = [(name, span) for name, span in ((report.get(main) or {}).get("intervals") or {}).items() if span]
    lines = ["| metric | value | 95 % interval |", "|---|---:|---:|"]
    lines += [f"| {name} | {_cell(report[main].get(name))} | {lo:.3f}–{hi:.3f} |" for name, (lo, hi) in found]
    return "\n".join(lines) if found else ""


def format_worst(report: dict) -> str:
    lines = []
    for n, w in enumerate(report.get("worst", []), start=1):
        said = "(abstained)" if w["abstained"] else repr(w["short_answer"])
        gold = " | ".join(w["gold_answers"]) or "(unanswerable)"
        lines.append(f"{n}. `{w['id']}` ({w['kind']}) {w['question']}")
        lines.append(f"   - gold: {gold}; short answer: {said}; confidence {_cell(w['confidence'])}")
        if not w["abstained"] and w["answer"]:
            answer = w["answer"] if len(w["answer"]) <= 300 else w["answer"][:297] + "..."
            lines.append(f"   - answer: {answer}")
        lines.append(f"   - problems: {'; '.join(w['problems']) or '-'}")
    return "\n".join(lines) or "(none: every question scored perfectly)"


def format_by_type(report: dict) -> str:
    rows = report.get("by_type") or {}
    lines = ["| question type | questions | EM | F1 | containment | answered |", "|---|---:|---:|---:|---:|---:|"]
    for kind, r in rows.items():
        lines.append(f"| {kind} | {r['questions']} | {_cell(r['exact_match'])} | {_cell(r['f1'])} | "
                     f"{_cell(r['answer_containment'])} | {_cell(r['answered'])} |")  # fmt: skip
    return "\n".join(lines)


def format_by_kind(report: dict) -> str:
    """Right share per question kind (the dated set's kinds); empty when the set has no kinds."""
    rows = report.get("by_kind") or {}
    if not rows:
        return ""
    lines = ["| kind | questions | right | answered |", "|---|---:|---:|---:|"]
    lines += [f"| {kind} | {r['questions']} | {_cell(r['right'])} | {_cell(r['answered'])} |"
              for kind, r in rows.items()]
    return "\n".join(lines)


def to_markdown(report: dict) -> str:
    meta = report.get("meta", {})
    intro = [f"# Answer-quality eval: {meta.get('name', '')}".rstrip(": "), ""]
    for key in ("questions_source", "articles", "home", "sample", "seed", "started", "seconds"):
        if meta.get(key) is not None:
            intro.append(f"- {key}: {meta[key]}")
    intro += [
        f"- main config: {report.get('main')}",
        "- trust: coverage = answered share of the answerable; selective risk = wrong share of the answered "
        "(F1 < 0.5 or an unanswerable question answered); AURC and ECE over every question's best span and its "
        "confidence (trust.png: risk-coverage and reliability)",
        "",
        "Retrieval hits count a top-k passage from the gold article that contains a gold answer (normalised, on "
        "word boundaries). EM/F1: answerable questions, SQuAD-style normalisation, on the short answer (null or "
        "abstained scores 0); abstention treats 'abstained' as the positive class. `n/a`: the metric does not "
        "apply to this question set.",
        "",
    ]
    spans = format_intervals(report)
    intervals = [f"## 95 % intervals ({report.get('main')}: the articles, or where one article holds much of the set "
                 "the questions, drawn again 1,000 times; a change inside the interval is not yet a measured change)",
                 "", spans, ""] if spans else []  # fmt: skip
    kinds = format_by_kind(report)
    by_kind = [f"## By kind ({report.get('main')}, right: F1 ≥ 0.5, or the answer text holds the gold for change "
               "and what-happened questions)", "", kinds, ""] if kinds else []  # fmt: skip
    return "\n".join([*intro, format_table(report), "", *intervals, *by_kind,
                      f"## By question type ({report.get('main')}, answerable)", "", format_by_type(report), "",
                      f"## Worst questions ({report.get('main')})", "", format_worst(report), ""])  # fmt: skip


def _clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def format_answers(report: dict) -> str:
    """Every question of the main config with what the system answered: the table behind docs/seed-answers.md."""
    main = report.get("main")
    lines = [f"# What the system answers ({main})", "",
             f"\"—\" = no short answer; *abstained* = \"{ABSTAIN_MESSAGE}\"", "",
             "| id | kind | question | short answer | cited / abstained | gold |",
             "|---|---|---|---|---|---|"]  # fmt: skip
    for r in (report.get("per_question") or {}).get(main, []):
        cited = r.get("citations") or []
        said = "abstained" if r["abstained"] else ("cited: " + _clip(cited[0]["quote"], 60) if cited else "-")
        gold = "; ".join(r.get("gold_answers") or []) or "(unanswerable)"
        question = r["question"].replace("|", "/")
        lines.append(f"| {r['id']} | {r.get('kind', '')} | {question} | {r['short_answer'] or '—'} | {said} | {gold} |")
    return "\n".join(lines) + "\n"


def draw_chart(report: dict, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = config_names(report)
    metrics = [k for k in CHART_METRICS if any(report[n].get(k) is not None for n in names)]
    width = 0.8 / max(len(names), 1)
    fig, ax = plt.subplots(figsize=(max(8, 1.3 * len(metrics)), 4.5))
    for i, name in enumerate(names):
        xs = [j + (i - (len(names) - 1) / 2) * width for j in range(len(metrics))]
        ys = [report[name].get(k) or 0.0 for k in metrics]
        bars = ax.bar(xs, ys, width, label=name)
        ax.bar_label(bars, labels=[f"{y:.2f}" for y in ys], fontsize=6, padding=1)
    ax.set_xticks(range(len(metrics)), metrics, rotation=20, ha="right")
    ax.set_ylim(0, 1.08)
    ax.set_ylabel("score")
    ax.set_title(f"Answer quality by ablation: {report.get('meta', {}).get('name', '')}".rstrip(": "))
    ax.legend(fontsize=8, ncols=len(names), loc="upper center", bbox_to_anchor=(0.5, -0.22))
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def draw_trust(report: dict, path: Path) -> Path | None:
    """Risk-coverage curves (every config) and the main config's reliability diagram, side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from evals.dataset import item_from_record
    from evals.metrics import calibration, is_right, risk_coverage

    per = report.get("per_question") or {}
    curves = {}
    for name, records in per.items():
        judged = [r for r in records if r.get("p_right") is not None]
        if judged:
            right = [is_right(_item(r, item_from_record), r["best_span"]) for r in judged]
            curves[name] = ([r["p_right"] for r in judged], right)
    if not curves:
        return None
    fig, (left, right_ax) = plt.subplots(1, 2, figsize=(11, 4.5))
    main = report.get("main")
    for name, (probabilities, right) in curves.items():
        aurc, curve = risk_coverage(probabilities, right)
        left.plot([c for c, _, _ in curve], [r for _, r, _ in curve], label=f"{name} (AURC {aurc:.3f})",
                  linewidth=2.2 if name == main else 1.0)  # fmt: skip
    if main in curves:
        probabilities, right = curves[main]
        threshold = report.get("meta", {}).get("abstain_below")
        if threshold is not None:
            answered = sum(p >= threshold for p in probabilities) / len(probabilities)
            left.axvline(answered, color="grey", linestyle=":", label=f"default abstention point ({threshold:.2f})")
        ece, bins = calibration(probabilities, right)
        right_ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=0.8)
        right_ax.bar([p for p, _, _ in bins], [r for _, r, _ in bins], width=0.06, alpha=0.7, label="share right")
        for p, r, c in bins:
            right_ax.annotate(str(c), (p, r), textcoords="offset points", xytext=(0, 3), ha="center", fontsize=7)
        right_ax.set_title(f"Reliability ({main}): ECE {ece:.3f}")
        right_ax.set_xlabel("confidence (bin mean); numbers: questions in the bin")
        right_ax.set_ylabel("share of best spans right (F1 >= 0.5)")
        right_ax.set_xlim(0, 1)
        right_ax.set_ylim(0, 1.05)
    left.set_xlabel("coverage (share of all questions answered, most confident first)")
    left.set_ylabel("risk (share of those answered wrong)")
    left.set_title("Risk-coverage")
    left.set_xlim(0, 1)
    left.set_ylim(0, 1.02)
    left.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _item(record: dict, build):
    return build({"id": record["id"], "question": record["question"], "answers": record["gold_answers"],
                  "unanswerable": record["unanswerable"], "kind": record.get("kind") or "",
                  "evidence": {"article_id": record.get("gold_article_id"), "quote": None}}, record["id"])  # fmt: skip


def default_out_dir(root: Path = RESULTS_ROOT) -> Path:
    return root / datetime.now().strftime("%Y%m%d-%H%M%S")


def write_report(report: dict, out_dir: Path | None = None) -> Path:
    """Write ``report.md``, ``report.json`` and ``chart.png`` into ``out_dir`` (created); return it."""
    out = Path(out_dir) if out_dir else default_out_dir()
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n",
                                     encoding="utf-8")  # fmt: skip
    (out / "report.md").write_text(to_markdown(report), encoding="utf-8")
    (out / "answers.md").write_text(format_answers(report), encoding="utf-8")
    draw_chart(report, out / "chart.png")
    draw_trust(report, out / "trust.png")
    return out
