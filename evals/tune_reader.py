"""Choose the abstention threshold (``RAG_ABSTAIN_BELOW``) and the retrieval prior on questions, not by hand.

Only held-out titles of the SQuAD-Shifts sets that may be tuned on are used (the reader never trained on them:
``evals.train_reader.held_out``). Of their paragraphs, the even ones are indexed as an open corpus; questions
about them are answerable, questions about the odd ones are on topic but unanswerable from the index. Every
question's readings are recorded once; then every (retrieval prior, threshold) pair is scored: balanced accuracy
of the abstain-or-answer decision, and F1 of the short answer over the answerable questions.

    python -m evals.tune_reader [--questions 300]
"""

from __future__ import annotations

import argparse
import json
import random
import sys

import numpy as np

from evals.corpora import cache_dir
from evals.metrics import f1_score
from evals.squad import load_squad, write_articles
from evals.train_reader import TRAIN_SETS, held_out, training_file
from index.build import index_paths
from rag import load_settings

PRIORS = (0.0, 0.05, 0.1, 0.2, 0.3)


def collect(questions: int, seed: int, depth: int) -> list[tuple[bool, list[str], list[tuple[float, int, str]]]]:
    """Per question: answerable?, gold answers, and the readings as (answerability, fused rank, span)."""
    from rag import Pipeline

    articles, answerable, unanswerable = [], [], []
    for name in ("new_wiki_v1.0.json", "amazon_reviews_v1.0.json"):
        assert name in TRAIN_SETS
        squad = load_squad(training_file(name))
        titles = {a["id"]: a["title"] for a in squad.articles}
        chosen = [a for a in squad.articles if held_out(a["title"])]
        indexed = {a["id"] for a in chosen if int(a["id"].rsplit("-p", 1)[1]) % 2 == 0}
        articles += [a for a in chosen if a["id"] in indexed]
        for item in squad.items:
            if held_out(titles[item.evidence_article_id]):
                (answerable if item.evidence_article_id in indexed else unanswerable).append(item)
    rng = random.Random(seed)
    chosen_items = [(True, i) for i in rng.sample(answerable, min(questions, len(answerable)))] + [
        (False, i) for i in rng.sample(unanswerable, min(questions, len(unanswerable)))
    ]
    home = cache_dir() / "tune-reader"
    settings = load_settings(home=home, reader_depth=depth, reader_confident=1.0)  # read every passage: priors compare
    index_paths([write_articles(articles, home / "articles")], settings, progress=True)
    pipeline = Pipeline(settings)
    rows = []
    for n, (truth, item) in enumerate(chosen_items, start=1):
        evidence = pipeline.run(item.question).evidence
        ranks = {p.chunk_id: p.scores.get("retrieval_rank", i) for i, p in enumerate(evidence.context)}
        readings = [(r.answerable, ranks.get(r.passage.chunk_id, depth), r.text) for r in evidence.readings]
        rows.append((truth, item.answers, readings))
        if n % 100 == 0:
            print(f"{n}/{len(chosen_items)} questions", file=sys.stderr)
    return rows


def sweep(rows) -> list[dict]:
    truth = np.array([t for t, _, _ in rows])
    results = []
    for prior in PRIORS:
        best = [max(readings, key=lambda r: r[0] + prior / (1 + r[1]), default=(0.0, 0, "")) for _, _, readings in rows]
        strength = np.array([b[0] for b in best])
        f1 = np.array([f1_score(b[2], gold) if t else 0.0 for (t, gold, _), b in zip(rows, best, strict=True)])
        for threshold in np.linspace(0.05, 0.95, 91):
            answered = strength >= threshold
            results.append({
                "prior": prior, "threshold": round(float(threshold), 2),
                "balanced_accuracy": float((answered[truth].mean() + (~answered)[~truth].mean()) / 2),
                "answered_when_answerable": float(answered[truth].mean()),
                "abstained_when_unanswerable": float((~answered)[~truth].mean()),
                "f1_answerable": float((f1 * answered)[truth].mean()),
            })  # fmt: skip
    return sorted(results, key=lambda r: -r["balanced_accuracy"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.tune_reader", description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=300, help="answerable and unanswerable questions, each")
    parser.add_argument("--depth", type=int, default=load_settings().reader_depth, help="passages read per question")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    results = sweep(collect(args.questions, args.seed, args.depth))
    print("prior | threshold | balanced acc | answered (answerable) | abstained (unanswerable) | F1 (answerable)")
    for r in results[:12]:
        print(f"{r['prior']:.2f}  | {r['threshold']:.2f}      | {r['balanced_accuracy']:.3f}        | "
              f"{r['answered_when_answerable']:.3f}                 | {r['abstained_when_unanswerable']:.3f}"
              f"                    | {r['f1_answerable']:.3f}")  # fmt: skip
    best = results[0]
    print(f"\nchosen: RAG_ABSTAIN_BELOW={best['threshold']:.2f}, RETRIEVAL_PRIOR={best['prior']:.2f}")
    print(json.dumps(best))
    return 0


if __name__ == "__main__":
    sys.exit(main())
