"""The UI in a real headless Chromium: ask the reference question, see the answer and the highlighted quote;
article markup renders as text; nothing loads from outside the machine."""

import os
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

import pytest

from index.build import index_paths
from rag.settings import Settings
from tests.conftest import SEEDS, write_json_article
from tests.ui.server import running_server

pytestmark = [pytest.mark.slow, pytest.mark.integration]

CHROMIUM = os.environ.get("RAG_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic",
]  # fmt: skip
EVIL_TEXT = (
    "The ferry captain Ines Moreau retired in May. <script>window.__pwned = 1</script> "
    '<img src="x" onerror="window.__pwned = 2"> She had sailed for thirty years.'
)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package (.ci/run does)")
    home = tmp_path_factory.mktemp("ui-home")
    extra = tmp_path_factory.mktemp("extra")
    write_json_article(extra / "ferry.json", id="ferry", title="<b>Ferry</b> captain retires", text=EVIL_TEXT)
    index_paths([SEEDS, extra], Settings(home=home))
    with running_server(Settings(home=home)) as url:
        yield url


@pytest.fixture
def page(base_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 1100})
        page.requests = []
        page.on("request", lambda request: page.requests.append(request.url))
        yield page
        browser.close()


def open_tab(page, name: str) -> None:
    """Open a tab as a person would: directly, or through the "More tabs" menu where the screen is too narrow."""
    page.wait_for_selector("[role=tablist] [role=tab]", timeout=60_000)  # the UI has rendered its tabs
    tab = page.get_by_role("tab", name=name, exact=True)
    if tab.count() and tab.is_visible():
        tab.click()
        return
    page.get_by_role("button", name="More tabs").click()
    page.locator(".overflow-dropdown button", has_text=name).click()


def ask(page, base_url, question):
    page.goto(base_url + "/", wait_until="load")  # not networkidle: a session with state keeps a heartbeat open
    page.wait_for_selector("#question textarea", timeout=60_000)
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")
    page.wait_for_selector("#answer .rag-answer", timeout=60_000)


def test_reference_question_in_the_browser(page, base_url, tmp_path):
    ask(page, base_url, "Who proposed delaying NATO membership?")
    assert page.locator("#answer .rag-short").inner_text() == "Keith Kellogg"
    marked = page.locator("#answer .rag-card .rag-passage mark").first.inner_text()
    assert "Keith Kellogg, has proposed putting off NATO membership" in marked
    assert page.locator('#answer a.rag-marker[href="#t1-cite-1"]').count() >= 1
    assert page.locator("#answer #t1-cite-1").count() == 1
    page.locator("#answer details summary").first.click()
    assert "Keith Kellogg" in page.locator("#answer .rag-article mark").first.inner_text()
    shot = Path(os.environ.get("RAG_SCREENSHOT_DIR", tmp_path)) / "ui-reference-answer.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    outside = {urlparse(u).hostname for u in page.requests if urlparse(u).hostname not in ("127.0.0.1", None)}
    assert outside == set(), f"page loaded resources from outside: {outside}"


def test_a_follow_up_is_answered_through_the_first_turn(page, base_url, tmp_path):
    ask(page, base_url, "Who proposed delaying NATO membership?")
    box = page.locator("#question textarea")
    assert box.input_value() == ""  # cleared for the next question
    box.fill("What job did Trump pick him for?")
    box.press("Enter")
    page.wait_for_selector("#answer #turn-2 .rag-answer", timeout=60_000)
    first, second = page.locator("#answer #turn-1"), page.locator("#answer #turn-2")
    assert first.locator(".rag-short").inner_text() == "Keith Kellogg"  # the first turn stays on the page
    assert second.locator(".rag-searched").inner_text() == "Searched for: What job did Trump pick Keith Kellogg for?"
    assert "special envoy" in second.locator(".rag-short").inner_text()
    assert "Keith Kellogg" in second.locator(".rag-card .rag-passage mark").first.inner_text()
    shot = Path(os.environ.get("RAG_SCREENSHOT_DIR", tmp_path)) / "ui-conversation.png"
    page.screenshot(path=str(shot), full_page=True)
    page.locator("#new-conversation").click()
    page.wait_for_function("document.querySelectorAll('#answer .rag-turn').length === 0", timeout=30_000)
    box.fill("What job did Trump pick him for?")  # a new conversation: "him" is nobody now
    box.press("Enter")
    page.wait_for_selector("#answer #turn-1 .rag-answer", timeout=60_000)
    assert page.locator("#answer .rag-searched").count() == 0


def test_abstention_is_shown_as_such(page, base_url):
    ask(page, base_url, "What is the capital of Australia?")
    assert "The articles don't say" in page.locator("#answer .rag-abstain").inner_text()
    assert page.locator("#answer .rag-card").count() >= 1  # related passages offered


