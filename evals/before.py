"""The dated sets answered by an older checkout of the code and by this one, scored alike: a before/after from the
start of a line of work, not from the last commit.

    git worktree add /tmp/before 8904d22
    python -m evals.before /tmp/before --time heldout2 [--time dev ...]

Neighbouring commits can be compared with ``rag eval`` at each, but an old commit's ``rag eval`` may not know a
set written later, and its scoring is the scoring of its day. Here the old code only indexes and answers: each
checkout runs in its own process (its own packages first on the path) over the same articles and distractors, in
its own home, through the two calls every version has (``index.build.index_paths``, ``Pipeline.ask``); this
checkout scores both with :func:`evals.run.is_right_for_kind`. Over this checkout the driver gives
``rag eval --time``'s per-kind table (it passes the questions' ``as_of`` where the code takes it).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from evals import metrics as m
from evals.cli import TIME_QUESTIONS, default_corpus
from evals.dataset import EvalItem, load_questions
from evals.run import TOP_K, is_right_for_kind

HERE = Path(__file__).resolve().parent.parent

# Run inside the checkout under test: argv = top_k, questions.jsonl, home, answers.json, article folders...
ASK = """
import json, sys
from datetime import date
from pathlib import Path
from index.build import index_paths
from rag.pipeline import Pipeline
from rag.settings import Settings

top_k, questions, home, out, folders = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
settings = Settings(home=Path(home))
index_paths([Path(f) for f in folders], settings)
pipeline = Pipeline(settings)
rows = []
for line in open(questions, encoding="utf-8"):
    q = json.loads(line)
    as_of = date.fromisoformat(q["as_of"]) if q.get("as_of") else None
    try:
        a = pipeline.ask(q["question"], top_k=top_k, as_of=as_of)
    except TypeError as exc:  # a version that has no as_of
        if "as_of" not in str(exc):
            raise
        a = pipeline.ask(q["question"], top_k=top_k)
    rows.append({"id": q["id"], "short_answer": a.short_answer, "answer": a.answer, "abstained": a.abstained})
json.dump(rows, open(out, "w", encoding="utf-8"))
"""


def answers_of(checkout: Path, questions: Path, folders: Sequence[Path], work: Path) -> list[dict]:
    """Index ``folders`` and answer ``questions`` with the code of ``checkout``, in a process of its own."""
    home, out = work / "home", work / "answers.json"
    env = {**os.environ, "PYTHONPATH": str(checkout), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    args = [sys.executable, "-c", ASK, str(TOP_K), str(questions), str(home), str(out), *map(str, folders)]
    subprocess.run(args, cwd=checkout, env=env, check=True)
    return json.loads(out.read_text(encoding="utf-8"))


def right_by_kind(items: Sequence[EvalItem], answers: Sequence[dict]) -> dict[str, list[bool]]:
    """Each answer scored as ``rag eval --time`` scores it: short-answer F1 (numbers must match), or for change and
    what-happened questions, the newest value in the answer text; an abstention is wrong."""
    by_id = {a["id"]: a for a in answers}
    right: dict[str, list[bool]] = defaultdict(list)
    for item in items:
        answer = by_id[item.id]
        short = None if answer["abstained"] else answer["short_answer"]
        contained = not answer["abstained"] and m.holds_answer(answer["answer"] or "", item.answers)
        scores = {"f1": m.f1_score(short, item.answers), "answer_containment": float(contained)}
        record = {"kind": item.kind, "gold_answers": item.answers, "short_answer": short, "scores": scores}
        right[item.kind].append(is_right_for_kind(record))
    return dict(right)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.before", description=__doc__.split("\n\n")[0])
    parser.add_argument("checkout", type=Path, help="the older checkout (e.g. a git worktree at the commit)")
    parser.add_argument("--time", action="append", choices=sorted(TIME_QUESTIONS), required=True,
                        help="a dated split; repeat for several")  # fmt: skip
    args = parser.parse_args(argv)
    for split in args.time:
        questions = TIME_QUESTIONS[split]
        items, _ = load_questions(questions)
        folders = default_corpus(questions)
        tables = {}
        for name, checkout in (("before", args.checkout.resolve()), ("now", HERE)):
            with tempfile.TemporaryDirectory(prefix=f"before-{name}-") as work:
                tables[name] = right_by_kind(items, answers_of(checkout, questions, folders, Path(work)))
        print(f"\n{split} ({len(items)} questions): right share per kind, {args.checkout} -> this checkout")
        print("| kind | questions | before | now |\n|---|---:|---:|---:|")
        for kind in sorted(tables["now"]):
            before, now = tables["before"][kind], tables["now"][kind]
            print(f"| {kind} | {len(now)} | {sum(before) / len(before):.3f} | {sum(now) / len(now):.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
