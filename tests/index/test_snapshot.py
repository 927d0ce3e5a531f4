"""``rag export`` / ``rag import`` against a real Chroma under tmp_path and the real packaged MiniLM model.

A snapshot restored into a fresh home holds exactly the records and vectors of the original and answers the same
questions the same way; a damaged, truncated or foreign snapshot and a non-empty target are refused before
anything is written; an export taken while the index is written to is one published state, never a mix.
"""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from index.build import index_paths
from index.restore import import_snapshot
from index.snapshot import SnapshotError, export, verify
from rag.errors import StoreError
from rag.pipeline import Pipeline
from rag.retrieval.store import Store
from rag.settings import Settings
from tests.conftest import SEEDS, write_articles, write_harbour_and_bridge

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = [
    "Who proposed delaying NATO membership?",
    "Which ferry captain retired in May?",
    "How much did the harbour repairs cost?",
    "Who designed the bridge in Lindholm?",
    "Who won the 1950 World Cup?",  # not in the articles: abstains
]
FETCH_STATE = {"version": 1, "urls": {"https://news.example/a": {"etag": '"abc"', "last_modified": None,
                                                                 "sha256": "00", "article_ids": ["a"]}}}  # fmt: skip
FEEDS = {"feeds": [{"url": "https://news.example/feed.rss", "origin": "api", "polls": 3}]}


def write_extra(folder: Path) -> Path:
    write_harbour_and_bridge(folder)
    # no title: one is derived from the text (what the migration tests strip back to the older format)
    write_articles(folder, {"ferry.txt": "The ferry captain, Ines Moreau, retired in May after thirty years "
                                         "on the Saltash crossing. Her last trip was on a calm morning."})  # fmt: skip
    return folder


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> tuple[Settings, Path]:
    """A home with the seed and three small articles indexed, a fetch state and a feed list; and its snapshot."""
    home = tmp_path_factory.mktemp("source")
    settings = Settings(home=home)
    index_paths([SEEDS, write_extra(tmp_path_factory.mktemp("extra"))], settings)
    (home / "fetch-state.json").write_text(json.dumps(FETCH_STATE), encoding="utf-8")
    (home / "feeds.json").write_text(json.dumps(FEEDS), encoding="utf-8")
    path = tmp_path_factory.mktemp("snapshots") / "backup.zip"
    export(settings, path)
    return settings, path


def store_content(settings: Settings) -> dict:
    """Every record of the store, chunks with their vectors: what a restore must reproduce exactly."""
    store = Store(settings)
    chunks = store.chunks.get(include=["documents", "metadatas", "embeddings"])
    articles = store.articles.get(include=["documents", "metadatas"])
    return {
        "articles": {
            i: (d, m) for i, d, m in zip(articles["ids"], articles["documents"], articles["metadatas"], strict=True)
        },  # fmt: skip
        "chunks": {i: (d, m) for i, d, m in zip(chunks["ids"], chunks["documents"], chunks["metadatas"], strict=True)},
        "vectors": {
            i: np.asarray(v, dtype=np.float32) for i, v in zip(chunks["ids"], chunks["embeddings"], strict=True)
        },  # fmt: skip
    }


def assert_same_content(got: dict, want: dict) -> None:
    assert got["articles"] == want["articles"]
    assert got["chunks"] == want["chunks"]
    assert set(got["vectors"]) == set(want["vectors"])
    for chunk_id, vector in want["vectors"].items():
        assert np.array_equal(got["vectors"][chunk_id], vector), chunk_id


def answer_key(answer) -> dict:
    """What must not change: the answer text, the short answer, abstention, confidence and every citation."""
    return {"answer": answer.answer, "short": answer.short_answer, "abstained": answer.abstained,
            "reason": answer.abstain_reason, "confidence": answer.confidence,
            "citations": [c.model_dump(mode="json") for c in answer.citations]}  # fmt: skip


def test_export_then_import_answers_identically_without_embedding(source, tmp_path, monkeypatch):
    settings, path = source
    target = Settings(home=tmp_path / "restored")

    def no_embedding(*args, **kwargs):
        raise AssertionError("the import embedded something")

    monkeypatch.setattr("rag.encoders.embedding.load_embedder", no_embedding)
    monkeypatch.setattr("rag.encoders.embedding.embed_texts", no_embedding)
    report = import_snapshot(target, path)
    monkeypatch.undo()
    assert (report["articles"], report["chunks"]) == Store(settings).counts()
    assert_same_content(store_content(target), store_content(settings))
    for name in ("fetch-state.json", "feeds.json"):
        assert (target.home / name).read_bytes() == (settings.home / name).read_bytes()
    assert list((target.home / "derived").glob("bm25-*")), "the BM25 side was not built"
    assert Store(target).stored_schema() == Store(settings).stored_schema()

    original, restored = Pipeline(settings), Pipeline(target)
    for question in QUESTIONS:
        assert answer_key(restored.ask(question)) == answer_key(original.ask(question)), question
    assert original.ask(QUESTIONS[0]).short_answer == "Keith Kellogg"
    assert restored.ask(QUESTIONS[-1]).abstained


