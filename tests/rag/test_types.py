"""One article shape: metadata is declared once and every carrier of it (articles, passages, citations, the API's
article listings) has exactly those fields, with ``published`` a date inside and ISO 8601 on the wire."""

from dataclasses import fields
from datetime import date

from rag.records import article_fields, article_from_record, passage_from_record
from rag.types import META_FIELDS, Article, ArticleFields, ArticleMeta, Citation, Passage, meta_of
from ui.articles import ArticleFull, ArticleSummary


def test_every_carrier_has_the_one_declared_shape():
    declared = [f.name for f in fields(ArticleFields)]
    assert list(META_FIELDS) == declared == list(ArticleMeta.model_fields)
    for model in (Citation, ArticleSummary, ArticleFull):
        assert issubclass(model, ArticleMeta) and set(declared) <= set(model.model_fields), model
    for carrier in (Article, Passage):
        assert issubclass(carrier, ArticleFields)


def test_published_is_a_date_from_store_to_answer_and_iso_on_the_wire():
    article = Article(id="a", text="Text.", title="T", author="Jane Roe", published=date(2024, 3, 4))
    meta = {**article_fields(article), "start": 0, "end": 5}
    stored = article_from_record("a", "Text.", meta)
    passage = passage_from_record("c", "Text.", meta)
    assert meta_of(stored) == meta_of(passage) == meta_of(article)
    assert passage.published == date(2024, 3, 4)
    cited = Citation(n=1, article_id="a", chunk_id="c", passage="Text.", quote="Text.", start=0, end=5, score=1.0,
                     **meta_of(passage))  # fmt: skip
    assert cited.model_dump(mode="json")["published"] == "2024-03-04"
    listed = ArticleSummary(id="a", **meta_of(stored)).model_dump(mode="json")
    assert listed == {"id": "a", "title": "T", "url": None, "source": None, "author": "Jane Roe",
                      "published": "2024-03-04", "title_derived": False, "seen": None}  # fmt: skip


def test_seen_is_kept_only_for_an_article_with_no_publication_date():
    undated = Article(id="u", text="Text.", seen=date(2026, 12, 3))
    assert article_from_record("u", "Text.", article_fields(undated)).seen == date(2026, 12, 3)
    dated = Article(id="d", text="Text.", published=date(2024, 3, 4), seen=date(2026, 12, 3))
    assert "seen" not in article_fields(dated)
    assert article_from_record("d", "Text.", {**article_fields(dated), "seen": "2026-12-03"}).seen is None


def test_a_derived_title_is_shown_and_flagged_but_never_read_by_bm25():
    from rag.records import DERIVED_TITLE, TEXT_KEYS, meta_from_record

    article = Article(id="a", text="Ferry reopens\nThe ferry reopened.", title="Ferry reopens", title_derived=True)
    meta = article_fields(article)
    assert meta["title"] == "" and meta[DERIVED_TITLE] == "Ferry reopens" and DERIVED_TITLE not in TEXT_KEYS
    assert meta_from_record(meta)["title"] == "Ferry reopens" and meta_from_record(meta)["title_derived"]
    given = Article(id="a", text=article.text, title="Ferry reopens")
    assert given.content_hash != article.content_hash  # an article whose title is later given is re-indexed
