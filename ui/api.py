"""The HTTP API: ``POST /query``, ``POST /query/stream``, ``GET /health``, ``GET /metrics``; the article routes are
in :mod:`ui.articles`.

Route handlers are thin: validate with pydantic, call the service, translate ``rag.errors`` into status codes
with the reason in ``detail``. Every request gets an id and, on the API's paths, a request log line
(:mod:`ui.request_log`); the question routes add the question's part to it.
"""

# No `from __future__ import annotations`: FastAPI must see the per-deployment QueryRequest class itself,
# which a string annotation naming a local class would hide from it.
import hmac
import json
import time
from collections.abc import Iterator
from datetime import date
from itertools import chain
from typing import Annotated, Literal

from fastapi import APIRouter, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from rag import (
    ARTICLE_ID_CHARS_MAX,
    HISTORY_ANSWER_CHARS_MAX,
    HISTORY_ARTICLES_MAX,
    HISTORY_TURNS_MAX,
    TOP_K_MAX,
    Answer,
    Filters,
    Settings,
)
from rag.errors import (
    ArticleNotFound,
    BadQuestion,
    IndexMissing,
    LLMNotConfigured,
    LLMUnavailable,
    Overloaded,
    RagError,
    StoreError,
)  # fmt: skip
from ui import request_log
from ui.articles import ARTICLES, build_articles_router
from ui.feed_routes import FEEDS, build_feeds_router
from ui.request_log import Record, RequestLogMiddleware
from ui.service import Service

MAX_BODY_BYTES = 64 * 1024

# The OpenAPI tags, in the order /docs shows them; every route has one, and an operation id that a generated
# client names its method after (`query`, `list_articles`, ...).
ANSWERS, SERVICE = "answers", "service"
OPENAPI_TAGS = [
    {"name": ANSWERS, "description": "Questions answered from the indexed articles, with cited passages."},
    {"name": ARTICLES, "description": "What is indexed: list, read, add and delete articles."},
    {"name": FEEDS, "description": "Feeds polled in the background to keep the index current."},
    {"name": SERVICE, "description": "Whether the service is ready, and what it runs."},
]


class QueryFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: str | None = Field(None, max_length=200)
    author: str | None = Field(None, max_length=200)
    published_from: date | None = Field(None, description="YYYY-MM-DD")
    published_to: date | None = Field(None, description="YYYY-MM-DD")

    @field_validator("published_from", "published_to", mode="before")
    @classmethod
    def _iso_string(cls, value: object) -> object:
        # pydantic would read a number as a Unix timestamp: 20240101 is not 2024-01-01
        if value is not None and not isinstance(value, str | date):
            raise ValueError(f"dates are 'YYYY-MM-DD' strings, got {type(value).__name__}")
        return value

    def to_filters(self) -> Filters:
        """The core's filters, which check what spans fields (a reversed date range: 422 with the reason)."""
        return Filters(**self.model_dump())


class HistoryTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(min_length=1, description="An earlier question.")
    answer: str = Field("", max_length=HISTORY_ANSWER_CHARS_MAX,
                        description="The answer it got: its short answer or the full answer text.")  # fmt: skip
    articles: list[Annotated[str, Field(min_length=1, max_length=ARTICLE_ID_CHARS_MAX)]] = Field(
        default_factory=list, max_length=HISTORY_ARTICLES_MAX,
        description="The ids of the articles that answer cited: the follow-up prefers their passages.",
    )  # fmt: skip


