"""Train the short-answer span ranker (logistic regression over ``rag.span_features``) on SQuAD-Shifts.

Only the three SQuAD-Shifts sets that may be trained on are read: new_wiki, reddit and amazon_reviews (from
the ``bigbench==1.0.0`` source archive). Every other SQuAD file is held out for evaluation. Each question's
gold sentence is parsed, every candidate span in it featurised, and a candidate whose token F1 with a gold
answer is at least 0.5 is a positive. The result, a few kilobytes of weights, is written to
``rag/models/span_ranker.json``. Reproduce with:

    python -m evals.train_spans
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

import rag  # noqa: F401
from evals.metrics import f1_score, normalize_answer
from evals.squad import squad_shifts_file
from rag.question import analyse
from rag.sentences import split_sentences
from rag.span_features import FEATURES, candidates, features, question_positions, vector
from rag.spans import MODEL_PATH, load_nlp

TRAIN_SETS = ("new_wiki_v1.0.json", "reddit_v1.0.json", "amazon_reviews_v1.0.json")


def training_file(name: str) -> Path:
    """One of the SQuAD-Shifts sets that may be trained or tuned on; every other file is held out."""
    if name not in TRAIN_SETS:
        raise ValueError(f"{name} is held out for evaluation and must not be trained on")
    return squad_shifts_file(name)


def examples(limit: int | None):
    """(split, question, gold answers, gold sentence) for every answerable question of the training sets."""
    for name in TRAIN_SETS:
        data = json.loads(training_file(name).read_text(encoding="utf-8"))["data"]
        for article in data:
            split = "dev" if int(hashlib.sha256(article["title"].encode()).hexdigest(), 16) % 10 == 0 else "train"
            for paragraph in article["paragraphs"]:
                context = paragraph["context"]
                spans = split_sentences(context)
                for qa in paragraph["qas"]:
                    if not qa.get("answers"):
                        continue
                    at = qa["answers"][0]["answer_start"]
                    sentence = next(((s, e) for s, e in spans if s <= at < e), None)
                    if sentence is None:
                        continue
                    golds = [a["text"] for a in qa["answers"]]
                    yield split, qa["question"], golds, context[sentence[0] : sentence[1]]
                    limit = None if limit is None else limit - 1
                    if limit == 0:
                        return


def featurise(rows):
    nlp = load_nlp()
    X, y, groups, texts, golds_by_group = [], [], [], [], []
    splits = []
    docs = nlp.pipe([r[3] for r in rows], batch_size=128)
    for group, ((split, question_text, golds, _), doc) in enumerate(zip(rows, docs, strict=True)):
        question = analyse(question_text)
        matched = question_positions(question, doc)
        golds_by_group.append(golds)
        splits.append(split)
        for span, label in candidates(doc):
            f = features(question, span, label, matched)
            if f["repeats_question"]:  # never an answer at inference either
                continue
            X.append(vector(f))
            y.append(float(f1_score(span.text, golds) >= 0.5))
            groups.append(group)
            texts.append(span.text)
    return np.asarray(X, np.float32), np.asarray(y, np.float32), np.asarray(groups), texts, golds_by_group, splits


def train(X: np.ndarray, y: np.ndarray, l2: float = 1e-5, steps: int = 300) -> tuple[np.ndarray, float]:
    import torch

    torch.manual_seed(0)
    features_t, labels_t = torch.from_numpy(X), torch.from_numpy(y)
    weights = torch.zeros(X.shape[1], requires_grad=True)
    bias = torch.zeros(1, requires_grad=True)
    optimiser = torch.optim.LBFGS([weights, bias], max_iter=steps, line_search_fn="strong_wolfe")

    def loss_fn():
        optimiser.zero_grad()
        logits = features_t @ weights + bias
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels_t) + l2 * (weights**2).sum()
        loss.backward()
        return loss

    optimiser.step(loss_fn)
    return weights.detach().numpy(), float(bias.detach())


def evaluate(X, groups, texts, golds_by_group, mask_groups, weights, bias) -> dict[str, float]:
    """EM/F1 of the best-scored span per question, given the gold sentence."""
    scores = X @ weights + bias
    mask_groups = set(mask_groups)
    if not mask_groups:
        return {"questions": 0, "exact_match": 0.0, "f1": 0.0}
    best: dict[int, tuple[float, str]] = {}
    for score, group, text in zip(scores, groups, texts, strict=True):
        if group in mask_groups and (group not in best or score > best[group][0]):
            best[group] = (float(score), text)
    em = [float(normalize_answer(best[g][1]) in {normalize_answer(a) for a in golds_by_group[g]}) if g in best
          else 0.0 for g in mask_groups]  # fmt: skip
    f1 = [f1_score(best[g][1], golds_by_group[g]) if g in best else 0.0 for g in mask_groups]
    return {"questions": len(mask_groups), "exact_match": float(np.mean(em)), "f1": float(np.mean(f1))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.train_spans", description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, help="only the first N questions (a quick smoke run)")
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    rows = list(examples(args.limit))
    X, y, groups, texts, golds, splits = featurise(rows)
    print(f"{len(rows)} questions, {len(y)} candidates ({y.mean():.1%} positive), "
          f"{time.perf_counter() - started:.0f} s to featurise", file=sys.stderr)  # fmt: skip
    train_groups = {g for g, s in enumerate(splits) if s == "train"}
    dev_groups = sorted(set(range(len(splits))) - train_groups)
    in_train = np.array([g in train_groups for g in groups])
    weights, bias = train(X[in_train], y[in_train])
    dev = evaluate(X, groups, texts, golds, dev_groups, weights, bias)
    train_scores = evaluate(X, groups, texts, golds, sorted(train_groups), weights, bias)
    print(f"train {train_scores}\ndev   {dev}", file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "model": "logistic regression over rag.span_features, positives = candidates with token F1 >= 0.5",
        "trained_on": [f"bigbench==1.0.0 squad_shifts/{name}" for name in TRAIN_SETS],
        "command": "python -m evals.train_spans",
        "questions": len(rows), "dev_given_gold_sentence": dev, "train_given_gold_sentence": train_scores,
        "bias": round(bias, 6),
        "weights": {name: round(float(w), 6) for name, w in zip(FEATURES, weights, strict=True)},
    }, indent=1) + "\n")  # fmt: skip
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
