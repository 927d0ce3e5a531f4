"""HTML extraction: the article and its metadata out of realistic news pages (evals/pages.py), never the chrome,
scripts, styles or comments; tiny pages fall back to their visible text."""

import unicodedata

import pytest

from evals.boilerplate import FIELDS, old_extractor, score
from evals.pages import KINDS, news_page
from index.html import Page, extract_page

PAGES = {kind: news_page(kind) for kind in KINDS}
SITE = "<meta property='og:site_name' content='Valley Gazette'>"
PARAGRAPHS = [
    f"<p>Paragraph {n}: the harbour commission met on Tuesday and voted 5-2 to dredge the north channel, "
    f"a job the harbourmaster put at {n + 2} weeks and $1.{n} million.</p>"
    for n in range(6)
]
STORY = "".join(PARAGRAPHS)


def page(head: str = "", body: str = STORY, url: str | None = None) -> Page:
    return extract_page(f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>", url)


@pytest.mark.parametrize("kind", KINDS)
def test_article_without_chrome(kind):
    html, truth = PAGES[kind]
    extracted = extract_page(html, truth.fetch_url)
    s = score(extracted.text, truth)
    assert s.boilerplate <= 0.02, f"{kind}: {100 * s.boilerplate:.1f}% of the text is chrome"
    assert s.recall >= 0.95, f"{kind}: only {100 * s.recall:.1f}% of the article kept"


@pytest.mark.parametrize("kind", KINDS)
def test_metadata_as_the_page_carries_it(kind):
    html, truth = PAGES[kind]
    extracted = extract_page(html, truth.fetch_url)
    assert {f: getattr(extracted, f) for f in FIELDS} == {f: getattr(truth, f) for f in FIELDS}


def test_every_field_is_found_where_a_page_carries_it_and_none_is_invented():
    """Across the page set the extractor finds each field on some page (the page's own value), and leaves a field
    None where the page carries none."""
    extracted = {kind: extract_page(html, truth.fetch_url) for kind, (html, truth) in PAGES.items()}
    for field in FIELDS:
        found = {kind: getattr(page, field) for kind, page in extracted.items() if getattr(page, field) is not None}
        assert found, f"no page yielded a {field}"
        assert found == {kind: getattr(PAGES[kind][1], field) for kind in found}, field
    absent = [(kind, f) for kind, (_, truth) in PAGES.items() for f in FIELDS if getattr(truth, f) is None]
    assert absent
    assert [getattr(extracted[kind], f) for kind, f in absent] == [None] * len(absent)


@pytest.mark.parametrize("kind", KINDS)
def test_text_is_clean_paragraphs(kind):
    html, truth = PAGES[kind]
    text = extract_page(html, truth.fetch_url).text
    assert text == unicodedata.normalize("NFC", text)
    assert all(line == line.rstrip() for line in text.split("\n"))
    assert "\n\n\n" not in text and text == text.strip()
    for hidden in truth.hidden:
        assert hidden not in text
    for marker in ("dataLayer", "gtag", "function(", "{", "<!--", "-->", "ad slot", "wp:cache"):
        assert marker not in text


def test_local_page_is_exactly_its_paragraphs():
    html, truth = PAGES["local"]
    assert extract_page(html).text.split("\n\n") == list(truth.body)


def test_decomposed_accent_is_composed():
    html, _ = PAGES["bare"]
    assert "Cafe\u0301" in html
    assert "Café Rosa" in extract_page(html).text


def test_old_extractor_indexed_the_chrome():
    """The measurement can fail: the extractor we replace scores badly on the same pages."""
    for kind, (html, truth) in PAGES.items():
        s = score(old_extractor(html).text, truth)
        assert s.boilerplate >= 0.05, kind
        assert s.recall == 1.0, kind
    html, truth = PAGES["local"]
    old = old_extractor(html)
    for chrome in ("We use cookies", "Subscribe for $1 a week", "Related stories", "All rights reserved"):
        assert chrome in old.text and chrome not in extract_page(html).text
    assert old.title.endswith("| The Riverton Ledger")


@pytest.mark.parametrize(
    ("head", "url"),
    [
        ("<title>Dredging approved | Valley Gazette</title>" + SITE, None),
        ("<title>Dredging approved - Valley Gazette</title>" + SITE, None),
        ("<title>Dredging approved — Valley Gazette</title>" + SITE, None),
        ("<title>Valley Gazette: Dredging approved</title>" + SITE, None),
        ("<title>The Valley Gazette: Dredging approved</title>", "https://www.valleygazette.com/news/dredging"),
        ("<meta property='og:title' content='Dredging approved | Valley Gazette'>" + SITE, None),
        ("<title>Dredging approved | Gazette</title>", None),
    ],
)  # fmt: skip
def test_title_without_site_name(head, url):
    assert page(head, url=url).title == "Dredging approved"


def test_site_name_from_title_when_only_the_domain_is_known():
    got = page("<title>Dredging approved - Valley Gazette</title>", url="https://www.valleygazette.com/news/d")
    assert (got.title, got.source) == ("Dredging approved", "Valley Gazette")


def test_headline_with_separators_stays_whole():
    assert page("<title>Live updates: Storm closes the port</title>").title == "Live updates: Storm closes the port"
    assert page("<title>Storm - and flood - close the port</title>").title == "Storm - and flood - close the port"


def test_logo_h1_is_not_the_title():
    head = "<title>Dredging approved | Valley Gazette</title>" + SITE
    assert page(head, body=f"<h1>Valley Gazette</h1>{STORY}").title == "Dredging approved"


def test_headline_leaves_the_text():
    got = page("<title>Dredging approved</title>", body=f"<article><h1>Dredging approved</h1>{STORY}</article>")
    assert got.title == "Dredging approved"
    assert got.text.startswith("Paragraph 0:")


@pytest.mark.parametrize(
    ("byline", "author"),
    [
        ("<p>By Jane Roe</p>", "Jane Roe"),
        ("<p>By Jane Roe, Staff Writer</p>", "Jane Roe"),
        ("<p><b>By Jane Roe and Sam Lee</b><br>Gazette staff</p>", "Jane Roe and Sam Lee"),
        ("<p>By Monday, the channel will be closed to boats.</p>", None),
    ],
)
def test_byline_in_the_body(byline, author):
    got = page(body=f"<article>{byline}{STORY}</article>")
    assert got.author == author
    assert got.text.startswith("Paragraph 0:") == (author is not None)


def test_author_is_a_name_not_a_profile():
    head = "<meta property='article:author' content='https://www.facebook.com/valleygazette'>"
    assert page(head).author is None
    assert page("<meta name='author' content='By Tom Reyes'>").author == "Tom Reyes"


def test_canonical_url_made_absolute():
    head = "<link rel='canonical' href='/news/dredging'>"
    assert (
        page(head, url="https://gazette.example/news/dredging?utm_source=x").url
        == "https://gazette.example/news/dredging"
    )
    assert page(head).url is None  # relative, and nothing to resolve it against
    assert page(url="https://gazette.example/a").url == "https://gazette.example/a"
    og = "<meta property='og:url' content='https://gazette.example/b'>"
    assert page(og).url == "https://gazette.example/b"
    assert page(og + "<link rel='canonical' href='/c'>").url == "https://gazette.example/c"


def test_published_only_from_markup():
    assert page(body=f"<p>Posted 3 March 2024</p>{STORY}").published is None
    got = page("<meta property='article:published_time' content='2024-03-05T23:30:00-05:00'>")
    assert str(got.published) == "2024-03-05"


def test_scripts_styles_comments_never_text():
    body = (
        "<article><p>The commission met.<!-- editor: check the vote --> It voted 5-2.</p>"
        "<script>var leak = 'SCRIPT-LEAK';</script><style>.x{content:'STYLE-LEAK'}</style>"
        f"<noscript>NOSCRIPT-LEAK</noscript>{STORY}<template><p>TEMPLATE-LEAK</p></template>"
        "<p hidden>HIDDEN-LEAK</p><div style='display: none'><p>NONE-LEAK</p></div></article>"
    )
    text = page(body=body).text
    assert "It voted 5-2." in text
    for leak in ("SCRIPT-LEAK", "STYLE-LEAK", "editor: check", "NOSCRIPT", "TEMPLATE", "HIDDEN", "NONE-LEAK"):
        assert leak not in text


def test_tiny_page_falls_back_to_visible_text():
    html = "<html><body><p>Harbour news.</p><script>alert('x')</script></body></html>"
    assert extract_page(html).text == "Harbour news."
    # too little for trafilatura at all: the visible text, still without script or comment
    html = "<html><body><ul><li>Harbour news.</li></ul><script>alert('x')</script><!-- hush --></body></html>"
    assert extract_page(html).text == "Harbour news."


def test_fallback_keeps_the_metadata():
    head = (
        "<title>Harbour news | Gazette</title><meta property='og:site_name' content='Gazette'>"
        "<link rel='canonical' href='https://gazette.example/harbour'>"
    )
    got = page(head, body="<footer>Harbour reopens.</footer>")
    assert (got.text, got.title, got.source, got.url) == (
        "Harbour reopens.",
        "Harbour news",
        "Gazette",
        "https://gazette.example/harbour",
    )


@pytest.mark.parametrize(
    "html",
    ["", "   ", "<html></html>", "<html><body><script>x()</script><style>p{}</style><!-- c --></body></html>"],
)
def test_no_text_is_an_error(html):
    with pytest.raises(ValueError, match="HTML has no visible text"):
        extract_page(html)


def test_chrome_rules_never_cost_the_story():
    """Were the story dropped, the visible-text fallback would bring the menu back."""
    menu = "<ul class='menu'>" + "".join(f"<li><a href='/{n}'>Section {n}</a></li>" for n in range(40)) + "</ul>"
    wrapped = page(body=f"{menu}<div class='story-body has-social-embeds ads-enabled'>{STORY}</div>").text
    assert wrapped.count("Paragraph ") == 6 and "Section" not in wrapped
    premium = STORY.replace("<p>", "<p class='share-quote promo-eligible'>")
    text = page(body=f"{menu}<article>{premium}</article>").text
    assert text.count("Paragraph ") == 6 and "Section" not in text


def test_unclassed_chrome_lines_dropped():
    body = (
        "<p><a href='/'>Home</a> | <a href='/news'>Town news</a> | <a href='/contact'>Contact</a></p>"
        f"{''.join(PARAGRAPHS[:3])}<p><strong>Read more:</strong> <a href='/pier'>Pier repairs</a></p>"
        f"{''.join(PARAGRAPHS[3:])}<p><small>This page is kept by volunteers.</small></p>"
    )
    text = page(body=body).text
    assert text.count("Paragraph ") == 6
    for chrome in ("Town news", "Read more", "Pier repairs", "volunteers"):
        assert chrome not in text


def test_a_feed_items_one_paragraph_is_read_without_an_error_in_the_log(caplog):
    """A feed item's content is a fragment: one paragraph is its article, not a parse failure worth an ERROR."""
    text = "The ferry route reopened on Monday after repairs to the pier, the harbour master said."
    with caplog.at_level("DEBUG"):
        page = extract_page(f"<p>{text}</p>", "https://example.org/news/ferry")
    assert page.text == text
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == []
