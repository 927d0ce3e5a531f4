"""Speed benchmarks that print tables, every ratio measured against a baseline in the same run.

python -m evals.bench ingest [--limit N]      rag index vs raw SentenceTransformer.encode, then a no-op re-index
python -m evals.bench query [--questions N]   per-stage latency on the BBC index, and the plain llama-index peer
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import rag  # noqa: F401  (offline environment first)
from evals.corpora import bbc_news, cache_dir
from index.build import index_paths
from rag.embedding import load_embedder
from rag.settings import Settings
from rag.store import Store


def table(rows: list[dict], title: str) -> str:
    columns = list(rows[0])
    widths = {c: max(len(c), *(len(_fmt(r[c])) for r in rows)) for c in columns}
    out = [f"\n{title}", " | ".join(c.ljust(widths[c]) for c in columns), "-|-".join("-" * widths[c] for c in columns)]
    out += [" | ".join(_fmt(r[c]).ljust(widths[c]) for c in columns) for r in rows]
    return "\n".join(out)


def _fmt(value) -> str:
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def corpus(limit: int | None, workdir: Path) -> Path:
    source = bbc_news()
    if not limit:
        return source
    subset = workdir / "bbc-subset"
    for path in sorted(source.rglob("*.txt"))[:limit]:
        target = subset / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    return subset


def bench_ingest(args: argparse.Namespace) -> None:
    from sentence_transformers import SentenceTransformer

    workdir = Path(tempfile.mkdtemp(prefix="rag-bench-"))
    folder = corpus(args.limit, workdir)
    backends = [b.strip() for b in args.embed_backends.split(",") if b.strip()]
    homes = {b: Settings(home=workdir / f"home-{b}", embed_backend=b) for b in backends}
    # Both sides start warm: models loaded, and one small run through each path first, so one-time imports
    # (the splitter's nltk/scipy, Chroma's first collection) are not counted as ingestion.
    warm_folder = workdir / "warm"
    warm_folder.mkdir()
    (warm_folder / "warm.txt").write_text("Warm up\n\nA short article. It has two sentences.", encoding="utf-8")
    for b, settings in homes.items():
        load_embedder(settings)
        index_paths([warm_folder], settings.model_copy(update={"home": workdir / f"warm-{b}"}), first_line_title=True)

    runs = {}
    for b, settings in homes.items():
        started = time.perf_counter()
        runs[b] = (index_paths([folder], settings, first_line_title=True), time.perf_counter() - started)

    settings = homes[backends[0]]
    texts = Store(settings).chunks.get(include=["documents"])["documents"]
    texts = sorted(set(texts), key=texts.index)
    model = SentenceTransformer(settings.embed_model, device="cpu")
    model.encode(["warm up"], normalize_embeddings=True)
    started = time.perf_counter()
    model.encode(texts, batch_size=settings.embed_batch_size, normalize_embeddings=True)
    raw_s = time.perf_counter() - started

    started = time.perf_counter()
    again = index_paths([folder], settings, first_line_title=True)
    noop_s = time.perf_counter() - started

    raw_rate = len(texts) / raw_s
    rows = [{"run": "raw SentenceTransformer.encode (torch)", "articles": "-", "chunks embedded": len(texts),
             "seconds": raw_s, "chunks/s": raw_rate, "vs raw": 1.0}]  # fmt: skip
    for b, (first, seconds) in runs.items():
        rows.append({"run": f"rag index (first run, RAG_EMBED_BACKEND={b})", "articles": first.articles,
                     "chunks embedded": first.embedded, "seconds": seconds, "chunks/s": first.embedded / seconds,
                     "vs raw": first.embedded / seconds / raw_rate})  # fmt: skip
    rows.append({"run": "rag index (no-op re-run)", "articles": again.articles, "chunks embedded": again.embedded,
                 "seconds": noop_s, "chunks/s": 0.0, "vs raw": "-"})  # fmt: skip
    print(table(rows, f"Ingestion, BBC News ({folder}), chunk_size={settings.chunk_size}, "
                      f"batch={settings.embed_batch_size}, skipped={len(first.skipped)}, "
                      f"duplicates={len(first.duplicates)}"))  # fmt: skip
    shutil.rmtree(workdir, ignore_errors=True)


def bench_query(args: argparse.Namespace) -> None:
    """Warm per-stage latency on BBC News + SQuAD dev paragraphs, and the plain llama-index peer on the same data."""
    import resource

    from evals.metrics import percentile
    from evals.squad import find_squad_dev, load_squad, sample_items, write_articles
    from rag.pipeline import Pipeline

    home = cache_dir() / "bench-query"
    settings = Settings(home=home)
    squad = load_squad(find_squad_dev())
    folders = [bbc_news(), write_articles(squad.articles, home / "squad-articles")]
    first = index_paths(folders, settings, progress=True, first_line_title=True)
    started = time.perf_counter()
    again = index_paths(folders, settings, first_line_title=True)
    noop_s = time.perf_counter() - started

    backends = [b.strip() for b in args.rerank_backends.split(",") if b.strip()]
    pipelines = {b: Pipeline(settings.model_copy(update={"rerank_backend": b})) for b in backends}
    pipeline = pipelines[backends[0]]
    started = time.perf_counter()
    pipeline.retriever._bm25_base()
    bm25_build_s = time.perf_counter() - started
    items = sample_items([i for i in squad.items if i.answers], args.questions + 5, args.seed)
    warm, items = items[:5], items[5:]
    for item in warm:
        for p in pipelines.values():
            p.run(item.question)

    # every question through each rerank backend in turn: the comparison sees the same machine load
    stages = {b: {"retrieve": [], "rerank": [], "answer": [], "total": []} for b in backends}
    hits: dict[str, list[bool]] = {b: [] for b in backends}
    answers: dict[str, list[str | None]] = {b: [] for b in backends}
    peer_hits, peer_ms = [], []
    peer = peer_retriever(pipeline)
    for item in items:
        for backend, p in pipelines.items():
            result = p.run(item.question)
            for stage, values in stages[backend].items():
                values.append(result.answer.timings_ms[stage])
            hits[backend].append(_hit(item, [(x.article_id, x.text) for x in result.passages[:5]]))
            answers[backend].append(result.answer.short_answer)
        started = time.perf_counter()
        nodes = peer.retrieve(item.question)
        peer_ms.append((time.perf_counter() - started) * 1000)
        peer_hits.append(_hit(item, [(n.node.metadata["article_id"], n.node.get_content()) for n in nodes]))
    ours_hits = hits[backends[0]]
    if len(backends) > 1:
        base = stages[backends[0]]["total"]
        print(table([
            {"rerank backend": b, "rerank p50": percentile(stages[b]["rerank"], 50),
             "rerank p95": percentile(stages[b]["rerank"], 95), "total p50": percentile(stages[b]["total"], 50),
             "total p95": percentile(stages[b]["total"], 95),
             "x total p50": percentile(base, 50) / percentile(stages[b]["total"], 50),
             "hit@5": sum(hits[b]) / len(items),
             "same short answer": sum(x == y for x, y in zip(answers[b], answers[backends[0]], strict=True)),
             } for b in backends
        ], f"Rerank encoder backends, same questions interleaved (ms; baseline {backends[0]})"))  # fmt: skip
    stages = stages[backends[0]]

    articles, chunks = pipeline.store.counts()
    rows = [{"stage": stage, "p50 ms": percentile(v, 50), "p95 ms": percentile(v, 95)} for stage, v in stages.items()]
    print(
        table(
            rows, f"Query latency (warm, {len(items)} SQuAD dev questions) over {chunks} chunks / {articles} articles"
        )
    )
    print(table([
        {"pipeline": "ours: hybrid + rerank + extractive answer", "p50 ms": percentile(stages["total"], 50),
         "p95 ms": percentile(stages["total"], 95), "hit@5": sum(ours_hits) / len(items)},
        {"pipeline": "llama-index VectorStoreIndex.as_retriever(top_k=5)", "p50 ms": percentile(peer_ms, 50),
         "p95 ms": percentile(peer_ms, 95), "hit@5": sum(peer_hits) / len(items)},
    ], "Against the plain llama-index peer (same model, same Chroma collection)"))  # fmt: skip
    print(table([
        {"measure": "first index run: articles / chunks embedded", "value": f"{first.articles} / {first.embedded}"},
        {"measure": "no-op re-index (s)", "value": noop_s},
        {"measure": "no-op re-index: chunks embedded", "value": again.embedded},
        {"measure": "BM25 rebuild from Chroma (s)", "value": bm25_build_s},
        {"measure": "peak RSS (MB)", "value": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024},
    ], "Index and memory"))  # fmt: skip


def peer_retriever(pipeline):
    from llama_index.core import VectorStoreIndex

    index = VectorStoreIndex.from_vector_store(pipeline.store.vector_store(), embed_model=pipeline.embedder)
    return index.as_retriever(similarity_top_k=5)


def _hit(item, passages: list[tuple[str, str]]) -> bool:
    from evals.metrics import normalize_answer

    golds = [normalize_answer(a) for a in item.answers]
    return any(aid == item.evidence_article_id and any(g in normalize_answer(text) for g in golds)
               for aid, text in passages)  # fmt: skip


def bench_startup(args: argparse.Namespace) -> None:
    """Seconds from `rag serve` to the first answer, on an index of seeds/."""
    import json
    import os
    import socket
    import subprocess
    import urllib.request

    workdir = Path(tempfile.mkdtemp(prefix="rag-bench-"))
    index_paths([Path(__file__).resolve().parent.parent / "seeds"], Settings(home=workdir))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "RAG_HOME": str(workdir), "RAG_PORT": str(port)}
    started = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "ui.cli", "serve"], env=env, stderr=subprocess.DEVNULL)
    body = json.dumps({"question": "Who proposed delaying NATO membership?"}).encode()
    answer = None
    try:
        while time.perf_counter() - started < 120 and answer is None:
            try:
                request = urllib.request.Request(f"http://127.0.0.1:{port}/query", data=body,
                                                 headers={"content-type": "application/json"})  # fmt: skip
                with urllib.request.urlopen(request, timeout=30) as response:
                    answer = json.load(response)
            except OSError:
                time.sleep(0.1)
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=20)
        shutil.rmtree(workdir, ignore_errors=True)
    print(table([{"measure": "rag serve → first answer (s)", "value": elapsed,
                  "short answer": (answer or {}).get("short_answer")}], "Start-up"))  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.bench", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("ingest", help="ingestion chunks/s against raw encode, and a no-op re-index")
    p.add_argument("--limit", type=int, help="only the first N BBC articles")
    p.add_argument("--embed-backends", default="torch", help="comma-separated RAG_EMBED_BACKEND values, each indexed "
                   "into a fresh home; the raw baseline is always torch")  # fmt: skip
    p.set_defaults(func=bench_ingest)
    p = sub.add_parser("query", help="per-stage query latency at ~10k chunks, and the llama-index peer")
    p.add_argument("--questions", type=int, default=100)
    p.add_argument("--rerank-backends", default="torch", help="comma-separated RAG_RERANK_BACKEND values to compare; "
                   "the first one is the baseline and the one the other tables report")  # fmt: skip
    p.add_argument("--seed", type=int, default=13)
    p.set_defaults(func=bench_query)
    p = sub.add_parser("startup", help="time from `rag serve` to the first answer")
    p.set_defaults(func=bench_startup)
    args = parser.parse_args(argv)
    args.func(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
