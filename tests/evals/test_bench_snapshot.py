"""The snapshot benchmark end to end on a tiny store: it builds, exports, imports, re-indexes a sample with the
real model, prints its table, and finds the restored store equal to the source."""

from __future__ import annotations

import json

import pytest


@pytest.mark.slow
def test_bench_snapshot_on_a_tiny_store(tmp_path, capsys):
    from evals.bench_snapshot import main

    cache, tmp = tmp_path / "cache", tmp_path / "tmp"
    assert main(["--chunks", "300", "--sample", "50", "--checks", "20", "--cache", str(cache), "--tmp", str(tmp)]) == 0
    out = capsys.readouterr().out
    assert "Snapshot export + import against re-indexing (synthetic vectors" in out
    assert "re-index s (extrapolated from" in out and "re-index / (export+import)" in out
    built = json.loads((cache / "built.json").read_text())
    assert 300 <= built["chunks"] < 320 and set(built["sources"]) == {"bbc"}  # whole articles, BBC News only
    lines = out.splitlines()
    row = lines[next(n for n, line in enumerate(lines) if line.startswith("CPU ")) + 2].split(" | ")
    assert int(row[1]) == built["chunks"] and int(row[2]) == built["articles"]
    assert "counts equal; 20 random chunks: text and metadata identical" in out
    assert "snapshot vectors byte-identical to the source's" in out
    assert out.rstrip().splitlines()[-1].split("|")[1].strip() == "none"  # the problems row
    assert list(tmp.iterdir()) == []  # the snapshot and the temporary homes are gone

    # a second run reuses the store it built
    assert main(["--chunks", "300", "--cache", str(cache), "--build-only"]) == 0
    assert "reusing the store" in capsys.readouterr().err
