"""rag.records: the Chroma record schema (article and chunk metadata, read back) and the Filters they match."""

from datetime import date

import pytest

from rag.errors import BadQuestion
from rag.records import (
    AUTHOR,
    PUBLISHED,
    PUBLISHED_DAY,
    SOURCE,
    TEXT_KEYS,
    TITLE,
    URL,
    Filters,
    article_fields,
    article_from_record,
    article_record,
    chunk_record,
    day_number,
    not_text,
    passage_from_record,
)
from rag.types import Article, Chunk, stable_hash

TEXT = "Mayor Ana Duarte opened the harbour. Repairs cost 4.2 million euros."
FULL = Article(
    id="news/harbour.md", text=TEXT, title="Harbour reopens", url="https://example.org/harbour",
    source="Coast Gazette", published=date(2024, 3, 4), author="Jane Roe",
)  # fmt: skip
BARE = Article(id="bare", text="Just text.")


def meta(source=None, author=None, day=None) -> dict:
    out = {TITLE: "t"}
    if source:
        out[SOURCE] = source
    if author:
        out[AUTHOR] = author
    if day:
        out[PUBLISHED_DAY] = day_number(day)
    return out


def test_article_fields_leave_out_what_is_not_set():
    assert article_fields(BARE) == {"article_id": "bare", TITLE: ""}


def test_article_fields_of_a_full_article():
    fields = article_fields(FULL)
    assert fields == {
        "article_id": "news/harbour.md", TITLE: "Harbour reopens", URL: "https://example.org/harbour",
        SOURCE: "Coast Gazette", AUTHOR: "Jane Roe", PUBLISHED: "2024-03-04", PUBLISHED_DAY: 20240304,
    }  # fmt: skip
    assert isinstance(fields[PUBLISHED_DAY], int)
    assert None not in fields.values()


def test_day_number_orders_like_dates():
    assert day_number(date(2024, 1, 31)) == 20240131
    assert day_number(date(2023, 12, 31)) < day_number(date(2024, 1, 1)) < day_number(date(2024, 1, 2))


def test_chunk_record_keys_and_values():
    chunk = Chunk(FULL.id, TEXT[:36], 0, 36)
    record = chunk_record(FULL, chunk, 3)
    assert set(record) == set(article_fields(FULL)) | {"start", "end", "position", "text_hash", "article_hash"}
    assert (record["start"], record["end"], record["position"]) == (0, 36, 3)
    assert record["text_hash"] == chunk.text_hash
    assert record["article_hash"] == FULL.content_hash
    assert record[AUTHOR] == "Jane Roe"


def test_article_record_keys_and_indexed_marker():
    record = article_record(FULL, "/some/origin", n_chunks=2, marker="200/40")
    assert set(record) == set(article_fields(FULL)) | {"origin", "article_hash", "text_hash", "indexed", "n_chunks"}
    assert record["origin"] == "/some/origin"
    assert record["indexed"] == f"{FULL.content_hash}:200/40"
    assert record["text_hash"] == stable_hash(TEXT)
    assert record["n_chunks"] == 2
    assert article_record(FULL, "/some/origin")["indexed"] == ""


@pytest.mark.parametrize("article", [FULL, BARE], ids=["full", "bare"])
def test_article_round_trip(article):
    back = article_from_record(article.id, article.text, article_record(article, "/origin"))
    assert back == article
    assert back.content_hash == article.content_hash


def test_passage_round_trip_carries_citation_fields():
    chunk = Chunk(FULL.id, TEXT[37:], 37, len(TEXT))
    passage = passage_from_record(chunk.id, chunk.text, chunk_record(FULL, chunk, 1), score=0.5)
    assert (passage.chunk_id, passage.article_id, passage.text) == (chunk.id, FULL.id, chunk.text)
    assert (passage.start, passage.end) == (37, len(TEXT))
    assert TEXT[passage.start : passage.end] == passage.text
    assert (passage.title, passage.url, passage.source) == ("Harbour reopens", FULL.url, "Coast Gazette")
    assert (passage.author, passage.published) == ("Jane Roe", date(2024, 3, 4))
    assert passage.article_hash == FULL.content_hash
    assert passage.score == 0.5


def test_passage_of_a_bare_article_has_no_title_or_author():
    chunk = Chunk(BARE.id, BARE.text, 0, len(BARE.text))
    passage = passage_from_record(chunk.id, chunk.text, chunk_record(BARE, chunk, 0))
    assert passage.title is None and passage.author is None and passage.published is None


