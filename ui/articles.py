"""The article routes: list, read, add (JSON records, uploaded files, URLs and feeds) and delete.

Adding runs the same indexer as ``rag index`` in a worker thread, one batch at a time per process, while
questions keep being answered on the previous index state; the answer path picks the new articles up through
the store's generation stamp. Uploaded and fetched articles are never swept by a later batch: DELETE removes one.
"""

import json

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rag import ARTICLES_PER_REQUEST_MAX, URLS_PER_REQUEST_MAX, ArticleMeta
from rag.errors import ArticleNotFound, BadQuestion
from ui.service import Service, summary

ARTICLES = "articles"  # the OpenAPI tag of these routes


class ArticleSummary(ArticleMeta):
    id: str


class ArticleFull(ArticleSummary):
    text: str
    content_hash: str = Field(description="Version of this text; a citation whose article_hash differs is stale.")


class ArticlePage(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[ArticleSummary]


class NewArticle(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str | None = Field(None, max_length=500)
    title: str | None = Field(None, max_length=1000)
    text: str = Field(min_length=1)
    url: str | None = Field(None, max_length=2000)
    source: str | None = Field(None, max_length=200)
    author: str | None = Field(None, max_length=200)
    published: str | None = Field(None, max_length=40, description="YYYY-MM-DD (or an ISO date-time)")


class AddRequest(BaseModel):
    """Either ``articles`` (records, as in a .json file) or ``urls`` (pages and RSS/Atom feeds)."""

    model_config = ConfigDict(extra="forbid")
    articles: list[NewArticle] = Field(default_factory=list, max_length=ARTICLES_PER_REQUEST_MAX)
    urls: list[str] = Field(default_factory=list, max_length=URLS_PER_REQUEST_MAX)


class IndexSummary(BaseModel):
    articles: int
    chunks: int
    embedded: int
    unchanged: int
    deleted: int
    skipped: list[dict[str, str]] = Field(description="What was not indexed: [{path, reason}]")
    duplicates: list[dict[str, str]]


def build_articles_router(service: Service) -> APIRouter:
    router = APIRouter()
    limit_bytes = service.settings.max_upload_bytes

    @router.get("/articles", operation_id="list_articles", tags=[ARTICLES], response_model=ArticlePage)
    def list_articles(offset: int = Query(0, ge=0), limit: int = Query(20, ge=1, le=200),
                      q: str | None = Query(None, max_length=200, description="Words in the title, id, source or "
                                            "author (case-insensitive)")) -> dict:  # fmt: skip
        """Indexed articles with their metadata, a page at a time."""
        return service.list_articles(offset, limit, q)

    @router.get("/articles/{article_id:path}", operation_id="get_article", tags=[ARTICLES], response_model=ArticleFull,
                responses={404: {}})  # fmt: skip
    def get_article(article_id: str) -> dict:
        """One article's full text (the text citation offsets point into) and metadata."""
        article = service.pipeline().store.get_article(article_id)
        if article is None:
            raise ArticleNotFound(f"no article with id {article_id!r}")
        return {**summary(article), "text": article.text, "content_hash": article.content_hash}

    @router.post(
        "/articles", operation_id="add_articles", tags=[ARTICLES], response_model=IndexSummary,
        responses={413: {}, 422: {}},
        openapi_extra={"requestBody": {"content": {
            "application/json": {"schema": AddRequest.model_json_schema()},
            "multipart/form-data": {"schema": {"type": "object", "properties": {
                "files": {"type": "array", "items": {"type": "string", "format": "binary"}}}}},
        }}},
    )  # fmt: skip
    async def add_articles(request: Request) -> dict:
        """Index articles: JSON `{"articles": [{text, title, url, source, author, published, id}]}`, JSON
        `{"urls": [page or feed URL, ...]}`, or `multipart/form-data` files (`.txt .md .html .json .jsonl`).
        Returns the index summary with every skipped item and its reason. URLs may not reach private, loopback
        or link-local addresses unless RAG_FETCH_ALLOW_PRIVATE=1."""
        body = await _read_body(request, limit_bytes)
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind == "multipart/form-data":
            files = await _form_files(request)
            return await run_in_threadpool(service.add_files, files)
        if kind not in ("application/json", ""):
            raise BadQuestion(f"send application/json or multipart/form-data, not {kind}")
        try:
            add = AddRequest.model_validate(json.loads(body or b"{}"))
        except (ValueError, ValidationError) as exc:
            raise BadQuestion(_first_error(exc)) from None
        if not add.articles and not add.urls:
            raise BadQuestion("nothing to add: send 'articles', 'urls' or files")
        records = [a.model_dump(exclude_none=True) for a in add.articles]
        return await run_in_threadpool(service.add_records_and_urls, records, add.urls)

    @router.delete("/articles/{article_id:path}", operation_id="delete_article", tags=[ARTICLES],
                   responses={404: {}})  # fmt: skip
    def delete_article(article_id: str) -> dict:
        """Remove an article and its passages from the index."""
        return service.delete_article(article_id)

    return router


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 past ``limit`` bytes even when it comes without a Content-Length."""
    from fastapi import HTTPException

    pieces, size = [], 0
    async for piece in request.stream():
        size += len(piece)
        if size > limit:
            raise HTTPException(413, f"request body over {limit} bytes (RAG_MAX_UPLOAD_BYTES)")
        pieces.append(piece)
    body = b"".join(pieces)
    request._body = body  # the form parser reads it again
    return body


async def _form_files(request: Request) -> list[tuple[str, bytes]]:
    form = await request.form(max_files=ARTICLES_PER_REQUEST_MAX)
    files = [(item.filename or "unnamed", await item.read()) for key, item in form.multi_items()
             if key in ("files", "file") and hasattr(item, "read")]  # fmt: skip
    if not files:
        raise BadQuestion("no files in the form: send them as 'files'")
    return files


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"{where}: {first['msg']}" if where else first["msg"]
    return f"the body is not valid JSON: {exc}"
