"""The Articles tab's order and the heading of its text pane, without a browser (tests/ui/test_browser.py has one)."""

from datetime import date

from rag import Article
from ui.library import COLUMNS, TABLE, article_heading, newest_first


def test_newest_first_and_the_undated_last_by_title():
    items = [
        {"id": "a", "title": "Zebra crossing", "published": None},
        {"id": "b", "title": "Old news", "published": date(2023, 1, 5)},
        {"id": "c", "title": None, "published": None},
        {"id": "d", "title": "Fresh news", "published": date(2024, 12, 2)},
    ]
    assert [a["id"] for a in newest_first(items)] == ["d", "b", "c", "a"]


def test_the_heading_is_title_byline_date_and_url():
    article = Article(id="x", text="Body.", title="Harbour reopens", author="Jane Roe", source="Coastal Courier",
                      published=date(2024, 11, 18), url="https://news.example/harbour")  # fmt: skip
    assert article_heading(article) == (
        "Harbour reopens\nBy Jane Roe · Coastal Courier · 2024-11-18\nhttps://news.example/harbour"
    )
    assert article_heading(Article(id="seeds/x.txt", text="Body.")) == "seeds/x.txt"


def test_every_column_has_a_width_and_the_title_is_the_widest():
    widths = {key: int(width.removesuffix("px")) for key, _, width in TABLE}
    assert set(widths) == set(COLUMNS) and "id" in COLUMNS
    assert max(widths, key=widths.get) == "title" and min(widths.values()) >= 60
    assert sum(widths.values()) <= 960  # Gradio's content width at a 1,200 px window: no sideways scrolling
