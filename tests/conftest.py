"""Shared fixtures: a private RAG_HOME per test, a guard that fails any non-loopback network attempt."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

import rag  # noqa: F401  (offline environment first)
from rag.settings import PROJECT_ROOT

SEEDS = PROJECT_ROOT / "seeds"
LOOPBACK = {"127.0.0.1", "::1", "localhost", "0.0.0.0"}


class NetworkAttempt(AssertionError):
    pass


def _host_of(address) -> str | None:
    if isinstance(address, tuple) and address:
        return str(address[0])
    return None  # unix sockets


@pytest.fixture(autouse=True, scope="session")
def no_network():
    """Offline always: any connection or DNS lookup that leaves the machine fails the test that made it."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def guard(host):
        if host is not None and host not in LOOPBACK:
            raise NetworkAttempt(f"network access attempted: {host}")

    def connect(self, address):
        guard(_host_of(address))
        return real_connect(self, address)

    def connect_ex(self, address):
        guard(_host_of(address))
        return real_connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):
        guard(host if isinstance(host, str) else None)
        return real_getaddrinfo(host, *args, **kwargs)

    mp = pytest.MonkeyPatch()
    mp.setattr(socket.socket, "connect", connect)
    mp.setattr(socket.socket, "connect_ex", connect_ex)
    mp.setattr(socket, "getaddrinfo", getaddrinfo)
    yield
    mp.undo()


@pytest.fixture(autouse=True)
def rag_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "rag-home"
    monkeypatch.setenv("RAG_HOME", str(home))
    return home


@pytest.fixture
def settings(rag_home):
    from rag.settings import load_settings

    return load_settings()


@pytest.fixture(scope="session")
def fake_embedder():
    """The deterministic bag-of-words embedder of :mod:`tests.fakes`, for fast unit tests."""
    from tests.fakes import WordHashEmbedding

    return WordHashEmbedding()


def write_articles(folder: Path, articles: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in articles.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def write_json_article(path: Path, **fields) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(fields), encoding="utf-8")
    return path


def write_harbour_and_bridge(folder: Path) -> Path:
    """Two small dated articles with a source each, beside which the seed article is indexed in several tests."""
    write_json_article(folder / "harbour.json", id="harbour", title="Harbour reopens", source="Coast Gazette",
                       published="2024-03-04", text="The harbour of Port Elm reopened on Monday after a "
                       "three-week closure. Mayor Ana Duarte said the repairs cost 4.2 million euros.")  # fmt: skip
    write_json_article(folder / "bridge.json", id="bridge", title="Bridge opens", source="River Times",
                       published="2023-06-01", text="The new river bridge in Lindholm opened to cyclists. "
                       "Engineer Tomas Berg designed the 320-metre bridge.")  # fmt: skip
    return folder


@pytest.fixture(scope="session")
def seed_home(tmp_path_factory) -> Path:
    """A home with seeds/ indexed, shared by the tests that only read it."""
    from index.build import index_paths
    from rag.settings import Settings

    home = tmp_path_factory.mktemp("seed-home")
    index_paths([SEEDS], Settings(home=home))
    return home
