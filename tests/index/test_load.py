"""Loading: every format, metadata, stable ids, and each kind of bad file skipped with its reason."""

import json

import pytest

from index.html import html_to_text
from index.load import clean_text, load_paths
from rag.errors import BadInput
from tests.conftest import write_articles


def test_formats_and_metadata(tmp_path):
    folder = write_articles(tmp_path / "news", {
        "a.txt": "Title: Harbour reopens\nSource: Gazette\nPublished: 2024-03-05\n\nThe harbour reopened on Monday.",
        "b.md": "# Storm warning\n\nA storm is expected on the coast.",
        "c.html": "<html><head><title>Page title</title><script>alert(1)</script></head>"
                  "<body><p>Visible text.</p><style>p{}</style><p>More text.</p></body></html>",
        "sub/d.jsonl": json.dumps({"id": "d1", "text": "First record.", "source": "Wire"}) + "\n"
                       + json.dumps({"text": "Second record."}) + "\n",
    })  # fmt: skip
    result = load_paths([folder])
    by_id = {a.id: a for a in result.articles}
    assert set(by_id) == {"news/a.txt", "news/b.md", "news/c.html", "d1", "news/sub/d.jsonl#1"}
    a = by_id["news/a.txt"]
    assert (a.title, a.source, str(a.published), a.text) == (
        "Harbour reopens",
        "Gazette",
        "2024-03-05",
        "The harbour reopened on Monday.",
    )
    assert by_id["news/b.md"].title == "Storm warning"
    assert by_id["news/c.html"].title == "Page title"
    assert "alert" not in by_id["news/c.html"].text
    assert "Visible text." in by_id["news/c.html"].text and "More text." in by_id["news/c.html"].text
    assert by_id["d1"].source == "Wire"
    assert result.skipped == []


def test_txt_first_line_is_not_a_title_unless_asked(tmp_path):
    """Without the flag the first line stays in the text, and serves as a title marked as derived."""
    folder = write_articles(tmp_path / "bbc", {"x.txt": "Headline here\n\nBody of the story."})
    untitled = load_paths([folder]).articles[0]
    assert (untitled.title, untitled.title_derived) == ("Headline here", True)
    assert untitled.text == "Headline here\n\nBody of the story."
    article = load_paths([folder], first_line_title=True).articles[0]
    assert (article.title, article.title_derived, article.text) == ("Headline here", False, "Body of the story.")


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("Ferry route reopens\nThe route between Arnholm and Skelby reopened on Monday.", "Ferry route reopens"),
        ("The route between Arnholm and Skelby reopened on Monday. Crossings run hourly.",
         "The route between Arnholm and Skelby reopened on Monday."),  # one line: its first sentence
        ("It was a long day.\nMore followed.", "It was a long day."),  # a first line with a full stop is a sentence
        ("word " * 40 + "end.", ("word " * 20).strip() + "…"),  # cut at a word, at most 100 characters
    ],
)
def test_a_derived_title_is_a_headline_like_first_line_or_the_first_sentence(text, title):
    from index.load import derive_title

    assert derive_title(text) == title and len(derive_title(text)) <= 101


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty file"),
        ("blank.txt", b"  \n\t\n", "empty file"),
        ("binary.txt", b"\x89PNG\x00\x00\x01binary", "binary file"),
        ("latin1.txt", "caf\u00e9 au lait".encode("latin-1"), "not valid UTF-8"),
        ("broken.json", b'{"text": "unterminated', "invalid JSON"),
        ("notext.json", b'{"title": "no text"}', "missing or empty 'text'"),
        ("baddate.json", b'{"text": "x", "published": "yesterday"}', "not an ISO date"),
        ("empty.html", b"<html><script>x()</script></html>", "no visible text"),
        ("slides.pdf", b"%PDF-1.4", "unsupported file type"),
    ],
)
def test_bad_file_is_skipped_with_reason_and_others_load(tmp_path, name, content, reason):
    folder = write_articles(tmp_path / "in", {"good.txt": "A good article about the harbour."})
    (folder / name).write_bytes(content)
    result = load_paths([folder])
    assert [a.id for a in result.articles] == ["in/good.txt"]
    assert len(result.skipped) == 1
    assert result.skipped[0].path.endswith(name)
    assert reason in result.skipped[0].reason


def test_jsonl_bad_line_reported_with_line_number(tmp_path):
    path = tmp_path / "in" / "feed.jsonl"
    path.parent.mkdir()
    path.write_text('{"text": "one"}\nnot json\n{"text": "three"}\n', encoding="utf-8")
    result = load_paths([path.parent])
    assert [a.text for a in result.articles] == ["one", "three"]
    assert result.skipped[0].path.endswith("feed.jsonl:2")


def test_missing_path_and_empty_folder(tmp_path):
    with pytest.raises(BadInput, match="no such file or folder"):
        load_paths([tmp_path / "nope"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(BadInput, match="no files to index"):
        load_paths([tmp_path / "empty"])


def test_clean_text_normalises_line_ends_and_blank_runs():
    assert clean_text("a\r\nb  \n\n\n\nc\n") == "a\nb\n\nc"


def test_html_scripts_never_become_text():
    title, text = html_to_text('<p>Hi<img src=x onerror="alert(1)"></p><script>steal()</script>')
    assert title is None
    assert "steal" not in text and "onerror" not in text and "Hi" in text
