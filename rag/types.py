"""The data every layer shares. Plain dataclasses inside; pydantic models where the answer leaves the process."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Literal, get_type_hints

from pydantic import BaseModel, Field, create_model


def stable_hash(*parts: object, length: int = 16) -> str:
    """Deterministic short hex digest, so ids are identical across runs and machines."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()
    return digest[:length]


@dataclass(frozen=True, kw_only=True)
class ArticleFields:
    """What is known of an article besides its text, declared once: :class:`Article` and :class:`Passage` inherit
    it, and so does the API's :class:`ArticleMeta` (its pydantic twin, built from these fields), which citations
    and article listings extend. ``published`` is a date everywhere; JSON writes it as ISO 8601 at the edge."""

    title: str | None = None
    url: str | None = None
    source: str | None = None
    author: str | None = None
    published: date | None = None
    title_derived: bool = False  # no title was given: ``title`` is the text's first line or sentence
    seen: date | None = None  # no publication date is known: the day the article was first indexed, shown as such


META_FIELDS = tuple(f.name for f in fields(ArticleFields))
ArticleMeta = create_model(
    "ArticleMeta", **{name: (hint, None) for name, hint in get_type_hints(ArticleFields).items()}
)  # the wire shape of ArticleFields: Citation and the article summaries inherit it


def meta_of(article: ArticleFields) -> dict:
    """The metadata of an article or passage, by field name (what the wire models take)."""
    return {name: getattr(article, name) for name in META_FIELDS}


@dataclass(frozen=True)
class Article(ArticleFields):
    id: str
    text: str
    path: str | None = None  # where it was read from, for messages

    @property
    def content_hash(self) -> str:
        """Changes when anything stored about the article changes (a new field joins only when set, so adding a
        field to the schema does not make every indexed article look changed)."""
        extra = (self.author,) if self.author else ()
        extra += ("derived title",) if self.title_derived else ()
        return stable_hash(self.title, self.text, self.url, self.source, self.published, *extra)


@dataclass(frozen=True)
class Chunk:
    """A piece of an article; ``article.text[start:end] == text`` always holds."""

    article_id: str
    text: str
    start: int
    end: int

    @property
    def id(self) -> str:
        return stable_hash(self.article_id, self.start, self.text)

    @property
    def text_hash(self) -> str:
        return stable_hash(self.text)


@dataclass(frozen=True)
class Passage(ArticleFields):
    """A retrieved chunk with its article metadata and the scores stages gave it (``scores`` grows as they do)."""

    chunk_id: str
    article_id: str
    text: str
    start: int
    end: int
    article_hash: str | None = None  # the article version this chunk was cut from
    score: float = 0.0
    scores: dict[str, float] = field(default_factory=dict)


class Citation(ArticleMeta):
    n: int = Field(description="Marker number used in the answer text, [n].")
    article_id: str
    article_hash: str | None = Field(
        None, description="Version of the article the offsets point into (`content_hash` of GET /articles/{id})."
    )
    chunk_id: str
    passage: str = Field(description="The retrieved passage text.")
    quote: str = Field(description="The supporting sentence inside the passage.")
    start: int = Field(description="Offset of quote in the article text: text[start:end] == quote.")
    end: int
    score: float


class EarlierReport(ArticleMeta):
    """An older report that answered the question otherwise: what it said, where, and when."""

    answer: str = Field(description="What the older report answered.")
    article_id: str
    quote: str = Field(description="Its sentence: text[start:end] of its article.")
    start: int
    end: int


class Statement(BaseModel):
    """One sentence of a generated answer and whether the passages it cites back it up."""

    text: str = Field(description="The generated sentence, without its [n] markers.")
    citations: list[int] = Field(default_factory=list, description="Numbers of the citations that support it.")
    supported: bool = Field(
        description="True when the cited evidence backs this statement and names nothing else in its place."
    )
    verdict: Literal["supported", "unsupported", "contradicted"] = Field(
        "unsupported",
        description="supported: backed by a cited sentence (or stating the evidence's confident answer) and not "
        "contradicted; unsupported: no cited sentence backs it, or it answers the question without the evidence's "
        "confident answer; contradicted: asked the same question, the "
        "evidence names something else (`evidence_says`). A contradicted statement is left out of `answer`.",
    )
    score: float = Field(description="Best support score among the cited passages (0..1, lexical + embedding).")
    evidence_says: str | None = Field(
        None,
        description="What the evidence answers instead: set when the statement is contradicted, or when it answers "
        "the question without the evidence's confident answer (then it is unsupported).",
    )
    note: str | None = Field(None, description="Why it is unsupported or contradicted, or which markers were dropped.")


class Answer(BaseModel):
    question: str
    standalone_question: str = Field(
        "",
        description="The question as the service understood and searched it: a follow-up with its references "
        "resolved against the conversation's history; equal to `question` when nothing needed resolving.",
    )
    mode: Literal["extractive", "generative"] = "extractive"
    answer: str = Field(description="Supporting text with [n] citation markers, or the abstention message.")
    short_answer: str | None = Field(None, description="The span answering the question, when it is confident.")
    abstained: bool = Field(description="True when the articles do not support an answer.")
    abstain_reason: str | None = Field(
        None,
        description="Why the answer abstained, in one line: a name of the question no indexed article mentions, "
        "the closest article not mentioning it, or the closest passages not answering.",
    )
    confidence: float = Field(
        ge=0.0,
        le=1.0,
        description="Answered: the probability that the short answer is right (calibrated on held-out titles). "
        "Abstained: the probability that abstaining is right (the best span would have been wrong).",
    )
    citations: list[Citation] = Field(default_factory=list)
    related: list[Citation] = Field(
        default_factory=list, description="When abstaining: the closest passages, not offered as evidence."
    )
    statements: list[Statement] = Field(
        default_factory=list,
        description="Generative mode: every sentence of the answer with its verification. Statements with "
        "supported=false are claims of the model that no cited passage backs; show them as such.",
    )
    as_of: date | None = Field(
        None,
        description="When the question asks about a state that changes (now, latest, as of a date) and the evidence "
        "is dated: the publication date of the report the answer comes from.",
    )
    earlier: list[EarlierReport] = Field(
        default_factory=list,
        description="Older reports that answered otherwise, newest first (the answer's value as it was reported).",
    )
    model: str | None = Field(None, description="Generative mode: the LLM that wrote the answer.")
    note: str | None = Field(
        None,
        description="Generative mode: set when the written answer was not shown because the evidence contradicts "
        "it; the answer is then the one extracted from the passages (or the abstention).",
    )
    timings_ms: dict[str, float] = Field(default_factory=dict)

    def cited_articles(self) -> list[str]:
        """The ids of the articles this answer cites, once each, in citation order."""
        return list(dict.fromkeys(c.article_id for c in self.citations))

    def history_turn(self) -> dict:
        """This answer as the next question's history turn: what it searched, its answer, the articles it cited.
        An extractive answer with no short answer is a dated brief ("What happened with the breach?"): its text is
        sentences of several reports, whose names would be taken for what "it" means next ("How much did it cost?"
        read as the library system's cost, not the renovation's); its turn gives no answer, so the story the
        question named is the referent."""
        brief = self.mode == "extractive" and not self.abstained and not self.short_answer
        return {
            "question": self.standalone_question or self.question,
            "answer": "" if brief else self.short_answer or self.answer,
            "articles": self.cited_articles(),
        }