def test_not_text_keeps_only_text_keys_out():
    record = chunk_record(FULL, Chunk(FULL.id, TEXT, 0, len(TEXT)), 0)
    excluded = not_text(record)
    assert TITLE not in excluded
    assert set(excluded) == set(record) - TEXT_KEYS
    assert "brand_new_field" in not_text({**record, "brand_new_field": "x"})


def test_filters_match_source_and_author_exactly():
    assert Filters(source="Coast Gazette").matches(meta(source="Coast Gazette"))
    assert not Filters(source="Coast Gazette").matches(meta(source="River Times"))
    assert not Filters(source="Coast Gazette").matches(meta())
    assert Filters(author="Jane Roe").matches(meta(author="Jane Roe"))
    assert not Filters(author="Jane Roe").matches(meta(author="jane roe"))
    assert not Filters(author="Jane Roe", source="Coast Gazette").matches(meta(source="Coast Gazette"))
    assert Filters().matches(meta())


def test_filters_date_range_is_inclusive():
    window = Filters(published_from=date(2024, 3, 1), published_to=date(2024, 3, 31))
    assert window.matches(meta(day=date(2024, 3, 1)))
    assert window.matches(meta(day=date(2024, 3, 31)))
    assert not window.matches(meta(day=date(2024, 2, 29)))
    assert not window.matches(meta(day=date(2024, 4, 1)))
    assert not window.matches(meta())  # an undated article is outside any date range
    assert Filters(published_from=date(2024, 3, 4)).matches(meta(day=date(2024, 3, 4)))
    assert Filters(published_to=date(2024, 3, 4)).matches(meta(day=date(2024, 3, 4)))
    assert not Filters(published_to=date(2024, 3, 3)).matches(meta(day=date(2024, 3, 4)))


def test_one_day_range_is_allowed():
    assert Filters(published_from=date(2024, 3, 4), published_to=date(2024, 3, 4)).matches(meta(day=date(2024, 3, 4)))


def test_reversed_range_is_a_bad_question():
    with pytest.raises(BadQuestion, match="published_from is after published_to"):
        Filters(published_from=date(2024, 3, 5), published_to=date(2024, 3, 4))
    with pytest.raises(BadQuestion, match="published_from is after published_to"):
        Filters.parse(published_from="2024-03-05", published_to="2024-03-04")


def test_parse_blanks_mean_any():
    parsed = Filters.parse(source="  ", author="", published_from=" ", published_to=None)
    assert parsed == Filters()
    assert not parsed


def test_parse_strips_and_reads_dates():
    parsed = Filters.parse(source=" Coast Gazette ", author="Jane Roe", published_from="2024-03-01",
                           published_to=date(2024, 3, 31))  # fmt: skip
    assert parsed == Filters("Coast Gazette", "Jane Roe", date(2024, 3, 1), date(2024, 3, 31))


@pytest.mark.parametrize("name", ["published_from", "published_to"])
def test_parse_bad_date_names_the_field(name):
    with pytest.raises(BadQuestion, match="valid date") as caught:
        Filters.parse(**{name: "March 4th"})
    assert name in str(caught.value)
    assert "'March 4th'" in str(caught.value)


def test_truthiness():
    assert not Filters()
    assert Filters(source="x")
    assert Filters(author="x")
    assert Filters(published_from=date(2024, 1, 1))
    assert Filters(published_to=date(2024, 1, 1))


def test_to_llama_has_one_condition_per_set_field():
    from llama_index.core.vector_stores import FilterCondition, FilterOperator

    assert Filters().to_llama() is None
    assert len(Filters(source="x").to_llama().filters) == 1
    full = Filters("Coast Gazette", "Jane Roe", date(2024, 3, 1), date(2024, 3, 31)).to_llama()
    assert full.condition == FilterCondition.AND
    got = {(f.key, f.operator, f.value) for f in full.filters}
    assert got == {
        (SOURCE, FilterOperator.EQ, "Coast Gazette"),
        (AUTHOR, FilterOperator.EQ, "Jane Roe"),
        (PUBLISHED_DAY, FilterOperator.GTE, 20240301),
        (PUBLISHED_DAY, FilterOperator.LTE, 20240331),
    }
