"""Export + import of a large store against re-indexing it (the target: a 100k-chunk store restored at least 10×
faster than it is re-indexed), every number from the same run on the same machine.

    python -m evals.bench_snapshot --chunks 100000 [--sample 1000]

What is real and what is not:

* The store's **texts, chunks and records are real**: BBC News (2,091 articles once repeated texts are dropped),
  then SQuAD v1.1 dev paragraphs and the SQuAD-Shifts new_wiki, reddit and amazon_reviews paragraphs (as
  ``evals.scale`` gathers them), then ``evals.scale``'s generated local-news articles as padding until ``--chunks``
  is reached (real text, then, for about a fifth of a 100k-chunk store; the padding is plain prose too);
  chunked by ``index.chunk.chunk_article`` with the configured chunk size and overlap, and written through the
  Store's own write methods in the order ``index.build`` writes (article records, chunks in groups of
  ``WRITE_GROUP`` through the change log, "fully indexed" markers, one generation bump).
* Its **vectors are synthetic**: unit-norm float32 vectors of the model's dimension drawn from a generator seeded
  by each chunk's text hash (identical texts share one, as stored vectors do), not computed by the model:
  embedding 100k chunks on a 2-core machine takes about an hour and a half. Export and import copy vectors as
  bytes, so their values do not change what either costs.
* **Export and import are the real ones** (``index.snapshot.export``, ``index.restore.import_snapshot``, what
  ``rag export`` and ``rag import`` call), timed in this process: a CLI run adds its start-up (about 6 s to import
  chromadb and llama-index) to each.
* **Re-indexing is measured on a sample and extrapolated**: ``--sample`` chunks' worth of the store's articles
  (drawn at random, so the mix of sources is the store's) indexed through ``index.build.index_loaded`` with the
  real packaged embedding model into an empty home, model loaded and warm; the full store's re-index time is
  ``chunks / that throughput``. It leaves out what grows with the store (Chroma's inserts into a larger HNSW
  graph), so it errs on the side of a faster re-index, against the target.

The store is built once into ``RAG_DATA_CACHE/snapshot-bench-<chunks>`` (``--cache``) and reused by later runs;
the snapshot, the restored home and the sample home live in a temporary folder (``--tmp``) removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import rag  # noqa: F401  (offline environment first)
from evals.bench import cpu_name
from evals.corpora import bbc_news, cache_dir
from evals.tables import text_table
from index.build import WRITE_GROUP, index_loaded
from index.chunk import chunk_article, make_splitter
from index.load import LoadResult, load_paths
from index.migrate import open_for_writing
from rag import Store, load_settings
from rag.records import article_from_record, chunk_record
from rag.settings import Settings
from rag.types import Article, stable_hash

DIMENSIONS = 384  # all-MiniLM-L6-v2, the packaged model; checked against the real vectors of the sample
BUILT = "built.json"  # written last in the cache folder: the store under it is whole
ROUNDING = 1e-6  # how far a vector Chroma hands back may be from the one it was given (see verify_restored)


def synthetic_vectors(text_hashes: list[str]):
    """One unit-norm float32 vector per text hash, the same for the same hash on every run and machine."""
    import numpy as np

    out = np.empty((len(text_hashes), DIMENSIONS), dtype=np.float32)
    for row, text_hash in enumerate(text_hashes):
        vector = np.random.default_rng(int(text_hash, 16)).standard_normal(DIMENSIONS)
        out[row] = vector / np.linalg.norm(vector)
    return out


def source_folders(workdir: Path) -> Iterator[tuple[str, Path, bool]]:
    """(name, folder, first line is the title) in the order they are added, each made only when it is reached
    (a small store needs BBC News alone); generated padding, 500 articles a folder, without end."""
    from evals.scale import padding
    from evals.squad import find_squad_dev, load_squad, squad_shifts_file, write_articles

    yield "bbc", bbc_news(), True
    yield "squad-dev", write_articles(load_squad(find_squad_dev()).articles, workdir / "src" / "squad-dev"), False
    for name in ("new_wiki_v1.0.json", "reddit_v1.0.json", "amazon_reviews_v1.0.json"):
        short = name.split("_v")[0]
        yield short, write_articles(load_squad(squad_shifts_file(name)).articles, workdir / "src" / short), False
    start = 0
    while True:
        folder = workdir / "src" / f"generated-{start:06d}"
        if not (folder / f"{start + 499:06d}.txt").exists():
            padding(workdir, 500, start)
        yield "generated", folder, True
        start += 500


def build_store(settings: Settings, workdir: Path, target: int) -> dict:
    """Write at least ``target`` chunks (whole articles) into the store of ``settings``; returns what was built."""
    store = open_for_writing(settings)
    marker = f"{settings.chunk_size}/{settings.chunk_overlap}"
    seen_texts: set[str] = set()
    seen_ids: set[str] = set()
    by_source: dict[str, list[int]] = {}  # name -> [articles, chunks]
    total = chars = 0
    started = time.perf_counter()
    for name, folder, titled in source_folders(workdir):
        loaded = load_paths([folder], first_line_title=titled)
        (origin,) = loaded.origins
        kept: list[Article] = []
        chunks_by_article = {}
        for article in loaded.articles:  # as index.build._dedupe: the first copy of a text or an id is kept
            key = stable_hash(article.text)
            if key in seen_texts or article.id in seen_ids:
                continue
            seen_texts.add(key)
            seen_ids.add(article.id)
            chunks_by_article[article.id] = chunk_article(article, settings.chunk_size, settings.chunk_overlap)
            kept.append(article)
            total += len(chunks_by_article[article.id])
            if total >= target:
                break
        store.upsert_articles(kept, origin)
        new = [(c, a, p) for a in kept for p, c in enumerate(chunks_by_article[a.id])]
        new.sort(key=lambda item: len(item[0].text))  # as index.build writes them: shortest first
        chars += sum(len(c.text) for c, _, _ in new)
        for lo in range(0, len(new), WRITE_GROUP):
            group = new[lo : lo + WRITE_GROUP]
            store.upsert_chunks(
                ids=[c.id for c, _, _ in group], embeddings=synthetic_vectors([c.text_hash for c, _, _ in group]),
                documents=[c.text for c, _, _ in group], metadatas=[chunk_record(a, c, p) for c, a, p in group],
            )  # fmt: skip
        store.mark_indexed(kept, origin, {i: len(c) for i, c in chunks_by_article.items()}, marker)
        counts = by_source.setdefault(name, [0, 0])
        counts[0] += len(kept)
        counts[1] += len(new)
        print(f"  {name} ({folder.name}): {len(kept)} articles, {len(new)} chunks; {total} in all, "
              f"{time.perf_counter() - started:.0f} s", file=sys.stderr)  # fmt: skip
        if total >= target:
            break
    store.bump_generation()
    articles, chunks = store.counts()
    return {"articles": articles, "chunks": chunks, "seconds": round(time.perf_counter() - started, 1),
            "chunk_chars": round(chars / max(1, chunks)), "sources": by_source,
            "chunk_size": settings.chunk_size, "chunk_overlap": settings.chunk_overlap,
            "vectors": f"synthetic: unit-norm float32, {DIMENSIONS} dimensions, seeded by chunk text hash"}  # fmt: skip


def cached_store(workdir: Path, target: int) -> tuple[Settings, dict]:
    """The store of ``target`` chunks under ``workdir``, built there unless a whole one is already there."""
    settings = load_settings(home=workdir / "home")
    record = workdir / BUILT
    if record.exists():
        built = json.loads(record.read_text(encoding="utf-8"))
        if list(Store(settings).counts()) == [built["articles"], built["chunks"]]:
            print(f"reusing the store in {workdir} ({built['chunks']} chunks)", file=sys.stderr)
            return settings, {**built, "reused": True}
    shutil.rmtree(workdir / "home", ignore_errors=True)  # a half-built or different store: start again
    record.unlink(missing_ok=True)
    print(f"building a store of {target} chunks in {workdir} (synthetic vectors)", file=sys.stderr)
    built = build_store(settings, workdir, target)
    record.write_text(json.dumps(built, indent=1), encoding="utf-8")
    return settings, {**built, "reused": False}


def sample_articles(store: Store, chunks: int, seed: int) -> list[Article]:
    """Articles of the store, in a seeded random order, until they hold at least ``chunks`` chunks."""
    records = store.article_records()
    order = sorted(records)
    random.Random(seed).shuffle(order)
    chosen, total = [], 0
    for article_id in order:
        if total >= chunks:
            break
        chosen.append(article_id)
        total += int(records[article_id].get("n_chunks", 0))
    got = store.articles.get(ids=chosen, include=["documents", "metadatas"])
    by_id = {i: article_from_record(i, t, m) for i, t, m in zip(got["ids"], got["documents"], got["metadatas"],
                                                                    strict=True)}  # fmt: skip
    return [by_id[i] for i in chosen]


def measure_reindex(articles: list[Article], tmp: Path) -> tuple[int, int, float, int, int]:
    """Index ``articles`` with the real model into an empty home, warm: (chunks, embedded, seconds, dimensions,
    mean chunk characters)."""
    from rag.encoders.embedding import load_embedder

    settings = load_settings(home=tmp / "reindex-home")
    load_embedder(settings)
    warm = Article(id="warm/warm.txt", title="Warm up", text="A short article. It has two sentences.")
    index_loaded(LoadResult(articles=[warm], origins={"warm": [warm.id]}),
                 settings.model_copy(update={"home": tmp / "warm-home"}))  # fmt: skip
    loaded = LoadResult(articles=list(articles), origins={"sample": [a.id for a in articles]})
    started = time.perf_counter()
    report = index_loaded(loaded, settings)
    seconds = time.perf_counter() - started
    got = Store(settings).chunks.get(include=["embeddings", "documents"])
    mean = round(sum(map(len, got["documents"])) / max(1, len(got["documents"])))
    return report.chunks, report.embedded, seconds, len(got["embeddings"][0]), mean


def verify_restored(source: Store, restored: Store, snapshot: Path, checks: int, seed: int) -> tuple[list[str], str]:
    """Compare the restored store with the source: equal counts, and for ``checks`` chunks drawn at random, equal
    text and metadata and equal vectors: the snapshot's rows byte for byte with the source's, the restored ones byte
    for byte or within :data:`ROUNDING`. Returns (problems found, what was checked, in words).

    Why not byte for byte throughout: a Chroma collection in cosine space (this store's) does not always hand back
    the exact float32 bytes it was given; about one vector in ten comes back one unit in the last place off, on
    every write (an l2 collection returns them unchanged; chromadb 1.5). So the import, which writes the exported
    bytes, is held to that rounding, and the export, which only reads, to the bytes."""
    import numpy as np

    from index.snapshot import CHUNKS, open_zip, records, vector_rows

    problems = []
    if source.counts() != restored.counts():
        problems.append(f"counts differ: source {source.counts()}, restored {restored.counts()}")
    ids = sorted(source.chunks.get(include=[])["ids"])
    picked = random.Random(seed).sample(ids, min(checks, len(ids)))
    include = ["embeddings", "documents", "metadatas"]
    a, b = source.chunks.get(ids=picked, include=include), restored.chunks.get(ids=picked, include=include)
    rows_a, rows_b = ({i: (np.asarray(e, dtype="<f4"), d, m)
                       for i, e, d, m in zip(got["ids"], got["embeddings"], got["documents"], got["metadatas"],
                                             strict=True)} for got in (a, b))  # fmt: skip
    in_file: dict[str, np.ndarray] = {}
    with open_zip(snapshot) as archive:
        row_of = {r["id"]: n for n, r in enumerate(records(archive, CHUNKS)) if r["id"] in rows_a}
        by_row = {n: i for i, n in row_of.items()}
        offset = 0
        for block in vector_rows(archive, 5000):
            for n in range(offset, offset + len(block)):
                if n in by_row:
                    in_file[by_row[n]] = block[n - offset]
            offset += len(block)
    expected = dict(zip(picked, synthetic_vectors([rows_a[i][2]["text_hash"] for i in picked]), strict=True))
    exact, largest = 0, 0.0
    for i in picked:
        if i not in rows_b or i not in in_file:
            problems.append(f"chunk {i} is missing from the {'restored store' if i in in_file else 'snapshot'}")
            continue
        vector, restored_vector = rows_a[i][0], rows_b[i][0]
        if vector.tobytes() != in_file[i].tobytes():
            problems.append(f"chunk {i}: the snapshot's vector bytes differ from the source's")
        if rows_a[i][1:] != rows_b[i][1:]:
            problems.append(f"chunk {i}: text or metadata differ")
        exact += vector.tobytes() == restored_vector.tobytes()
        largest = max(largest, float(np.abs(vector - restored_vector).max()))
        if np.abs(vector - expected[i]).max() > ROUNDING:
            problems.append(f"chunk {i}: the source vector is not the synthetic one written")
    if largest > ROUNDING:
        problems.append(f"restored vectors differ from the source's by up to {largest:.2g}")
    said = (f"counts {'equal' if source.counts() == restored.counts() else 'DIFFER'}; {len(picked)} random chunks: "
            f"text and metadata identical, snapshot vectors byte-identical to the source's, restored vectors "
            f"byte-identical for {exact}, the rest within {largest:.2g} (Chroma's cosine-space rounding)")  # fmt: skip
    return problems, said


def folder_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.bench_snapshot", description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=100_000, help="chunks in the store (whole articles: the "
                        "store holds this many or a few more)")  # fmt: skip
    parser.add_argument("--sample", type=int, default=1000, help="chunks re-indexed with the real model to "
                        "measure re-indexing throughput")  # fmt: skip
    parser.add_argument("--cache", type=Path, help="where the store is built and kept for later runs (default: "
                        "RAG_DATA_CACHE/snapshot-bench-CHUNKS)")  # fmt: skip
    parser.add_argument("--tmp", type=Path, help="folder for the snapshot, the restored home and the sample home "
                        "(default: the system's temporary folder); removed at the end")  # fmt: skip
    parser.add_argument("--checks", type=int, default=100, help="chunks (drawn at random) whose text, metadata "
                        "and vectors are compared: source, snapshot and restored store")  # fmt: skip
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--build-only", action="store_true", help="only build the store (the long part, not "
                        "timed against anything): a later run measures on a quiet machine")  # fmt: skip
    args = parser.parse_args(argv)

    workdir = args.cache or cache_dir() / f"snapshot-bench-{args.chunks}"
    workdir.mkdir(parents=True, exist_ok=True)
    settings, built = cached_store(workdir, args.chunks)
    if args.build_only:
        print(f"built {built['chunks']} chunks in {built['seconds']} s", file=sys.stderr)
        return 0
    source = Store(settings)
    if args.tmp:
        args.tmp.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="rag-bench-snapshot-", dir=args.tmp))
    try:
        return _measure(args, settings, built, source, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _measure(args: argparse.Namespace, settings: Settings, built: dict, source: Store, tmp: Path) -> int:
    from index.restore import import_snapshot
    from index.snapshot import export

    # one-time imports (llama-index, ~2 s) are not timed, as in evals.bench: a build in this run made them already,
    # and with a reused store the import would pay them
    make_splitter(settings.chunk_size, settings.chunk_overlap)
    load_before = os.getloadavg()[0]
    articles, chunks = source.counts()
    snapshot = tmp / "snapshot.zip"
    print(f"exporting {chunks} chunks to {snapshot}", file=sys.stderr)
    started = time.perf_counter()
    manifest = export(settings, snapshot)
    export_s = time.perf_counter() - started
    restored_settings = load_settings(home=tmp / "restored-home")
    print(f"importing into {restored_settings.home}", file=sys.stderr)
    started = time.perf_counter()
    imported = import_snapshot(restored_settings, snapshot)
    import_s = time.perf_counter() - started
    problems, checked = verify_restored(source, Store(restored_settings), snapshot, args.checks, args.seed)
    for what, counts in (("the snapshot's manifest", manifest["counts"]), ("the import", imported)):
        if [counts["articles"], counts["chunks"]] != [articles, chunks]:
            problems.append(f"{what} counts {counts['articles']}/{counts['chunks']}, the store {articles}/{chunks}")

    sample = sample_articles(source, args.sample, args.seed)
    print(f"re-indexing {len(sample)} sampled articles with the real model", file=sys.stderr)
    sample_chunks, sample_embedded, sample_s, dimensions, sample_chars = measure_reindex(sample, tmp)
    if dimensions != DIMENSIONS:
        problems.append(f"the model's vectors have {dimensions} dimensions, the synthetic ones {DIMENSIONS}")
    rate = sample_chunks / sample_s
    load_after = os.getloadavg()[0]
    reindex_s = chunks / rate
    both = export_s + import_s
    synthetic = "synthetic vectors" if not built.get("reused") else "synthetic vectors, store reused from cache"
    print(text_table([{
        "CPU": f"{cpu_name()}, {os.cpu_count()} cores", "chunks": chunks, "articles": articles,
        "export s": round(export_s, 1), "import s": round(import_s, 1), "export+import s": round(both, 1),
        f"re-index s (extrapolated from {sample_chunks} chunks)": round(reindex_s),
        "re-index / (export+import)": round(reindex_s / both, 1), "re-index / import": round(reindex_s / import_s, 1),
    }], f"Snapshot export + import against re-indexing ({synthetic}; texts and chunks real)"))  # fmt: skip
    print(text_table([
        {"measure": "store built (chunking + Chroma writes, synthetic vectors)",
         "value": f"{built['seconds']} s, {built['chunks'] / max(built['seconds'], 0.1):.0f} chunks/s"
                  + (" (an earlier run)" if built.get("reused") else "")},
        {"measure": "store sources (articles / chunks)",
         "value": ", ".join(f"{k} {a}/{c}" for k, (a, c) in built["sources"].items())},
        {"measure": "source Chroma folder", "value": f"{folder_mb(settings.home / 'chroma'):.0f} MB"},
        {"measure": "snapshot file", "value": f"{snapshot.stat().st_size / 2**20:.0f} MB"},
        {"measure": "restored Chroma folder", "value": f"{folder_mb(restored_settings.home / 'chroma'):.0f} MB"},
        {"measure": "export", "value": f"{export_s:.1f} s, {chunks / export_s:.0f} chunks/s"},
        {"measure": "import (verify, write, BM25 build)",
         "value": f"{import_s:.1f} s, {chunks / import_s:.0f} chunks/s"},
        {"measure": "re-index sample (real model, warm)",
         "value": f"{len(sample)} articles, {sample_chunks} chunks ({sample_embedded} embedded), {sample_s:.1f} s, "
                  f"{rate:.1f} chunks/s; mean chunk {sample_chars} chars (store: {built['chunk_chars']})"},
        {"measure": "re-index of the whole store (extrapolated)",
         "value": f"{reindex_s:.0f} s = {chunks} chunks / {rate:.1f} chunks/s"},
        {"measure": "restored store checked", "value": checked},
        {"measure": "load average (1 min) before / after the timed part",
         "value": f"{load_before:.1f} / {load_after:.1f} (this run alone adds about 1-2)"},
        {"measure": "problems", "value": "; ".join(problems) or "none"},
    ], f"Details (model {settings.embed_model_name} on {settings.embed_backend}, chunk size {settings.chunk_size}/"
       f"{settings.chunk_overlap})"))  # fmt: skip
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
