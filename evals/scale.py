"""How the service grows with the corpus: index throughput, no-op re-index, a one-article update until it is
searchable, query latency by stage, serving memory and start-up, at growing chunk counts in one store.

    python -m evals.scale --targets 10000,30000 [--questions 50]

The corpus is real text the project can get offline, added in this order until each target is reached: BBC
News (2,225 articles), SQuAD v1.1 dev paragraphs (2,067, as the query benchmark uses), the SQuAD-Shifts
new_wiki, reddit and amazon_reviews paragraphs, then generated articles (``tests``-style synthetic local news,
named ``generated-*``) as padding. Questions are SQuAD dev questions, each asked once in the process. Every
timing names the CPU; the store lives in ``RAG_DATA_CACHE/scale-home`` and is reused by a later run.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import time
from pathlib import Path

import rag  # noqa: F401  (offline environment first)
from evals.bench import cpu_name, serve_until_answer
from evals.corpora import bbc_news, cache_dir
from evals.squad import find_squad_dev, load_squad, sample_items, squad_shifts_file, write_articles
from evals.tables import percentile, text_table
from index.build import index_paths
from rag import Pipeline, Store, load_settings
from rag.errors import RagError


def sources(home: Path) -> list[tuple[str, Path, bool]]:
    """(name, folder, first line is the title) in the order they are added."""
    out = [("bbc", bbc_news(), True)]
    # the folder name matches the query benchmark's, so a store copied from it reuses every stored vector
    out.append(("squad-dev", write_articles(load_squad(find_squad_dev()).articles, home / "squad-articles"), False))
    for name in ("new_wiki_v1.0.json", "reddit_v1.0.json", "amazon_reviews_v1.0.json"):
        folder = home / "src" / name.split("_v")[0]
        out.append((name.split("_v")[0], write_articles(load_squad(squad_shifts_file(name)).articles, folder), False))
    return out


def padding(home: Path, batch: int, start: int) -> Path:
    """``batch`` generated local-news articles (numbered from ``start``), clearly synthetic, to reach a target."""
    folder = home / "src" / f"generated-{start:06d}"
    folder.mkdir(parents=True, exist_ok=True)
    towns = ["Port Elm", "Lindholm", "Carrow", "Brisk Bay", "Tallis", "Oakmere", "Vennford", "Saltash Cove"]
    topics = ["harbour", "bridge", "library", "railway", "school", "hospital", "market", "museum", "ferry"]
    for i in range(start, start + batch):
        r = random.Random(i)
        town, topic = r.choice(towns), r.choice(topics)
        paragraphs = [
            f"The {topic} in {town} reported figures for week {i % 52 + 1} of project {i}. Officials counted "
            f"{r.randint(100, 9999)} visitors and {r.randint(2, 90)} complaints, up {r.randint(1, 60)} percent. "
            f"The council said a review of case {i}-{p} would follow in {r.randint(2, 12)} weeks."
            for p in range(6)
        ]
        (folder / f"{i:06d}.txt").write_text(f"Generated {topic} report {i}\n\n" + "\n\n".join(paragraphs) + "\n")
    return folder


def one_article_update(settings, pipeline: Pipeline, home: Path, timeout: float = 120) -> tuple[float, float, float]:
    """Seconds to index one new article, then until dense retrieval finds it, then until BM25 does (a serving
    pipeline: its lexical side catches up through the store's change log at the next question). The article
    has a word no other text has, and a name of its own per run, so it is new every time."""
    stamp = time.strftime("%Y%m%d%H%M%S")
    folder = home / "src" / f"update-{stamp}"
    marker = f"Zorvath{stamp}quill"
    text = f"The {marker} festival opened in Carrow on Sunday."
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "update.txt").write_text(f"Update {stamp}\n\n{text}\n")
    started = time.perf_counter()
    index_paths([folder], settings, first_line_title=True)
    indexed = time.perf_counter() - started
    dense_at = bm25_at = None
    while dense_at is None or bm25_at is None:  # the dense side is asked with the text itself: its own vector
        if dense_at is None and any(marker in p.text for p in pipeline.retriever.retrieve(text, mode="dense")):
            dense_at = time.perf_counter() - started - indexed
        if bm25_at is None and any(marker in p.text for p in pipeline.retriever.retrieve(marker, mode="bm25")):
            bm25_at = time.perf_counter() - started - indexed
        if time.perf_counter() - started - indexed > timeout:
            raise RuntimeError(f"the new article was not found within {timeout:.0f} s (dense {dense_at}, "
                               f"BM25 {bm25_at})")  # fmt: skip
    return indexed, dense_at, bm25_at


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--targets", default="10000,30000", help="chunk counts to measure at, ascending")
    parser.add_argument("--questions", type=int, default=50, help="unseen SQuAD dev questions per checkpoint")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--grow-only", action="store_true", help="only add text up to the largest target (the "
                        "long embedding part), measuring nothing: a later run measures on a quiet machine")  # fmt: skip
    args = parser.parse_args(argv)
    targets = sorted(int(t) for t in args.targets.split(","))
    home = cache_dir() / "scale-home"
    seed = cache_dir() / "bench-query" / "chroma"
    if not (home / "chroma").exists() and seed.exists():  # start from the query benchmark's store: no re-embedding
        shutil.copytree(seed, home / "chroma")
    settings = load_settings(home=home)
    squad = load_squad(find_squad_dev())
    pool = sample_items([i for i in squad.items if i.answers], args.questions * len(targets) + 5, args.seed)
    queue = list(sources(home))
    added: list[tuple[Path, bool]] = []
    rows, generated = [], 0
    if args.grow_only:
        targets = targets[-1:]
    for target in targets:
        embedded, embed_seconds = 0, 0.0
        while True:
            try:
                stored = Store(settings).counts()[1]
            except RagError:
                stored = 0
            if stored >= target and added:
                break
            if queue:
                name, folder, titled = queue.pop(0)
            else:
                folder, titled = padding(home, 500, generated), True
                generated += 500
            started = time.perf_counter()
            report = index_paths([folder], settings, progress=True, first_line_title=titled)
            embed_seconds += time.perf_counter() - started
            embedded += report.embedded
            added.append((folder, titled))
            print(f"added {folder.name}: {report.chunks} chunks ({report.embedded} embedded)", file=sys.stderr)
        if args.grow_only:
            print(f"grown to {stored} chunks ({embedded} embedded in {embed_seconds:.0f} s)", file=sys.stderr)
            return 0
        every = [(folder, titled) for _, folder, titled in sources(home)]
        every += [(folder, True) for folder in sorted((home / "src").glob("generated-*"))]
        every += [(folder, True) for folder in sorted((home / "src").glob("update-*"))]
        for record in (home / "derived").glob("index-*.json"):
            record.unlink()  # the first re-index takes the full path (reads every file and record) ...
        timings = []
        for _ in range(2):  # ... the second finds files and store unchanged (index.manifest): a true no-op
            started = time.perf_counter()  # one run per title convention over every folder
            for titled in (True, False):
                index_paths([folder for folder, t in every if t == titled], settings, first_line_title=titled)
            timings.append(time.perf_counter() - started)
        full_reindex, noop = timings
        pipeline = Pipeline(settings)
        pipeline.retriever.lexical.background = True  # as in a server
        started = time.perf_counter()
        pipeline.retriever.refresh()
        bm25_ready = time.perf_counter() - started  # a start: the saved base loaded and caught up (or built)
        started = time.perf_counter()
        pipeline.retriever.lexical.rebuild()
        bm25_rebuild = time.perf_counter() - started  # what a delta that outgrew its base costs, in a thread
        indexed, dense_at, bm25_at = one_article_update(settings, pipeline, home)
        questions, pool = pool[: args.questions], pool[args.questions :]
        stages: dict[str, list[float]] = {"retrieve": [], "read": [], "total": []}
        for item in questions:
            timings = pipeline.run(item.question).answer.timings_ms
            for stage, values in stages.items():
                values.append(timings.get(stage, 0.0))
        first_answer, rss = serve_until_answer(home, "Which country is using invisible ink to prevent multiple voting?")
        articles, chunks = pipeline.store.counts()
        rows.append({
            "chunks": chunks, "articles": articles,
            "embed chunks/s": round(embedded / embed_seconds, 1) if embed_seconds and embedded else "—",
            "re-index unchanged s: full path / no-op": f"{full_reindex:.1f} / {noop:.1f}",
            "BM25 at start s": round(bm25_ready, 2),
            "BM25 rebuild s": round(bm25_rebuild, 1),
            "1-article index s": round(indexed, 2), "+ dense s": round(dense_at, 2), "+ BM25 s": round(bm25_at, 2),
            "retrieve p50/p95": f"{percentile(stages['retrieve'], 50):.0f}/{percentile(stages['retrieve'], 95):.0f}",
            "read p50/p95": f"{percentile(stages['read'], 50):.0f}/{percentile(stages['read'], 95):.0f}",
            "total p50/p95": f"{percentile(stages['total'], 50):.0f}/{percentile(stages['total'], 95):.0f}",
            "serve → 1st answer s": round(first_answer, 1), "serving RSS MB": round(rss),
        })  # fmt: skip
        print(text_table(rows[-1:], f"checkpoint {target}"), file=sys.stderr)
    print(text_table(rows, f"Scale, one store growing (ms unless marked; CPU: {cpu_name()}, "
                           f"{os.cpu_count()} cores; {generated} generated articles)"))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
