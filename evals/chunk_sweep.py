"""Choose chunk size and overlap by measurement: retrieval and answer quality per setting on long articles.

SQuAD v1.1 dev paragraphs are joined back into one article per Wikipedia title (48 articles of ~40
paragraphs), so chunking matters as it does for long news articles; a sample of questions is then asked
against an index built with each setting.

    python -m evals.chunk_sweep [--questions 200] [--sizes 100:20,200:40,300:60]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time

import rag  # noqa: F401
from evals.corpora import cache_dir
from evals.metrics import f1_score, normalize_answer
from evals.squad import find_squad_dev, slugify
from evals.tables import text_table
from index.build import index_paths
from rag import Pipeline, load_settings


def joined_articles(folder):
    """One JSON article per SQuAD title; returns (folder, {question id: (article id, answers, question)})."""
    data = json.loads(find_squad_dev().read_text(encoding="utf-8"))["data"]
    folder.mkdir(parents=True, exist_ok=True)
    questions = {}
    for entry in data:
        article_id = slugify(entry["title"])
        text = "\n\n".join(p["context"].strip() for p in entry["paragraphs"])
        (folder / f"{article_id}.json").write_text(
            json.dumps({"id": article_id, "title": entry["title"].replace("_", " "), "text": text}), encoding="utf-8"
        )
        for paragraph in entry["paragraphs"]:
            for qa in paragraph["qas"]:
                questions[qa["id"]] = (article_id, [a["text"] for a in qa["answers"]], qa["question"])
    return folder, questions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.chunk_sweep", description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--sizes", default="100:20,200:40,300:60", help="size:overlap pairs, in tokens")
    args = parser.parse_args(argv)
    root = cache_dir() / "chunk-sweep"
    folder, questions = joined_articles(root / "articles")
    ids = random.Random(args.seed).sample(sorted(questions), args.questions)
    rows = []
    for pair in args.sizes.split(","):
        size, overlap = (int(x) for x in pair.split(":"))
        settings = load_settings(home=root / f"home-{size}-{overlap}", chunk_size=size, chunk_overlap=overlap)
        report = index_paths([folder], settings, progress=True)
        pipeline = Pipeline(settings)
        hits, f1s, totals = [], [], []
        for qid in ids:
            article_id, answers, question = questions[qid]
            started = time.perf_counter()
            result = pipeline.run(question)
            totals.append((time.perf_counter() - started) * 1000)
            golds = [normalize_answer(a) for a in answers]
            hits.append(any(p.article_id == article_id and any(g in normalize_answer(p.text) for g in golds)
                            for p in result.passages[:5]))  # fmt: skip
            f1s.append(f1_score(result.answer.short_answer, answers))
        rows.append({"chunk_size": size, "overlap": overlap, "chunks": report.chunks,
                     "hit@5": sum(hits) / len(ids), "short-answer F1": sum(f1s) / len(ids),
                     "mean ms/question": sum(totals) / len(totals)})  # fmt: skip
        print(text_table(rows[-1:], f"chunk_size={size}"), file=sys.stderr)
    print(
        text_table(rows, f"Chunk size sweep: SQuAD v1.1 dev joined per title, {len(ids)} questions (seed {args.seed})")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
