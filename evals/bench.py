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
from evals.tables import text_table
from index.build import index_paths
from rag import Store, load_settings, seeds_folder
from rag.encoders.embedding import load_embedder


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
    homes = {b: load_settings(home=workdir / f"home-{b}", embed_backend=b) for b in backends}
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
    print(text_table(rows, f"Ingestion, BBC News ({folder}), chunk_size={settings.chunk_size}, "
                      f"batch={settings.embed_batch_size}, skipped={len(first.skipped)}, "
                      f"duplicates={len(first.duplicates)}"))  # fmt: skip
    shutil.rmtree(workdir, ignore_errors=True)


def bench_query(args: argparse.Namespace) -> None:
    """Warm per-stage latency on BBC News + SQuAD dev paragraphs, and the plain llama-index peer on the same data."""
    import resource

    from evals.metrics import f1_score, percentile
    from evals.squad import find_squad_dev, load_squad, sample_items, write_articles
    from rag import Pipeline

    home = cache_dir() / "bench-query"
    settings = load_settings(home=home)
    squad = load_squad(find_squad_dev())
    folders = [bbc_news(), write_articles(squad.articles, home / "squad-articles")]
    first = index_paths(folders, settings, progress=True, first_line_title=True)
    started = time.perf_counter()
    again = index_paths(folders, settings, first_line_title=True)
    noop_s = time.perf_counter() - started

    variants = query_variants(args)
    pipelines = {name: Pipeline(settings.model_copy(update=update)) for name, (update, _) in variants.items()}
    baseline = next(iter(variants))
    pipeline = pipelines[baseline]
    started = time.perf_counter()
    pipeline.retriever.refresh()
    bm25_build_s = time.perf_counter() - started
    items = sample_items([i for i in squad.items if i.answers], args.questions + 5, args.seed)
    warm, items = items[:5], items[5:]
    for item in warm:
        for name, p in pipelines.items():
            p.run(item.question, rerank=variants[name][1])

    # every question through each variant in turn: the comparison sees the same machine load; no question is
    # asked twice of one process variant (its sentence cache, if any, stays cold for it)
    stages = {name: {"retrieve": [], "rerank": [], "read": [], "judge": [], "answer": [], "total": []}
              for name in variants}
    hits: dict[str, list[bool]] = {name: [] for name in variants}
    answers: dict[str, list[str | None]] = {name: [] for name in variants}
    f1: dict[str, list[float]] = {name: [] for name in variants}
    peer_hits, peer_ms = [], []
    peer = peer_retriever(pipeline)
    for item in items:
        for name, p in pipelines.items():
            result = p.run(item.question, rerank=variants[name][1])
            for stage, values in stages[name].items():
                values.append(result.answer.timings_ms.get(stage, 0.0))
            hits[name].append(_hit(item, [(x.article_id, x.text) for x in result.passages[:5]]))
            answers[name].append(result.answer.short_answer)
            f1[name].append(f1_score(result.answer.short_answer, item.answers))
        started = time.perf_counter()
        nodes = peer.retrieve(item.question)
        peer_ms.append((time.perf_counter() - started) * 1000)
        peer_hits.append(_hit(item, [(n.node.metadata["article_id"], n.node.get_content()) for n in nodes]))
    ours_hits = hits[baseline]
    base = stages[baseline]["total"]
    print(text_table([
        {"variant": name, "read p50": percentile(stages[name]["read"], 50),
         "read p95": percentile(stages[name]["read"], 95), "total p50": percentile(stages[name]["total"], 50),
         "total p95": percentile(stages[name]["total"], 95),
         "x total p50": percentile(base, 50) / percentile(stages[name]["total"], 50),
         "hit@5": sum(hits[name]) / len(items), "F1": sum(f1[name]) / len(items),
         "same short answer": sum(x == y for x, y in zip(answers[name], answers[baseline], strict=True)),
         } for name in variants
    ], f"Variants, same questions interleaved (ms; baseline {baseline}; CPU: {cpu_name()})"))  # fmt: skip
    stages = {k: v for k, v in stages[baseline].items() if any(v)}

    articles, chunks = pipeline.store.counts()
    rows = [{"stage": stage, "p50 ms": percentile(v, 50), "p95 ms": percentile(v, 95)} for stage, v in stages.items()]
    print(
        text_table(
            rows, f"Query latency (warm, {len(items)} SQuAD dev questions) over {chunks} chunks / {articles} articles"
        )
    )
    print(text_table([
        {"pipeline": f"ours: hybrid + reader ({baseline})", "p50 ms": percentile(stages["total"], 50),
         "p95 ms": percentile(stages["total"], 95), "hit@5": sum(ours_hits) / len(items)},
        {"pipeline": "llama-index VectorStoreIndex.as_retriever(top_k=5)", "p50 ms": percentile(peer_ms, 50),
         "p95 ms": percentile(peer_ms, 95), "hit@5": sum(peer_hits) / len(items)},
    ], "Against the plain llama-index peer (same model, same Chroma collection)"))  # fmt: skip
    print(text_table([
        {"measure": "first index run: articles / chunks embedded", "value": f"{first.articles} / {first.embedded}"},
        {"measure": "no-op re-index (s)", "value": noop_s},
        {"measure": "no-op re-index: chunks embedded", "value": again.embedded},
        {"measure": "BM25 rebuild from Chroma (s)", "value": bm25_build_s},
        {"measure": "peak RSS (MB)", "value": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024},
    ], "Index and memory"))  # fmt: skip


