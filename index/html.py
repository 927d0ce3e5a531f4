"""Article text and metadata from a saved news page.

A page is mostly not the article: menus, cookie banners, promos, related links and footers would be indexed and
cited as if the paper had printed them. trafilatura finds the article body and reads the metadata (JSON-LD,
OpenGraph, <meta>, bylines); a few generic rules below catch chrome it keeps (share links, "Read more" lines,
link-only menu lines, fine print). Pages with too little text for it fall back to the page's visible text.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from copy import deepcopy
from dataclasses import dataclass
from datetime import date
from urllib.parse import urljoin, urlsplit


class _FragmentRejected(logging.Filter):
    """trafilatura logs an ERROR for every one-block fragment it declines to parse ("parsed tree length: 0"), which
    is what a feed item's content usually is; :func:`extract_page` reads those as visible text, as intended, so the
    line would only tell an operator of a failure that did not happen."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("parsed tree length")


logging.getLogger("trafilatura.utils").addFilter(_FragmentRejected())


@dataclass(frozen=True)
class Page:
    text: str  # the article body, plain text, paragraphs separated by blank lines: stored and cited as is
    title: str | None  # without the site's name
    author: str | None  # byline name(s)
    published: date | None
    source: str | None  # the site's name
    url: str | None  # canonical, absolute


def extract_page(html: str, url: str | None = None) -> Page:
    """The article in ``html`` (fetched from ``url``, if known); raise ``ValueError`` when it has no text."""
    import trafilatura
    from trafilatura.metadata import extract_metadata
    from trafilatura.utils import load_html

    tree = load_html(html) if html.strip() else None
    if tree is None:
        title, text = html_to_text(html)  # raises ValueError("HTML has no visible text")
        return Page(normalize(text), _clean(title), None, None, None, _absolute(url, None))
    _prune_chrome(tree)
    doc = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,  # results, budgets, schedules: in news a table is usually content
        include_images=False,
        include_links=False,
        favor_precision=True,
        date_extraction_params=_DATES,
    )
    paragraphs = _paragraphs(doc.body) if doc is not None and doc.body is not None else []
    if not paragraphs:  # too little for trafilatura (one line, a list, a footer): the page's visible text
        paragraphs = normalize(html_to_text(html)[1]).split("\n\n")  # raises ValueError("HTML has no visible text")
        doc = extract_metadata(deepcopy(tree), url, _DATES, extensive=False)
    title, source = _title(_clean(doc.title), tree, _clean(doc.sitename), _host(url or doc.url))
    author = _author(doc.author)
    if len(paragraphs) > 1 and title and _same(paragraphs[0], title):
        paragraphs = paragraphs[1:]  # the headline, kept as the title
    if len(paragraphs) > 1 and (byline := _byline(paragraphs[0])):
        author = author or byline
        paragraphs = paragraphs[1:]
    text = normalize("\n\n".join(paragraphs))
    if not text:
        raise ValueError("HTML has no visible text")
    return Page(
        text=text,
        title=title,
        author=author,
        published=_date(doc.date),
        source=source,
        url=_canonical(tree, url) or _absolute(doc.url, url),
    )


# a date must come from the page's markup (JSON-LD, <meta>, <time>), not be guessed from numbers in the text
_DATES = {"extensive_search": False, "original_date": True}


def normalize(text: str) -> str:
    """NFC, no trailing spaces, at most one blank line between paragraphs."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# --- chrome trafilatura keeps -------------------------------------------------------------------------------------

# class/id words of page furniture, matched as whole words of the attribute ("share-entry", "alerts-box"); not
# "paywall", "subscription" or "sponsored": sites put those on the article itself
_CHROME_WORDS = re.compile(
    r"(?:^|[\s_-])(?:share|sharing|social|newsletters?|subscribe|promo|related|recommended|trending|most-?read|"
    r"alerts?|refresh|read-?more|ads?|advert|advertisement)(?:$|[\s_-])",
    re.IGNORECASE,
)
_NEVER_PRUNE = {"html", "body"}
_INVISIBLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s|·•/,–—-]*")
_LINK_LABEL = re.compile(r"^(?:read more|read also|also read|related|see also|more)\s*:", re.IGNORECASE)


def _prune_chrome(tree) -> None:
    """Remove what trafilatura would keep but no reader sees or counts as the article: hidden elements,
    share/alert/promo/ad elements, link-only menu lines, "Read more: <link>" lines and fine-print paragraphs; of
    these, never one that holds the story or a quarter of the page's text."""
    body = tree.find(".//body")
    limit = 0.25 * len((body if body is not None else tree).text_content())
    doomed = []
    for el in tree.iter():
        if not isinstance(el.tag, str) or el.tag in _NEVER_PRUNE:
            continue
        if el.tag == "template" or el.get("hidden") is not None or _INVISIBLE.search(el.get("style") or ""):
            doomed.append(el)  # never rendered: the old extractor dropped these too
            continue
        marks = f"{el.get('class') or ''} {el.get('id') or ''}"
        if _CHROME_WORDS.search(marks):
            if len(el.text_content()) <= limit and not _holds_story(el):
                doomed.append(el)
        elif el.tag == "p" and (_link_only(el) or _read_more(el) or _fine_print(el)):
            doomed.append(el)
    for el in doomed:
        parent = el.getparent()
        if parent is not None:
            _drop(el)