def query_request_model(settings: Settings) -> type[BaseModel]:
    """The request body of the query routes, with this deployment's question limit in its schema."""

    class QueryRequest(BaseModel):
        model_config = ConfigDict(
            extra="forbid",
            json_schema_extra={"examples": [{"question": "Who proposed delaying NATO membership?", "top_k": 5}]},
        )
        question: str = Field(min_length=1, max_length=settings.max_question_chars,
                              description="The question, in English.")  # fmt: skip
        # strict: a JSON integer, not true (-> 1), 3.0 or "5" coerced into one
        top_k: int | None = Field(None, ge=1, le=TOP_K_MAX, strict=True,
                                  description="Passages to consider and return.")  # fmt: skip
        mode: Literal["extractive", "generative"] = "extractive"
        filters: QueryFilters | None = None
        history: list[HistoryTurn] = Field(
            default_factory=list, max_length=HISTORY_TURNS_MAX,
            description="Earlier turns of the conversation, oldest first: a follow-up question is resolved against "
            "them (see `standalone_question` in the answer). The service keeps no state between requests.",
        )  # fmt: skip
        as_of: date | None = Field(
            None,
            description="The asker's \"now\" (YYYY-MM-DD, default today): relative dates in the question (\"last "
            "year\") are resolved against it, and a question about the current state is answered from the newest "
            "report published up to it.",
        )

        @field_validator("history")
        @classmethod
        def _questions_bounded(cls, history: list[HistoryTurn]) -> list[HistoryTurn]:
            for n, turn in enumerate(history, start=1):
                if len(turn.question) > settings.max_question_chars:
                    raise ValueError(f"history turn {n}: the question is over {settings.max_question_chars} characters")
            return history

    return QueryRequest


class Health(BaseModel):
    status: str
    articles: int
    chunks: int
    embedding_model: str
    reader: str = Field(description="The extractive reader that finds answer spans, and its runtime.")
    reranker: str
    llm: str | None = Field(None, description="The LLM behind generative mode; null when it is not configured.")
    version: str


ERROR_STATUS = {
    BadQuestion: 422, ArticleNotFound: 404, IndexMissing: 503, StoreError: 503, LLMNotConfigured: 501,
    LLMUnavailable: 503, Overloaded: 503,
}  # fmt: skip


def error_status(exc: RagError) -> int:
    return next((code for kind, code in ERROR_STATUS.items() if isinstance(exc, kind)), 400)


def build_router(service: Service) -> APIRouter:
    # The limit also holds for bodies sent without Content-Length (chunked), which `limit_body` cannot see.
    router = APIRouter(max_body_size=MAX_BODY_BYTES)
    QueryRequest = query_request_model(service.settings)  # noqa: N806  (a class, built per deployment)

    def events(request: QueryRequest):
        """The service's events, noted in this request's log line as they come (the answer, or the error)."""
        record = request_log.current()
        if record is not None:
            record.asked(request.question, request.mode)
        filters = request.filters.to_filters() if request.filters else None
        history = [turn.model_dump() for turn in request.history]
        return _noted(service.events(request.question, request.mode, top_k=request.top_k, filters=filters,
                                     history=history, as_of=request.as_of), record)  # fmt: skip

    @router.post("/query", operation_id="query", tags=[ANSWERS], response_model=Answer,
                 responses={422: {}, 501: {}, 503: {}})  # fmt: skip
    def query(request: QueryRequest) -> Answer:
        """Answer a question from the indexed articles, with cited passages and character offsets.

        `mode: "generative"` has a configured LLM write the answer from the same passages; every sentence is
        then verified against the passage it cites (`statements`). 501 when no LLM is configured, 503 with the
        reason when it cannot be reached or runs past RAG_LLM_TIMEOUT."""
        *_, answer = events(request)
        return answer

    @router.post(
        "/query/stream", operation_id="query_stream", tags=[ANSWERS], response_class=StreamingResponse,
        responses={200: {"description": SSE_DOC, "content": {"text/event-stream": {"schema": {"type": "string"}}}},
                   422: {}, 501: {}, 503: {}},
    )  # fmt: skip
    def query_stream(request: QueryRequest) -> StreamingResponse:
        """The same answer as `POST /query`, as server-sent events while it is written."""
        stream = events(request)
        first = next(stream)  # failures before any output keep their HTTP status (422, 501, 503)
        return StreamingResponse(
            _sse(chain([first], stream)), media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )  # fmt: skip

    @router.get("/health", operation_id="health", tags=[SERVICE], response_model=Health)
    def health() -> dict:
        """Whether the service can answer, what is indexed, and which models it uses."""
        return service.health()

    @router.get("/metrics", operation_id="metrics", tags=[SERVICE], response_class=PlainTextResponse,
                responses={200: {"content": {"text/plain": {}}}, 401: {}})  # fmt: skip
    def metrics(http: Request) -> Response:
        """Prometheus metrics: questions by mode and outcome, stage latencies, queue, index, feeds, models.

        Needs `Authorization: Bearer KEY` with RAG_METRICS_KEY when that is set, else with RAG_API_KEY when that
        is set; open otherwise."""
        key, name = ((service.settings.metrics_key, "RAG_METRICS_KEY") if service.settings.metrics_key
                     else (service.settings.api_key, "RAG_API_KEY"))  # fmt: skip
        if key and not authorized(http.headers.get("authorization"), key):
            return unauthorized(name)
        body, content_type = service.metrics.render(http.headers.get("accept"))
        return Response(body, media_type=content_type)

    return router