def test_abstention_says_why(page, base_url, tmp_path):
    ask(page, base_url, "What did Platon Lebedev tell the Moscow court?")
    assert "The articles don't say" in page.locator("#answer .rag-abstain").inner_text()
    assert "no indexed article mentions “Platon Lebedev”" in page.locator("#answer .rag-reason").inner_text()
    shot = Path(os.environ.get("RAG_SCREENSHOT_DIR", tmp_path)) / "ui-abstain-reason.png"
    page.screenshot(path=str(shot), full_page=True)


def test_article_markup_renders_as_text_never_runs(page, base_url):
    ask(page, base_url, "Which ferry captain retired in May?")
    page.locator("#answer details summary").first.click()
    assert page.evaluate("window.__pwned") is None
    text = page.locator("#answer").inner_text()
    assert "<script>window.__pwned = 1</script>" in text
    assert "<b>Ferry</b> captain retires" in text
    assert page.locator("#answer img").count() == 0


def test_articles_are_added_listed_opened_and_deleted_in_the_browser(page, base_url, tmp_path):
    story = tmp_path / "harbour.md"
    story.write_text("Title: Harbour reopens\nAuthor: Jane Roe\n\nThe harbour of Port Elm reopened on Monday after "
                     "repairs. Mayor Ana Duarte cut the ribbon.\n", encoding="utf-8")  # fmt: skip
    page.goto(base_url + "/", wait_until="load")
    open_tab(page, "Add articles")
    page.locator("#upload input[type=file]").set_input_files(str(story))
    page.wait_for_timeout(1500)  # the upload reaches the server before the click uses it
    page.locator("#add-articles").click()
    page.wait_for_selector("#add-summary:has-text('Indexed 1 article')", timeout=60_000)

    open_tab(page, "Articles")
    page.locator("#article-search textarea").fill("harbour")
    page.locator("#article-search-button").click()
    page.wait_for_selector("#article-table:has-text('upload/harbour.md')", timeout=30_000)
    page.locator("#article-id textarea").fill("upload/harbour.md")
    page.locator("#article-open").click()
    page.wait_for_function("document.querySelector('#article-text textarea').value.includes('Ana Duarte')",
                           timeout=30_000)  # fmt: skip
    page.locator("#article-delete").click()
    page.wait_for_selector("#article-status:has-text('Deleted upload/harbour.md')", timeout=30_000)
    assert "upload/harbour.md" not in page.locator("#article-table").inner_text()


LIBRARY = [  # dated articles beside the undated seed: the Articles tab lists them newest first, the seed last
    {"id": "harbour", "title": "Port Elm harbour reopens after two years of storm repairs, with a new ferry terminal",
     "source": "Coastal Courier", "author": "Jane Roe", "published": "2024-11-18",
     "text": "The harbour of Port Elm reopened on Monday after two years of repairs. Mayor Ana Duarte cut the ribbon."},
    {"id": "night-trains", "title": "Night trains return to the northern line", "source": "Rail Weekly",
     "author": "Sam Okafor", "published": "2024-12-02",
     "text": "Night trains returned to the northern line on Sunday, a decade after the last one ran."},
    {"id": "budget", "title": "City council passes its budget by nine votes to four", "source": "Evening Post",
     "author": "Li Wei", "published": "2024-10-07",
     "text": "The city council passed its budget on Thursday by nine votes to four after a long debate."},
]  # fmt: skip
HEADERS = ["Title", "Published", "Source", "Author", "Passages", "ID"]
# Each header cell and each first-row cell: its text, rendered width, lines its text takes, left and right edges.
CELLS = """selector => [...document.querySelectorAll(selector)].map(cell => {
    const box = cell.getBoundingClientRect(), tops = new Set();
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (!node.textContent.trim()) continue;
        const range = document.createRange();
        range.selectNodeContents(node);
        for (const r of range.getClientRects()) if (r.width > 0) tops.add(Math.round(r.top));
    }
    return {text: cell.innerText.trim(), width: box.width, lines: tops.size, left: box.left, right: box.right};
})"""


@pytest.fixture
def library_url(tmp_path):
    home, extra = tmp_path / "home", tmp_path / "extra"
    for article in LIBRARY:
        write_json_article(extra / f"{article['id']}.json", **article)
    index_paths([SEEDS, extra], Settings(home=home))
    with running_server(Settings(home=home)) as url:
        yield url


