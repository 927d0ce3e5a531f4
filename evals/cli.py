"""``rag eval``: index an eval corpus into its own home, run the ablations, write the report, gate on it.

Registered by ``ui/cli.py`` with ``add_eval_parser(sub, cmd_eval)``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime
from pathlib import Path

from evals.conversations import CONVERSATIONS
from evals.run import CONFIGS, DEFAULT_CONFIGS, MAIN_CONFIG

PACKAGE = Path(__file__).resolve().parent
SEED_QUESTIONS = PACKAGE / "data" / "seed_questions.jsonl"
# The dated sets: "dev"/"heldout" (12 stories), and "dev2"/"heldout2" (12 more, written later by other hands, measured
# before any rule was written from them)
TIME_QUESTIONS = {split: PACKAGE / "data" / f"time{'2' if split.endswith('2') else ''}_{split.rstrip('2')}.jsonl"
                  for split in ("dev", "heldout", "dev2", "heldout2")}  # fmt: skip
TIME_ARTICLES = PACKAGE / "data" / "time" / "articles"
TIME2_ARTICLES = PACKAGE / "data" / "time2" / "articles"
DEFAULT_SEED = 13


def default_articles() -> Path:
    from rag import seeds_folder

    return seeds_folder()


def default_corpus(questions: Path) -> list[Path]:
    """The seed articles; for the seed question set, among the BBC News distractors it is gated on; for the
    BBC sets (``bbc_*.jsonl``), the BBC News archive; for the fresh conversation sets, the archive and the dated
    stories."""
    from evals.corpora import bbc_folder, seed_distractors

    if questions.name.startswith("bbc_"):  # the BBC left-out sets: the whole archive is their corpus
        return [bbc_folder()]
    if questions.name.startswith("time_"):  # the dated stories, among BBC News distractors
        return [TIME_ARTICLES, seed_distractors()]
    if questions.name.startswith("time2_"):
        return [TIME2_ARTICLES, seed_distractors()]
    if questions.name.startswith("conversations_fresh"):  # conversations over BBC articles and the dated stories
        return [bbc_folder(), TIME_ARTICLES]
    seeds = default_articles()
    return [seeds, seed_distractors()] if questions.resolve() == SEED_QUESTIONS.resolve() else [seeds]


def add_eval_parser(subparsers, func) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "eval",
        help="measure answer quality (retrieval, short answers, citations, abstention) across ablations",
        description="Index the eval articles into a private home under $RAG_HOME/evals/, run every question "
        "through each ablation (dense, bm25, hybrid, hybrid+rerank) and write report.md, report.json and "
        "chart.png. Progress and logs go to stderr.",
    )
    p.add_argument(
        "--questions",
        type=Path,
        default=SEED_QUESTIONS,
        help="question set (.jsonl); default: the seed set, evals/data/seed_questions.jsonl",
    )
    p.add_argument(
        "--articles",
        type=Path,
        nargs="+",
        default=None,
        metavar="PATH",
        help="article files or folders the questions are about (default: seeds/, plus 30 BBC News distractor "
        "articles for the seed question set)",
    )
    source = p.add_mutually_exclusive_group()
    source.add_argument(
        "--conversations",
        type=Path,
        nargs="?",
        const=CONVERSATIONS,
        metavar="PATH",
        help="the multi-turn set instead (default evals/data/conversations.jsonl, over the seed corpus): first "
        "turns, follow-ups asked through the conversation, and their standalone versions, plus resolution accuracy",
    )
    source.add_argument(
        "--squad",
        type=Path,
        metavar="PATH",
        help="a SQuAD v1.1/v2.0 JSON file: its paragraphs are the articles, its questions the set",
    )
    source.add_argument(
        "--time",
        nargs="?",
        const="dev",
        choices=sorted(TIME_QUESTIONS),
        help="the dated-news set (evals/data/time_dev.jsonl, or 'heldout', 'dev2', 'heldout2'): stories reported "
        "several times as facts change, among BBC News distractors; a right-share table per question kind",
    )
    source.add_argument(
        "--squad-dev",
        action="store_true",
        help="the SQuAD v1.1 dev set from the data cache (~/.cache/rag-news or $RAG_DATA_CACHE), "
        "all 2,067 paragraphs indexed as one open corpus",
    )
    p.add_argument(
        "--leave-out",
        type=float,
        default=None,
        metavar="FRACTION",
        help="leave this share of the asked-about titles (SQuAD) or articles out of the index (seeded by --seed): "
        "their questions must be declined, the others answered",
    )
    p.add_argument("--sample", type=int, default=None, metavar="N", help="evaluate N questions drawn at random")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed for --sample (default {DEFAULT_SEED})")
    p.add_argument(
        "--configs",
        default=",".join(DEFAULT_CONFIGS),
        help=f"comma-separated, from {','.join(CONFIGS)} (default: {','.join(DEFAULT_CONFIGS)}; "
        "generative needs RAG_LLM_URL or RAG_LLM_GGUF)",
    )
    p.add_argument(
        "--out", type=Path, default=None, metavar="DIR", help="results folder (default: evals/results/<timestamp>/)"
    )
    p.add_argument("--json", action="store_true", help="print {config: {metric: value}} as JSON on stdout")
    p.add_argument(
        "--check",
        action="store_true",
        help=f"exit 1 when a {MAIN_CONFIG} metric is below its threshold in evals/thresholds.json",
    )
    p.add_argument(
        "--thresholds",
        type=Path,
        default=None,
        metavar="PATH",
        help="thresholds file for --check (default: evals/thresholds.json)",
    )
    p.set_defaults(func=func)
    return p


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _base_settings():
    from rag import load_settings

    return load_settings()


def _home_name(prefix: str, paths: list[Path]) -> str:
    from evals.squad import slugify
    from rag.types import stable_hash

    resolved = sorted(str(p.resolve()) for p in paths)
    return f"{slugify(prefix)}-{stable_hash(*resolved, length=10)}"


def prepare(args: argparse.Namespace, base_home: Path):
    """``(name, eval home, article paths, items, problems, source)`` for the chosen question set."""
    from evals.dataset import load_questions
    from evals.leave_out import choose_left_out, mark_left_out, write_kept
    from evals.squad import find_squad_dev, load_squad, sample_items, write_articles

    leave_out = f"-leave-out-{args.leave_out}-{args.seed}" if args.leave_out else ""
    if args.squad or args.squad_dev:
        path = args.squad or find_squad_dev()
        squad = load_squad(path)
        name = _home_name(f"squad-{path.stem}{leave_out}", [path])
        home = base_home / "evals" / name
        items, problems, source = squad.items, [], str(path)
        kept = squad.articles
        if args.leave_out:
            titles = {a["id"]: a["title"] for a in squad.articles}
            left_out = choose_left_out(items, titles, args.leave_out, args.seed)
            items = mark_left_out(items, titles, left_out)
            kept = [a for a in squad.articles if a["title"] not in left_out]
        articles = [write_articles(kept, home / "articles")]
    else:
        if getattr(args, "time", None):
            args.questions = TIME_QUESTIONS[args.time]
        items, problems = load_questions(args.questions)
        articles = args.articles or default_corpus(args.questions)
        name = _home_name(f"{articles[0].resolve().name}{leave_out}", articles)
        home = base_home / "evals" / name
        source = str(args.questions)
        if args.leave_out:
            left_out = choose_left_out(items, {}, args.leave_out, args.seed)
            items = mark_left_out(items, {}, left_out)
            articles = [write_kept(articles, left_out, home / "kept")[0]]
    return name, home, articles, sample_items(items, args.sample, args.seed), problems, source


def _warn_unknown_articles(items, settings) -> None:
    from rag import Store

    known = set(Store(settings).article_records())
    missing = sorted({i.evidence_article_id for i in items if i.evidence_article_id} - known)
    if missing:
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        _log(f"warning: {len(missing)} evidence article id(s) are not in the eval index: {shown}")


def cmd_conversations(args: argparse.Namespace) -> int:
    """``rag eval --conversations``: the multi-turn set over the seed corpus, gated on its own thresholds."""
    from evals.conversations import format_conversation_report, load_conversations, run_conversations
    from evals.gate import THRESHOLDS, load_thresholds
    from evals.report import default_out_dir
    from rag import load_settings

    gate = (args.thresholds or THRESHOLDS, "conversations") if args.check else None
    if gate:
        load_thresholds(*gate)  # a bad thresholds file fails before the eval runs
    conversations = load_conversations(args.conversations)
    fresh = args.conversations.name.startswith("conversations_fresh")
    articles = args.articles or default_corpus(args.conversations if fresh else SEED_QUESTIONS)
    home = _base_settings().home / "evals" / _home_name(articles[0].resolve().name, articles)
    settings = load_settings(home=home)
    _index_corpus(articles, settings)
    report = run_conversations(conversations, settings, progress=True)
    out = Path(args.out) if args.out else default_out_dir()
    out.mkdir(parents=True, exist_ok=True)
    (out / "conversations.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    table = format_conversation_report(report)
    (out / "conversations.md").write_text(f"# Conversations ({args.conversations})\n\n{table}\n", encoding="utf-8")
    groups = {k: v for k, v in report.items() if k not in ("records", "by_pattern")}
    return _show_and_gate(table, groups, args.json, f"results: {out}/conversations.md, conversations.json",
                          report["follow-ups"], gate, "follow-ups")  # fmt: skip


def cmd_eval(args: argparse.Namespace) -> int:
    if args.conversations:
        return cmd_conversations(args)
    from evals.gate import THRESHOLDS, load_thresholds
    from evals.report import format_table, write_report
    from evals.run import parse_configs, run_eval
    from rag import load_settings
    from rag.errors import BadInput
    from rag.judging.confidence import abstention_point

    configs = parse_configs(args.configs)
    if args.check and MAIN_CONFIG not in [c.name for c in configs]:
        raise BadInput(f"--check gates the {MAIN_CONFIG} config: include it in --configs")
    gate = (args.thresholds or THRESHOLDS, "metrics") if args.check else None
    if gate:
        load_thresholds(*gate)  # a bad thresholds file fails before the eval runs
    base = _base_settings()
    name, home, articles, items, problems, source = prepare(args, base.home)
    for problem in problems:
        _log(f"skipped question: {problem}")

    settings = load_settings(home=home)
    _index_corpus(articles, settings)
    _warn_unknown_articles(items, settings)

    started = datetime.now()
    clock = time.perf_counter()
    report = run_eval(items, settings, configs, progress=True)
    report["meta"] = {
        "name": name, "questions_source": source, "articles": [str(a) for a in articles], "home": str(home),
        "questions": len(items), "skipped_questions": problems, "sample": args.sample,
        "seed": args.seed if args.sample else None, "started": started.isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - clock, 1), "leave_out": args.leave_out,
        "confidence": settings.confidence, "abstain_below": abstention_point(settings),
    }  # fmt: skip
    out = write_report(report, args.out)
    metrics = {c.name: report[c.name] for c in configs}

    from evals.report import format_by_kind

    table = "\n\n".join(t for t in (format_table(report), format_by_kind(report)) if t)
    return _show_and_gate(table, metrics, args.json, f"results: {out}/report.md, report.json, chart.png",
                          report.get(MAIN_CONFIG, {}), gate, MAIN_CONFIG)  # fmt: skip


def _index_corpus(articles: list[Path], settings) -> None:
    """Index the eval's articles into its private home, saying what was skipped; none indexed is an error."""
    from index.build import index_paths
    from rag.errors import BadInput

    _log(f"indexing {', '.join(map(str, articles))} into {settings.home}")
    indexed = index_paths(articles, settings, progress=True)
    for skip in indexed.skipped:
        _log(f"skipped article {skip['path']}: {skip['reason']}")
    if indexed.articles == 0:
        raise BadInput(f"no articles could be indexed from {', '.join(map(str, articles))}")
    _log(f"indexed {indexed.articles} articles, {indexed.chunks} chunks ({indexed.embedded} embedded)")


def _show_and_gate(table: str, payload: dict, as_json: bool, results: str, metrics: dict,
                   gate: tuple[Path, str] | None, gated: str) -> int:  # fmt: skip
    """Print the table (or ``payload`` as JSON, the table then to stderr) and check ``metrics`` against the
    thresholds file's bounds under ``gate`` = (file, key) when given (``--check`` makes sure the gated config ran):
    the exit code of ``rag eval``."""
    from evals.gate import check_all

    if as_json:
        print(json.dumps(payload, indent=2))
        _log(table)
    else:
        print(table)
    _log(results)
    if gate is None:
        return 0
    failures = check_all(metrics, *gate)
    for failure in failures:
        _log(f"outside threshold ({gated}): {failure}")
    if failures:
        return 1
    _log(f"all thresholds met ({gated})")
    return 0
