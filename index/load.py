"""Read articles from files and folders.

Every file becomes zero or more :class:`Article` objects or a skip with a reason; one bad file never stops
the others. Article ids are stable across runs: given in the file, or derived from the path relative to the
indexed folder (prefixed with the folder's name, so two folders never collide).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

from rag.errors import BadInput
from rag.sentences import split_sentences
from rag.types import Article, stable_hash

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
JSON_SUFFIXES = {".json", ".jsonl"}
SUPPORTED = TEXT_SUFFIXES | HTML_SUFFIXES | JSON_SUFFIXES
MAX_FILE_BYTES = 20 * 1024 * 1024


@dataclass
class Skip:
    path: str
    reason: str


@dataclass
class LoadResult:
    """What a set of paths yielded: the articles by origin, and what was skipped and why."""

    articles: list[Article] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    origins: dict[str, list[str]] = field(default_factory=dict)  # origin -> article ids read from it
    failed_ids: set[str] = field(default_factory=set)  # ids whose file failed: their stored copy is kept
    not_modified: list[str] = field(default_factory=list)  # URLs whose server said nothing changed

    def merge(self, other: LoadResult) -> LoadResult:
        origins = {k: list(v) for k, v in self.origins.items()}
        for origin, ids in other.origins.items():
            origins.setdefault(origin, []).extend(ids)
        return LoadResult([*self.articles, *other.articles], [*self.skipped, *other.skipped], origins,
                          self.failed_ids | other.failed_ids, [*self.not_modified, *other.not_modified])  # fmt: skip


def files_under(path: Path) -> list[Path]:
    """The files indexing reads under ``path`` (``path`` itself when it is a file): sorted, hidden ones left out."""
    root = path.resolve()
    files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
    return [f for f in files if not any(part.startswith(".") for part in f.relative_to(root.parent).parts)]


def load_paths(paths: list[Path], *, first_line_title: bool = False) -> LoadResult:
    """Load every supported file under ``paths``; raise :class:`BadInput` for a path that does not exist."""
    result = LoadResult()
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise BadInput(f"no such file or folder: {path}")
        root = path.resolve()
        origin = str(root)
        result.origins.setdefault(origin, [])
        files = files_under(root)
        if root.is_dir() and not files:
            raise BadInput(f"folder has no files to index: {path}")
        for file in files:
            base_id = file.relative_to(root.parent).as_posix()
            for item in _load_file(file, base_id, first_line_title):
                if isinstance(item, Skip):
                    result.skipped.append(item)
                    result.failed_ids.add(base_id)
                else:
                    result.articles.append(item)
                    result.origins[origin].append(item.id)
    return result


def _load_file(file: Path, base_id: str, first_line_title: bool) -> Iterator[Article | Skip]:
    shown = str(file)
    suffix = file.suffix.lower()
    if suffix not in SUPPORTED:
        yield Skip(shown, f"unsupported file type '{suffix or file.name}' (expected {', '.join(sorted(SUPPORTED))})")
        return
    data = _read_limited(file, shown)
    if isinstance(data, Skip):
        yield data
        return
    yield from parse_bytes(data, suffix, base_id, shown, first_line_title)


def load_upload(files: list[tuple[str, bytes]], origin: str = "upload") -> LoadResult:
    """Articles from uploaded files (name, bytes), as a folder's files would be read; ids are ``upload/<name>``
    (a page that names its canonical URL is identified by it), all under one ``origin`` that is never swept."""
    result = LoadResult(origins={origin: []})
    for name, data in files:
        safe = re.sub(r"[^\w.\-]+", "_", Path(name or "unnamed").name).strip("._") or "unnamed"
        suffix = Path(safe).suffix.lower()
        if suffix not in SUPPORTED:
            result.skipped.append(Skip(name, f"unsupported file type '{suffix or name}' (expected "
                                             f"{', '.join(sorted(SUPPORTED))})"))  # fmt: skip
            continue
        if len(data) > MAX_FILE_BYTES:
            result.skipped.append(Skip(name, f"file too large ({len(data) / 2**20:.1f} MB > "
                                             f"{MAX_FILE_BYTES / 2**20:.0f} MB)"))  # fmt: skip
            continue
        for item in parse_bytes(data, suffix, f"upload/{safe}", name, first_line_title=False):
            if isinstance(item, Skip):
                result.skipped.append(item)
            else:
                result.articles.append(item)
                result.origins[origin].append(item.id)
    return result


def load_records(records: list[dict], origin: str = "api") -> LoadResult:
    """Articles sent as JSON records (the API); an article without an id is identified by its URL, else by a
    hash of its title and text, so sending it again updates it instead of adding a copy."""
    result = LoadResult(origins={origin: []})
    for n, record in enumerate(records):
        default = record.get("url") if isinstance(record, dict) and record.get("url") else None
        if default is None and isinstance(record, dict):
            default = f"api/{stable_hash(record.get('title'), record.get('text'))}"
        try:
            article = finish_article(article_from_record(record, default_id=str(default), where=f"articles[{n}]"))
        except ValueError as exc:
            result.skipped.append(Skip(f"articles[{n}]", str(exc)))
            continue
        result.articles.append(article)
        result.origins[origin].append(article.id)
    return result


def parse_bytes(data: bytes, suffix: str, base_id: str, shown: str, first_line_title: bool) -> Iterator[Article | Skip]:
    """The articles in one file's bytes (``suffix`` says its format), or skips with reasons."""
    text_or_skip = _decode(data, shown)
    if isinstance(text_or_skip, Skip):
        yield text_or_skip
        return
    raw = text_or_skip
    try:
        if suffix in JSON_SUFFIXES:
            yield from _json_articles(raw, base_id, shown, jsonl=suffix == ".jsonl")
        elif suffix in HTML_SUFFIXES:
            from index.html import extract_page  # trafilatura loads only when there is HTML to read

            page = extract_page(raw)
            yield finish_article(Article(id=base_id, text=page.text, title=page.title, url=page.url, source=page.source,
                                         published=page.published, path=shown, author=page.author))  # fmt: skip
        else:
            yield finish_article(_text_article(raw, base_id, shown, first_line_title, markdown=suffix != ".txt"))
    except ValueError as exc:
        yield Skip(shown, str(exc))


