"""The network layer: real HTTP against a local server, every failure with its reason, SSRF refusals (also per
redirect hop and at connect time), conditional re-fetches, feed parsing and the fetch state file.

Nothing leaves the machine: the server listens on 127.0.0.1, and public-looking names (news.example, ...) go
through an injected resolver (the conftest guard fails any real lookup of them)."""

from __future__ import annotations

import contextlib
import email.utils
import gzip
import hashlib
import json
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections import Counter
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from index.fetch import (
    HTML_TYPES,
    FetchError,
    FetchRefused,
    FetchState,
    Limits,
    Response,
    check_url,
    content_hash,
    decode,
    fetch,
    is_feed,
    parse_feed,
)
from rag.errors import BadInput

PUBLIC_IP = "93.184.216.34"
LAST_MODIFIED = "Tue, 03 Jun 2025 10:00:00 GMT"

PAGE = b"<html><head><title>Harbour reopens</title></head><body><p>The harbour reopened on Monday.</p></body></html>"
ARTICLE_A = b"<html><head><title>Storm</title></head><body><p>A storm is expected on the coast.</p></body></html>"
ARTICLE_B = b"<html><head><title>Budget</title></head><body><p>The council passed the budget.</p></body></html>"

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title>Harbour Gazette</title>
  <link>{base}/</link>
  <description>Local news</description>
  <item>
    <title>Harbour reopens after storm</title>
    <link>{base}/articles/full-1.html</link>
    <guid isPermaLink="false">gazette-1</guid>
    <author>newsroom@gazette.example (Jane Doe)</author>
    <pubDate>Wed, 04 Jun 2025 07:30:00 +1000</pubDate>
    <description>Short teaser.</description>
    <content:encoded><![CDATA[<p>The harbour reopened on <b>Monday</b> after the storm.</p>]]></content:encoded>
  </item>
  <item>
    <title>Storm warning</title>
    <link>{base}/articles/a.html</link>
    <guid>{base}/articles/a.html</guid>
    <dc:creator>John Roe</dc:creator>
    <pubDate>Mon, 02 Jun 2025 10:00:00 GMT</pubDate>
    <description>A storm is expected.</description>
  </item>
</channel>
</rss>
"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>City Wire</title>
  <id>urn:uuid:feed</id>
  <updated>2025-06-05T08:00:00+02:00</updated>
  <entry>
    <title>Council passes budget</title>
    <id>urn:uuid:entry-1</id>
    <link rel="alternate" href="{base}/articles/full-2.html"/>
    <author><name>Ana Lima</name></author>
    <published>2025-06-05T00:30:00+02:00</published>
    <updated>2025-06-05T08:00:00+02:00</updated>
    <summary>Budget teaser.</summary>
    <content type="html">&lt;p&gt;The council passed the budget on Thursday.&lt;/p&gt;</content>
  </entry>
  <entry>
    <title>Budget details</title>
    <id>urn:uuid:entry-2</id>
    <link rel="alternate" href="/articles/b.html"/>
    <updated>2025-06-01T12:00:00Z</updated>
    <summary>Only a summary here.</summary>
  </entry>