def query_variants(args: argparse.Namespace) -> dict[str, tuple[dict, bool]]:
    """``{name: (settings update, sentence rerank?)}``, the baseline first."""
    backends = [b.strip() for b in args.reader_backends.split(",") if b.strip()]
    variants: dict[str, tuple[dict, bool]] = {f"reader {b}": ({"reader_backend": b}, False) for b in backends}
    for spec in (d.strip() for d in args.reader_depths.split(",") if d.strip()):
        depth, _, batch = spec.partition("/")
        update = {"reader_backend": backends[0], "reader_depth": int(depth), "reader_batch": int(batch or depth)}
        variants[f"reader {backends[0]} depth {spec}"] = (update, False)
    for level in (c.strip() for c in args.reader_confident.split(",") if c.strip()):
        variants[f"reader {backends[0]}, stop reading at {level}"] = (
            {"reader_backend": backends[0], "reader_confident": float(level)}, False)  # fmt: skip
    if args.sentence_rerank:
        variants["sentence rerank (openvino f32) + reader"] = (
            {"reader_backend": backends[0], "rerank_backend": "openvino"}, True)  # fmt: skip
    return variants


def cpu_name() -> str:
    """The CPU model and whether it has bf16/AMX, to print beside every timing."""
    info = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace") if Path("/proc/cpuinfo").exists() else ""
    model = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")), "?")
    flags = next((line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith("flags")), [])
    extra = [f for f in ("avx2", "avx512f", "avx512_bf16", "amx_bf16") if f in flags]
    return f"{model} ({', '.join(extra) or 'no AVX2'})"


def peer_retriever(pipeline):
    from llama_index.core import VectorStoreIndex

    index = VectorStoreIndex.from_vector_store(pipeline.store.vector_store(), embed_model=pipeline.embedder)
    return index.as_retriever(similarity_top_k=5)


def _hit(item, passages: list[tuple[str, str]]) -> bool:
    from evals.metrics import normalize_answer

    golds = [normalize_answer(a) for a in item.answers]
    return any(aid == item.evidence_article_id and any(g in normalize_answer(text) for g in golds)
               for aid, text in passages)  # fmt: skip


def serve_until_answer(home: Path, question: str, timeout: float = 300) -> tuple[float, float]:
    """Start `rag serve` on ``home`` and ask ``question`` until it answers: (seconds from start to the first
    answer, the server's resident memory in MB right after it). The server is stopped before returning."""
    import json
    import os
    import socket
    import subprocess
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "RAG_HOME": str(home), "RAG_PORT": str(port)}
    started = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "ui.cli", "serve"], env=env, stderr=subprocess.DEVNULL)
    body = json.dumps({"question": question}).encode()
    try:
        while True:
            if time.perf_counter() - started > timeout:
                raise RuntimeError(f"no answer within {timeout:g} s")
            try:
                request = urllib.request.Request(f"http://127.0.0.1:{port}/query", data=body,
                                                 headers={"content-type": "application/json"})  # fmt: skip
                with urllib.request.urlopen(request, timeout=60) as response:
                    json.load(response)
                break
            except OSError:
                time.sleep(0.1)
        elapsed = time.perf_counter() - started
        status = Path(f"/proc/{server.pid}/status").read_text()
        rss_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
    finally:
        server.terminate()
        server.wait(timeout=30)
    return elapsed, rss_kb / 1024


