"""What each grounding check costs and catches, from an eval's ``report.json``.

For every check the confidence model weighs (a name, a number or a quoted title of the question missing from the
answer's article, the share of rare words missing, a span of the wrong shape), each question's confidence is
computed again as if that check had found nothing wrong, and the decision at the abstention point compared:

- **costs**: right answers (F1 >= 0.5) the check turned into abstentions;
- **catches**: wrong answers, or answers to questions the articles do not answer, it turned into abstentions.

The best reading stays the one the system chose (a check can also change which reading leads; that is not
counted here). ``python -m evals.checks REPORT.json [...]`` prints one table per report.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from evals.dataset import item_from_record
from evals.metrics import is_right
from evals.tables import text_table
from rag.judging.confidence import FEATURES, Calibrator

# each check: the features it sets, and their value when the check finds nothing
CHECKS = {
    "name missing from the article": {"name_missing": 0.0, "names_missing": 0.0},
    "number or quoted title missing": {"number_missing": 0.0},
    "rare words missing (article and passage)": {"words_missing": 0.0, "passage_words_missing": 0.0},
    "span of the wrong shape": {"type_mismatch": 0.0},
    "all grounding checks": {"name_missing": 0.0, "names_missing": 0.0, "number_missing": 0.0,
                             "words_missing": 0.0, "passage_words_missing": 0.0, "type_mismatch": 0.0},
}  # fmt: skip


def _probability(model: Calibrator, features: dict[str, float]) -> float:
    z = model.intercept + sum(
        c * (features[name] - m) / s
        for c, name, m, s in zip(model.coefficients, FEATURES, model.means, model.scales, strict=True)
    )
    return 1 / (1 + math.exp(-z))


def costs(records: list[dict], model: Calibrator, threshold: float) -> list[dict]:
    rows = []
    for check, neutral in CHECKS.items():
        cost = catch = flagged = 0
        for r in records:
            features = r.get("signals")
            if not features:
                continue
            if any(features[k] != v for k, v in neutral.items()):
                flagged += 1
            with_check = _probability(model, features) >= threshold
            without = _probability(model, {**features, **neutral}) >= threshold
            if without and not with_check:
                item = item_from_record({"id": r["id"], "question": r["question"], "answers": r["gold_answers"],
                                         "unanswerable": r["unanswerable"]}, r["id"])  # fmt: skip
                if is_right(item, r["best_span"]):
                    cost += 1
                else:
                    catch += 1
        rows.append({"check": check, "questions flagged": flagged, "right answers lost (costs)": cost,
                     "wrong answers stopped (catches)": catch})  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.checks", description=__doc__.split("\n\n")[0])
    parser.add_argument("reports", type=Path, nargs="+", help="report.json files of `rag eval`")
    args = parser.parse_args(argv)
    model = Calibrator.load()
    for path in args.reports:
        report = json.loads(path.read_text(encoding="utf-8"))
        records = report["per_question"][report["main"]]
        threshold = report.get("meta", {}).get("abstain_below") or model.abstain_below
        rows = costs(records, model, threshold)
        print(text_table(rows, f"{path} ({len(records)} questions, abstention point {threshold:.2f})"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