def _read_limited(file: Path, shown: str) -> bytes | Skip:
    """The file's bytes, or a skip: never more than ``MAX_FILE_BYTES + 1`` bytes are read, even from a file
    that grew after it was listed; an unreadable file is a skip, not an error that stops the run."""
    limit = f"{MAX_FILE_BYTES / 2**20:.0f} MB"
    try:
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            return Skip(shown, f"file too large ({size / 2**20:.1f} MB > {limit})")
        pieces: list[bytes] = []
        total = 0
        with file.open("rb") as handle:
            while total <= MAX_FILE_BYTES and (piece := handle.read(min(2**20, MAX_FILE_BYTES + 1 - total))):
                pieces.append(piece)
                total += len(piece)
    except OSError as exc:
        return Skip(shown, f"cannot read file: {exc.strerror or exc}")
    return Skip(shown, f"file too large (over {limit})") if total > MAX_FILE_BYTES else b"".join(pieces)


def _decode(data: bytes, shown: str) -> str | Skip:
    if not data.strip():
        return Skip(shown, "empty file")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return Skip(shown, "not valid UTF-8 (UTF-16 text): save it as UTF-8")
    if b"\x00" in data[:8192]:
        return Skip(shown, "binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return Skip(shown, f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})")


def clean_text(text: str) -> str:
    """Normalise what differs between sources but not in meaning: Unicode form, line ends, blank runs."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def finish_article(article: Article) -> Article:
    """The article with its text and title cleaned (:func:`clean_text`); ValueError when no text is left."""
    text = clean_text(article.text)
    if not text:
        raise ValueError("no text after cleaning")
    title = clean_text(article.title) if article.title else None
    author = " ".join(article.author.split()) if article.author else None
    if not title:  # every article gets a title a person can read: its first line or sentence, marked as such
        return replace(article, text=text, title=derive_title(text), title_derived=True, author=author or None)
    return replace(article, text=text, title=title, author=author or None)


TITLE_WORDS_MAX = 16  # a first line this short, without a closing full stop, reads as a headline
TITLE_CHARS_MAX = 100


def derive_title(text: str) -> str:
    """A short title from the text: its first line when it looks like a headline (short, no closing full stop,
    more text after it), else its first sentence, cut at a word to at most :data:`TITLE_CHARS_MAX` characters."""
    first, _, rest = text.strip().partition("\n")
    first = first.strip()
    if rest.strip() and first and len(first.split()) <= TITLE_WORDS_MAX and not first.endswith((".", ":", ";", ",")):
        candidate = first
    else:
        bounds = split_sentences(text)
        candidate = text[bounds[0][0] : bounds[0][1]].strip() if bounds else text.strip()
    if len(candidate) <= TITLE_CHARS_MAX:
        return candidate
    cut = candidate[:TITLE_CHARS_MAX].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def _text_article(raw: str, base_id: str, shown: str, first_line_title: bool, markdown: bool) -> Article:
    """Plain text or Markdown. A leading ``Key: value`` header block (Title/URL/Source/Author/Published) is
    metadata."""
    meta: dict[str, str] = {}
    lines = raw.lstrip("\ufeff").split("\n")
    header = re.compile(r"^(title|url|source|author|published)\s*:\s*(.+)$", re.IGNORECASE)
    i = 0
    while i < len(lines) and (m := header.match(lines[i].strip())):
        meta[m.group(1).lower()] = m.group(2).strip()
        i += 1
    if meta and (i == len(lines) or not lines[i].strip()):
        raw = "\n".join(lines[i:])
    else:
        meta = {}
    body = raw.strip()
    if not meta.get("title"):
        if markdown and (m := re.match(r"#\s+(.+)", body)):
            meta["title"] = m.group(1).strip()
        elif first_line_title and "\n" in body:
            meta["title"], body = body.split("\n", 1)
    return Article(
        id=base_id,
        text=body,
        title=meta.get("title"),
        url=meta.get("url"),
        source=meta.get("source"),
        author=meta.get("author"),
        published=parse_date(meta.get("published")),
        path=shown,
    )


def _json_articles(raw: str, base_id: str, shown: str, jsonl: bool) -> Iterator[Article | Skip]:
    if jsonl:
        records = []
        for n, line in enumerate(raw.split("\n"), start=1):
            if not line.strip():
                continue
            try:
                records.append((f"{shown}:{n}", json.loads(line)))
            except json.JSONDecodeError as exc:
                yield Skip(f"{shown}:{n}", f"invalid JSON line: {exc.msg}")
    else:
        try:
            doc = json.loads(raw)
        except json.JSONDecodeError as exc:
            yield Skip(shown, f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")
            return
        items = doc if isinstance(doc, list) else [doc]
        records = [(f"{shown}[{i}]" if isinstance(doc, list) else shown, item) for i, item in enumerate(items)]
    for index, (where, record) in enumerate(records):
        try:
            yield finish_article(article_from_record(record, default_id=f"{base_id}#{index}", where=where))
        except ValueError as exc:
            yield Skip(where, str(exc))


def article_from_record(record: object, *, default_id: str, where: str) -> Article:
    """Validate one ``{"id", "title", "text", "url", "source", "author", "published"}`` object (only text
    required)."""
    if not isinstance(record, dict):
        raise ValueError(f"expected a JSON object, got {type(record).__name__}")
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("missing or empty 'text'")
    for key in ("id", "title", "url", "source", "author", "published"):
        if record.get(key) is not None and not isinstance(record[key], str | int):
            raise ValueError(f"'{key}' must be a string, got {type(record[key]).__name__}")
    return Article(
        id=str(record.get("id") or default_id),
        text=text,
        title=record.get("title") or None,
        url=record.get("url") or None,
        source=record.get("source") or None,
        author=str(record["author"]) if record.get("author") else None,
        published=parse_date(record.get("published")),
        path=where,
    )


def parse_date(value: object) -> date | None:
    if value in (None, ""):
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).date()
    except ValueError:
        try:
            return date.fromisoformat(str(value)[:10])
        except ValueError:
            raise ValueError(f"'published' is not an ISO date: {value!r}") from None