def bench_startup(args: argparse.Namespace) -> None:
    """Seconds from `rag serve` to the first answer, on an index of seeds/."""
    workdir = Path(tempfile.mkdtemp(prefix="rag-bench-"))
    try:
        index_paths([seeds_folder()], load_settings(home=workdir))
        elapsed, rss = serve_until_answer(workdir, "Who proposed delaying NATO membership?")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(text_table([{"measure": "rag serve → first answer (s)", "value": elapsed,
                       "serving RSS (MB)": round(rss)}], f"Start-up (CPU: {cpu_name()})"))  # fmt: skip


FEED = ('<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour wire</title><link>{base}/</link>'
        "<item><title>Ferry route to Skelby reopens</title><link>{base}/news/ferry</link><guid>{base}/news/ferry</guid>"
        "<pubDate>Mon, 03 Mar 2025 08:00:00 GMT</pubDate><description>The ferry between Arnholm and Skelby reopened "
        "on Monday after repairs to the pier. Harbour master Ilse Varga said the crossing will run every forty "
        "minutes.</description></item></channel></rss>")


def bench_feedpoll(args: argparse.Namespace) -> None:
    """What polling an unchanged feed costs: the poll path of ``rag serve`` (a conditional fetch, then indexing
    whatever came) against a local feed server that answers If-None-Match with 304."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from index.build import index_loaded
    from index.web import load_urls

    seen = {"requests": 0, "bodies": 0, "bytes": 0}

    class Feed(BaseHTTPRequestHandler):
        def log_message(self, *_args) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802  (http.server's name)
            seen["requests"] += 1
            body = FEED.format(base=f"http://127.0.0.1:{self.server.server_address[1]}").encode()
            if self.headers.get("If-None-Match") == '"v1"':
                self.send_response(304)
                self.end_headers()
                return
            seen["bodies"] += 1
            seen["bytes"] += len(body)
            self.send_response(200)
            for name, value in (("Content-Type", "application/rss+xml"), ("ETag", '"v1"'),
                                ("Content-Length", str(len(body)))):  # fmt: skip
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Feed)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/feed.xml"
    workdir = Path(tempfile.mkdtemp(prefix="rag-bench-"))
    settings = load_settings(home=workdir)

    def poll() -> float:
        started = time.perf_counter()
        index_loaded(load_urls([url], settings, allow_private=True), settings)
        return (time.perf_counter() - started) * 1000

    try:
        first_ms = poll()
        before = dict(seen)
        times = [poll() for _ in range(args.polls)]
    finally:
        server.shutdown()
        shutil.rmtree(workdir, ignore_errors=True)
    rows = [{"poll": "first (the feed and its item's page, embedded)", "ms": round(first_ms, 1),
             "requests": before["requests"], "feed bytes": before["bytes"]},
            {"poll": f"unchanged, p50 of {args.polls}", "ms": round(sorted(times)[len(times) // 2], 1),
             "requests": (seen["requests"] - before["requests"]) / args.polls,
             "feed bytes": (seen["bytes"] - before["bytes"]) / args.polls}]  # fmt: skip
    print(text_table(rows, f"Feed poll (CPU: {cpu_name()})"))


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
    p.add_argument("--reader-backends", default="openvino", help="comma-separated RAG_READER_BACKEND values to "
                   "compare; the first one is the baseline and the one the other tables report")  # fmt: skip
    p.add_argument("--reader-depths", default="", help="comma-separated DEPTH[/BATCH] (RAG_READER_DEPTH, "
                   "RAG_READER_BATCH) to compare too, with the first reader backend")  # fmt: skip
    p.add_argument("--reader-confident", default="", help="comma-separated RAG_READER_CONFIDENT values to compare "
                   "too (the answerability at which reading stops early), with the first reader backend")  # fmt: skip
    p.add_argument("--sentence-rerank", action="store_true", help="also measure the sentence reranker (f32) "
                   "before the reader: the previous answer path's cost")  # fmt: skip
    p.add_argument("--seed", type=int, default=13)
    p.set_defaults(func=bench_query)
    p = sub.add_parser("feedpoll", help="what polling an unchanged feed costs (requests, bytes, ms)")
    p.add_argument("--polls", type=int, default=9)
    p.set_defaults(func=bench_feedpoll)
    p = sub.add_parser("startup", help="time from `rag serve` to the first answer")
    p.set_defaults(func=bench_startup)
    args = parser.parse_args(argv)
    args.func(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