</feed>
"""


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.lock = threading.Lock()
        self.full = Counter()  # 200 responses per path: what was downloaded in full
        self.hits = Counter()  # every request per path
        self.headers_seen: dict[str, dict] = {}

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path


class Handler(BaseHTTPRequestHandler):
    server: Server

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        with self.server.lock:
            self.server.hits[path] += 1
            self.server.headers_seen[path] = dict(self.headers)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up (size cap, timeout)
            self.route(path)

    def send(self, status: int, body: bytes = b"", content_type: str | None = "text/html; charset=utf-8", **headers):
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        if "Content_Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status == 200:
            with self.server.lock:
                self.server.full[self.path.split("?", 1)[0]] += 1
        self.wfile.write(body)

    def conditional(self, body: bytes, content_type: str, *, etag: bool = True, last_modified: bool = True):
        """200 with validators, or 304 when If-None-Match / If-Modified-Since say the client has it."""
        tag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        inm, ims = self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
        validators = {}
        if etag:
            validators["ETag"] = tag
        if last_modified:
            validators["Last_Modified"] = LAST_MODIFIED
        if etag and inm is not None:
            not_modified = tag in [t.strip() for t in inm.split(",")]
        elif last_modified and ims is not None:
            not_modified = email.utils.parsedate_to_datetime(ims) >= email.utils.parsedate_to_datetime(LAST_MODIFIED)
        else:
            not_modified = False
        if not_modified:
            self.send(304, b"", None, **validators)
        else:
            self.send(200, body, content_type, **validators)

    def route(self, path: str):
        base = self.server.base
        if path == "/page.html":
            self.conditional(PAGE, "text/html; charset=utf-8")
        elif path == "/lm-only.html":
            self.conditional(PAGE, "text/html; charset=utf-8", etag=False)
        elif path == "/no-validators.html":
            self.send(200, PAGE)
        elif path == "/articles/a.html":
            self.conditional(ARTICLE_A, "text/html; charset=utf-8")
        elif path == "/articles/b.html":
            self.conditional(ARTICLE_B, "text/html")
        elif path == "/feed.rss":
            self.conditional(RSS.format(base=base).encode(), "application/rss+xml; charset=utf-8")
        elif path == "/feed.atom":
            self.conditional(ATOM.format(base=base).encode(), "application/atom+xml")
        elif path == "/feed-as-xml":
            self.send(200, RSS.format(base=base).encode(), "text/xml")
        elif path == "/feed-as-html":
            self.send(200, ATOM.format(base=base).encode(), "text/html")
        elif path == "/echo-host":
            self.send(200, f"<p>host={self.headers.get('Host')}</p>".encode())
        elif path == "/secret":
            self.send(200, b"<p>internal</p>")
        elif path == "/missing":
            self.send(404, b"<p>no such page</p>")
        elif path == "/error":
            self.send(500, b"<p>oops</p>")
        elif path == "/doc.pdf":
            self.send(200, b"%PDF-1.4", "application/pdf")
        elif path == "/notype":
            self.send(200, b"<p>untyped</p>", None)
        elif path == "/huge":  # declares its size
            self.send(200, b"x" * 100_000)
        elif path == "/declares-6mb":  # says so, then sends little: the header alone must refuse it
            self.send(200, b"x" * 1000, Content_Length=str(6 * 2**20))
        elif path == "/huge-stream":  # no Content-Length: the cap must count while streaming
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            for _ in range(100):
                self.wfile.write(b"x" * 1000)
        elif path == "/gzip-bomb":  # 2 MB of spaces in 2 KB of gzip: the cap counts decoded bytes
            self.send(200, gzip.compress(b" " * 2_000_000), Content_Encoding="gzip")
        elif path == "/slow":
            time.sleep(1.5)
            self.send(200, PAGE)
        elif path == "/drip":  # every read is quick, the whole download is not
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "40")
            self.end_headers()
            for _ in range(40):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.05)
        elif path.startswith("/redirect/"):
            n = int(path.rsplit("/", 1)[1])
            self.send(302, b"", Location=f"/redirect/{n - 1}" if n > 0 else "/page.html")
        elif path == "/loop":
            self.send(301, b"", Location="/loop")
        elif path == "/no-location":
            self.send(302, b"")
        elif path == "/to-evil":
            self.send(302, b"", Location="http://evil.example/secret")
        elif path == "/to-loopback":
            self.send(302, b"", Location=f"{base}/secret")
        elif path == "/to-public":
            self.send(302, b"", Location="http://other.example/page.html")
        elif path == "/cp1252":
            self.send(200, "<p>Café – naïve</p>".encode("cp1252"), "text/html; charset=windows-1252")
        elif path == "/meta-charset":
            body = b'<html><head><meta charset="windows-1252"><title>x</title></head><body>Caf\xe9</body></html>'
            self.send(200, body, "text/html")
        elif path == "/latin1-declared":  # browsers read ISO-8859-1 as windows-1252 (curly quotes)
            self.send(200, b"<p>\x93quoted\x94</p>", "text/html; charset=ISO-8859-1")
        elif path == "/bad-bytes":
            self.send(200, b"<p>caf\xe9 \xff</p>", "text/html; charset=utf-8")
        else:
            self.send(404, b"")


@pytest.fixture(scope="module")
def server():
    srv = Server()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def resolver(table: dict[str, list[str]]):
    """A getaddrinfo stand-in: names from ``table`` only, and a record of the names asked for."""

    def resolve(host, port, *args, **kwargs):
        resolve.calls.append(host)
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))
            for ip in table[host]
        ]

    resolve.calls = []
    return resolve


def no_lookup(host, *args, **kwargs):
    raise AssertionError(f"a literal address or refused name must not be looked up: {host}")


# --- allowed fetches ----------------------------------------------------------------------------------------------


def test_fetches_a_page_with_its_metadata(server):
    response = fetch(server.url("/page.html"), allow_private=True)
    assert response.status == 200
    assert response.body == PAGE
    assert (response.content_type, response.charset) == ("text/html", "utf-8")
    assert response.url == response.final_url == server.url("/page.html")
    assert response.etag and response.etag.startswith('"')
    assert response.last_modified == LAST_MODIFIED
    assert decode(response).startswith("<html>")
    sent = server.headers_seen["/page.html"]
    assert sent["User-Agent"] == "rag-news/0.1 (+news Q&A indexer)"
    assert "If-None-Match" not in sent


def test_follows_a_relative_redirect_chain(server):
    response = fetch(server.url("/redirect/3"), allow_private=True)
    assert response.url == server.url("/redirect/3")
    assert response.final_url == server.url("/page.html")
    assert response.body == PAGE


@pytest.mark.parametrize(
    ("path", "limits", "accept", "reason"),
    [
        ("/missing", Limits(), None, "HTTP 404"),
        ("/error", Limits(), None, "HTTP 500"),
        ("/doc.pdf", Limits(), HTML_TYPES, "not HTML: application/pdf"),
        ("/doc.pdf", Limits(), None, "not HTML or a feed: application/pdf"),
        ("/feed.rss", Limits(), HTML_TYPES, "not HTML: application/rss+xml"),
        ("/notype", Limits(), None, "not HTML or a feed: no content type"),
        ("/huge", Limits(max_bytes=1000), None, "over 1000 bytes"),
        ("/huge-stream", Limits(max_bytes=1000), None, "over 1000 bytes"),
        ("/gzip-bomb", Limits(max_bytes=100 * 1024), None, "over 100 KB"),
        ("/slow", Limits(timeout=0.5), None, "timed out after 0.5 s"),
        ("/drip", Limits(timeout=0.5, total_timeout=0.3), None, "timed out after 0.3 s (whole download)"),
        ("/redirect/6", Limits(), None, "more than 5 redirects"),
        ("/redirect/2", Limits(max_redirects=1), None, "more than 1 redirects"),
        ("/loop", Limits(), None, "more than 5 redirects"),
        ("/no-location", Limits(), None, "HTTP 302 without a Location"),
    ],
)
def test_each_failure_gives_its_reason(server, path, limits, accept, reason):
    kwargs = {"accept": accept} if accept else {}
    with pytest.raises(FetchError) as caught:
        fetch(server.url(path), allow_private=True, limits=limits, **kwargs)
    assert str(caught.value) == reason
    assert caught.value.url == server.url(path)
    assert isinstance(caught.value, BadInput) and not isinstance(caught.value, FetchRefused)


def test_the_default_cap_is_5_mb_and_a_declared_size_is_refused_before_reading(server):
    with pytest.raises(FetchError, match="^over 5 MB$"):
        fetch(server.url("/declares-6mb"), allow_private=True)


def test_a_closed_port_cannot_be_connected_to():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(FetchError, match="^could not connect"):
        fetch(f"http://127.0.0.1:{port}/", allow_private=True)


def test_an_unknown_host_is_not_found_not_refused():
    with pytest.raises(FetchError) as caught:
        check_url("http://nowhere.example/", allow_private=False, resolve=resolver({}))
    assert str(caught.value) == "host not found: nowhere.example"
    assert not isinstance(caught.value, FetchRefused)


# --- decoding and sniffing ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("/cp1252", "<p>Café – naïve</p>"),
        ("/meta-charset", "Café"),
        ("/latin1-declared", "<p>\u201cquoted\u201d</p>"),
    ],
)
def test_decodes_declared_and_sniffed_charsets(server, path, text):
    assert text in decode(fetch(server.url(path), allow_private=True))


def test_undecodable_bytes_give_a_reason(server):
    response = fetch(server.url("/bad-bytes"), allow_private=True)
    with pytest.raises(FetchError, match="^not decodable as utf-8$"):
        decode(response)


def _response(body: bytes, content_type: str = "text/html", charset: str | None = None) -> Response:
    return Response("http://x/", "http://x/", 200, body, content_type, charset, None, None)


def test_decode_sniffs_bom_and_xml_declaration_and_defaults_to_utf8():
    assert decode(_response(b"\xef\xbb\xbfcaf\xc3\xa9", charset="windows-1252")) == "café"  # a BOM wins
    assert decode(_response("\ufeffcafé".encode("utf-16-le"))) == "café"
    xml = '<?xml version="1.0" encoding="ISO-8859-15"?><rss>€</rss>'.encode("iso-8859-15")
    assert "€" in decode(_response(xml, "application/xml"))
    assert decode(_response("café".encode())) == "café"
    assert decode(_response("café".encode(), charset="no-such-charset")) == "café"  # unknown label: sniff on
    assert decode(_response(b'<meta charset="base64"><p>ok</p>')) == '<meta charset="base64"><p>ok</p>'  # not text


def test_is_feed_by_type_and_by_sniffing(server):
    assert is_feed(fetch(server.url("/feed.rss"), allow_private=True))
    assert is_feed(fetch(server.url("/feed.atom"), allow_private=True))
    assert is_feed(fetch(server.url("/feed-as-xml"), allow_private=True))  # text/xml: sniffed
    assert is_feed(fetch(server.url("/feed-as-html"), allow_private=True))  # mislabelled as HTML: sniffed
    assert not is_feed(fetch(server.url("/page.html"), allow_private=True))
    rdf = b'<?xml version="1.0"?>\n<!-- RSS 1.0 -->\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    assert is_feed(_response(rdf, "application/xml"))
    assert not is_feed(_response(b'<?xml version="1.0"?><sitemap/>', "application/xml"))
    assert not is_feed(_response(b"<rss>", "application/pdf"))


# --- conditional re-fetches ----------------------------------------------------------------------------------------


def test_conditional_get_returns_304_with_an_empty_body(server):
    url = server.url("/feed.atom")
    first = fetch(url, allow_private=True)
    assert first.status == 200 and first.etag
    again = fetch(url, allow_private=True, etag=first.etag, last_modified=first.last_modified)
    assert (again.status, again.body, again.etag) == (304, b"", first.etag)
    assert server.headers_seen["/feed.atom"]["If-None-Match"] == first.etag
    stale = fetch(url, allow_private=True, etag='"stale"')
    assert stale.status == 200 and stale.body == first.body
    only_date = fetch(server.url("/lm-only.html"), allow_private=True, last_modified=LAST_MODIFIED)
    assert (only_date.status, only_date.last_modified) == (304, LAST_MODIFIED)


def index_feed(feed_url: str, state: FetchState) -> list[int]:
    """What the indexer will do: fetch the feed conditionally, then the pages of items without full content."""
    statuses = []

    def get(url: str) -> Response | None:
        previous = state.get(url) or {}
        response = fetch(
            url, allow_private=True, etag=previous.get("etag"), last_modified=previous.get("last_modified")
        )
        statuses.append(response.status)
        if response.status == 304:
            return None
        state.put(url, etag=response.etag, last_modified=response.last_modified, sha256=content_hash(response.body),
                  article_ids=[url])  # fmt: skip
        return response

    feed = get(feed_url)
    if feed is not None:
        _, items = parse_feed(feed.body, base_url=feed.final_url)
        for item in items:
            if item.content_html is None and item.link:
                get(item.link)
    state.save()
    return statuses


def test_a_rerun_downloads_nothing_in_full(server, tmp_path):
    path = tmp_path / "state" / "fetch-state.json"
    server.full.clear()
    assert index_feed(server.url("/feed.rss"), FetchState(path)) == [200, 200]
    assert server.full == Counter({"/feed.rss": 1, "/articles/a.html": 1})
    # the feed says "not modified": nothing else is asked for, nothing is downloaded
    assert index_feed(server.url("/feed.rss"), FetchState(path)) == [304]
    # a page asked for again with its stored validators is not downloaded either
    previous = FetchState(path).get(server.url("/articles/a.html"))
    assert fetch(server.url("/articles/a.html"), allow_private=True, etag=previous["etag"]).status == 304
    assert server.full == Counter({"/feed.rss": 1, "/articles/a.html": 1})
    # derived state: without the file everything is fetched again in full, and nothing breaks
    path.unlink()
    assert index_feed(server.url("/feed.rss"), FetchState(path)) == [200, 200]
    assert server.full == Counter({"/feed.rss": 2, "/articles/a.html": 2})


def test_the_content_hash_catches_an_unchanged_page_without_validators(server, tmp_path):
    state = FetchState(tmp_path / "state.json")
    url = server.url("/no-validators.html")
    first = fetch(url, allow_private=True)
    assert (first.etag, first.last_modified) == (None, None)
    state.put(url, etag=None, last_modified=None, sha256=content_hash(first.body), article_ids=["a"])
    again = fetch(url, allow_private=True)
    assert again.status == 200 and content_hash(again.body) == state.get(url)["sha256"]


# --- SSRF -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/", "127.0.0.1 is a loopback address"),
        ("http://127.0.0.1:8080/admin", "loopback"),
        ("http://[::1]/", "::1 is a loopback address"),
        ("http://10.1.2.3/", "10.1.2.3 is a private address"),
        ("http://192.168.1.1/", "private"),
        ("http://172.16.0.1/", "private"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a cloud metadata address"),
        ("http://[fd00:ec2::254]/", "cloud metadata"),
        ("http://100.100.100.200/", "cloud metadata"),
        ("http://169.254.1.1/", "link-local"),
        ("http://[fe80::1]/", "link-local"),
        ("http://100.64.0.1/", "shared (carrier-grade NAT)"),
        ("http://0.0.0.0/", "0.0.0.0 is an unspecified address"),
        ("http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1 is a loopback address"),  # IPv4-mapped: checked as IPv4
        ("http://[::ffff:a9fe:a9fe]/", "cloud metadata"),
        ("http://[64:ff9b::a00:5]/", "private"),  # NAT64 carries 10.0.0.5
        ("http://224.0.0.1/", "multicast"),
        ("http://240.0.0.1/", "240.0.0.1 is"),
        ("http://2130706433/", "2130706433 is a loopback address"),  # decimal 127.0.0.1, as resolvers read it
        ("http://0x7f.1/", "loopback"),  # hex and short forms too
        ("http://127.1/", "loopback"),
        ("http://localhost/", "localhost is a loopback name"),
        ("http://LOCALHOST.:8000/", "loopback name"),
        ("http://api.localhost/", "loopback name"),
    ],
)
def test_private_and_special_addresses_are_refused_without_a_lookup(url, reason):
    with pytest.raises(FetchRefused, match=reason.replace("(", r"\(").replace(")", r"\)")):
        check_url(url, allow_private=False, resolve=no_lookup)
    check_url(url, allow_private=True, resolve=no_lookup)  # the CLI operator may fetch anything


def test_a_name_is_refused_when_any_of_its_addresses_is_private():
    resolve = resolver({"intranet.example": ["10.0.0.5"], "mixed.example": [PUBLIC_IP, "10.0.0.5"]})
    with pytest.raises(FetchRefused, match="^intranet.example resolves to 10.0.0.5, which is a private address$"):
        check_url("https://intranet.example/news", allow_private=False, resolve=resolve)
    with pytest.raises(FetchRefused, match="mixed.example resolves to 10.0.0.5"):
        check_url("http://mixed.example/", allow_private=False, resolve=resolve)


def test_a_public_name_passes():
    resolve = resolver({"news.example": [PUBLIC_IP, "2606:2800:220:1:248:1893:25c8:1946"]})
    check_url("https://news.example/world/story.html?id=1", allow_private=False, resolve=resolve)
    assert resolve.calls == ["news.example"]
    check_url(f"http://{PUBLIC_IP}/", allow_private=False, resolve=no_lookup)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("file:///etc/passwd", "only http and https URLs can be fetched, not file"),
        ("ftp://news.example/feed.xml", "not ftp"),
        ("gopher://news.example/", "not gopher"),
        ("javascript:alert(1)", "not javascript"),
        ("news.example/page", "not no scheme"),
        ("http:///page", "the URL has no host"),
        ("http://user:secret@news.example/", "credentials"),
        ("https://token@news.example/", "credentials"),
        ("http://0177.0.0.1/", "not a valid URL"),  # octal: httpx will not parse it, so it is refused outright
    ],
)
def test_other_schemes_credentials_and_bad_urls_are_refused_even_for_the_cli(url, reason):
    for allow_private in (False, True):
        with pytest.raises(FetchRefused, match=reason):
            check_url(url, allow_private=allow_private, resolve=no_lookup)


def test_fetch_refuses_the_local_server_when_private_addresses_are_not_allowed(server):
    for url in (server.url("/secret"), server.url("/secret").replace("127.0.0.1", "localhost")):
        with pytest.raises(FetchRefused, match="loopback"):
            fetch(url, allow_private=False)
    assert server.hits["/secret"] == 0


class ToLocalServer(httpx.BaseTransport):
    """Stands in for the internet: every request, whatever its host, goes to the local test server (the Host
    header keeps the name). This routing is the test's; the checks under test run in fetch, before each hop."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.inner = httpx.HTTPTransport(trust_env=False)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        local = request.url.copy_with(scheme="http", host="127.0.0.1", port=self.port)
        return self.inner.handle_request(
            httpx.Request("GET", local, headers=request.headers, extensions=request.extensions)
        )

    def close(self) -> None:
        self.inner.close()


