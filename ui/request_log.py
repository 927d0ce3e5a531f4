"""One structured line per request on the ``rag.requests`` logger, so that a complaint ("this answer was wrong",
"it was slow") can be found and explained months later from its request id alone.

Every HTTP request gets an id (a sane incoming ``X-Request-ID`` is kept, so a proxy's id follows the request
through; any other is replaced) that is echoed in the ``X-Request-ID`` response header; UI questions get one too,
shown under their answer. The line holds the method, path, status and duration and, for a question, its length,
outcome, confidence, cited article ids and stage timings: never the question's text unless
``RAG_LOG_QUESTIONS=1`` (questions can be personal). ``RAG_LOG_FORMAT=json`` makes each line one JSON object for a
log pipeline; the default is a readable ``key=value`` line.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from rag import Answer, Settings
from rag.errors import Overloaded

log = logging.getLogger("rag.requests")
HEADER = "X-Request-ID"
# UUIDs, ULIDs, hex trace ids, "req-2024-...": letters, digits and . _ : - only, so an id can never break a line
_SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
_current: contextvars.ContextVar[Record | None] = contextvars.ContextVar("rag_request", default=None)


def request_id(incoming: str | None = None) -> str:
    """``incoming`` when it is a sane id, else a new random one."""
    if incoming and _SANE_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


@dataclass
class Record:
    """What one request's line will say; the handlers fill in the question's part as they learn it."""

    id: str
    method: str
    path: str
    started: float = field(default_factory=time.perf_counter)
    status: int | None = None
    question: str | None = None
    mode: str | None = None
    outcome: str | None = None
    confidence: float | None = None
    articles: list[str] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    error: str | None = None

    def asked(self, question: str, mode: str) -> None:
        self.question, self.mode = question, mode

    def answered(self, answer: Answer) -> None:
        self.outcome = "abstained" if answer.abstained else "answered"
        self.confidence = round(answer.confidence, 4)
        self.articles = answer.cited_articles()
        self.timings_ms = {stage: round(ms, 1) for stage, ms in answer.timings_ms.items()}

    def failed(self, error: BaseException) -> None:
        """The kind of error only: its message may quote the question."""
        self.outcome = "shed" if isinstance(error, Overloaded) else "error"
        self.error = type(error).__name__

    def fields(self, with_question: bool) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "request_id": self.id,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "duration_ms": round((time.perf_counter() - self.started) * 1000, 1),
        }
        if self.question is not None:
            out |= {"mode": self.mode, "question_chars": len(self.question)}
            if with_question:
                out["question"] = self.question
        if self.outcome is not None:
            out["outcome"] = self.outcome
        if self.confidence is not None:  # an answer (or abstention) was given
            out |= {"confidence": self.confidence, "articles": self.articles, "timings_ms": self.timings_ms}
        if self.error is not None:
            out["error"] = self.error
        return out


def current() -> Record | None:
    """The record of the HTTP request being handled (None outside one): the route handlers add the question's
    part to it. The context is copied into the thread a sync handler runs in, and the record is shared, not
    copied."""
    return _current.get()


class RequestLog:
    def __init__(self, settings: Settings) -> None:
        self.json = settings.log_format == "json"
        self.questions = settings.log_questions

    def start(self, method: str, path: str, incoming_id: str | None = None) -> Record:
        return Record(request_id(incoming_id), method, path)

    def line(self, record: Record) -> str:
        fields = record.fields(self.questions)
        if self.json:
            return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
        fields.pop("ts")  # the handler's own time stamp leads a text line
        return "request " + " ".join(f"{key}={_text(value)}" for key, value in fields.items())

    def emit(self, record: Record) -> None:
        log.info(self.line(record))


def _text(value: Any) -> str:
    """A value of a key=value line: bare when it is one word, JSON-quoted when it could break the line."""
    if isinstance(value, list):
        value = ",".join(map(str, value))
    elif isinstance(value, dict):
        value = ",".join(f"{k}:{v}" for k, v in value.items())
    text = "-" if value is None or value == "" else str(value)
    return text if re.fullmatch(r"[\w./:{},-]+", text) else json.dumps(text, ensure_ascii=False)


def configure(settings: Settings) -> None:
    """Make the lines appear on stderr when nobody configured logging (``rag serve``: uvicorn configures only its
    own loggers); an operator's own logging configuration (handlers on the root logger) is left to format them."""
    if log.level == logging.NOTSET:
        log.setLevel(logging.INFO)
    if not log.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler(sys.stderr)
        pattern = "%(message)s" if settings.log_format == "json" else "%(asctime)s %(message)s"
        handler.setFormatter(logging.Formatter(pattern))
        log.addHandler(handler)


ASGIApp = Callable[[dict, Callable[[], Awaitable[dict]], Callable[[dict], Awaitable[None]]], Awaitable[None]]


class RequestLogMiddleware:
    """Pure ASGI (a streamed answer is timed to its last byte, and nothing is buffered): gives every request its
    id and echoes it; for the paths ``logged`` accepts, writes the line and calls ``finished(record, route)``
    once the response is complete (``route``: the matched route's template, for metrics)."""

    def __init__(self, app: ASGIApp, requests: RequestLog, logged: Callable[[str], bool],
                 finished: Callable[[Record, str | None], None]) -> None:  # fmt: skip
        self.app = app
        self.requests = requests
        self.logged = logged
        self.finished = finished

    async def __call__(self, scope: dict, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"x-request-id"), None)
        record = self.requests.start(scope["method"], scope["path"], incoming)
        token = _current.set(record)

        async def send_with_id(message: dict) -> None:
            if message["type"] == "http.response.start":
                record.status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", record.id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except BaseException:
            record.status = record.status or 500
            raise
        finally:
            _current.reset(token)
            if self.logged(scope["path"]):
                self.requests.emit(record)
                route = getattr(scope.get("route"), "path", None)
                self.finished(record, route)
