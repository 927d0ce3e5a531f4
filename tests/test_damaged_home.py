"""A RAG_HOME that is damaged, not a folder, or missing: one clear line naming the path and the fix.

For ``rag index`` and ``rag ask`` (exit 2, one line on stderr, no traceback) and for the API (the server
starts, answers 503 with the reason, and reports it in /health). A server started on a damaged store serves
answers as soon as the store is rebuilt, without a restart.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from index.build import index_paths
from rag.settings import Settings
from tests.conftest import SEEDS
from ui.app import create_app
from ui.cli import main

pytestmark = pytest.mark.slow

REFERENCE = "Who proposed delaying NATO membership?"


def garbage_over_sqlite(home: Path) -> Path:
    target = home / "chroma" / "chroma.sqlite3"
    target.write_bytes(os.urandom(target.stat().st_size))
    return home / "chroma"


def truncated_sqlite(home: Path) -> Path:
    target = home / "chroma" / "chroma.sqlite3"
    os.truncate(target, target.stat().st_size // 2)
    return home / "chroma"


def home_is_a_file(home: Path) -> Path:
    shutil.rmtree(home)
    home.write_text("not a folder")
    return home


def chroma_is_a_file(home: Path) -> Path:
    shutil.rmtree(home / "chroma")
    (home / "chroma").write_text("not a folder")
    return home / "chroma"


# (case, how to damage an indexed home -> the path the message must name, what the message must say)
DAMAGE = [
    ("garbage over chroma.sqlite3", garbage_over_sqlite, "is damaged or unreadable"),
    ("chroma.sqlite3 cut in half", truncated_sqlite, "is damaged or unreadable"),
    ("RAG_HOME is a file", home_is_a_file, "is a file, not a folder"),
    ("RAG_HOME/chroma is a file", chroma_is_a_file, "is a file, not a folder"),
]
FIX = {
    "is damaged or unreadable": "move it aside (or delete it) and run `rag index` again",
    "is a file, not a folder": "point RAG_HOME at a folder",
}


@pytest.fixture(scope="module")
def indexed_template(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("template") / "home"
    index_paths([SEEDS], Settings(home=home))
    return home


@pytest.fixture
def damaged(request, indexed_template, tmp_path, monkeypatch):
    _, damage, problem = request.param
    home = tmp_path / "home"
    shutil.copytree(indexed_template, home)
    named = damage(home)
    monkeypatch.setenv("RAG_HOME", str(home))
    return home, named.resolve(), problem


def one_line_error(capsys, argv: list[str]) -> str:
    capsys.readouterr()
    code = main(argv)
    out, err = capsys.readouterr()
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, (code, out, err)
    assert "Traceback" not in err and len(lines) == 1, err
    assert lines[0].startswith("rag: error: ")
    return lines[0]


@pytest.mark.parametrize("damaged", DAMAGE, ids=[d[0] for d in DAMAGE], indirect=True)
def test_cli_index_and_ask_name_the_path_and_the_fix(damaged, capsys):
    home, named, problem = damaged
    for argv in (["index", str(SEEDS)], ["ask", REFERENCE]):
        line = one_line_error(capsys, argv)
        assert str(named) in line and problem in line and FIX[problem] in line, line


@pytest.mark.parametrize("damaged", DAMAGE, ids=[d[0] for d in DAMAGE], indirect=True)
def test_api_starts_and_answers_503_with_the_reason(damaged):
    home, named, problem = damaged
    with TestClient(create_app(Settings(home=home))) as client:
        response = client.post("/query", json={"question": REFERENCE})
        assert response.status_code == 503
        detail = response.json()["detail"]
        assert str(named) in detail and problem in detail and FIX[problem] in detail, detail
        assert "\n" not in detail
        health = client.get("/health").json()
        assert problem in health["status"] and health["chunks"] == 0


def test_missing_home_says_run_rag_index(tmp_path, monkeypatch, capsys):
    home = tmp_path / "never-indexed"
    monkeypatch.setenv("RAG_HOME", str(home))
    line = one_line_error(capsys, ["ask", REFERENCE])
    assert f"no index under {home}" in line and "run `rag index` first" in line
    with TestClient(create_app(Settings(home=home))) as client:
        response = client.post("/query", json={"question": REFERENCE})
        assert response.status_code == 503 and "run `rag index`" in response.json()["detail"]
    assert not home.exists(), "asking must not create the home"


def test_server_on_damaged_store_recovers_once_rebuilt_without_restart(indexed_template, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(indexed_template, home)
    garbage_over_sqlite(home)
    settings = Settings(home=home)
    with TestClient(create_app(settings)) as client:
        first, second = (client.post("/query", json={"question": REFERENCE}) for _ in range(2))
        assert first.status_code == second.status_code == 503
        assert first.json() == second.json() and "file is not a database" in first.json()["detail"]  # every time
        (home / "chroma").rename(home / "chroma.damaged")  # what the message says to do ...
        index_paths([SEEDS], settings)  # ... and `rag index`, here in-process (same process as the server)
        response = client.post("/query", json={"question": REFERENCE})
        assert response.status_code == 200 and response.json()["short_answer"] == "Keith Kellogg"
        assert client.get("/health").json()["status"] == "ready"