def test_the_articles_tab_reads_at_desktop_and_phone_width(library_url, tmp_path):
    from playwright.sync_api import sync_playwright

    newest = max(LIBRARY, key=lambda a: a["published"])
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for name, width, height in (("desktop", 1200, 800), ("phone", 390, 844)):
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(library_url + "/", wait_until="load")
            open_tab(page, "Articles")
            page.wait_for_selector("#article-table [role=gridcell]:has-text('Night trains')", timeout=60_000)
            assert "4 article(s), newest first" in page.locator("#article-count").inner_text()

            headers = page.evaluate(CELLS, "#article-table [role=columnheader]")
            assert [h["text"] for h in headers] == HEADERS
            for header in headers:  # no column squeezed to a letter a line
                assert header["width"] >= 60 and header["lines"] == 1, (name, header)
            rows = page.locator("#article-table [role=row]:has([role=gridcell])")
            first = page.evaluate(CELLS, "#article-table [role=row]:has([role=gridcell]) [role=gridcell]")[:6]
            assert [c["text"] for c in first] == [newest["title"], newest["published"], newest["source"],
                                                  newest["author"], "1", newest["id"]]  # fmt: skip
            assert first[1]["lines"] == 1  # the date on one line
            assert first[0]["lines"] >= 2 or name == "desktop"  # a long title wraps on the phone...
            dates = [rows.nth(i).locator("[role=gridcell]").nth(1).inner_text().strip() for i in range(rows.count())]
            # newest first; the undated seed last, with the day it was first indexed instead of a date
            seen = f"seen {datetime.now(UTC).date().isoformat()}"
            assert dates == ["2024-12-02", "2024-11-18", "2024-10-07", seen]
            assert [round(c["left"]) for c in first] == [round(h["left"]) for h in headers]  # columns line up
            # at 1,200 px every column is in view; on a phone the title and its date, the rest a swipe away
            table = page.locator("#article-table").bounding_box()
            in_view = [table["x"] <= h["left"] and h["right"] <= table["x"] + table["width"] + 1 for h in headers]
            shown = len(HEADERS) if name == "desktop" else 2
            assert all(in_view[:shown]), (name, headers)

            rows.first.locator("[role=gridcell]").first.click()
            page.wait_for_function(f"document.querySelector('#article-id textarea').value === '{newest['id']}'",
                                   timeout=30_000)  # fmt: skip
            page.locator("#article-open").click()
            page.wait_for_function("document.querySelector('#article-text textarea').value.includes('decade')",
                                   timeout=30_000)  # fmt: skip
            text = page.locator("#article-text textarea").input_value()
            assert text.startswith(f"{newest['title']}\nBy {newest['author']} · {newest['source']} · 2024-12-02\n\n")
            page.mouse.move(0, 0)  # no row highlighted under the pointer
            shot = Path(os.environ.get("RAG_SCREENSHOT_DIR", tmp_path)) / f"ui-articles-{name}.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
            page.close()
        browser.close()


@pytest.fixture
def untitled_url(tmp_path):
    home, extra = tmp_path / "home", tmp_path / "extra"
    extra.mkdir()
    text = ("Harbour crane collapses at Port Elm\n\nA loading crane at the Port Elm harbour collapsed on Tuesday "
            "night. Nobody was hurt, said the harbour master, Lena Ortiz, who closed the north quay until Friday.\n")
    (extra / "crane.txt").write_text(text, encoding="utf-8")
    index_paths([SEEDS, extra], Settings(home=home))
    with running_server(Settings(home=home)) as url:
        yield url


