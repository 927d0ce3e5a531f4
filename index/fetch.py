"""Fetch news pages and RSS/Atom feeds over HTTP, safely and incrementally.

Why this module is careful:

* **No SSRF.** A URL submitted through the API or the UI is chosen by someone else, and the service runs next to
  things that must stay unreachable: loopback services, the private network, the cloud metadata endpoint. With
  ``allow_private=False`` every hop is checked *by address*: :func:`check_url` refuses a URL whose host is or
  resolves to any non-public address (checked before each request, redirects included, since :func:`fetch`
  follows redirects itself). DNS rebinding (a name that resolves to a public address for the check and to a
  private one for the connection) is closed as well: the default transport resolves the name once more *at
  connect time*, checks those addresses and connects to exactly the address it checked; TLS SNI, certificate
  checks and the Host header still use the name. No proxy from the environment is used (a proxy would resolve
  names itself), and each :func:`fetch` has its own connection pool, so no connection is shared between calls.
  Residual risks: name resolution has no timeout of its own (``getaddrinfo``); a caller that passes its own
  ``client`` gets the per-hop check but not the connect-time one; the connect-time check relies on
  ``httpx.HTTPTransport`` sending through its ``_pool`` (httpx 0.28; the tests fail if that changes); the CLI
  (``allow_private=True``) may fetch anything on purpose.
* **Bounded.** Time (per operation and for the whole fetch), body size (counted while streaming, after
  decompression, so a gzip bomb stops at the cap; one 64 KB network chunk may still inflate in memory before it
  is counted), redirects and content types are limited, and every failure is a :class:`FetchError` whose
  message is a short reason a person can read ("HTTP 404", "timed out after 15 s", "over 5 MB").
* **Incremental.** :class:`FetchState` remembers per URL the ETag, Last-Modified and sha256 of what was fetched
  and the article ids it gave, so a re-run sends conditional requests (304: nothing downloaded) and can skip a
  body whose hash did not change. It is derived state: if the file is lost, pages are fetched again in full
  and nothing else breaks.
"""

from __future__ import annotations

import codecs
import email.utils
import hashlib
import html
import io
import ipaddress
import json
import logging
import os
import re
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import feedparser
import httpcore
import httpx

from rag.errors import BadInput

log = logging.getLogger(__name__)

USER_AGENT = "rag-news/0.1 (+news Q&A indexer)"
HTML_TYPES = ("text/html", "application/xhtml+xml")
# JSON Feed is left out: feedparser does not parse it.
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/xml", "text/xml", "application/rdf+xml")
REDIRECT_CODES = {301, 302, 303, 307, 308}
# Cloud metadata endpoints (AWS/GCP/Azure/OpenStack, AWS over IPv6, Alibaba): named in the refusal.
METADATA_ADDRESSES = {
    ipaddress.ip_address("169.254.169.254"),
    ipaddress.ip_address("fd00:ec2::254"),
    ipaddress.ip_address("100.100.100.200"),
}
SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT: neither private nor global
NAT64 = ipaddress.ip_network("64:ff9b::/96")

Resolver = Callable[..., list]  # socket.getaddrinfo-compatible


