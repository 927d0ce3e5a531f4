"""Articles from the web: news pages and RSS/Atom feeds, fetched safely and only when they changed.

A page becomes one article: its main text and metadata (:func:`index.html.extract_page`), identified by its
canonical URL so the same story is one article across runs and feeds. A feed gives one article per item: the
item's full content when the feed carries it, else the page it links to. Every URL remembers its ETag,
Last-Modified and content hash (:class:`index.fetch.FetchState`, under ``RAG_HOME``): a re-run asks with a
conditional GET, and a server that answers "not modified" sends nothing; a body whose hash is unchanged is not
parsed again. Either way nothing is re-embedded (the indexer skips articles whose stored content is the same).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import urlparse

from index.fetch import FeedItem, FetchError, FetchState, decode, fetch, is_feed, parse_feed
from index.html import extract_page
from index.load import LoadResult, Skip, finish_article
from rag.settings import Settings
from rag.types import Article

ORIGIN = "web"  # fetched articles are never swept by a later run: a feed drops old items, an archive keeps them
FEED_SUFFIXES = (".xml", ".rss", ".atom")  # saved feeds given to `rag index`
MIN_FEED_CONTENT = 400  # characters of text under which a feed item's content is a summary: fetch its page


def is_url(text: str) -> bool:
    return urlparse(text).scheme in ("http", "https")


def load_urls(urls: list[str], settings: Settings, *, allow_private: bool) -> LoadResult:
    """Articles from page and feed URLs; a URL that fails is a skip with its reason, the others go on."""
    loader = _Loader(FetchState(settings.home / "fetch-state.json"), allow_private)
    for url in dict.fromkeys(urls):
        loader.url(url)
    loader.state.save()
    return loader.result


def load_feed_file(path: Path, settings: Settings, *, allow_private: bool = True) -> LoadResult:
    """A feed saved on disk (.xml, .rss, .atom): its items, fetched as from a feed URL."""
    loader = _Loader(FetchState(settings.home / "fetch-state.json"), allow_private)
    try:
        _, items = parse_feed(path.read_bytes())
    except (OSError, FetchError) as exc:
        loader.result.skipped.append(Skip(str(path), str(exc)))
        return loader.result
    for item in items:
        loader.item(item, where=str(path))
    loader.state.save()
    return loader.result


class _Loader:
    def __init__(self, state: FetchState, allow_private: bool) -> None:
        self.state = state
        self.allow_private = allow_private
        self.result = LoadResult(origins={ORIGIN: []})

    def url(self, url: str, *, feeds: bool = True) -> None:
        cached = self.state.get(url) or {}
        try:
            response = fetch(url, allow_private=self.allow_private, etag=cached.get("etag"),
                             last_modified=cached.get("last_modified"))  # fmt: skip
            if response.status == 304:
                self.result.not_modified.append(url)
                return
            digest = hashlib.sha256(response.body).hexdigest()
            if digest == cached.get("sha256"):  # same bytes, no validators honoured: nothing to parse again
                self.result.not_modified.append(url)
                self._remember(url, response, digest, cached.get("article_ids", []))
                return
            if is_feed(response):
                if not feeds:
                    raise FetchError("a feed where a news page was expected")
                _, items = parse_feed(response.body, base_url=response.final_url)
                for item in items:
                    self.item(item, where=url)
                self._remember(url, response, digest, [])
                return
            page = extract_page(decode(response), response.final_url)
            article = finish_article(Article(
                id=page.url or response.final_url, text=page.text, title=page.title, url=page.url or response.final_url,
                source=page.source or _site(response.final_url), author=page.author, published=page.published,
                path=url,
            ))  # fmt: skip
        except (FetchError, ValueError) as exc:
            self.result.skipped.append(Skip(url, str(exc)))
            return
        self._add(article)
        self._remember(url, response, digest, [article.id])

    def item(self, item: FeedItem, where: str) -> None:
        """One feed item: its own content when the feed carries the full text, else the page it links to."""
        content = None
        if item.content_html:
            try:
                content = extract_page(item.content_html, item.link)
            except ValueError:
                content = None
        if content is not None and len(content.text) >= MIN_FEED_CONTENT:
            link = item.link or item.id
            if not link:
                self.result.skipped.append(Skip(where, f"feed item {item.title!r} has no link or id"))
                return
            try:
                self._add(finish_article(Article(
                    id=link, text=content.text, title=item.title or content.title, url=item.link,
                    source=content.source or (_site(item.link) if item.link else None),
                    author=item.author or content.author, published=item.published or content.published, path=where,
                )))  # fmt: skip
            except ValueError as exc:
                self.result.skipped.append(Skip(link, str(exc)))
            return
        if not item.link:
            self.result.skipped.append(Skip(where, f"feed item {item.title!r} has no link and no full text"))
            return
        self.url(item.link, feeds=False)

    def _add(self, article: Article) -> None:
        if article.id in self.result.origins[ORIGIN]:
            return  # two feeds (or a feed and a URL) naming the same story
        self.result.articles.append(article)
        self.result.origins[ORIGIN].append(article.id)

    def _remember(self, url: str, response, digest: str, article_ids: list[str]) -> None:
        self.state.put(url, etag=response.etag, last_modified=response.last_modified, sha256=digest,
                       article_ids=article_ids)  # fmt: skip


def _site(url: str) -> str | None:
    host = urlparse(url).hostname or ""
    return host.removeprefix("www.") or None
