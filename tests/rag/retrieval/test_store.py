"""rag.retrieval.store: the Chroma collections under a private home, written by index_paths with the small fake
embedder."""

from datetime import date

import pytest

from index.build import index_paths
from rag.errors import IndexMissing
from rag.retrieval.store import Store
from rag.settings import load_settings
from tests.conftest import write_articles

HARBOUR = (
    "Title: Harbour reopens\nAuthor: Jane Roe\nSource: Coast Gazette\nPublished: 2024-03-04\n\n"
    "The harbour of Port Elm reopened on Monday after a three-week closure. "
    "Engineers repaired the sea wall that a winter storm had breached.\n\n"
    "Mayor Ana Duarte said the repairs cost 4.2 million euros. Fishing crews returned to the docks before dawn."
)
BRIDGE = (
    "Title: Bridge opens\nAuthor: Tom Lee\nSource: River Times\nPublished: 2023-06-01\n\n"
    "The new river bridge in Lindholm opened to cyclists. Engineer Tomas Berg designed the 320-metre bridge. "
    "It took two years to build and carries a cycle lane on each side."
)
ORCHARD = "Apple growers in Vale reported a record harvest. Cider presses ran through the night."
HARBOUR_BODY = HARBOUR.split("\n\n", 1)[1]


@pytest.fixture
def small_chunks(rag_home):
    """Settings with small chunks, so an article spans several (overlapping) chunks."""
    return load_settings(chunk_size=32, chunk_overlap=8)


@pytest.fixture
def news(tmp_path):
    return write_articles(tmp_path / "news", {"harbour.md": HARBOUR, "bridge.md": BRIDGE, "orchard.md": ORCHARD})


@pytest.fixture
def store(news, small_chunks, fake_embedder):
    index_paths([news], small_chunks, embedder=fake_embedder)
    return Store(small_chunks)


def test_counts(store):
    articles, chunks = store.counts()
    assert articles == 3
    assert chunks > 3  # the harbour article is longer than one 32-token chunk
    assert chunks == len(store.chunk_records())


def test_get_article_returns_exact_text_and_metadata(store):
    article = store.get_article("news/harbour.md")
    assert article.text == HARBOUR_BODY
    assert article.title == "Harbour reopens"
    assert article.author == "Jane Roe"
    assert article.source == "Coast Gazette"
    assert article.published == date(2024, 3, 4)
    bare = store.get_article("news/orchard.md")
    assert bare.text == ORCHARD
    assert (bare.author, bare.source, bare.published) == (None, None, None)
    assert bare.title_derived and bare.title == "Apple growers in Vale reported a record harvest."  # its first sentence


def test_get_article_of_unknown_id_is_none(store):
    assert store.get_article("news/nothing.md") is None


def test_list_articles_pages_without_repeats(store):
    first, second, third = store.list_articles(0, 2), store.list_articles(2, 2), store.list_articles(4, 2)
    assert (len(first), len(second), third) == (2, 1, [])
    ids = [a.id for a in first + second]
    assert sorted(ids) == ["news/bridge.md", "news/harbour.md", "news/orchard.md"]
    listed = {a.id: a for a in first + second}
    assert listed["news/bridge.md"].author == "Tom Lee"
    assert listed["news/bridge.md"].text == ""  # listing carries metadata only


def test_records_filtered_by_article_id(store):
    chunks = store.chunk_records({"article_id": "news/bridge.md"})
    assert chunks
    assert {m["article_id"] for m in chunks.values()} == {"news/bridge.md"}
    assert all(m["author"] == "Tom Lee" for m in chunks.values())
    articles = store.article_records({"article_id": {"$in": ["news/bridge.md", "news/orchard.md"]}})
    assert set(articles) == {"news/bridge.md", "news/orchard.md"}
    assert articles["news/bridge.md"]["n_chunks"] == len(chunks)
    assert store.chunk_records({"article_id": "news/nothing.md"}) == {}


def test_every_chunk_is_an_exact_slice_of_its_article(store):
    texts = {}
    seen = 0
    for _, document, meta in store.all_chunks():
        article_id = meta["article_id"]
        if article_id not in texts:
            texts[article_id] = store.get_article(article_id).text
        assert texts[article_id][meta["start"] : meta["end"]] == document
        seen += 1
    assert seen == store.counts()[1]
    assert set(texts) == {"news/harbour.md", "news/bridge.md", "news/orchard.md"}


def test_generation_moves_only_when_the_index_changes(news, small_chunks, fake_embedder):
    index_paths([news], small_chunks, embedder=fake_embedder)
    store = Store(small_chunks)
    first = store.generation()
    assert first >= 1
    report = index_paths([news], small_chunks, embedder=fake_embedder)
    assert report.embedded == 0
    assert store.generation() == first
    (news / "orchard.md").write_text(ORCHARD + " Prices fell by a third.", encoding="utf-8")
    index_paths([news], small_chunks, embedder=fake_embedder)
    assert store.generation() > first


def test_delete_articles_removes_their_chunks(store):
    before_articles, before_chunks = store.counts()
    harbour_chunks = store.chunk_records({"article_id": "news/harbour.md"})
    assert harbour_chunks
    store.delete_articles(["news/harbour.md"])
    assert store.get_article("news/harbour.md") is None
    assert store.chunk_records({"article_id": "news/harbour.md"}) == {}
    assert store.counts() == (before_articles - 1, before_chunks - len(harbour_chunks))
    assert store.get_article("news/bridge.md") is not None


def test_json_articles_keep_their_author(tmp_path, settings, fake_embedder):
    from tests.conftest import write_json_article

    write_json_article(tmp_path / "feed" / "a.json", id="a1", title="Ferry", author="Ines Moreau",
                       published="2022-01-02", text="The ferry to Isla Verde runs twice a day.")  # fmt: skip
    index_paths([tmp_path / "feed"], settings, embedder=fake_embedder)
    article = Store(settings).get_article("a1")
    assert (article.author, article.published) == ("Ines Moreau", date(2022, 1, 2))
    assert article.text == "The ferry to Isla Verde runs twice a day."


def test_empty_home_has_no_index(settings):
    with pytest.raises(IndexMissing, match="rag index"):
        Store(settings)


def test_home_with_empty_chroma_folder_has_no_index(settings, rag_home):
    (rag_home / "chroma").mkdir(parents=True)
    with pytest.raises(IndexMissing, match="rag index"):
        Store(settings)