def test_every_redirect_hop_is_checked(server):
    # Honest about what this proves: public addresses cannot be reached here, so news.example resolves (injected
    # resolver) to a public address, which makes the first hop allowed, and the test transport delivers it to the
    # local server. The server then redirects to a private target; fetch must refuse that hop before any request.
    resolve = resolver({"news.example": [PUBLIC_IP], "other.example": [PUBLIC_IP], "evil.example": ["10.0.0.5"]})
    with httpx.Client(transport=ToLocalServer(server.server_address[1])) as client:
        ok = fetch("http://news.example/page.html", allow_private=False, resolve=resolve, client=client)
        assert ok.body == PAGE and server.headers_seen["/page.html"]["Host"] == "news.example"
        via = fetch("http://news.example/to-public", allow_private=False, resolve=resolve, client=client)
        assert via.final_url == "http://other.example/page.html"
        with pytest.raises(FetchRefused) as caught:
            fetch("http://news.example/to-evil", allow_private=False, resolve=resolve, client=client)
        assert str(caught.value) == (
            "redirected to http://evil.example/secret: evil.example resolves to 10.0.0.5, which is a private address"
        )
        with pytest.raises(FetchRefused, match=r"^redirected to http://127\.0\.0\.1:\d+/secret: .* loopback"):
            fetch("http://news.example/to-loopback", allow_private=False, resolve=resolve, client=client)
    assert server.hits["/secret"] == 0