def _holds_story(el) -> bool:
    """``el`` holds the headline, an <article> or three paragraphs of prose ("story has-social-embeds"), or is
    a paragraph of prose itself (chrome notices are short)."""
    if el.find(".//h1") is not None or el.find(".//article") is not None:
        return True
    if el.tag == "p" and len(el.text_content()) > 100:
        return True
    return sum(len(p.text_content()) > 100 for p in el.iter("p")) >= 3


def _drop(el) -> None:
    """Remove ``el`` but keep its tail text (the text after it belongs to the parent)."""
    parent = el.getparent()
    if el.tail and el.tail.strip():
        previous = el.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def _own_text(el) -> str:
    """Text of ``el`` outside its links."""
    parts = [el.text or ""]
    for child in el:
        if child.tag != "a":
            parts.append(_own_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _link_only(el) -> bool:
    return len(el.findall(".//a")) >= 2 and _SEPARATORS.fullmatch(_own_text(el)) is not None


def _read_more(el) -> bool:
    text = " ".join(el.text_content().split())
    return el.find(".//a") is not None and len(text) < 200 and _LINK_LABEL.match(text) is not None


def _fine_print(el) -> bool:
    return len(el) == 1 and el[0].tag == "small" and not (el.text or "").strip() and not (el[0].tail or "").strip()


# --- text and metadata --------------------------------------------------------------------------------------------


def _paragraphs(body) -> list[str]:
    from trafilatura.xml import xmltotxt

    out = []
    for block in body:
        text = xmltotxt(block, False)
        if block.tag == "table":  # drop the markdown rule under the header row
            text = "\n".join(line for line in text.split("\n") if not re.fullmatch(r"[\s|:-]+", line))
        text = "\n".join(" ".join(line.split()) for line in text.split("\n")).strip()
        if text:
            out.append(text)
    return out


def _clean(value: str | None) -> str | None:
    value = " ".join(unicodedata.normalize("NFC", value).split()) if value else ""
    return value or None


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


_SEP = re.compile(r"\s+[|·•–—-]\s+|\s*:\s+|\s+\|\s*")


def _title(found: str | None, tree, source: str | None, host: str | None) -> tuple[str | None, str | None]:
    """The headline without the site's name, and the site's name (a domain-like sitename replaced by the name
    the title shows for it).

    trafilatura cuts ``<title>`` at a separator itself; that cut is kept only when the part cut off is the
    site (by name, by domain, or a short capitalised name), so "Storm - and flood - close schools" stays whole.
    """
    head = tree.find(".//head/title")
    raw = _clean(head.text_content()) if head is not None else None
    names = [n for n in (source, host) if n]
    title = found
    if raw and (not title or any(_site_match(title, n) for n in names)):
        title = raw  # no title, or the logo's <h1>
    cut = _cut(raw, title) if title and raw else None
    site = cut if cut and any(_site_match(cut, n) for n in names) else None
    if cut and not site and not _name_like(cut):
        title = raw
    title, stripped = _strip_site(title, names)
    site = stripped or site
    if site and (not source or "." in source and " " not in source):
        source = site
    return title, source


def _name_like(part: str) -> bool:
    """A short capitalised name ("Valley Gazette", "The Times of Harborview"), not words of a headline."""
    words = part.split()
    small = ("of", "the", "and", "&", "de", "la")
    return len(words) <= 5 and all(w[0].isupper() or w[0].isdigit() or w in small for w in words)


def _cut(raw: str, title: str) -> str | None:
    """What trafilatura cut off ``raw`` to get ``title`` (the part beyond a separator), or None."""
    if raw.startswith(title) and (m := _SEP.match(raw, len(title))):
        return raw[m.end() :] or None
    if raw.endswith(title) and (m := re.search(rf"(?:{_SEP.pattern})$", raw[: len(raw) - len(title)])):
        return raw[: m.start()] or None
    return None


def _site_match(part: str, name: str) -> bool:
    """``part`` names the site ``name`` (a name or a domain), ignoring case, spaces, punctuation, a leading
    "The" and a domain's "www." and suffix."""

    def key(s: str) -> str:
        s = s.casefold().removeprefix("the ").removeprefix("www.")
        if "." in s and " " not in s:
            s = s.split(".")[0]
        return re.sub(r"\W+", "", s)

    return bool(key(part)) and key(part) == key(name)


def _strip_site(title: str | None, names: list[str]) -> tuple[str | None, str | None]:
    """``title`` without a site name before or after it ("Headline | Site", "Site: Headline"), and that name;
    without one, a trailing " | Anything" (pipes do not occur in headlines)."""
    if not title:
        return None, None
    seps = list(_SEP.finditer(title))
    if seps:
        first, last = seps[0], seps[-1]
        for headline, site in (
            (title[: last.start()], title[last.end() :]),
            (title[first.end() :], title[: first.start()]),
        ):
            if headline.strip() and any(_site_match(site, n) for n in names):
                return headline.strip(), site.strip()
        if (m := re.match(r"^(?P<t>.+?)\s+\|\s+(?P<s>[^|]{1,60})$", title)) and len(m.group("t").split()) >= 3:
            return m.group("t").strip(), None
    return title, None


def _host(url: str | None) -> str | None:
    return urlsplit(url).hostname if url else None


_NAME = r"[A-Z][\w.'’-]*(?: (?:[A-Z][\w.'’-]*|de|da|van|von|der|del|la|le|bin|al))*"
# "By A", "By A and B", "By A, B and C"; not "By A, Staff Writer"
_NAMES = rf"{_NAME}(?:, {_NAME})+,? (?:and|&) {_NAME}|{_NAME} (?:and|&) {_NAME}|{_NAME}"
_BYLINE = re.compile(rf"^By (?P<names>{_NAMES}) *(?:[,|·•\n]|$)")


def _byline(paragraph: str) -> str | None:
    """The name(s) in a leading "By Jane Roe" line (a short paragraph, perhaps with a title line under it)."""
    if len(paragraph) > 120 or paragraph.count("\n") > 2 or paragraph.rstrip().endswith((".", "!", "?", "”", '"')):
        return None  # a sentence ("By Monday, the council ...") is not a byline
    m = _BYLINE.match(paragraph)
    if not m:
        return None
    names = m.group("names").strip()
    return names if len(names.split()) <= 8 else None


def _author(value: str | None) -> str | None:
    value = _clean(value)
    if not value or value.startswith(("http://", "https://", "www.")):
        return None
    return re.sub(r"^by\s+", "", value, flags=re.IGNORECASE) or None


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def _canonical(tree, base: str | None) -> str | None:
    """``<link rel="canonical">``, then ``og:url``, made absolute against ``base`` or each other."""
    links = [el.get("href") for el in tree.iter("link") if "canonical" in (el.get("rel") or "").lower().split()]
    og = [el.get("content") for el in tree.iter("meta") if (el.get("property") or el.get("name")) == "og:url"]
    og_url = _absolute(og[0].strip(), base) if og and og[0] else None
    for href in links:
        if href and (found := _absolute(href.strip(), base or og_url)):
            return found
    return og_url


def _absolute(href: str | None, base: str | None) -> str | None:
    if not href:
        return None
    full = urljoin(base, href) if base else href
    parts = urlsplit(full)
    return full if parts.scheme in ("http", "https") and parts.netloc else None


# -- the visible text of any page: the fallback when no main text is found
_HIDDEN_TAGS = ["script", "style", "noscript", "template", "head", "svg", "iframe", "object", "canvas"]
_BLOCK_TAGS = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article",
    "header", "footer", "blockquote", "pre", "tr", "table", "figure", "figcaption", "main", "aside", "hr",
}  # fmt: skip


_INVISIBLE_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)


def _is_hidden(tag) -> bool:
    """An element the browser does not render: the ``hidden`` attribute or an inline ``display: none``."""
    return tag.has_attr("hidden") or bool(_INVISIBLE_STYLE.search(str(tag.get("style") or "")))


def html_to_text(raw: str) -> tuple[str | None, str]:
    """Visible text of an HTML page, block elements on their own lines; the <title> (or first <h1>) as title."""
    from bs4 import BeautifulSoup, NavigableString

    soup = BeautifulSoup(raw, "html.parser")
    title_tag = soup.find("title") or soup.find("h1")
    title = title_tag.get_text(" ", strip=True) if title_tag else None
    for tag in soup.find_all(_HIDDEN_TAGS):
        tag.decompose()
    for tag in soup.find_all(_is_hidden):
        if not tag.decomposed:  # inside a hidden element already removed
            tag.decompose()
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.insert_before("\n\n")
        tag.insert_after("\n\n")
    # Plain strings only: comments, CDATA sections and processing instructions are never shown.
    text = soup.get_text(types=(NavigableString,))
    text = "\n".join(re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.split("\n"))
    if not text.strip():
        raise ValueError("HTML has no visible text")
    return title or None, text
