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
                      "published": "2024-03-04"}  # fmt: skip
