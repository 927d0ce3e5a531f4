"""The Chroma record schema: what is written for an article and for each of its chunks, how it is read back,
what a filter matches on, and what BM25 may read as words.

One home, so that a new metadata field is added here (and in :class:`~rag.types.Article`, the loader that
reads it, and wherever it is shown) and nowhere else: the write path (``index.build``,
``rag.retrieval.store``), the read path (``rag.retrieval.retriever``) and the filters all go through these
functions. BM25 reads only :data:`TEXT_KEYS`; every other key is kept out of its vocabulary by construction, so a
new field cannot leak into it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from rag.errors import BadQuestion
from rag.types import Article, Chunk, Passage, stable_hash

# Article metadata, copied onto every chunk so that a retrieved chunk carries its article's citation data.
ARTICLE_ID = "article_id"
TITLE = "title"
URL = "url"
SOURCE = "source"
AUTHOR = "author"
PUBLISHED = "published"  # ISO YYYY-MM-DD, for display
DERIVED_TITLE = "derived_title"  # a title taken from the text: shown, never read by BM25 as more words
SEEN = "seen"  # ISO YYYY-MM-DD: first indexed, kept only for articles with no publication date
PUBLISHED_DAY = "published_day"  # YYYYMMDD integer: Chroma range filters compare numbers, not strings
OPTIONAL_TEXT_FIELDS = (URL, SOURCE, AUTHOR)  # plain strings, written only when present (Chroma takes no None)

TEXT_KEYS = frozenset({TITLE})  # the only metadata BM25 reads as words


def day_number(day: date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


def article_fields(article: Article) -> dict[str, Any]:
    """The article's citation metadata, flat and without None (what Chroma accepts)."""
    given = None if article.title_derived else article.title
    meta: dict[str, Any] = {ARTICLE_ID: article.id, TITLE: given or ""}
    if article.title_derived and article.title:
        meta[DERIVED_TITLE] = article.title
    for key in OPTIONAL_TEXT_FIELDS:
        if value := getattr(article, key):
            meta[key] = value
    if article.published:
        meta[PUBLISHED] = article.published.isoformat()
        meta[PUBLISHED_DAY] = day_number(article.published)
    elif article.seen:
        meta[SEEN] = article.seen.isoformat()
    return meta


def chunk_record(article: Article, chunk: Chunk, position: int) -> dict[str, Any]:
    """A chunk's metadata: its article's fields, where it sits in the article text, and the hashes that let a
    re-index reuse its vector (``text_hash``) and a citation be checked against the stored text (``article_hash``)."""
    return {
        **article_fields(article),
        "start": chunk.start,
        "end": chunk.end,
        "position": position,
        "text_hash": chunk.text_hash,
        "article_hash": article.content_hash,
    }


def article_record(article: Article, origin: str, n_chunks: int = 0, marker: str = "") -> dict[str, Any]:
    """An article's metadata in the articles collection (its text is the record's document).

    ``origin`` is the indexed path it came from (the sweep deletes what an origin no longer holds);
    ``indexed`` is set only once every chunk is written, so a killed run is redone by the next."""
    return {
        **article_fields(article),
        "origin": origin,
        "article_hash": article.content_hash,
        "text_hash": stable_hash(article.text),
        "indexed": f"{article.content_hash}:{marker}" if marker else "",
        "n_chunks": n_chunks,
    }


def meta_from_record(meta: dict[str, Any]) -> dict[str, Any]:
    """The article metadata of a stored record (article or chunk), the inverse of :func:`article_fields`."""
    published, seen = meta.get(PUBLISHED), meta.get(SEEN)
    derived = not meta.get(TITLE) and bool(meta.get(DERIVED_TITLE))
    return {
        "title": meta.get(TITLE) or meta.get(DERIVED_TITLE) or None,
        "title_derived": derived,
        "url": meta.get(URL),
        "source": meta.get(SOURCE),
        "author": meta.get(AUTHOR),
        "published": date.fromisoformat(published) if published else None,
        "seen": date.fromisoformat(seen) if seen and not published else None,
    }


def article_from_record(article_id: str, text: str, meta: dict[str, Any]) -> Article:
    return Article(id=article_id, text=text or "", **meta_from_record(meta))


def passage_from_record(chunk_id: str, text: str, meta: dict[str, Any], score: float = 0.0) -> Passage:
    return Passage(
        chunk_id=chunk_id, article_id=meta[ARTICLE_ID], text=text, start=int(meta["start"]), end=int(meta["end"]),
        article_hash=meta.get("article_hash"), score=score, **meta_from_record(meta),
    )  # fmt: skip


def not_text(meta: dict[str, Any]) -> list[str]:
    """The keys of ``meta`` that BM25 must not read as words: all but :data:`TEXT_KEYS`."""
    return [key for key in meta if key not in TEXT_KEYS]


def _parse_day(value: date | str | None, name: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    text = value.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadQuestion(f"bad date filter: {name} is not a valid date (YYYY-MM-DD): {value!r}") from None


def _clean(value: str | None) -> str | None:
    return (value or "").strip() or None


@dataclass(frozen=True)
class Filters:
    """Which articles a question may be answered from: exact source and author, an inclusive date range.

    Validated on construction (every entry point builds one), so each gets the same message."""

    source: str | None = None
    author: str | None = None
    published_from: date | None = None
    published_to: date | None = None

    def __post_init__(self) -> None:
        if self.published_from and self.published_to and self.published_from > self.published_to:
            raise BadQuestion(
                f"bad date filter: published_from is after published_to "
                f"({self.published_from.isoformat()} > {self.published_to.isoformat()})"
            )

    @classmethod
    def parse(cls, *, source: str | None = None, author: str | None = None,
              published_from: date | str | None = None, published_to: date | str | None = None) -> Filters:  # fmt: skip
        """From user input (text boxes, command-line options): blanks mean "any", dates are YYYY-MM-DD."""
        return cls(
            source=_clean(source),
            author=_clean(author),
            published_from=_parse_day(published_from, "published_from"),
            published_to=_parse_day(published_to, "published_to"),
        )

    def __bool__(self) -> bool:
        return bool(self.source or self.author or self.published_from or self.published_to)

    def matches(self, meta: dict[str, Any]) -> bool:
        """Whether a chunk's record passes (the BM25 side filters in memory)."""
        if self.source and meta.get(SOURCE) != self.source:
            return False
        if self.author and meta.get(AUTHOR) != self.author:
            return False
        day = meta.get(PUBLISHED_DAY)
        if self.published_from and (day is None or day < day_number(self.published_from)):
            return False
        return not (self.published_to and (day is None or day > day_number(self.published_to)))

    def to_llama(self):
        """The same conditions as llama-index metadata filters (the dense side filters inside Chroma)."""
        from llama_index.core.vector_stores import FilterCondition, FilterOperator, MetadataFilter, MetadataFilters

        parts = [
            MetadataFilter(key=key, value=value, operator=FilterOperator.EQ)
            for key, value in ((SOURCE, self.source), (AUTHOR, self.author))
            if value
        ]
        if self.published_from:
            parts.append(MetadataFilter(key=PUBLISHED_DAY, value=day_number(self.published_from),
                                        operator=FilterOperator.GTE))  # fmt: skip
        if self.published_to:
            parts.append(MetadataFilter(key=PUBLISHED_DAY, value=day_number(self.published_to),
                                        operator=FilterOperator.LTE))  # fmt: skip
        return MetadataFilters(filters=parts, condition=FilterCondition.AND) if parts else None
