"""How much of what we index from a news page is the article: old visible-text extractor against the new one.

Over the pages of ``evals/pages.py`` (known body, known chrome, known metadata), per page and in total:

- boilerplate: characters of the indexed text that are the page's chrome, over all indexed characters;
- other: indexed characters that are neither article nor known chrome (headlines, bylines, anything unlisted);
- body kept: characters of the article's sentences found in the indexed text, over all of them;
- title/author/date/source/url: whether each came out as the page carries it (None where it carries none).

    python -m evals.boilerplate [--show KIND]
"""

from __future__ import annotations

import argparse
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from evals.pages import KINDS, PageTruth, all_pages, news_page
from evals.tables import text_table
from index.html import Page, extract_page, html_to_text
from index.load import clean_text

FIELDS = ("title", "author", "published", "source", "url")


@dataclass
class Score:
    chars: int  # indexed characters, whitespace not counted
    boilerplate_chars: int
    other_chars: int
    body_chars: int
    body_kept: int

    @property
    def boilerplate(self) -> float:
        return self.boilerplate_chars / self.chars if self.chars else 0.0

    @property
    def other(self) -> float:
        return self.other_chars / self.chars if self.chars else 0.0

    @property
    def recall(self) -> float:
        return self.body_kept / self.body_chars if self.body_chars else 1.0


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def sentences(paragraph: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?”])\s+(?=[“A-Z0-9])", _norm(paragraph)) if s]


def _occurrences(text: str, part: str):
    start = text.find(part)
    while part and start >= 0:
        yield start
        start = text.find(part, start + 1)


def score(text: str, truth: PageTruth) -> Score:
    """Mark the body's sentences in ``text`` first, then the chrome strings (longest first) in what is left."""
    text = _norm(text)
    mark = bytearray(len(text))  # 0 neither, 1 body, 2 chrome
    body_chars = kept = 0
    for paragraph in truth.body:
        for sentence in sentences(paragraph):
            body_chars += len(sentence)
            found = False
            for start in _occurrences(text, sentence):
                mark[start : start + len(sentence)] = b"\x01" * len(sentence)
                found = True
            kept += len(sentence) if found else 0
    for chrome in sorted({_norm(c) for c in truth.boilerplate}, key=len, reverse=True):
        for start in _occurrences(text, chrome):
            if not any(mark[start : start + len(chrome)]):
                mark[start : start + len(chrome)] = b"\x02" * len(chrome)
    counted = [m for m, ch in zip(mark, text, strict=True) if not ch.isspace()]
    return Score(len(counted), counted.count(2), counted.count(0), body_chars, kept)


def html_author(raw: str) -> str | None:
    """The previous loader's only metadata: ``<meta name="author">`` or ``article:author`` (kept here as the
    baseline the new extractor is measured against)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(raw, "html.parser")
    for attrs in ({"name": "author"}, {"property": "article:author"}):
        tag = soup.find("meta", attrs=attrs)
        content = (tag.get("content") or "").strip() if tag else ""
        if content and not content.startswith(("http://", "https://")):
            return content
    return None


def old_extractor(html: str, url: str | None = None) -> Page:
    """What the loader stores today: ``html_to_text`` cleaned as the loader cleans it, ``<meta>`` author."""
    title, text = html_to_text(html)
    return Page(text=clean_text(text), title=title, author=html_author(html), published=None, source=None, url=None)


EXTRACTORS: dict[str, Callable[[str, str | None], Page]] = {"old": old_extractor, "new": extract_page}


def right(page: Page, truth: PageTruth) -> dict[str, bool]:
    return {name: getattr(page, name) == getattr(truth, name) for name in FIELDS}


def rows() -> list[dict]:
    pages = all_pages()
    out, totals = [], []
    for name, extract in EXTRACTORS.items():
        sums = Score(0, 0, 0, 0, 0)
        fields = dict.fromkeys(FIELDS, 0)
        for html, truth in pages:
            page = extract(html, truth.fetch_url)
            s = score(page.text, truth)
            ok = right(page, truth)
            out.append(_row(truth.kind, name, s, {f: "yes" if ok[f] else "NO" for f in FIELDS}))
            for attr in ("chars", "boilerplate_chars", "other_chars", "body_chars", "body_kept"):
                setattr(sums, attr, getattr(sums, attr) + getattr(s, attr))
            for f in FIELDS:
                fields[f] += ok[f]
        totals.append(_row("total", name, sums, {f: f"{n}/{len(pages)}" for f, n in fields.items()}))
    return out + totals


def _row(page: str, extractor: str, s: Score, fields: dict[str, str]) -> dict:
    row = {"page": page, "extractor": extractor, "chars": s.chars}
    row |= {"boilerplate": f"{100 * s.boilerplate:.1f}%", "other": f"{100 * s.other:.1f}%"}
    row |= {"body kept": f"{100 * s.recall:.1f}%"}
    return row | {"date" if f == "published" else f: v for f, v in fields.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.boilerplate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--show", choices=KINDS, help="print what each extractor makes of this page")
    args = parser.parse_args(argv)
    if args.show:
        html, truth = news_page(args.show)
        for name, extract in EXTRACTORS.items():
            page = extract(html, truth.fetch_url)
            print(f"\n=== {name}: { ({f: getattr(page, f) for f in FIELDS}) }\n{page.text}")
        return 0
    print(text_table(rows(), "Chrome in the indexed text, article kept, metadata right (evals/pages.py)"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