def test_the_manifest_says_what_shaped_the_index(source):
    settings, path = source
    checked = verify(path, settings)
    store = Store(settings)
    assert checked.counts == dict(zip(("articles", "chunks"), store.counts(), strict=True))
    assert checked.dimensions == checked.store["dimensions"] == 384
    shaped = checked.store
    assert shaped["embed_model"] == "all-MiniLM-L6-v2" and shaped["schema"] == store.stored_schema()
    assert (shaped["chunk_size"], shaped["chunk_overlap"]) == (settings.chunk_size, settings.chunk_overlap)
    assert shaped["generation"] == store.generation()
    with zipfile.ZipFile(path) as archive:
        assert set(archive.namelist()) == {"manifest.json", "articles.jsonl", "chunks.jsonl", "vectors.npy",
                                           "fetch-state.json", "feeds.json"}  # fmt: skip
        first = json.loads(archive.read("chunks.jsonl").splitlines()[0])
        assert {"start", "end", "article_id", "text_hash"} <= set(first["meta"])
        assert archive.getinfo("vectors.npy").compress_type == zipfile.ZIP_STORED


# --- damaged snapshots: refused with the problem named, before anything is written ------------------------------


def flip_byte_in(path: Path, member: str) -> None:
    """Flip one byte in the middle of a member's stored data (its local header left as it was)."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    with open(path, "r+b") as f:
        f.seek(info.header_offset + 26)
        name_length, extra_length = struct.unpack("<HH", f.read(4))
        at = info.header_offset + 30 + name_length + extra_length + info.compress_size // 2
        f.seek(at)
        byte = f.read(1)
        f.seek(at)
        f.write(bytes([byte[0] ^ 0xFF]))


def rewritten(path: Path, out: Path, *, drop: str | None = None, replace: dict[str, bytes] | None = None) -> Path:
    """A copy of the snapshot with one member left out or replaced (a well-formed zip: only the content lies)."""
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            if name != drop:
                dst.writestr(name, (replace or {}).get(name, src.read(name)))
    return out


def manifest_with(path: Path, change) -> bytes:
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    change(manifest)
    return json.dumps(manifest).encode()


def damaged(kind: str, path: Path, tmp_path: Path) -> Path:
    out = tmp_path / f"{kind}.zip"
    if kind.startswith("flip-"):
        shutil.copyfile(path, out)
        flip_byte_in(out, kind.removeprefix("flip-"))
        return out
    if kind in ("truncated-half", "truncated-tail"):
        data = path.read_bytes()
        out.write_bytes(data[: len(data) // 2] if kind == "truncated-half" else data[:-10])
        return out
    if kind == "missing-chunks":
        return rewritten(path, out, drop="chunks.jsonl")
    if kind == "missing-manifest":
        return rewritten(path, out, drop="manifest.json")
    if kind == "edited-records":  # a well-formed zip whose member no longer matches the manifest's sha256
        with zipfile.ZipFile(path) as archive:
            text = archive.read("articles.jsonl").replace(b"Port Elm", b"Port Elk")
        return rewritten(path, out, replace={"articles.jsonl": text})
    if kind == "format-version":
        manifest = manifest_with(path, lambda m: m.update(format_version=2))
        return rewritten(path, out, replace={"manifest.json": manifest})
    if kind == "future-schema":
        manifest = manifest_with(path, lambda m: m["store"].update(schema=99))
        return rewritten(path, out, replace={"manifest.json": manifest})
    if kind == "not-a-snapshot":
        out.write_text("hello", encoding="utf-8")
        return out
    raise ValueError(kind)


DAMAGE = {
    "flip-articles.jsonl": "member articles.jsonl",
    "flip-chunks.jsonl": "member chunks.jsonl",
    "flip-vectors.npy": "member vectors.npy",
    "flip-manifest.json": "manifest.json",
    "truncated-half": "not a whole snapshot",
    "truncated-tail": "not a whole snapshot",
    "missing-chunks": "member chunks.jsonl is missing",
    "missing-manifest": "member manifest.json is missing",
    "edited-records": "articles.jsonl does not match its checksum",
    "format-version": "format version 2; this version of rag-news reads format version 1",
    "future-schema": "record format 99, written by a newer version",
    "not-a-snapshot": "not a whole snapshot",
}


@pytest.mark.parametrize("kind", sorted(DAMAGE))
def test_a_damaged_snapshot_is_refused_and_the_target_left_untouched(source, tmp_path, kind):
    _, path = source
    bad = damaged(kind, path, tmp_path)
    target = Settings(home=tmp_path / "target")
    with pytest.raises(SnapshotError, match=DAMAGE[kind]):
        import_snapshot(target, bad)
    assert not target.home.exists(), "something was written before the snapshot was checked"


def test_a_snapshot_of_another_embedding_model_is_refused(source, tmp_path):
    _, path = source
    target = Settings(home=tmp_path / "target", embed_backend="onnx-int8")  # int8 vectors are not torch's
    with pytest.raises(SnapshotError, match=r"embedding model 'all-MiniLM-L6-v2'.*'all-MiniLM-L6-v2 \[onnx-int8\]'"):
        import_snapshot(target, path)
    assert not target.home.exists()


def test_a_non_empty_target_is_refused_and_left_as_it_was(source, tmp_path):
    settings, path = source
    before = store_content(settings)
    with pytest.raises(SnapshotError, match="the target is not empty: the index in .* holds"):
        import_snapshot(settings, path)
    assert_same_content(store_content(settings), before)

    files_only = Settings(home=tmp_path / "files-only")
    files_only.home.mkdir()
    (files_only.home / "feeds.json").write_text("{}", encoding="utf-8")
    with pytest.raises(SnapshotError, match="feeds.json exists"):
        import_snapshot(files_only, path)
    assert sorted(p.name for p in files_only.home.iterdir()) == ["feeds.json"]


def test_the_cli_prints_one_line_and_exit_code_2(source, tmp_path):
    _, path = source
    bad = damaged("flip-chunks.jsonl", path, tmp_path)
    env = {"RAG_HOME": str(tmp_path / "target"), "PATH": "/usr/bin:/bin"}
    run = subprocess.run([sys.executable, "-m", "ui.cli", "import", str(bad)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.startswith("rag: error: damaged snapshot") and "chunks.jsonl" in run.stderr
    missing = subprocess.run([sys.executable, "-m", "ui.cli", "export", str(tmp_path / "no" / "such.zip")], cwd=ROOT,
                             env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert missing.returncode == 2 and "does not exist" in missing.stderr


def test_export_replaces_a_previous_snapshot_atomically_and_clears_leftovers(source, tmp_path):
    settings, path = source
    out = tmp_path / "nightly.zip"
    out.write_bytes(b"yesterday")
    leftover = tmp_path / ".nightly.zip.999999999.part"  # a killed export's (no such process)
    leftover.write_bytes(b"half")
    export(settings, out)
    assert verify(out, settings).counts == verify(path, settings).counts
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nightly.zip"]


def test_a_store_being_imported_is_refused_to_everyone_else(source, tmp_path):
    """While an import runs (or after one was killed), every other opener is told why, not handed half a store."""
    from rag.retrieval.store import IMPORTING

    _, path = source
    target = Settings(home=tmp_path / "restored")
    import_snapshot(target, path)
    store = Store(target)
    store.chunks.modify(metadata={**store.chunks.metadata, IMPORTING: "x"})
    with pytest.raises(StoreError, match=r"being restored by `rag import`.*run `rag import SNAPSHOT` again"):
        Store(target)
    with pytest.raises(StoreError, match="rag import"):
        index_paths([SEEDS], target)


@pytest.mark.integration
def test_import_into_a_chroma_server_and_export_from_it(source, tmp_path):
    """RAG_CHROMA_URL: the same snapshot restored into a real `chroma run` server answers as the original, and a
    snapshot taken back from the server (through another replica's home) holds the same records."""
    from evals.replicas import chroma_server

    settings, path = source
    with chroma_server(tmp_path / "server") as url:
        replica = Settings(home=tmp_path / "replica", chroma_url=url)
        import_snapshot(replica, path)
        assert not (replica.home / "chroma").exists()  # nothing local: the server holds the records
        assert_same_content(store_content(replica), store_content(settings))
        with pytest.raises(SnapshotError, match="the target is not empty"):
            import_snapshot(Settings(home=tmp_path / "other", chroma_url=url), path)
        other = Settings(home=tmp_path / "other", chroma_url=url)
        export(other, tmp_path / "from-server.zip")
        assert verify(tmp_path / "from-server.zip", other).counts == verify(path, settings).counts
        restored = Pipeline(replica)
        assert answer_key(restored.ask(QUESTIONS[0])) == answer_key(Pipeline(settings).ask(QUESTIONS[0]))
