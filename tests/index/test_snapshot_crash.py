"""kill -9 at every write of ``rag export``, ``rag import`` and ``rag migrate``.

Each run is ``python -m ui.cli ...`` in a subprocess whose writes are counted (Chroma collection and client writes,
archive members, renames, fsyncs); at write number k the process sends itself SIGKILL, so it dies exactly there,
as under kill -9. A first run without a kill counts the writes; then every k is killed in turn and what is left is
checked:

* export: ``PATH`` is untouched (absent, or the previous snapshot, byte for byte and still valid), and the next
  export succeeds and clears the ``.part`` leftovers;
* import: the store is never half there for anyone else (absent, empty, or refused as "being restored"), and
  rerunning the import restores every record and vector: nothing lost;
* migrate: rerunning it gives exactly what the current code writes.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from index.build import index_paths
from index.migrate import migrate
from index.restore import import_snapshot
from index.snapshot import export, verify
from rag.errors import IndexMissing, StoreError
from rag.retrieval.store import SCHEMA, Store
from rag.settings import Settings
from tests.conftest import SEEDS, write_articles
from tests.index.test_migrate import UNTITLED, strip_to_format_1
from tests.index.test_snapshot import assert_same_content, store_content, write_extra

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]

# Runs the CLI with every write counted; kills itself (SIGKILL) at write number argv[1] (0: never), and writes the
# list of writes it made to argv[2] when it ends by itself.
HARNESS = r"""
import json, os, signal, sys, zipfile
kill_at, log_file, argv = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
writes = []

def hit(what):
    writes.append(what)
    if len(writes) == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)

def counted(owner, name, label):
    original = getattr(owner, name)
    def wrapper(*args, **kwargs):
        hit(label(args))
        return original(*args, **kwargs)
    setattr(owner, name, wrapper)

from chromadb.api.models.Collection import Collection
from chromadb.api.client import Client
for name in ("add", "upsert", "update", "delete", "modify"):
    counted(Collection, name, lambda a, n=name: f"{n} {a[0].name}")
for name in ("get_or_create_collection", "delete_collection"):
    counted(Client, name, lambda a, n=name: f"{n} {a[1] if len(a) > 1 else ''}")
counted(os, "replace", lambda a: f"replace {os.path.basename(str(a[1]))}")

from index import migrate, restore, snapshot
migrate.BATCH, restore.BATCH = 1, 2  # more, smaller writes: more places to die
counted(snapshot._Member, "write", lambda a: f"write {a[0].name}")
counted(snapshot._Member, "__exit__", lambda a: f"close {a[0].name}")
counted(zipfile.ZipFile, "writestr", lambda a: f"writestr {a[1]}")
counted(snapshot, "_fsync", lambda a: f"fsync {os.path.basename(str(a[0]))}")

from ui.cli import main
code = main(argv)
with open(log_file, "w") as out:
    json.dump(writes, out)
