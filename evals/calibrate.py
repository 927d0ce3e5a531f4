"""Fit the answer confidence (``rag/models/confidence.json``) and choose the abstention point, on data the
project may tune on, split by title.

Questions: the held-out titles of the three SQuAD-Shifts sets that may be trained or tuned on (the reader never
trained on them; ``evals.train_reader.held_out``). Units are titles (a reddit post is its own unit). A seeded
30 % of the units are left out of the index (their questions are about stories that are not there); of the units
kept, every third paragraph is left out too (on-topic questions the index cannot answer); the rest are
answerable. The non-held-out new_wiki paragraphs join the index as distractors, so retrieval meets text on other
topics. Each question's top readings (``rag.judging.confidence.JUDGED``) are recorded with their signals.

Then, with the units split again by a hash into *fit* (two thirds) and *check* (one third):

1. a logistic regression over :data:`rag.judging.confidence.FEATURES` of every judged reading (label: its span is right,
   F1 >= 0.5), fitted on *fit*;
2. a one-dimensional Platt correction of the best reading's score (the answer takes the most likely reading of
   several, which makes the raw maximum optimistic), also on *fit*;
3. the abstention point: the lowest confidence at which at least ``--target-precision`` of the questions
   answered on *fit* are ones the index answers (by default 0.88: close to nine answers in ten are to questions the
   articles answer; with this data's mix of 55 % answerable and 45 % unanswerable questions).

ECE, AURC, coverage, selective risk and left-out abstention are reported on *check*, the numbers that count.

    python -m evals.calibrate [--questions 1500] [--target-precision 0.88]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

from evals.corpora import cache_dir
from evals.metrics import RIGHT_F1, calibration, f1_score, risk_coverage
from evals.squad import load_squad, write_articles
from evals.train_reader import TRAIN_SETS, held_out, training_file
from rag.judging.confidence import FEATURES, JUDGED, MODEL_FILE

LEAVE_OUT = 0.3
LEFT_OUT, ON_TOPIC, ANSWERABLE = "left-out", "on-topic", "answerable"


def _unit(squad_name: str, title: str, article_id: str, single_title: bool) -> str:
    return f"{squad_name}:{article_id}" if single_title else f"{squad_name}:{title}"


def build(questions: int, seed: int) -> tuple[list[dict], list[dict]]:
    """``(articles to index, questions)``; a question is ``{question, answers, truth, unit}``."""
    rng = random.Random(seed)
    articles, items = [], []
    for name in TRAIN_SETS:
        squad = load_squad(training_file(name))
        titles = {a["id"]: a["title"] for a in squad.articles}
        single = len(set(titles.values())) < 10  # reddit files every post under one title: a post is the unit
        units = {}
        for a in squad.articles:
            title = a["title"]
            paragraph = int(a["id"].rsplit("-p", 1)[1])
            unit_held_out = held_out(f"{title}#{paragraph}" if single else title)
            if unit_held_out:
                units[a["id"]] = _unit(name, title, a["id"], single)
            elif name == "new_wiki_v1.0.json":
                articles.append(a)  # a distractor: the reader trained on its questions, never asked here
        chosen = sorted(set(units.values()))
        left_out = set(rng.sample(chosen, round(LEAVE_OUT * len(chosen))))
        for a in squad.articles:
            unit = units.get(a["id"])
            if unit is None or unit in left_out:
                continue
            if not single and int(a["id"].rsplit("-p", 1)[1]) % 3 == 2:
                continue  # an on-topic gap: the title stays, this paragraph does not
            articles.append(a)
        indexed = {a["id"] for a in articles}
        for item in squad.items:
            unit = units.get(item.evidence_article_id)
            if unit is None:
                continue
            truth = LEFT_OUT if unit in left_out else ANSWERABLE if item.evidence_article_id in indexed else ON_TOPIC
            items.append({"question": item.question, "answers": item.answers, "truth": truth, "unit": unit})
    by_truth = {t: [i for i in items if i["truth"] == t] for t in (ANSWERABLE, LEFT_OUT, ON_TOPIC)}
    shares = {ANSWERABLE: 0.55, LEFT_OUT: 0.28, ON_TOPIC: 0.17}
    sample = []
    for truth, share in shares.items():
        sample += rng.sample(by_truth[truth], min(len(by_truth[truth]), round(share * questions)))
    return articles, sample


def collect(questions: int, seed: int) -> list[dict]:
    """Every sampled question with its judged readings: features, span, and whether the span is right."""
    from index.build import index_paths
    from rag import Pipeline, load_settings

    articles, items = build(questions, seed)
    home = cache_dir() / "calibrate"
    settings = load_settings(home=home, confidence="reader")
    index_paths([write_articles(articles, home / "articles")], settings, progress=True)
    pipeline = Pipeline(settings)
    pipeline.warm_up()
    rows = []
    started = time.perf_counter()
    for n, item in enumerate(items, start=1):
        evidence = pipeline.run(item["question"]).evidence
        readings = [
            {"features": j.signals.features(), "span": j.reading.text,
             "right": item["truth"] == ANSWERABLE and f1_score(j.reading.text, item["answers"]) >= RIGHT_F1,
             "answerable": j.reading.answerable}
            for j in sorted(evidence.judged, key=lambda j: -j.reading.answerable)
        ]  # fmt: skip
        rows.append({**item, "readings": readings})
        if n % 100 == 0:
            print(f"{n}/{len(items)} questions, {(time.perf_counter() - started) / n * 1000:.0f} ms each",
                  file=sys.stderr)  # fmt: skip
    return rows


def is_fit(unit: str) -> bool:
    return int(hashlib.sha256(unit.encode()).hexdigest(), 16) % 3 != 0


def fit(rows: list[dict], target: float) -> dict:
    from sklearn.linear_model import LogisticRegression

    fit_rows = [r for r in rows if is_fit(r["unit"]) and r["readings"]]
    x = np.array([f for r in fit_rows for f in (g["features"] for g in r["readings"])])
    y = np.array([g["right"] for r in fit_rows for g in r["readings"]])
    means, scales = x.mean(axis=0), x.std(axis=0) + 1e-9
    model = LogisticRegression(C=1.0, max_iter=1000).fit((x - means) / scales, y)
    raw = {"coefficients": model.coef_[0].tolist(), "intercept": float(model.intercept_[0]),
           "means": means.tolist(), "scales": scales.tolist()}  # fmt: skip

    def best_logit(r: dict, platt=(1.0, 0.0)) -> tuple[float, bool, str]:
        z = [raw["intercept"] + float(np.dot(raw["coefficients"], (np.array(g["features"]) - means) / scales))
             for g in r["readings"]]  # fmt: skip
        i = int(np.argmax(z))
        return platt[0] * z[i] + platt[1], r["readings"][i]["right"], r["readings"][i]["span"]

    # the maximum over readings is optimistic: a 1-D Platt correction on the selected reading's logit
    chosen = [best_logit(r) for r in fit_rows]
    platt_model = LogisticRegression(C=1e4, max_iter=1000).fit(np.array([[z] for z, _, _ in chosen]),
                                                                np.array([ok for _, ok, _ in chosen]))  # fmt: skip
    a, b = float(platt_model.coef_[0][0]), float(platt_model.intercept_[0])
    # fold the correction into the linear model: sigmoid(a * z + b)
    calibrated = {"coefficients": [a * c for c in raw["coefficients"]], "intercept": a * raw["intercept"] + b,
                  "means": raw["means"], "scales": raw["scales"]}  # fmt: skip

    def confidences(subset):
        out = []
        for r in subset:
            if not r["readings"]:
                out.append((0.0, False, r["truth"]))
                continue
            z, ok, _ = best_logit(r, (a, b))
            out.append((float(1 / (1 + np.exp(-z))), ok, r["truth"]))
        return out

    fitted = confidences([r for r in rows if is_fit(r["unit"])])
    threshold = choose_threshold(fitted, target)
    checked = confidences([r for r in rows if not is_fit(r["unit"])])
    return {**calibrated, "abstain_below": threshold, "fit": summary(fitted, threshold),
            "check": summary(checked, threshold), "reader_only_check": reader_only(rows)}  # fmt: skip


def choose_threshold(scored: list[tuple[float, bool, str]], target: float) -> float:
    """The lowest confidence at which at least ``target`` of the answered questions are ones the index answers.

    Precision of the *decision to answer*, not of the span: whether a span is exactly right depends on the domain
    (the reader is right far less often on reddit posts and product reviews than on news or Wikipedia), whether
    the articles answer the question much less so; and "the articles don't say" is the promise the point keeps."""
    for threshold in np.round(np.arange(0.05, 0.96, 0.01), 2):
        answered = [truth == ANSWERABLE for p, _, truth in scored if p >= threshold]
        if answered and sum(answered) / len(answered) >= target:
            return float(threshold)
    return 0.95


def summary(scored: list[tuple[float, bool, str]], threshold: float) -> dict:
    probabilities = [p for p, _, _ in scored]
    right = [ok for _, ok, _ in scored]
    answered = [(ok, truth) for p, ok, truth in scored if p >= threshold]
    answerable = [p >= threshold for p, _, truth in scored if truth == ANSWERABLE]
    left_out = [p < threshold for p, _, truth in scored if truth == LEFT_OUT]
    on_topic = [p < threshold for p, _, truth in scored if truth == ON_TOPIC]
    return {
        "questions": len(scored),
        "ece": calibration(probabilities, right)[0],
        "aurc": risk_coverage(probabilities, right)[0],
        "coverage": round(float(np.mean(answerable)), 4) if answerable else None,
        "selective_risk": round(1 - float(np.mean([ok for ok, _ in answered])), 4) if answered else None,
        "left_out_abstained": round(float(np.mean(left_out)), 4) if left_out else None,
        "on_topic_abstained": round(float(np.mean(on_topic)), 4) if on_topic else None,
    }


def reader_only(rows: list[dict]) -> dict:
    """The same check questions with the reader's answerability as the confidence and its 0.80 point."""
    scored = []
    for r in rows:
        if is_fit(r["unit"]):
            continue
        first = r["readings"][0] if r["readings"] else None
        scored.append((first["answerable"] if first else 0.0, bool(first and first["right"]), r["truth"]))
    return summary(scored, 0.80)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.calibrate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--target-precision", type=float, default=0.88,
                        help="share of answered questions the index answers, at the abstention point")  # fmt: skip
    parser.add_argument("--rows", type=Path, default=None, help="reuse recorded readings (JSON) if the file exists")
    parser.add_argument("--out", type=Path, default=MODEL_FILE)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.rows and args.rows.exists():
        rows = json.loads(args.rows.read_text(encoding="utf-8"))
    else:
        rows = collect(args.questions, args.seed)
        saved = args.rows or cache_dir() / "calibrate" / "rows.json"
        saved.write_text(json.dumps(rows), encoding="utf-8")
        print(f"readings saved to {saved}", file=sys.stderr)
    model = fit(rows, args.target_precision)
    counts = {t: sum(r["truth"] == t for r in rows) for t in (ANSWERABLE, LEFT_OUT, ON_TOPIC)}
    doc = {
        "what": "P(short answer right) = sigmoid(intercept + sum(coefficients * (features - means) / scales)) over "
        "the best of the top readings; rag/judging/confidence.py",
        "features": list(FEATURES),
        **{k: model[k] for k in ("coefficients", "intercept", "means", "scales", "abstain_below")},
        "abstention_rule": f"lowest confidence at which >= {args.target_precision} of the answered fit questions "
        "are answerable from the index",
        "data": {"sets": list(TRAIN_SETS), "units": "held-out titles (reddit: posts)", "left_out_share": LEAVE_OUT,
                 "questions": counts, "judged_readings": JUDGED, "seed": args.seed,
                 "split": "unit hash: fit 2/3, check 1/3"},
        "fit": model["fit"], "check": model["check"], "reader_only_check": model["reader_only_check"],
        "command": "python -m evals.calibrate " + " ".join(argv if argv is not None else sys.argv[1:]),
        "seconds": round(time.perf_counter() - started),
    }  # fmt: skip
    args.out.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({k: doc[k] for k in ("abstain_below", "fit", "check", "reader_only_check")}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
