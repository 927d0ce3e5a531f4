"""Encoder backends of the embedding model against torch: speed (same run, interleaved) and retrieval quality.

python -m evals.encoders [--questions N] [--paragraphs N] [--chunks N] [--rounds N]

Speed: every backend embeds the same inputs, one call each in turn (the order rotating every round), so load
from other processes falls on all of them alike; the tables give medians per call and their ratio to torch
(and the fastest single-sentence call: torch's latency there swings with CPU contention more than the others').
Inputs: BBC News chunks (chunk_size 200, batches of 64: the ingestion path), single ~25-word sentences one at a
time (the query embedding) and a batch of 80 such sentences (what the reranker embeds per question).
Quality: dense retrieval of SQuAD v1.1 dev questions over all paragraphs of the titles they are drawn from,
cosine over in-memory vectors; each backend embeds paragraphs and questions itself.
Exports go to a temporary home (timed as first use) and are removed afterwards.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import rag  # noqa: F401  (offline environment first)
from evals.corpora import bbc_news
from evals.tables import text_table
from rag import Settings, load_settings
from rag.encoders.embedding import embed_texts, load_embedder
from rag.errors import RagError

CANDIDATES = ["torch", "onnx", "onnx-int8", "onnx-int8-avx2", "openvino", "openvino-bf16"]


def bbc_inputs(settings: Settings, chunks: int, sentences: int, seed: int) -> tuple[list[str], list[str]]:
    """``chunks`` chunk texts and ``sentences`` sentences of 18-32 words from a seeded sample of BBC articles."""
    from index.chunk import chunk_article
    from index.load import load_paths
    from rag.sentences import split_sentences

    files = sorted(bbc_news().rglob("*.txt"))
    random.Random(seed).shuffle(files)
    texts: list[str] = []
    lines: list[str] = []
    for file in files:
        for article in load_paths([file], first_line_title=True).articles:
            if len(texts) < chunks:
                texts += [c.text for c in chunk_article(article, settings.chunk_size, settings.chunk_overlap)]
            for start, end in split_sentences(article.text):
                sentence = " ".join(article.text[start:end].split())
                if 18 <= len(sentence.split()) <= 32:
                    lines.append(sentence)
        if len(texts) >= chunks and len(lines) >= sentences:
            break
    return texts[:chunks], lines[:sentences]


def load_backends(names: list[str], home: Path) -> tuple[dict, list[dict]]:
    """Each backend's llama-index embedder (exported into a fresh ``home/models`` first), and a row on what that
    cost."""
    from rag.encoders.backends import backend_spec, export_folder, int8_preset

    settings = load_settings(home=home, model_cache=home / "models")
    embedders, rows = {}, []
    for name in names:
        spec = backend_spec(name)
        row = {"backend": name, "runtime": spec.runtime, "variant": "fp32 (torch)", "export s": "-",
               "load s": "-", "graph MB": "-"}  # fmt: skip
        try:
            if spec.runtime != "torch":
                before = set(settings.model_cache.rglob("export.json"))
                started = time.perf_counter()
                folder = export_folder(settings.embed_model, settings.model_cache, spec, settings.embed_model_name)
                took = time.perf_counter() - started
                row["export s"] = took if set(settings.model_cache.rglob("export.json")) - before else "reused"
                row["graph MB"] = (folder / "model.onnx").stat().st_size / 2**20
                preset = int8_preset() if spec.quantize == "auto" else spec.quantize
                row["variant"] = f"int8 {preset}" if preset else "fp32"
                if spec.runtime == "openvino":
                    row["variant"] = f"{spec.precision} (runs the onnx fp32 graph)"
            started = time.perf_counter()
            embedders[name] = load_embedder(settings, backend=name)
            embedders[name].get_query_embedding("warm up")
            row["load s"] = time.perf_counter() - started
        except RagError as exc:
            row["variant"] = f"not available: {exc}"
        rows.append(row)
    return embedders, rows


def speed(embedders: dict, chunks: list[str], singles: list[str], batch: list[str], rounds: int,
          batch_size: int) -> list[dict]:  # fmt: skip
    names = list(embedders)
    times: dict[str, dict[str, list[float]]] = {n: {"chunks": [], "single": [], "batch": []} for n in names}

    def timed(name: str, kind: str, call) -> None:
        started = time.perf_counter()
        call()
        times[name][kind].append(time.perf_counter() - started)

    per_round = max(1, len(singles) // rounds)
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for lo in range(0, len(chunks), batch_size):
            part = chunks[lo : lo + batch_size]
            if len(part) < batch_size:
                break
            for name in order:
                timed(name, "chunks", lambda e=embedders[name], p=part: embed_texts(e, p))
        for sentence in singles[r * per_round : (r + 1) * per_round]:
            for name in order:
                timed(name, "single", lambda e=embedders[name], s=sentence: e.get_query_embedding(s))
        for name in order:
            timed(name, "batch", lambda e=embedders[name]: e.get_text_embedding_batch(batch))

    base = {kind: statistics.median(times["torch"][kind]) for kind in ("chunks", "single", "batch")}
    rows = []
    for name in names:
        med = {kind: statistics.median(times[name][kind]) for kind in ("chunks", "single", "batch")}
        rows.append({
            "backend": name,
            f"chunks/s (batch {batch_size})": batch_size / med["chunks"], "x torch": base["chunks"] / med["chunks"],
            "1 sentence ms": med["single"] * 1000, "x torch ": base["single"] / med["single"],
            "1 sentence best ms": min(times[name]["single"]) * 1000,
            f"{len(batch)} sentences ms": med["batch"] * 1000, "x torch  ": base["batch"] / med["batch"],
            "samples": f"{len(times[name]['chunks'])}/{len(times[name]['single'])}/{len(times[name]['batch'])}",
        })  # fmt: skip
    return rows


def squad_subset(questions: int, paragraphs: int, seed: int):
    """All paragraphs of seeded-random SQuAD dev titles (until ``paragraphs``), and ``questions`` of theirs."""
    from evals.squad import find_squad_dev, load_squad, sample_items

    squad = load_squad(find_squad_dev())
    titles = sorted({a["title"] for a in squad.articles})
    random.Random(seed).shuffle(titles)
    chosen: set[str] = set()
    count = 0
    for title in titles:
        if count >= paragraphs:
            break
        chosen.add(title)
        count += sum(1 for a in squad.articles if a["title"] == title)
    articles = [a for a in squad.articles if a["title"] in chosen]
    items = [i for i in squad.items if i.kind.removeprefix("squad:") in chosen and i.answers]
    return articles, sample_items(items, questions, seed), len(chosen)


def quality(embedders: dict, articles: list[dict], items: list) -> list[dict]:
    ids = [a["id"] for a in articles]
    gold = np.array([ids.index(i.evidence_article_id) for i in items])
    questions = [i.question for i in items]
    vectors = {}
    for name, embedder in embedders.items():
        p = np.array(embed_texts(embedder, [a["text"] for a in articles]), dtype=np.float32)
        q = np.array(embedder.get_text_embedding_batch(questions), dtype=np.float32)
        vectors[name] = (p, q)

    def ranks(p, q):
        sims = q @ p.T
        gold_sims = sims[np.arange(len(q)), gold]
        return 1 + (sims > gold_sims[:, None]).sum(axis=1), sims.argmax(axis=1)

    base_rank, base_top = ranks(*vectors["torch"])
    rows = []
    for name, (p, q) in vectors.items():
        rank, top = ranks(p, q)
        tp, tq = vectors["torch"]
        cos_p, cos_q = (p * tp).sum(axis=1), (q * tq).sum(axis=1)
        hit1, hit5 = (rank == 1).mean() * 100, (rank <= 5).mean() * 100
        rows.append({
            "backend": name, "hit@1": f"{hit1:.1f}", "hit@5": f"{hit5:.1f}", "MRR": f"{(1 / rank).mean():.3f}",
            "d hit@1": f"{hit1 - (base_rank == 1).mean() * 100:+.1f}",
            "d hit@5": f"{hit5 - (base_rank <= 5).mean() * 100:+.1f}",
            "hit@1 flips": int(((rank == 1) != (base_rank == 1)).sum()),
            "same top-1": f"{(top == base_top).mean() * 100:.1f}%",
            "cos paragraphs mean/min": f"{cos_p.mean():.4f} / {cos_p.min():.4f}",
            "cos questions mean/min": f"{cos_q.mean():.4f} / {cos_q.min():.4f}",
        })  # fmt: skip
    return rows


def machine_line() -> str:
    import onnxruntime
    import torch

    model = next((line.split(":", 1)[1].strip() for line in _cpuinfo() if line.startswith("model name")), "?")
    try:
        import openvino

        ov = openvino.__version__.split("-")[0]
    except ImportError:
        ov = "not installed"
    return (f"{model}, {os.cpu_count()} cores, torch {torch.__version__} ({torch.get_num_threads()} threads), "
            f"onnxruntime {onnxruntime.__version__}, openvino {ov}, load average {os.getloadavg()[0]:.1f}")  # fmt: skip


def _cpuinfo() -> list[str]:
    try:
        return Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return [f"model name: {platform.processor()}"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.encoders", description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=1000, help="SQuAD dev questions for retrieval quality")
    parser.add_argument("--paragraphs", type=int, default=1000, help="SQuAD paragraphs, at least (whole titles)")
    parser.add_argument("--chunks", type=int, default=192, help="BBC chunks per speed round (batches of 64)")
    parser.add_argument("--singles", type=int, default=60, help="single sentences embedded one at a time, in all")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backends", default=",".join(CANDIDATES), help="comma-separated; torch is always first")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)

    names = ["torch"] + [n for n in args.backends.split(",") if n and n != "torch"]
    home = Path(tempfile.mkdtemp(prefix="rag-encoders-"))
    started = time.perf_counter()
    try:
        print(machine_line())
        embedders, setup = load_backends(names, home)
        print(text_table(setup, "Backends: first use (export into a fresh home/cache, then load + one query)"))
        settings = load_settings(home=home)
        chunks, sentences = bbc_inputs(settings, args.chunks, args.singles + 80, args.seed)
        rows = speed(embedders, chunks, sentences[80:], sentences[:80], args.rounds, settings.embed_batch_size)
        words = statistics.mean(len(s.split()) for s in sentences)
        title = (f"Encode speed, median per call over {args.rounds} interleaved rounds ({len(chunks)} BBC chunks, "
                 f"sentences of {words:.0f} words on average); x torch = speed-up")  # fmt: skip
        print(text_table(rows, title))
        articles, items, titles = squad_subset(args.questions, args.paragraphs, args.seed)
        rows = quality(embedders, articles, items)
        title = (
            f"Dense retrieval, SQuAD v1.1 dev: {len(items)} questions over {len(articles)} paragraphs "
            f"({titles} titles); hit@k in %, d = minus torch, flips = questions whose hit@1 differs from torch's"
        )
        print(text_table(rows, title))
        print(f"\n{machine_line().rsplit(', ', 1)[1]} at the end; {time.perf_counter() - started:.0f} s in all")
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