def test_the_default_transport_connects_to_the_address_it_checked(server):
    # No client given: fetch's own transport resolves news.example with the injected resolver and connects to
    # that address (a system lookup of news.example would trip the conftest guard); Host keeps the name.
    port = server.server_address[1]
    resolve = resolver({"news.example": ["127.0.0.1"]})
    response = fetch(f"http://news.example:{port}/echo-host", allow_private=True, resolve=resolve)
    assert response.body == f"<p>host=news.example:{port}</p>".encode()
    assert "news.example" in resolve.calls


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    """The same server over TLS, with a self-signed certificate for news.example (made by the openssl tool)."""
    if shutil.which("openssl") is None:
        pytest.skip("no openssl to make a certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=news.example",
         "-addext", "subjectAltName=DNS:news.example"],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    srv = Server()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    srv.socket = context.wrap_socket(srv.socket, server_side=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv, cert
    srv.shutdown()
    srv.server_close()


def test_https_to_the_checked_address_still_verifies_the_name(tls_server, monkeypatch):
    # The connection goes to the resolved address, but TLS (SNI and certificate check) uses the name: the
    # certificate for news.example is accepted for news.example and rejected for another name on the same address.
    srv, cert = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust the test certificate (httpx reads it)
    port = srv.server_address[1]
    resolve = resolver({"news.example": ["127.0.0.1"], "other.example": ["127.0.0.1"]})
    response = fetch(f"https://news.example:{port}/page.html", allow_private=True, resolve=resolve)
    assert response.body == PAGE
    with pytest.raises(FetchError, match="^could not connect: .*CERTIFICATE_VERIFY_FAILED"):
        fetch(f"https://other.example:{port}/page.html", allow_private=True, resolve=resolve)


def test_dns_rebinding_between_check_and_connect_is_refused(server):
    # The name answers a public address to the check, then loopback to the connection: the connect-time check
    # of the default transport sees the second answer and refuses before connecting.
    port = server.server_address[1]
    answers = iter([[PUBLIC_IP], ["127.0.0.1"]])
    calls = []

    def rebinding(host, port, *args, **kwargs):
        calls.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in next(answers)]

    before = server.hits["/echo-host"]
    with pytest.raises(FetchRefused, match="rebind.example resolves to 127.0.0.1, which is a loopback address"):
        fetch(f"http://rebind.example:{port}/echo-host", allow_private=False, resolve=rebinding)
    assert calls == ["rebind.example", "rebind.example"]
    assert server.hits["/echo-host"] == before