sys.exit(code)
"""


def run_cli(args: list[str], home: Path, kill_at: int, log: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "RAG_HOME": str(home)}
    return subprocess.run([sys.executable, "-c", HARNESS, str(kill_at), str(log), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip


def count_writes(args: list[str], home: Path, tmp_path: Path) -> list[str]:
    log = tmp_path / "writes.json"
    done = run_cli(args, home, 0, log)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(log.read_text())


def killed(args: list[str], home: Path, k: int, tmp_path: Path, write: str) -> None:
    run = run_cli(args, home, k, tmp_path / "unused.json")
    assert run.returncode == -signal.SIGKILL, f"write {k} ({write}) was not reached: {run.stderr[-1500:]}"


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Settings:
    settings = Settings(home=tmp_path_factory.mktemp("source"))
    index_paths([SEEDS, write_extra(tmp_path_factory.mktemp("extra"))], settings)
    (settings.home / "fetch-state.json").write_text('{"version": 1, "urls": {}}', encoding="utf-8")
    (settings.home / "feeds.json").write_text('{"feeds": []}', encoding="utf-8")
    return settings


def test_kill_9_at_every_export_write_leaves_the_previous_snapshot(source, tmp_path):
    out = tmp_path / "out" / "backup.zip"
    out.parent.mkdir()
    writes = count_writes(["export", str(out)], source.home, tmp_path)
    assert writes[-2:] == ["replace backup.zip", "fsync out"]
    previous = out.read_bytes()  # the snapshot the killed runs must leave alone
    print(f"\nexport makes {len(writes)} writes, each one killed in turn: {writes}")
    replaced = writes.index("replace backup.zip") + 1
    for k, write in enumerate(writes, start=1):
        killed(["export", str(out)], source.home, k, tmp_path, write)
        if k <= replaced:  # killed before or at the rename: the old file, whole
            assert out.read_bytes() == previous, f"kill at write {k} ({write}) changed {out}"
        verify(out, source)  # whichever it is, it is a whole snapshot
    fresh = tmp_path / "fresh" / "backup.zip"
    fresh.parent.mkdir()
    for k, write in enumerate(writes[: replaced - 1], start=1):  # a first export killed: no file at PATH at all
        if write.startswith("write "):
            continue  # (each step of the archive, not each line, is enough here)
        killed(["export", str(fresh)], source.home, k, tmp_path, write)
        assert not fresh.exists(), f"kill at write {k} ({write}) left a file at {fresh}"
    assert list(fresh.parent.glob(".backup.zip.*.part"))  # what the killed runs left beside it ...
    export(source, fresh)
    assert sorted(p.name for p in fresh.parent.iterdir()) == ["backup.zip"]  # ... the next export removes


def target_state(home: Path, want: dict) -> str:
    """What a killed import left, as any other process sees it; never a store with part of the data."""
    try:
        store = Store(Settings(home=home))
    except IndexMissing:
        return "no store"
    except StoreError as exc:
        assert "rag import" in str(exc), exc
        return "refused: import under way"
    if store.counts() == (0, 0):
        return "empty"
    assert_same_content(store_content(Settings(home=home)), want)
    return "complete"


def test_kill_9_at_every_import_write_then_rerun_loses_nothing(source, tmp_path):
    snapshot = tmp_path / "backup.zip"
    export(source, snapshot)
    want = store_content(source)
    writes = count_writes(["import", str(snapshot)], tmp_path / "probe", tmp_path)
    print(f"\nimport makes {len(writes)} writes, each one killed in turn: {writes}")
    assert any(w.startswith("upsert") and "chunks" in w for w in writes)
    states = {}
    for k, write in enumerate(writes, start=1):
        home = tmp_path / f"kill-{k}"
        killed(["import", str(snapshot)], home, k, tmp_path, write)
        states[f"{k} {write}"] = target_state(home, want)
        import_snapshot(Settings(home=home), snapshot)  # the rerun (in this process: only the kill needs another)
        assert_same_content(store_content(Settings(home=home)), want)
        for name in ("fetch-state.json", "feeds.json"):
            assert (home / name).read_bytes() == (source.home / name).read_bytes()
        shutil.rmtree(home)
    print("left after each kill:\n" + "\n".join(f"  {k}: {s}" for k, s in states.items()))
    assert "refused: import under way" in states.values()


def test_kill_9_at_every_migration_write_then_rerun_finishes_it(tmp_path, fake_embedder):
    template = Settings(home=tmp_path / "template")
    index_paths([write_articles(tmp_path / "news", UNTITLED)], template, embedder=fake_embedder)
    want = store_content(template)
    strip_to_format_1(template)
    probe = tmp_path / "probe"
    shutil.copytree(template.home, probe)
    writes = count_writes(["migrate"], probe, tmp_path)
    print(f"\nmigrate makes {len(writes)} writes, each one killed in turn: {writes}")
    for k, write in enumerate(writes, start=1):
        home = tmp_path / f"kill-{k}"
        shutil.copytree(template.home, home)
        killed(["migrate"], home, k, tmp_path, write)
        settings = Settings(home=home)
        migrate(Store(settings))  # the rerun
        assert_same_content(store_content(settings), want)
        store = Store(settings)
        assert store.stored_schema() == SCHEMA and not store.has_pending_writes(), f"kill at write {k} ({write})"
        shutil.rmtree(home)
