"""Scale-out: RAG_CHROMA_URL points every replica at one real `chroma run` server on a loopback port."""

import pytest

from evals.replicas import chroma_server
from index.build import index_paths
from rag.pipeline import Pipeline
from rag.settings import Settings
from tests.conftest import SEEDS, write_articles
from tests.ui.server import free_port

pytestmark = [pytest.mark.slow, pytest.mark.integration]


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory):
    with chroma_server(tmp_path_factory.mktemp("chroma-server")) as url:
        yield url


def test_replicas_share_one_chroma_server(chroma_url, tmp_path):
    replica_a = Settings(home=tmp_path / "a", chroma_url=chroma_url)
    replica_b = Settings(home=tmp_path / "b", chroma_url=chroma_url)
    index_paths([SEEDS], replica_a)
    a, b = Pipeline(replica_a), Pipeline(replica_b)
    assert b.ask("Who proposed delaying NATO membership?").short_answer == "Keith Kellogg"
    assert not (tmp_path / "a" / "chroma").exists()  # nothing local: the server holds the state

    # An article indexed through replica A is answerable from B without a restart, BM25 side included.
    late = write_articles(tmp_path / "late", {"ferry.txt": "The ferry captain, Ines Moreau, retired in May."})
    index_paths([late], replica_a)
    answer = b.ask("Which ferry captain retired in May?")
    assert answer.short_answer.endswith("Ines Moreau")  # the reader may keep the role: "ferry captain, Ines Moreau"
    bm25_only = b.retriever.retrieve("ferry captain Moreau", mode="bm25")
    assert bm25_only and bm25_only[0].article_id == "late/ferry.txt"
    assert a.store.counts() == b.store.counts()


def test_unreachable_server_is_a_clear_error(tmp_path):
    from rag.errors import StoreError

    with pytest.raises(StoreError, match="cannot reach the Chroma server"):
        Pipeline(Settings(home=tmp_path, chroma_url=f"http://127.0.0.1:{free_port()}"))