# --- feeds --------------------------------------------------------------------------------------------------------


def test_parses_rss_items_with_full_content_or_only_a_link(server):
    response = fetch(server.url("/feed.rss"), allow_private=True)
    title, items = parse_feed(response.body, base_url=response.final_url)
    assert title == "Harbour Gazette"
    full, linked = items
    assert full.link == server.url("/articles/full-1.html")
    assert (full.id, full.title, full.author) == ("gazette-1", "Harbour reopens after storm", "Jane Doe")
    assert full.published == date(2025, 6, 4)  # the publisher's date (+10:00), not the UTC one (3 June)
    assert full.content_html == "<p>The harbour reopened on <b>Monday</b> after the storm.</p>"
    assert full.summary == "Short teaser."
    assert (linked.author, linked.published, linked.content_html) == ("John Roe", date(2025, 6, 2), None)
    assert linked.summary == "A storm is expected."
    page = fetch(linked.link, allow_private=True, accept=HTML_TYPES)
    assert "A storm is expected on the coast." in decode(page)


def test_parses_atom_entries_and_resolves_relative_links(server):
    url = server.url("/feed.atom")
    title, items = parse_feed(fetch(url, allow_private=True).body, base_url=url)
    assert title == "City Wire"
    full, linked = items
    assert (full.id, full.author, full.published) == ("urn:uuid:entry-1", "Ana Lima", date(2025, 6, 5))
    assert full.content_html == "<p>The council passed the budget on Thursday.</p>"
    assert linked.link == server.url("/articles/b.html")
    assert (linked.content_html, linked.summary, linked.author) == (None, "Only a summary here.", None)
    assert linked.published == date(2025, 6, 1)  # from <updated> when there is no <published>


