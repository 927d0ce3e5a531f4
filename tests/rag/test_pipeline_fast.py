"""rag.pipeline over a real Chroma with the fake embedder and the real reader: retrieval, reading, answering,
filters and the errors a caller sees, in seconds (tests/rag/test_pipeline.py runs the real models end to end)."""

from datetime import date

import pytest

from index.build import index_paths
from rag.errors import BadQuestion, IndexMissing
from rag.limits import ABSTAIN_MESSAGE, TOP_K_MAX
from rag.pipeline import Pipeline
from rag.records import Filters
from rag.retrieval.store import Store
from rag.settings import load_settings
from tests.conftest import write_articles

ARTICLES = {
    "bridge.md": "Title: Bridge opens\nAuthor: Tom Lee\nSource: River Times\nPublished: 2023-06-01\n\n"
    "The new river bridge in Lindholm opened to cyclists on Saturday. Tomas Berg designed the Lindholm bridge. "
    "It took two years to build.",
    "harbour.md": "Title: Harbour reopens\nAuthor: Jane Roe\nSource: Coast Gazette\nPublished: 2024-03-04\n\n"
    "The harbour of Port Elm reopened on Monday after a three-week closure. Mayor Ana Duarte said the repairs "
    "cost 4.2 million euros.",
    "orchard.md": "Title: Apple harvest\nAuthor: Sam Poe\nSource: Farm Weekly\nPublished: 2022-09-15\n\n"
    "Apple growers in Vale reported a record harvest. Cider presses ran through the night.",
}
QUESTION = "Who designed the Lindholm bridge?"
QUOTE = "Tomas Berg designed the Lindholm bridge."


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    from tests.fakes import WordHashEmbedding

    settings = load_settings(home=tmp_path_factory.mktemp("home"))
    embedder = WordHashEmbedding()
    index_paths([write_articles(tmp_path_factory.mktemp("src") / "news", ARTICLES)], settings, embedder=embedder)
    return Pipeline(settings, embedder=embedder)


def test_answer_cites_the_article_with_exact_offsets(pipeline):
    answer = pipeline.ask(QUESTION)
    assert not answer.abstained
    assert answer.short_answer == "Tomas Berg"
    assert answer.confidence >= pipeline.abstain_below
    cited = answer.citations[0]
    assert cited.article_id == "news/bridge.md"
    assert cited.quote == QUOTE
    article = pipeline.store.get_article(cited.article_id)
    assert article.text[cited.start : cited.end] == cited.quote
    assert cited.article_hash == article.content_hash
    assert (cited.author, cited.source, cited.published) == ("Tom Lee", "River Times", date(2023, 6, 1))
    assert answer.answer.startswith(f"{QUOTE} [1]")
    assert set(answer.timings_ms) >= {"retrieve", "read", "answer", "total"}


@pytest.mark.parametrize("retrieval", ["dense", "bm25", "hybrid"])
def test_every_retrieval_mode_finds_it(pipeline, retrieval):
    result = pipeline.run(QUESTION, retrieval=retrieval)
    assert result.passages[0].article_id == "news/bridge.md"
    assert result.answer.short_answer == "Tomas Berg"


def test_top_k_limits_the_passages(pipeline):
    assert len(pipeline.run(QUESTION, top_k=1).passages) == 1
    assert len(pipeline.run(QUESTION, top_k=3).passages) == 3


def test_filter_on_another_author_abstains(pipeline):
    result = pipeline.run(QUESTION, filters=Filters(author="Sam Poe"))
    answer = result.answer
    assert answer.abstained
    assert answer.answer == ABSTAIN_MESSAGE
    assert answer.short_answer is None and answer.citations == []
    assert {p.article_id for p in result.passages} == {"news/orchard.md"}
    assert {r.article_id for r in answer.related} <= {"news/orchard.md"}


def test_filter_on_the_right_source_still_answers(pipeline):
    answer = pipeline.ask(QUESTION, filters=Filters.parse(source="River Times", published_from="2023-01-01"))
    assert answer.short_answer == "Tomas Berg"


def test_rerank_keeps_the_answer(pipeline):
    result = pipeline.run(QUESTION, rerank=True)
    assert "rerank" in result.answer.timings_ms
    assert result.answer.short_answer == "Tomas Berg"


@pytest.mark.parametrize("top_k", [0, TOP_K_MAX + 1])
def test_top_k_out_of_range_is_a_bad_question(pipeline, top_k):
    with pytest.raises(BadQuestion, match=f"top_k must be between 1 and {TOP_K_MAX}"):
        pipeline.ask(QUESTION, top_k=top_k)


def test_empty_question_is_a_bad_question(pipeline):
    with pytest.raises(BadQuestion, match="empty"):
        pipeline.ask("   ")


def test_no_index_is_index_missing(settings, fake_embedder):
    with pytest.raises(IndexMissing):
        Pipeline(settings, embedder=fake_embedder)


def test_empty_index_is_index_missing(settings, fake_embedder):
    store = Store(settings, create=True)
    pipeline = Pipeline(settings, store, embedder=fake_embedder)
    with pytest.raises(IndexMissing, match="is empty"):
        pipeline.ask(QUESTION)
