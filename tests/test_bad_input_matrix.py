"""Every kind of bad input, on every surface, in one table: what goes in and what must come out.

Surfaces:

* ``api``: ``POST /query`` (and the query parameters of ``GET /articles``) on a TestClient over a real seed
  index. Expected: a 4xx status with the reason in ``detail``, and after every row the same app still answers
  the reference question with "Keith Kellogg".
* ``cli``: ``ui.cli.main([...])`` in-process. Expected: exit code 2, one line on stderr holding the reason,
  nothing on stdout, no traceback.
* ``index``: a folder of good articles plus one bad file, indexed with ``rag index`` (in-process). Expected:
  exit 0, the bad file skipped with the reason (``INDEXED`` rows: indexed, visible text only), every good
  article in the store with its chunks, no chunk without its article.

Run with ``-s`` to see the matrix with what each row got. Some rows repeat focused tests in
tests/ui/test_api.py and tests/index/test_load.py: this module is the one place that lists them all.
"""

from __future__ import annotations

import json
import pathlib
import re
import shlex
import tracemalloc
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from index.load import load_paths
from rag.retrieval.store import Store
from rag.settings import Settings
from tests.conftest import write_articles
from ui.app import create_app
from ui.cli import main

pytestmark = pytest.mark.slow

REFERENCE = "Who proposed delaying NATO membership?"
EXPECTED_SHORT_ANSWER = "Keith Kellogg"


@dataclass(frozen=True)
class Raw:
    """A request body sent as bytes (``chunked``: streamed without Content-Length)."""

    body: bytes
    content_type: str = "application/json"
    chunked: bool = False

    def __repr__(self) -> str:
        shown = self.body[:40] + (b"..." if len(self.body) > 40 else b"")
        return f"{'chunked ' if self.chunked else ''}{len(self.body)} B {self.content_type}: {shown!r}"


@dataclass(frozen=True)
class Get:
    """A GET request with query parameters."""

    path: str
    params: dict

    def __repr__(self) -> str:
        return f"GET {self.path} {self.params}"


@dataclass(frozen=True)
class Huge:
    """A file of ``megabytes`` MB of text, generated in tmp_path when the row runs."""

    megabytes: int

    def __repr__(self) -> str:
        return f"{self.megabytes} MB of text"


INDEXED = "indexed, visible text only"
Q = "Who?"
BIG_QUESTION = "x" * 100_000
SCRIPT_PAGE = b"""<!doctype html><html><head><title>Harbour page</title>
<script>var SECRET_SCRIPT = "steal()"; document.write("SECRET_WRITE");</script>
<style>body { content: "SECRET_STYLE"; }</style>
<script type="application/ld+json">{"headline": "SECRET_JSONLD"}</script></head>
<body onload="SECRET_ONLOAD()"><!-- SECRET_COMMENT -->
<p>The harbour of Port Elm reopened on Monday after a three-week closure.</p>
<noscript>SECRET_NOSCRIPT enable JavaScript</noscript><template><p>SECRET_TEMPLATE</p></template>
<div hidden>SECRET_HIDDEN_ATTRIBUTE</div><span style="display: none">SECRET_DISPLAY_NONE</span>
<![CDATA[ SECRET_CDATA ]]><iframe srcdoc="SECRET_IFRAME">SECRET_IFRAME_TEXT</iframe>
<p>Mayor Ana Duarte said the repairs cost <a href="javascript:alert('SECRET_HREF')">4.2 million euros</a>.</p>
<img src="x" onerror="SECRET_ONERROR()"><svg><text>SECRET_SVG</text></svg>
<script>for (;;) { SECRET_LOOP(); }</script><script>unterminated SECRET_UNTERMINATED
"""
SCRIPT_PAGE_VISIBLE = [
    "The harbour of Port Elm reopened on Monday after a three-week closure.",
    "Mayor Ana Duarte said the repairs cost 4.2 million euros.",
]