def test_a_citation_of_an_untitled_article_shows_its_derived_title(untitled_url, tmp_path):
    """The .txt file has no title: its first line (a headline) stands in for one, marked as taken from the text,
    instead of the bare file id."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        ask(page, untitled_url, "Which quay did the harbour master close after the crane collapsed?")
        title = page.locator("#answer .rag-card-title").first.inner_text()
        assert "Harbour crane collapses at Port Elm" in title and "(title from its text)" in title
        shot = Path(os.environ.get("RAG_SCREENSHOT_DIR", tmp_path)) / "ui-derived-title.png"
        page.locator("#answer").screenshot(path=str(shot))
        assert shot.stat().st_size > 5_000
        browser.close()


def test_feeds_are_added_listed_and_removed_in_the_feeds_tab(tmp_path):
    """The operator's feed (``RAG_FEEDS``, a real feed on 127.0.0.1) is listed with its poll: status, new articles,
    no error. A feed added in the tab is polled at once; the guard refuses its private address, and the tab says
    so, the whole error readable. Removing it leaves the operator's feed."""
    from playwright.sync_api import sync_playwright

    from ui.bench_feeds import Site

    site = Site([Site.item(n) for n in range(1, 4)])
    home = tmp_path / "home"
    index_paths([SEEDS], Settings(home=home))
    feed = "http://127.0.0.1:9/feed.xml"  # loopback: refused by the SSRF guard of feeds added through the UI
    with running_server(Settings(home=home, feeds=site.url)) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(url + "/", wait_until="load")
        open_tab(page, "Feeds")
        page.wait_for_selector("#feed-url textarea, #feed-url input", timeout=30_000)
        page.locator("#feed-url textarea, #feed-url input").first.fill(feed)
        page.locator("#feed-add").click()
        page.wait_for_function("document.querySelector('#feed-table').innerText.includes('127.0.0.1:9/')",
                               timeout=30_000)  # fmt: skip
        for _ in range(60):  # both first polls run at once, in the background; indexing three items takes seconds
            page.locator("#feed-refresh").click()
            page.wait_for_timeout(500)
            table = page.locator("#feed-table").inner_text()
            if "loopback" in table and "\nok\n" in table:
                break
        cells = [[c.strip() for c in row.locator("[role=gridcell]").all_inner_texts()]
                 for row in page.locator("#feed-table [role=row]").all()]  # fmt: skip
        rows = {row[0]: row for row in cells if row}  # the header row has no grid cells
        origin, _, status, new, total_new = rows[site.url][1:6]
        assert (origin, status, new, total_new) == ("RAG_FEEDS", "ok", "3", "3"), rows
        assert "T" not in rows[site.url][2] and rows[site.url][2].startswith("20")  # "2026-12-03 13:33:41"
        assert rows[feed][1] == "added" and "loopback" in rows[feed][-1]  # the poll's error, not the header
        error_cell = page.locator("#feed-table [role=gridcell]", has_text="loopback").first
        table_box = page.locator("#feed-table").bounding_box()
        cell_box = error_cell.bounding_box()
        assert cell_box["x"] + cell_box["width"] <= table_box["x"] + table_box["width"] + 1  # not cut off
        shot = Path(os.environ.get("RAG_SCREENSHOT_DIR", tmp_path)) / "ui-feeds.png"
        page.screenshot(path=str(shot), full_page=True)
        page.locator("#feed-url textarea, #feed-url input").first.fill(feed)
        page.locator("#feed-remove").click()
        page.wait_for_function("!document.querySelector('#feed-table').innerText.includes('127.0.0.1:9/')",
                               timeout=30_000)  # fmt: skip
        assert "1 feed," in page.locator("#feed-count").inner_text()
        browser.close()
    site.server.shutdown()


@pytest.fixture
def dated_url(tmp_path):
    from tests.rag.test_time_pipeline import REPORTS

    home, extra = tmp_path / "home", tmp_path / "extra"
    for day, text in REPORTS.items():
        write_json_article(extra / f"{day}.json", id=f"breach-{day}", title=f"Northgate breach update ({day})",
                           source="Dunmore Ledger", published=day, text=text)  # fmt: skip
    (extra / "crane.txt").write_text("Harbour crane collapses at Port Elm\n\nA loading crane at the Port Elm harbour "
                                     "collapsed on Tuesday night, said the harbour master, Lena Ortiz.\n",
                                     encoding="utf-8")  # fmt: skip
    index_paths([SEEDS, extra], Settings(home=home))
    with running_server(Settings(home=home)) as url:
        yield url


def test_dated_answers_show_their_dates_and_a_brief_in_date_order(dated_url, tmp_path):
    """A "what happened" question gets one cited sentence per report, oldest first, ending with the newest; an
    event whose count later reports revised is answered from the newest, with what earlier ones said; an undated
    article's card says when it was first seen instead of passing for current."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        ask(page, dated_url, "What happened with the Northgate Savings breach?")
        brief = page.locator("#answer #turn-1")
        metas = brief.locator(".rag-card .rag-meta").all_inner_texts()
        days = [d for d in ("2025-03-02", "2025-03-09", "2025-03-20") if any(d in m for m in metas)]
        assert len(days) >= 2 and "2025-03-20" in days
        assert "61,500" in brief.locator(".rag-full").inner_text().splitlines()[-1]
        assert brief.locator(".rag-short").count() == 0  # the brief is the answer; no fragment heads it
        box = page.locator("#question textarea")
        box.fill("How many customers had their records exposed in the Northgate breach?")
        box.press("Enter")
        page.wait_for_selector("#answer #turn-2 .rag-answer", timeout=60_000)
        second = page.locator("#answer #turn-2")
        assert "61,500" in second.locator(".rag-short").inner_text()
        assert "As of 2025-03-20" in second.inner_text() and "earlier:" in second.inner_text()
        shot = Path(os.environ.get("RAG_SCREENSHOT_DIR", tmp_path)) / "ui-dated-brief.png"
        page.locator("#answer").screenshot(path=str(shot))
        assert shot.stat().st_size > 5_000
        ask(page, dated_url, "Who is the harbour master at Port Elm?")
        assert "first seen" in page.locator("#answer .rag-card > .rag-meta").first.inner_text()
        browser.close()