def test_parses_local_feed_files_and_text(tmp_path):
    path = tmp_path / "local.rss"
    path.write_text(RSS.format(base="https://gazette.example"), encoding="utf-8")
    title, items = parse_feed(path.read_bytes())
    assert (title, [i.link for i in items][0]) == ("Harbour Gazette", "https://gazette.example/articles/full-1.html")
    latin = '<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel><title>Café</title>'
    latin += "<item><title>Noël</title><link>https://x.example/1</link></item></channel></rss>"
    assert parse_feed(latin.encode("iso-8859-1"))[0] == "Café"
    assert parse_feed(latin)[1][0].title == "Noël"  # text: the declaration's encoding no longer applies


@pytest.mark.parametrize(
    ("author", "byline"),
    [
        ("newsroom@gazette.example (Jane Doe)", "Jane Doe"),
        ("Jane Doe &lt;jane@gazette.example&gt;", "Jane Doe"),
        ("jane@gazette.example", None),  # an address is not a byline
        ("Associated Press", "Associated Press"),
    ],
)
def test_rss_author_forms(author, byline):
    rss = f'<rss version="2.0"><channel><title>t</title><item><author>{author}</author></item></channel></rss>'
    assert parse_feed(rss)[1][0].author == byline


def test_not_a_feed(tmp_path):
    for body in (PAGE, b"", b"%PDF-1.4", "just text"):
        with pytest.raises(FetchError, match="^not an RSS or Atom feed$"):
            parse_feed(body)
    # a body that happens to be a file name or a URL is data, never opened or fetched
    path = tmp_path / "real.rss"
    path.write_text(RSS.format(base="https://gazette.example"), encoding="utf-8")
    for body in (str(path), str(path).encode(), "http://news.example/feed.rss"):
        with pytest.raises(FetchError, match="^not an RSS or Atom feed$"):
            parse_feed(body)