class FetchError(BadInput):
    """A page or feed that could not be fetched; ``str()`` is the reason."""

    def __init__(self, reason: str, url: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.url = url


class FetchRefused(FetchError):
    """The URL is not allowed (scheme, credentials, a non-public address); ``str()`` says why."""


@dataclass(frozen=True)
class Limits:
    timeout: float = 15.0  # seconds, per operation (connect, each read) of each request
    max_bytes: int = 5 * 2**20  # response body cap, counted while streaming (Content-Length checked first)
    max_redirects: int = 5
    total_timeout: float = 60.0  # seconds for the whole fetch, redirects and body included (slow-drip servers)


@dataclass(frozen=True)
class Response:
    url: str  # as requested
    final_url: str  # after redirects
    status: int  # 200, or 304 when a conditional GET said "not modified" (body is then b"")
    body: bytes
    content_type: str  # media type only, lower-case, e.g. "text/html"
    charset: str | None
    etag: str | None
    last_modified: str | None


@dataclass(frozen=True)
class FeedItem:
    link: str | None
    id: str | None  # entry id / guid
    title: str | None
    author: str | None
    published: date | None
    content_html: str | None  # full content when the feed carries it (content:encoded / atom content)
    summary: str | None = None  # the description / atom summary, whatever its length


# --- addresses -------------------------------------------------------------------------------------------------


def _literal_ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a literal host denotes, including the legacy IPv4 forms resolvers accept (2130706433,
    0177.0.0.1, 0x7f.1), so they cannot slip past the check as "names"."""
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    parts = host.split(".")
    if 1 <= len(parts) <= 4 and all(re.fullmatch(r"0[xX][0-9a-fA-F]*|[0-9]+", p) for p in parts):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))  # local parsing, no lookup
        except OSError:
            return None
    return None


def _why_not_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why ``ip`` must not be fetched from, or None when it is a public address."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour  # checked as the IPv4 address they carry
        if embedded is None and ip in NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return _why_not_public(embedded)
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if isinstance(ip, ipaddress.IPv4Address) and ip in SHARED_ADDRESS_SPACE:
        return "a shared (carrier-grade NAT) address"
    if ip.is_private:
        return "a private address"
    if ip.is_reserved:
        return "a reserved address"
    if not ip.is_global:
        return "not a public address"
    return None


def _resolve(host: str, port: int, resolve: Resolver | None) -> list[str]:
    """The addresses ``host`` resolves to, in the resolver's order, without duplicates."""
    literal = _literal_ip(host)
    if literal is not None:
        return [str(literal)]
    resolver = resolve or socket.getaddrinfo  # looked up at call time: tests may patch socket
    try:
        infos = resolver(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"host not found: {host}") from exc
    addresses = []
    for info in infos:
        address = str(info[4][0]).split("%", 1)[0]
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise FetchError(f"host not found: {host}")
    return addresses


def _checked_addresses(host: str, port: int, *, allow_private: bool, resolve: Resolver | None) -> list[str]:
    """Resolve ``host`` and refuse it if ANY of its addresses is not public (unless ``allow_private``)."""
    name = host.rstrip(".").lower()
    if not allow_private and (name == "localhost" or name.endswith(".localhost")):
        raise FetchRefused(f"{host} is a loopback name")
    addresses = _resolve(host, port, resolve)
    if not allow_private:
        literal = _literal_ip(host) is not None
        for address in addresses:
            why = _why_not_public(ipaddress.ip_address(address))
            if why:
                shown = host if literal else f"{host} resolves to {address}, which"
                raise FetchRefused(f"{shown} is {why}")
    return addresses


def _parse_url(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise FetchRefused(f"not a valid URL: {url!r}") from exc
    if parsed.scheme not in ("http", "https"):
        scheme = parsed.scheme or "no scheme"
        raise FetchRefused(f"only http and https URLs can be fetched, not {scheme}")
    if not parsed.raw_host:
        raise FetchRefused("the URL has no host")
    if parsed.userinfo:
        raise FetchRefused("URLs with credentials (user:password@) are not allowed")
    return parsed


def check_url(url: str, *, allow_private: bool, resolve: Resolver | None = None) -> None:
    """Refuse (:class:`FetchRefused`) a URL that must not be fetched.

    Always: http/https only, a host, no credentials (they would end up in stored state and article URLs).
    Unless ``allow_private``: the host, a literal IP or every address it resolves to (``resolve`` defaults to
    ``socket.getaddrinfo``), must be public: no loopback, private, link-local, multicast, reserved,
    unspecified, shared (100.64/10) or cloud-metadata address; IPv4-mapped, 6to4 and NAT64 IPv6 addresses are
    checked as the IPv4 address they carry. A name that does not resolve is a :class:`FetchError`.
    """
    parsed = _parse_url(url)
    if not allow_private:
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        _checked_addresses(parsed.raw_host.decode("ascii"), port, allow_private=False, resolve=resolve)


# --- transport: connect to the address that was checked -----------------------------------------------------


class _CheckedBackend(httpcore.SyncBackend):
    """Resolves and checks at connect time, then connects to a checked address (closes DNS rebinding)."""

    def __init__(self, *, allow_private: bool, resolve: Resolver | None) -> None:
        self.allow_private = allow_private
        self.resolve = resolve

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        addresses = _checked_addresses(host, port, allow_private=self.allow_private, resolve=self.resolve)
        failure: Exception | None = None
        for address in addresses:
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:  # try the next address; a timeout ends the attempt
                failure = exc
        assert failure is not None
        raise failure


_SSL_CONTEXTS: dict[tuple, ssl.SSLContext] = {}
_SSL_LOCK = threading.Lock()


def _ssl_context() -> ssl.SSLContext:
    """httpx's default context (certifi, or SSL_CERT_FILE / SSL_CERT_DIR), made once: it costs ~30 ms."""
    key = (os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
    with _SSL_LOCK:
        if key not in _SSL_CONTEXTS:
            _SSL_CONTEXTS[key] = httpx.create_ssl_context()
        return _SSL_CONTEXTS[key]


class _CheckedTransport(httpx.HTTPTransport):
    def __init__(self, *, allow_private: bool, resolve: Resolver | None) -> None:
        context = _ssl_context()
        super().__init__(verify=context, trust_env=False)
        # HTTPTransport.handle_request sends through self._pool; this pool differs only by its network backend.
        self._pool = httpcore.ConnectionPool(
            ssl_context=context,
            max_connections=10,
            network_backend=_CheckedBackend(allow_private=allow_private, resolve=resolve),
        )


def _client(*, allow_private: bool, resolve: Resolver | None) -> httpx.Client:
    return httpx.Client(transport=_CheckedTransport(allow_private=allow_private, resolve=resolve), trust_env=False)


# --- fetching ---------------------------------------------------------------------------------------------------


def _size(n: int) -> str:
    if n >= 2**20:
        return f"{n / 2**20:g} MB"
    if n >= 2**10:
        return f"{n / 2**10:g} KB"
    return f"{n} bytes"


def _media_type(header: str | None) -> tuple[str, str | None]:
    """("text/html", "utf-8") from 'text/html; charset="UTF-8"'."""
    if not header:
        return "", None
    media, *params = header.split(";")
    charset = None
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip("\"'").lower() or None
    return media.strip().lower(), charset


def _refuse_type(media: str, accept: tuple[str, ...]) -> FetchError:
    shown = media or "no content type"
    html_ok = any(t in HTML_TYPES for t in accept)
    feed_ok = any(t in FEED_TYPES for t in accept)
    what = "HTML or a feed" if html_ok and feed_ok else "HTML" if html_ok else "a feed" if feed_ok else None
    return FetchError(f"not {what}: {shown}" if what else f"unsupported content type: {shown}")


def fetch(
    url: str,
    *,
    allow_private: bool,
    accept: tuple[str, ...] = HTML_TYPES + FEED_TYPES,
    etag: str | None = None,
    last_modified: str | None = None,
    limits: Limits = Limits(),
    resolve: Resolver | None = None,
    client: httpx.Client | None = None,
) -> Response:
    """GET ``url`` within ``limits``; a :class:`FetchError` (or :class:`FetchRefused`) with the reason otherwise.

    Redirects are followed here, not by httpx, so :func:`check_url` runs on every hop. ``etag`` /
    ``last_modified`` make the request conditional: an unchanged resource comes back as status 304 with an
    empty body. ``client`` is for callers (and tests) that bring their own transport: the per-hop check still
    runs, the connect-time check of the default transport does not.
    """
    own = client is None
    http = _client(allow_private=allow_private, resolve=resolve) if own else client
    try:
        return _fetch(url, http, allow_private, accept, etag, last_modified, limits, resolve)
    except FetchError as exc:
        if exc.url is None:
            exc.url = url
        raise
    finally:
        if own:
            http.close()


def _fetch(url, http, allow_private, accept, etag, last_modified, limits, resolve) -> Response:
    headers = {
        "User-Agent": USER_AGENT,
        "Accept": ", ".join(accept) + ", */*;q=0.1",
        "Accept-Encoding": "gzip, deflate",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    deadline = time.monotonic() + limits.total_timeout
    current = url
    for _hop in range(limits.max_redirects + 1):
        if time.monotonic() > deadline:
            raise FetchError(f"timed out after {limits.total_timeout:g} s (whole download)")
        try:
            check_url(current, allow_private=allow_private, resolve=resolve)
        except FetchError as exc:
            if current == url:
                raise
            raise type(exc)(f"redirected to {current}: {exc}") from exc
        request = http.build_request("GET", current, headers=headers, timeout=httpx.Timeout(limits.timeout))
        try:
            response = http.send(request, stream=True, follow_redirects=False)
        except httpx.TimeoutException as exc:
            raise FetchError(f"timed out after {limits.timeout:g} s") from exc
        except httpx.ConnectError as exc:
            raise FetchError(f"could not connect: {exc or type(exc).__name__}") from exc
        except httpx.HTTPError as exc:
            raise FetchError(f"connection failed: {exc or type(exc).__name__}") from exc
        try:
            if response.status_code in REDIRECT_CODES:
                location = response.headers.get("location")
                if not location:
                    raise FetchError(f"HTTP {response.status_code} without a Location")
                try:
                    current = str(httpx.URL(current).join(location))
                except httpx.InvalidURL as exc:
                    raise FetchRefused(f"redirect to an invalid URL: {location!r}") from exc
                continue
            return _read(url, current, response, accept, etag, last_modified, limits, deadline)
        finally:
            response.close()
    raise FetchError(f"more than {limits.max_redirects} redirects")


def _read(
    url, final_url, response: httpx.Response, accept, etag, last_modified, limits: Limits, deadline: float
) -> Response:
    status = response.status_code
    new_etag = response.headers.get("etag") or None
    new_modified = response.headers.get("last-modified") or None
    media, charset = _media_type(response.headers.get("content-type"))
    if status == 304 and (etag or last_modified):
        kept_etag, kept_modified = new_etag or etag, new_modified or last_modified
        return Response(url, final_url, 304, b"", media, charset, kept_etag, kept_modified)
    if status >= 300 or status in (204, 205, 206) or status < 200:
        raise FetchError(f"HTTP {status}")
    if media not in accept:
        raise _refuse_type(media, accept)
    too_big = FetchError(f"over {_size(limits.max_bytes)}")
    declared = response.headers.get("content-length", "")
    if declared.strip().isdigit() and int(declared) > limits.max_bytes:
        raise too_big
    chunks, size = [], 0
    try:
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limits.max_bytes:
                raise too_big
            chunks.append(chunk)
            if time.monotonic() > deadline:
                raise FetchError(f"timed out after {limits.total_timeout:g} s (whole download)")
    except httpx.TimeoutException as exc:
        raise FetchError(f"timed out after {limits.timeout:g} s") from exc
    except httpx.DecodingError as exc:
        raise FetchError("the compressed body is damaged") from exc
    except httpx.HTTPError as exc:
        raise FetchError(f"connection failed: {exc or type(exc).__name__}") from exc
    return Response(url, final_url, status, b"".join(chunks), media, charset, new_etag, new_modified)


# --- decoding and sniffing ------------------------------------------------------------------------------------

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# As browsers do (WHATWG Encoding): these labels mean windows-1252 on the web.
_WEB_ALIASES = dict.fromkeys(("iso-8859-1", "latin1", "latin-1", "us-ascii", "ascii"), "windows-1252")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([a-zA-Z0-9_.:-]+)["']""")


def _known(label: str | None) -> str | None:
    if not label:
        return None
    label = _WEB_ALIASES.get(label.lower(), label.lower())
    try:
        b"a".decode(label, "replace")  # a text encoding Python knows (not base64, zlib, rot13, ...)
    except LookupError:
        return None
    return label


def sniff_charset(body: bytes, declared: str | None = None) -> str:
    """The charset to decode ``body`` with: a BOM, else the declared (HTTP) charset, else <meta charset> or an
    XML declaration in the first 2 KB, else UTF-8. Unknown labels are skipped."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    head = body[:2048]
    candidates = [declared]
    for pattern in (_XML_ENCODING, _META_CHARSET):
        if match := pattern.search(head):
            candidates.append(match.group(1).decode("ascii"))
    for candidate in candidates:
        if known := _known(candidate):
            return known
    return "utf-8"


def decode(response: Response) -> str:
    """The body as text (see :func:`sniff_charset`); ``FetchError("not decodable as <charset>")`` on failure."""
    charset = sniff_charset(response.body, response.charset)
    try:
        return response.body.decode(charset)
    except UnicodeDecodeError as exc:
        shown = "utf-16" if charset == "utf-16" else charset.removesuffix("-sig")
        raise FetchError(f"not decodable as {shown}", response.url) from exc


_FEED_ROOT = re.compile(
    rb"^\s*(?:<\?.*?\?>\s*|<!--.*?-->\s*|<!doctype[^>]*>\s*)*<(?:rss|feed|rdf:rdf)[\s>/]", re.I | re.S
)
_SNIFFABLE = {"application/xml", "text/xml", *HTML_TYPES}


def is_feed(response: Response) -> bool:
    """True for a feed content type, or an XML/HTML-typed body that starts like RSS, Atom or RSS 1.0 (RDF)."""
    if response.content_type in FEED_TYPES and response.content_type not in ("application/xml", "text/xml"):
        return True
    if response.content_type in _SNIFFABLE or not response.content_type:
        return bool(_FEED_ROOT.match(response.body[:4096].removeprefix(codecs.BOM_UTF8)))
    return False


# --- feeds --------------------------------------------------------------------------------------------------------


def _entry_date(entry) -> date | None:
    """The publication date as the publisher wrote it (its own time zone), not shifted to UTC."""
    for key in ("published", "updated", "created"):
        raw = (entry.get(key) or "").strip()
        if not raw:
            continue
        try:
            return email.utils.parsedate_to_datetime(raw).date()
        except (TypeError, ValueError, IndexError):
            pass
        try:
            return datetime.fromisoformat(raw).date()
        except ValueError:
            pass
        parsed = entry.get(f"{key}_parsed")
        if parsed:
            return date(parsed.tm_year, parsed.tm_mon, parsed.tm_mday)
    return None


def _entry_content(entry) -> str | None:
    """Full content (content:encoded, atom <content>) as HTML; None when the feed only has a summary."""
    for content in entry.get("content") or []:
        value = (content.get("value") or "").strip()
        if not value:
            continue
        if content.get("type") in ("text/plain", "text"):
            return "<p>" + html.escape(value) + "</p>"
        return value
    return None


_EMAIL = r"[^\s@()<>]+@[^\s@()<>]+"


def _entry_author(entry, atom: bool) -> str | None:
    """The byline. Atom has a <name>; RSS <author> is "email (Name)", "Name <email>" or a bare email, which
    feedparser splits wrongly for long TLDs, so it is read here."""
    if atom:
        name = ((entry.get("author_detail") or {}).get("name") or "").strip()
        return name or None
    raw = (entry.get("author") or "").strip()
    if match := re.fullmatch(rf"{_EMAIL}\s*\((.+)\)", raw) or re.fullmatch(rf"(.+?)\s*<{_EMAIL}>", raw):
        raw = match.group(1).strip()
    return None if not raw or re.fullmatch(_EMAIL, raw) else raw


def parse_feed(body: bytes | str, *, base_url: str | None = None) -> tuple[str | None, list[FeedItem]]:
    """(feed title, items) of an RSS 0.9x/1.0/2.0 or Atom feed; ``FetchError("not an RSS or Atom feed")`` otherwise.

    Also for local .xml/.rss/.atom files read from disk. ``base_url`` (the feed's URL) resolves relative links.
    """
    headers = {}
    if isinstance(body, str):
        body = body.encode("utf-8")
        headers["content-type"] = "application/xml; charset=utf-8"  # an HTTP charset overrides the XML declaration
    if base_url:
        headers["content-location"] = base_url
    # Always a stream: given bytes or str, feedparser would try them as a URL or a local file name first.
    parsed = feedparser.parse(io.BytesIO(body), response_headers=headers)
    if not parsed.get("version"):
        raise FetchError("not an RSS or Atom feed")
    atom = parsed.version.startswith("atom")
    items = []
    for entry in parsed.entries:
        items.append(
            FeedItem(
                link=(entry.get("link") or "").strip() or None,
                id=(entry.get("id") or "").strip() or None,
                title=(entry.get("title") or "").strip() or None,
                author=_entry_author(entry, atom),
                published=_entry_date(entry),
                content_html=_entry_content(entry),
                summary=(entry.get("summary") or "").strip() or None,
            )
        )
    title = (parsed.feed.get("title") or "").strip() or None
    return title, items


# --- state ----------------------------------------------------------------------------------------------------------


def content_hash(body: bytes) -> str:
    """The sha256 (hex) :class:`FetchState` stores for a body."""
    return hashlib.sha256(body).hexdigest()


class FetchState:
    """What was fetched before, per URL: ETag, Last-Modified, sha256 of the body, and the article ids it gave — a
    small JSON file (derived state: if it is lost, pages are fetched again in full and nothing else breaks).
    Thread-safe; written atomically (temporary file in the same folder, then ``os.replace``)."""

    VERSION = 1

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._urls: dict[str, dict] = {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and isinstance(data.get("urls"), dict):
                self._urls = {u: e for u, e in data["urls"].items() if isinstance(e, dict)}
        except FileNotFoundError:
            pass
        except (OSError, ValueError) as exc:
            log.warning("fetch state %s unreadable (%s): pages will be fetched again in full", self.path, exc)

    def get(self, url: str) -> dict | None:
        """{"etag", "last_modified", "sha256", "article_ids": [...], "fetched": ISO timestamp}, or None."""
        with self._lock:
            entry = self._urls.get(url)
            return None if entry is None else {**entry, "article_ids": list(entry.get("article_ids") or [])}

    def put(
        self, url: str, *, etag: str | None, last_modified: str | None, sha256: str, article_ids: list[str]
    ) -> None:
        entry = {
            "etag": etag,
            "last_modified": last_modified,
            "sha256": sha256,
            "article_ids": list(article_ids),
            "fetched": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        with self._lock:
            self._urls[url] = entry

    def save(self) -> None:
        with self._lock:
            text = json.dumps(
                {"version": self.VERSION, "urls": self._urls}, ensure_ascii=False, indent=1, sort_keys=True
            )
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    out.write(text)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
