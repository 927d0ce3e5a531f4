"""Choose the abstention threshold on questions, not by hand: answerable ones, and related ones whose
paragraph is not indexed.

From SQuAD-Shifts new_wiki (a set that may be tuned on), the even paragraphs of every article are indexed;
questions about them are answerable, questions about the odd paragraphs of the same articles are on-topic but
unanswerable from the index. Each question's evidence components are recorded once, then every
(threshold, type-missing factor) pair is scored by balanced accuracy of the abstain-or-answer decision.

    python -m evals.tune_abstention [--questions 300]
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys

import rag  # noqa: F401
from evals.corpora import cache_dir
from evals.squad import load_squad, write_articles
from evals.train_spans import training_file
from index.build import index_paths
from rag.answer import Assessment
from rag.pipeline import Pipeline
from rag.settings import Settings

FACTORS = (0.6, 0.7, 0.8, 0.9, 1.0)
SPAN_WEIGHTS = (0.0, 0.1, 0.2, 0.3)


def collect(questions: int, seed: int) -> list[tuple[bool, Assessment]]:
    squad = load_squad(training_file("new_wiki_v1.0.json"))
    indexed = [a for a in squad.articles if int(a["id"].rsplit("-p", 1)[1]) % 2 == 0]
    indexed_ids = {a["id"] for a in indexed}
    answerable = [i for i in squad.items if i.evidence_article_id in indexed_ids]
    unanswerable = [i for i in squad.items if i.evidence_article_id not in indexed_ids]
    rng = random.Random(seed)
    chosen = [(False, i) for i in rng.sample(answerable, questions)] + [
        (True, i) for i in rng.sample(unanswerable, questions)
    ]
    home = cache_dir() / "tune-abstention"
    settings = Settings(home=home)
    index_paths([write_articles(indexed, home / "articles")], settings, progress=True)
    pipeline = Pipeline(settings)
    rows = []
    for n, (truth, item) in enumerate(chosen, start=1):
        a = pipeline.run(item.question).assessment
        rows.append((truth, Assessment(a.top_score, a.type_missing, a.span)))
        if n % 100 == 0:
            print(f"{n}/{len(chosen)} questions", file=sys.stderr)
    return rows


def sweep(rows: list[tuple[bool, Assessment]]) -> list[dict]:
    results = []
    for factor, weight, step in itertools.product(FACTORS, SPAN_WEIGHTS, range(15, 90)):
        threshold = step / 100
        abstain = [a.evidence(factor, weight) < threshold for _, a in rows]
        tp = sum(1 for (truth, _), ab in zip(rows, abstain, strict=True) if truth and ab)
        tn = sum(1 for (truth, _), ab in zip(rows, abstain, strict=True) if not truth and not ab)
        positives = sum(1 for truth, _ in rows if truth)
        negatives = len(rows) - positives
        recall, specificity = tp / positives, tn / negatives
        precision = tp / max(1, sum(abstain))
        results.append(
            {"factor": factor, "span_weight": weight, "threshold": threshold,
             "balanced_accuracy": (recall + specificity) / 2, "abstention_precision": precision,
             "abstention_recall": recall, "answered_when_answerable": specificity}
        )  # fmt: skip
    return sorted(results, key=lambda r: -r["balanced_accuracy"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.tune_abstention", description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=300, help="answerable and unanswerable questions, each")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    results = sweep(collect(args.questions, args.seed))
    print("factor | span weight | threshold | balanced acc | abst. precision | abst. recall | answered when answerable")
    for r in results[:12]:
        print(f"{r['factor']:.1f}    | {r['span_weight']:.1f}         | {r['threshold']:.2f}      | "
              f"{r['balanced_accuracy']:.3f}        | "
              f"{r['abstention_precision']:.3f}           | {r['abstention_recall']:.3f}        | "
              f"{r['answered_when_answerable']:.3f}")  # fmt: skip
    best = results[0]
    print(
        f"\nchosen: RAG_ABSTAIN_BELOW={best['threshold']:.2f}, TYPE_MISSING_FACTOR={best['factor']:.1f}, "
        f"SPAN_WEIGHT={best['span_weight']:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