# (case, surface, input, expected)
#   api:   input = JSON payload | Raw | Get;   expected = (status, reason found in "detail")
#   cli:   input = argv;                       expected = reason found in the one-line error
#   index: input = (file name, bytes | Huge);  expected = reason of the skip, or INDEXED
MATRIX: list[tuple[str, str, object, object]] = [
    # -- API: the question
    ("empty question", "api", {"question": ""}, (422, "at least 1 character")),
    ("whitespace-only question", "api", {"question": " \t\n  "}, (422, "the question is empty")),
    ("control characters only", "api", {"question": "\x00\x01\x1b"}, (422, "the question is empty")),
    ("not English", "api", {"question": "ロシアとの和平交渉を提案したのは誰ですか"}, (422, "not in English")),
    ("1001-character question", "api", {"question": "x" * 1001}, (422, "at most 1000 characters")),
    ("100 kB question", "api", {"question": BIG_QUESTION}, (413, "request body over 65536 bytes")),
    ("100 kB question, chunked", "api", Raw(json.dumps({"question": BIG_QUESTION}).encode(), chunked=True),
     (413, "Content Too Large")),
    ("question is a number", "api", {"question": 42}, (422, "valid string")),
    ("question is a list", "api", {"question": ["Who", "proposed"]}, (422, "valid string")),
    ("question is an object", "api", {"question": {"text": REFERENCE}}, (422, "valid string")),
    ("question is null", "api", {"question": None}, (422, "valid string")),
    ("question missing", "api", {}, (422, "Field required")),
    # -- API: the body
    ("body is a JSON number", "api", 42, (422, "valid dictionary")),
    ("body is a JSON list", "api", [REFERENCE], (422, "valid dictionary")),
    ("body is a JSON string", "api", REFERENCE, (422, "valid dictionary")),
    ("malformed JSON", "api", Raw(b"{not json"), (422, "JSON decode error")),
    ("truncated JSON", "api", Raw(b'{"question": "Who propo'), (422, "JSON decode error")),
    ("empty body", "api", Raw(b""), (422, "Field required")),
    ("body not UTF-8", "api", Raw(b'{"question": "Who \xff\xfe?"}'), (400, "error parsing the body")),
    ("form-encoded body", "api", Raw(b"question=Who", "application/x-www-form-urlencoded"),
     (422, "valid dictionary")),
    # -- API: wrong types and unknown fields
    ("top_k is a string", "api", {"question": Q, "top_k": "five"}, (422, "valid integer")),
    ("top_k is a numeric string", "api", {"question": Q, "top_k": "5"}, (422, "valid integer")),
    ("top_k is a boolean", "api", {"question": Q, "top_k": True}, (422, "valid integer")),
    ("top_k is a float", "api", {"question": Q, "top_k": 2.5}, (422, "valid integer")),
    ("mode unknown", "api", {"question": Q, "mode": "creative"}, (422, "'extractive' or 'generative'")),
    ("filters is a string", "api", {"question": Q, "filters": "source=x"}, (422, "valid dictionary")),
    ("source is a number", "api", {"question": Q, "filters": {"source": 7}}, (422, "valid string")),
    ("unknown field", "api", {"question": Q, "temperature": 0.2}, (422, "Extra inputs are not permitted")),
    ("unknown filter field", "api", {"question": Q, "filters": {"publisher": "x"}}, (422, "Extra inputs")),
    # -- API: top_k range
    ("top_k negative", "api", {"question": Q, "top_k": -3}, (422, "greater than or equal to 1")),
    ("top_k zero", "api", {"question": Q, "top_k": 0}, (422, "greater than or equal to 1")),
    ("top_k huge", "api", {"question": Q, "top_k": 10**6}, (422, "less than or equal to 50")),
    ("top_k beyond 64 bits", "api", {"question": Q, "top_k": 10**30}, (422, "less than or equal to 50")),
    # -- API: dates in filters
    ("date not a date", "api", {"question": Q, "filters": {"published_from": "yesterday"}}, (422, "valid date")),
    ("date February 30", "api", {"question": Q, "filters": {"published_from": "2024-02-30"}},
     (422, "day value is outside expected range")),
    ("date month 13", "api", {"question": Q, "filters": {"published_to": "2024-13-01"}},
     (422, "month value is outside expected range")),
    ("date as a number", "api", {"question": Q, "filters": {"published_from": 20240101}}, (422, "YYYY-MM-DD")),
    ("date range reversed", "api",
     {"question": Q, "filters": {"published_from": "2024-02-01", "published_to": "2024-01-01"}},
     (422, "published_from is after published_to")),
    # -- API: other routes
    ("articles limit negative", "api", Get("/articles", {"limit": -1}), (422, "greater than or equal to 1")),
    ("articles offset not a number", "api", Get("/articles", {"offset": "ten"}), (422, "valid integer")),
    ("unknown article id", "api", Get("/articles/no-such-id", {}), (404, "no article with id")),
    # -- CLI: the question
    ("empty question", "cli", ["ask", ""], "the question is empty"),
    ("whitespace-only question", "cli", ["ask", " \t "], "the question is empty"),
    ("control characters only", "cli", ["ask", "\x01\x02\x1b"], "the question is empty"),
    ("100 kB question", "cli", ["ask", BIG_QUESTION], "the limit is 1000"),
    ("question is a number", "cli", ["ask", "42"], "no words"),
    ("question is a JSON list", "cli", ["ask", "[1, 2, 3]"], "no words"),
    ("question is a JSON object", "cli", ["ask", '{"": 1}'], "no words"),
    ("question missing", "cli", ["ask"], "the following arguments are required: question"),
    # -- CLI: options
    ("top_k is a word", "cli", ["ask", REFERENCE, "--top-k", "five"], "invalid int value: 'five'"),
    ("top_k is a float", "cli", ["ask", REFERENCE, "--top-k", "2.5"], "invalid int value: '2.5'"),
    ("top_k negative", "cli", ["ask", REFERENCE, "--top-k", "-3"], "top_k must be between 1 and 50"),
    ("top_k zero", "cli", ["ask", REFERENCE, "--top-k", "0"], "top_k must be between 1 and 50"),
    ("top_k huge", "cli", ["ask", REFERENCE, "--top-k", str(10**20)], "top_k must be between 1 and 50"),
    ("unknown option", "cli", ["ask", REFERENCE, "--temperature", "0.2"], "unrecognized arguments"),
    ("unknown command", "cli", ["frobnicate"], "invalid choice: 'frobnicate'"),
    ("date not a date", "cli", ["ask", REFERENCE, "--published-from", "yesterday"], "bad date filter"),
    ("date February 30", "cli", ["ask", REFERENCE, "--published-to", "2024-02-30"], "bad date filter"),
    ("date range reversed", "cli",
     ["ask", REFERENCE, "--published-from", "2024-02-01", "--published-to", "2024-01-01"],
     "published_from is after published_to"),
    ("generative without an LLM", "cli", ["ask", REFERENCE, "--generative"], "generative mode needs an LLM"),
    ("index: no such folder", "cli", ["index", "/nonexistent/articles"], "no such file or folder"),
    ("index: empty folder", "cli", ["index", "{empty_folder}"], "folder has no files to index"),
    # -- indexing: one bad file next to good ones
    ("empty file", "index", ("empty.txt", b""), "empty file"),
    ("whitespace-only file", "index", ("blank.md", b" \n\t\n "), "empty file"),
    ("binary file", "index", ("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))),
     "binary file"),
    ("Latin-1 file", "index", ("latin1.txt", "Caf\u00e9 cr\u00e8me au port".encode("latin-1")),
     "not valid UTF-8 (byte 0xe9"),
    ("UTF-16 file", "index", ("utf16.txt", "Harbour news".encode("utf-16")), "UTF-16"),
    ("50 MB file", "index", ("huge.txt", Huge(50)), "file too large (50.0 MB > 20 MB)"),
    ("unreadable file", "index", ("locked.txt", b"permission denied on open"), "cannot read file"),
    ("HTML full of scripts", "index", ("scripts.html", SCRIPT_PAGE), INDEXED),
    ("HTML with only scripts", "index", ("only-script.html", b"<script>alert(1)</script><style>p{}</style>"),
     "no visible text"),
    ("malformed JSON", "index", ("broken.json", b'{"text": "unterminated'), "invalid JSON"),
    ("JSON number", "index", ("number.json", b"42"), "expected a JSON object, got int"),
    ("JSON without text", "index", ("notext.json", b'{"title": "only a title"}'), "missing or empty 'text'"),
    ("JSON text is a number", "index", ("numtext.json", b'{"text": 12345}'), "missing or empty 'text'"),
    ("JSON bad date", "index", ("baddate.json", b'{"text": "Harbour.", "published": "2024-13-45"}'),
     "not an ISO date"),
    ("unsupported type", "index", ("slides.pdf", b"%PDF-1.4 ..."), "unsupported file type '.pdf'"),
]  # fmt: skip

RESULTS: list[tuple[str, str, str, str, str, bool]] = []


def _row_id(row) -> str:
    return f"{row[1]}-" + re.sub(r"[^a-z0-9]+", "-", row[0].lower()).strip("-")


def _shown(value: object, width: int = 46, argv: bool = False) -> str:
    text = shlex.join(value) if argv else repr(value)
    text = text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
    return text if len(text) <= width else text[: width - 3] + "..."


@pytest.fixture(scope="module", autouse=True)
def print_matrix():
    yield
    if not RESULTS:
        return
    header = ("surface", "case", "input", "expected", "", "got")
    rows = [(s, c, i, e, "ok" if ok else "FAIL", g) for c, s, i, e, g, ok in RESULTS]
    caps = (7, 30, 46, 46, 4, 100)
    widths = [min(cap, max(len(r[k]) for r in [header, *rows])) for k, cap in enumerate(caps)]
    print("\n\nBad-input matrix\n")
    for r in [header, *rows]:
        print("  ".join(cell[:w].ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())


@pytest.fixture(scope="module")
def client(seed_home):
    with TestClient(create_app(Settings(home=seed_home))) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def index_home(tmp_path_factory):
    return tmp_path_factory.mktemp("matrix-index-home")


@pytest.mark.parametrize("row", MATRIX, ids=[_row_id(r) for r in MATRIX])
def test_bad_input(row, request, monkeypatch, tmp_path, capsys):
    case, surface, given, expected = row
    got = "?"
    try:
        if surface == "api":
            got = _api_row(request.getfixturevalue("client"), given, expected)
        elif surface == "cli":
            monkeypatch.setenv("RAG_HOME", str(request.getfixturevalue("seed_home")))
            got = _cli_row(given, expected, tmp_path, capsys)
        else:
            home = request.getfixturevalue("index_home")
            got = _index_row(case, given, expected, home, tmp_path, monkeypatch, capsys)
        RESULTS.append((case, surface, _shown(given, argv=surface == "cli"), _shown(expected), got, True))
    except BaseException:
        RESULTS.append((case, surface, _shown(given, argv=surface == "cli"), _shown(expected), got, False))
        raise


def _api_row(client: TestClient, given: object, expected: tuple[int, str]) -> str:
    status, reason = expected
    if isinstance(given, Get):
        response = client.get(given.path, params=given.params)
    elif isinstance(given, Raw):
        body = given.body
        content = (body[i : i + 8192] for i in range(0, len(body), 8192)) if given.chunked else body
        response = client.post("/query", content=content, headers={"content-type": given.content_type})
    else:
        response = client.post("/query", json=given)
    detail = response.json().get("detail")
    if isinstance(detail, list):  # pydantic's errors: "where: what" for each
        shown = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in detail)
    else:
        shown = str(detail)
    got = f"{response.status_code} {shown}"
    assert 400 <= response.status_code < 500, got
    assert response.status_code == status, got
    assert reason in (detail if isinstance(detail, str) else json.dumps(detail)), got
    # ... and the service is unharmed: the reference question still gets its answer.
    after = client.post("/query", json={"question": REFERENCE})
    assert after.status_code == 200 and after.json()["short_answer"] == EXPECTED_SHORT_ANSWER, after.text
    return got


def _cli_row(argv: list[str], reason: str, tmp_path: pathlib.Path, capsys) -> str:
    if "{empty_folder}" in argv:
        (tmp_path / "empty").mkdir()
        argv = [str(tmp_path / "empty") if a == "{empty_folder}" else a for a in argv]
    capsys.readouterr()
    code = main(argv)
    out, err = capsys.readouterr()
    lines = [line for line in err.splitlines() if line.strip()]
    got = f"exit {code}: {lines[-1] if lines else ''}"
    assert code == 2, got
    assert "Traceback" not in err and out == "", (out, err)
    assert len(lines) == 1, err
    assert lines[0].startswith("rag") and ": error: " in lines[0], got
    assert reason in lines[0], got
    return got


GOOD = {
    "good.txt": "Title: Harbour reopens\n\nThe harbour of Port Elm reopened on Monday. Fishing crews returned.",
    "more/bridge.md": "# Bridge opens\n\nThe new river bridge in Lindholm opened to cyclists on Friday.",
}


def _index_row(case, given, expected, home, tmp_path, monkeypatch, capsys) -> str:
    name, content = given
    slug = re.sub(r"[^a-z0-9]+", "-", case.lower()).strip("-")
    # Each row gets its own folder (its own origin) in one shared home: one embedding model load for all rows.
    good = {path: f"{text} Report {slug}." for path, text in GOOD.items()}
    folder = write_articles(tmp_path / slug, good)
    bad = folder / name
    if isinstance(content, Huge):
        line = b"The harbour of Port Elm reopened on Monday after a three-week closure. " * 14 + b"\n"
        block = line * (2**20 // len(line) + 1)
        with bad.open("wb") as handle:
            while handle.tell() < content.megabytes * 2**20:
                handle.write(block)
            handle.truncate(content.megabytes * 2**20)
    else:
        bad.write_bytes(content)
    if name == "locked.txt":
        _deny_reading(monkeypatch, bad)

    monkeypatch.setenv("RAG_HOME", str(home))
    capsys.readouterr()
    code = main(["index", str(folder)])
    out, err = capsys.readouterr()
    assert code == 0 and "Traceback" not in err, err
    skips = [line for line in err.splitlines() if line.startswith("skipped ")]

    store = Store(Settings(home=home))
    articles = store.article_records({"origin": str(folder.resolve())})
    chunks = store.chunk_records({"article_id": {"$in": list(articles)}}) if articles else {}
    good_ids = {f"{slug}/{path}" for path in GOOD}
    assert good_ids <= set(articles), f"good articles lost: {good_ids - set(articles)}"
    assert {m["article_id"] for m in chunks.values()} == set(articles), "an article without chunks"
    orphans = [i for i, m in store.chunk_records().items() if store.get_article(m["article_id"]) is None]
    assert not orphans, orphans

    if expected == INDEXED:
        assert skips == [], skips
        article_id = f"{slug}/{name}"
        assert set(articles) == good_ids | {article_id}
        text = store.get_article(article_id).text
        stored_chunks = store.chunks.get(where={"article_id": article_id}, include=["documents"])["documents"]
        for visible in SCRIPT_PAGE_VISIBLE:
            assert visible in text
        for where in [text, *stored_chunks]:
            assert "SECRET" not in where and "alert" not in where and "<" not in where, where
        return f"indexed: {_shown(text, 50)}"

    assert set(articles) == good_ids, "the bad file must not become an article"
    assert len(skips) == 1, err
    assert skips[0].startswith(f"skipped {bad}: "), skips
    assert expected in skips[0], skips[0]
    if isinstance(content, Huge):  # skipped on its size: loading the folder never holds the file in memory
        tracemalloc.start()
        try:
            load_paths([folder])
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 5 * 1024 * 1024, f"loading peaked at {peak / 1e6:.1f} MB"
    return "skipped: " + skips[0].split(": ", 1)[1]


def _deny_reading(monkeypatch, locked: pathlib.Path) -> None:
    """Simulate a file the indexer may not read (tests run as root, where chmod 000 does not stop reads)."""
    real_open = pathlib.Path.open

    def guarded_open(self, *args, **kwargs):
        if self.name == locked.name and self.resolve() == locked.resolve():
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "open", guarded_open)
