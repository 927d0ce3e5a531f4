"""rag.retrieval.retriever: dense, BM25 and fused retrieval over a real Chroma, with filters on both sides, using
the fake embedder (texts sharing words are close, texts sharing none are far)."""

from datetime import date

import pytest

from index.build import index_paths
from rag.records import Filters
from rag.retrieval.retriever import MODES, HybridRetriever
from rag.retrieval.store import Store
from tests.conftest import write_articles

ARTICLES = {
    "harbour.md": "Title: Harbour reopens\nAuthor: Jane Roe\nSource: Coast Gazette\nPublished: 2024-03-04\n\n"
    "The harbour of Port Elm reopened on Monday after a three-week closure. Engineers repaired the sea wall "
    "that a winter storm had breached. Fishing crews returned to the docks before dawn.",
    "bridge.md": "Title: Bridge opens\nAuthor: Tom Lee\nSource: River Times\nPublished: 2023-06-01\n\n"
    "The new river bridge in Lindholm opened to cyclists. Engineer Tomas Berg designed the 320-metre bridge. "
    "It took two years to build and carries a cycle lane on each side.",
    "orchard.md": "Title: Autumn bounty\nAuthor: Sam Poe\nSource: Farm Weekly\nPublished: 2022-09-15\n\n"
    "Apple growers in Vale reported a record harvest. Cider presses ran through the night while pickers "
    "filled crates in the orchards.",
    "observatory.md": "Title: Telescope upgrade\nAuthor: Jane Roe\nSource: Coast Gazette\nPublished: 2024-05-20\n\n"
    "Astronomers at the Kestrel observatory installed a larger mirror. The telescope will map faint galaxies "
    "and comets from next spring.",
}
HARBOUR_QUESTION = "Which engineers repaired the harbour sea wall after the storm?"


def ids(passages) -> list[str]:
    return [p.article_id for p in passages]


@pytest.fixture
def store(tmp_path, settings, fake_embedder):
    index_paths([write_articles(tmp_path / "news", ARTICLES)], settings, embedder=fake_embedder)
    return Store(settings)


@pytest.fixture
def retriever(store, fake_embedder):
    return HybridRetriever(store, fake_embedder, candidates=10)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("question", "expected"),
    [
        (HARBOUR_QUESTION, "news/harbour.md"),
        ("Who designed the cycle bridge in Lindholm?", "news/bridge.md"),
        ("How big was the apple harvest in Vale?", "news/orchard.md"),
        ("What will the Kestrel telescope map?", "news/observatory.md"),
    ],
)
def test_article_sharing_the_rare_words_comes_first(retriever, mode, question, expected):
    passages = retriever.retrieve(question, mode=mode)
    assert passages
    assert passages[0].article_id == expected


def test_bm25_returns_only_chunks_sharing_a_word(retriever):
    assert ids(retriever.retrieve("Lindholm cyclists", mode="bm25")) == ["news/bridge.md"]
    assert retriever.retrieve("zeppelin quasar", mode="bm25") == []


def test_bm25_reads_the_title_but_not_other_metadata(retriever):
    assert ids(retriever.retrieve("bounty", mode="bm25")) == ["news/orchard.md"]  # a word only in its title
    assert retriever.retrieve("Roe", mode="bm25") == []  # an author's name is not a word of the article
    assert retriever.retrieve("Gazette", mode="bm25") == []


def test_dense_returns_up_to_k(retriever):
    assert len(retriever.retrieve(HARBOUR_QUESTION, mode="dense", k=2)) == 2
    assert len(retriever.retrieve(HARBOUR_QUESTION, mode="dense")) == len(ARTICLES)  # one chunk each


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("filters", "allowed"),
    [
        (Filters(source="River Times"), {"news/bridge.md"}),
        (Filters(author="Jane Roe"), {"news/harbour.md", "news/observatory.md"}),
        (Filters(published_from=date(2023, 1, 1), published_to=date(2023, 12, 31)), {"news/bridge.md"}),
        (Filters(published_from=date(2024, 5, 20)), {"news/observatory.md"}),
        (Filters(published_to=date(2022, 9, 15)), {"news/orchard.md"}),
    ],
)
def test_filters_exclude_other_articles(retriever, mode, filters, allowed):
    # The question shares "engineer" with the bridge, "harbour" etc. with the harbour article and "mirror"
    # with the observatory, "apple" with the orchard: every allowed article has a word for BM25 to find.
    question = HARBOUR_QUESTION + " Engineer, mirror, apple."
    passages = retriever.retrieve(question, mode=mode, filters=filters)
    assert set(ids(passages)) == allowed


@pytest.mark.parametrize("mode", MODES)
def test_filter_matching_nothing_returns_nothing(retriever, mode):
    assert retriever.retrieve(HARBOUR_QUESTION, mode=mode, filters=Filters(source="Nowhere Post")) == []
    assert retriever.retrieve(HARBOUR_QUESTION, mode=mode, filters=Filters(published_from=date(2030, 1, 1))) == []


def test_unknown_mode_is_refused(retriever):
    with pytest.raises(ValueError, match="mode must be one of"):
        retriever.retrieve(HARBOUR_QUESTION, mode="sparse")


def test_bm25_sees_a_newly_indexed_article(retriever, store, tmp_path, settings, fake_embedder):
    assert retriever.retrieve("zeppelin hangar", mode="bm25") == []
    before = store.generation()
    more = write_articles(tmp_path / "more", {"airship.md": "A zeppelin hangar opened near Fulda on Friday."})
    index_paths([more], settings, embedder=fake_embedder)
    assert store.generation() > before
    assert ids(retriever.retrieve("zeppelin hangar", mode="bm25")) == ["more/airship.md"]
    assert retriever.retrieve("zeppelin hangar", mode="hybrid")[0].article_id == "more/airship.md"


def test_passages_carry_citation_data_and_exact_offsets(retriever, store):
    for mode in MODES:
        passages = retriever.retrieve(HARBOUR_QUESTION + " telescope", mode=mode)
        assert passages
        for passage in passages:
            article = store.get_article(passage.article_id)
            assert article.text[passage.start : passage.end] == passage.text
            assert passage.article_hash == article.content_hash
            assert passage.author == article.author
            assert passage.source == article.source
            assert passage.published == article.published
            assert passage.title == article.title
    harbour = retriever.retrieve(HARBOUR_QUESTION, mode="hybrid")[0]
    assert (harbour.author, harbour.source, harbour.published) == ("Jane Roe", "Coast Gazette", date(2024, 3, 4))


def test_query_vector_given_by_the_caller_is_used(retriever, fake_embedder):
    vector = fake_embedder.get_query_embedding("apple harvest cider")
    passages = retriever.retrieve(HARBOUR_QUESTION, mode="dense", embedding=vector)
    assert passages[0].article_id == "news/orchard.md"