# --- fetch state -----------------------------------------------------------------------------------------------------


def test_fetch_state_round_trip(tmp_path):
    path = tmp_path / "home" / "fetch-state.json"
    state = FetchState(path)
    assert state.get("https://news.example/a") is None
    state.put("https://news.example/a", etag='"v1"', last_modified=LAST_MODIFIED, sha256="ab" * 32, article_ids=["a1"])
    state.save()
    entry = FetchState(path).get("https://news.example/a")
    assert {k: entry[k] for k in ("etag", "last_modified", "sha256", "article_ids")} == {
        "etag": '"v1"',
        "last_modified": LAST_MODIFIED,
        "sha256": "ab" * 32,
        "article_ids": ["a1"],
    }
    assert entry["fetched"].endswith("+00:00")
    entry["article_ids"].append("changed")  # a copy: the state is not changed behind its lock
    assert state.get("https://news.example/a")["article_ids"] == ["a1"]


def test_fetch_state_save_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "fetch-state.json"
    state = FetchState(path)
    state.put("u1", etag=None, last_modified=None, sha256="1", article_ids=[])
    state.save()
    before = path.read_text(encoding="utf-8")
    state.put("u2", etag=None, last_modified=None, sha256="2", article_ids=[])

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        state.save()
    monkeypatch.undo()
    assert path.read_text(encoding="utf-8") == before  # the old file is whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fetch-state.json"]  # no temporary file left behind
    state.save()
    assert FetchState(path).get("u2")["sha256"] == "2"


def test_fetch_state_is_derived_a_damaged_file_starts_empty(tmp_path, caplog):
    path = tmp_path / "fetch-state.json"
    path.write_text("{not json", encoding="utf-8")
    state = FetchState(path)
    assert state.get("u") is None
    assert "fetched again in full" in caplog.text
    state.put("u", etag=None, last_modified=None, sha256="x", article_ids=["a"])
    state.save()
    assert json.loads(path.read_text(encoding="utf-8"))["urls"]["u"]["article_ids"] == ["a"]


def test_fetch_state_is_thread_safe(tmp_path):
    state = FetchState(tmp_path / "fetch-state.json")

    def work(n: int) -> None:
        for i in range(50):
            state.put(f"u{n}-{i}", etag=None, last_modified=None, sha256=str(i), article_ids=[str(n)])
            if i % 10 == 0:
                state.save()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    state.save()
    reloaded = FetchState(tmp_path / "fetch-state.json")
    assert all(reloaded.get(f"u{n}-{i}") for n in range(8) for i in range(50))