def _noted(events, record: Record | None) -> Iterator:
    """``events`` passed through; the answer or the error is noted on ``record`` (when in a request)."""
    try:
        for event in events:
            if record is not None and isinstance(event, Answer):
                record.answered(event)
            yield event
    except Exception as exc:
        if record is not None:
            record.failed(exc)
        raise


SSE_DOC = """Server-sent events, in order:

- `event: token` with `data: {"text": "..."}`: a piece of the model's text as it arrives (generative mode only;
  unverified until the final event).
- `event: answer` with `data:` the verified answer object (the `Answer` schema of `POST /query`): last event.
- `event: error` with `data: {"status": 503, "detail": "..."}` instead, when the LLM fails after output began.
"""


def _sse(events) -> Iterator[str]:
    try:
        for event in events:
            if isinstance(event, Answer):
                yield f"event: answer\ndata: {event.model_dump_json()}\n\n"
            else:
                yield f"event: token\ndata: {json.dumps({'text': event})}\n\n"
    except RagError as exc:
        yield f"event: error\ndata: {json.dumps({'status': error_status(exc), 'detail': str(exc)})}\n\n"


API_PATHS = ("/query", "/articles", "/feeds", "/docs", "/redoc", "/openapi.json")
LOGGED_PATHS = (*API_PATHS, "/health", "/metrics")  # the API's; the UI logs its questions itself (ui.web)


def authorized(header: str | None, key: str) -> bool:
    """Constant-time check of an ``Authorization: Bearer KEY`` header."""
    scheme, _, token = (header or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), key.encode())


def unauthorized(setting: str) -> JSONResponse:
    return JSONResponse({"detail": f"missing or wrong API key: send 'Authorization: Bearer <{setting}>'"},
                        status_code=401, headers={"WWW-Authenticate": "Bearer"})  # fmt: skip


def install(app: FastAPI, service: Service) -> None:
    app.include_router(build_router(service))
    app.include_router(build_articles_router(service))
    app.include_router(build_feeds_router(service))
    key = service.settings.api_key
    # Always installed, so that Gradio defers to it: with no configured origins, CORS stays closed.
    app.add_middleware(
        CORSMiddleware, allow_origins=service.settings.cors_origins, allow_methods=["GET", "POST", "DELETE"],
        allow_headers=["Authorization", "Content-Type"],
    )  # fmt: skip

    if key:

        @app.middleware("http")
        async def require_key(request: Request, call_next):
            path = request.url.path
            if path.startswith(API_PATHS) and not authorized(request.headers.get("authorization"), key):
                return unauthorized("RAG_API_KEY")
            return await call_next(request)

    @app.exception_handler(RagError)
    async def rag_error(_: Request, exc: RagError) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, Overloaded) else None
        return JSONResponse({"detail": str(exc)}, status_code=error_status(exc), headers=headers)

    @app.middleware("http")
    async def limit_body(request: Request, call_next):
        uploading = request.method == "POST" and request.url.path == "/articles"
        limit, name = (
            (service.settings.max_upload_bytes, " (RAG_MAX_UPLOAD_BYTES)") if uploading else (MAX_BODY_BYTES, "")
        )
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > limit:
            return JSONResponse({"detail": f"request body over {limit} bytes{name}"}, status_code=413)
        return await call_next(request)

    # Added last, so it is outermost: the 401s and 413s above get an id and a line too.
    request_log.configure(service.settings)

    def finished(record: Record, route: str | None) -> None:
        route = route or next(p for p in LOGGED_PATHS if record.path.startswith(p))  # refused before routing
        seconds = time.perf_counter() - record.started
        service.metrics.observe_request(record.method, route, record.status or 500, seconds)

    app.add_middleware(RequestLogMiddleware, requests=service.request_log,
                       logged=lambda path: path.startswith(LOGGED_PATHS), finished=finished)  # fmt: skip
