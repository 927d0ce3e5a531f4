"""The UI's library: add articles (upload files, paste page or feed URLs) and browse, read and delete them.

The same service calls as ``POST /articles`` and ``DELETE /articles/{id}``, so the UI and the API cannot differ:
URLs pass the same SSRF guard, uploads the same size limit, and indexing runs while questions are answered.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import gradio as gr

from index.load import SUPPORTED
from rag import ARTICLES_PER_REQUEST_MAX, URLS_PER_REQUEST_MAX
from rag.errors import RagError
from ui.render import date_label
from ui.service import Service

# The Articles table: (summary key, header, width). The title wraps in the widest column, its date beside it; the
# others keep a width at which header and values read whole: all of them in view at 1,200 px (960 px of table); on
# a phone the title (narrowed by CSS below) and its date, the rest a swipe away.
TABLE = [("title", "Title", "280px"), ("published", "Published", "112px"), ("source", "Source", "150px"),
         ("author", "Author", "140px"), ("passages", "Passages", "90px"), ("id", "ID", "188px")]  # fmt: skip
COLUMNS = [key for key, _, _ in TABLE]
DATATYPES = ["number" if key == "passages" else "str" for key in COLUMNS]
# On a phone the title column narrows to 200 px, so that the date beside it stays in view (Gradio writes the widths
# above into each cell's style, header and body alike, and the header table's width: this overrides them). The UI's
# CSS (ui/app.py) includes it; tests/ui/test_browser.py checks the columns still line up.
CSS = """
@media (max-width: 480px) {
  #article-table .header-table { width: max-content !important; }
  #article-table .header-table tr > :first-child, #article-table [role=gridcell]:first-child {
    width: 200px !important; min-width: 200px !important; max-width: 200px !important; flex: 0 0 200px !important;
  }
}
"""
PAGE = 50


def newest_first(items: list[dict]) -> list[dict]:
    """Article summaries by publication date, newest first; undated ones last, by title."""
    dated = sorted((a for a in items if a.get("published")), key=lambda a: a["published"], reverse=True)
    undated = sorted((a for a in items if not a.get("published")), key=lambda a: (a.get("title") or a["id"]).lower())
    return dated + undated


def _cell(item: dict, key: str, passages: Counter) -> str | int:
    if key == "passages":
        return passages[item["id"]]
    if key == "published" and not item.get("published") and item.get("seen"):
        return f"seen {item['seen']}"
    return str(item.get(key) or "")


def article_heading(article) -> str:
    """What the text pane shows above the body: the title, the byline (author, source) and date, the URL."""
    byline = [f"By {article.author}" if article.author else None, article.source,
              date_label(article)]  # fmt: skip
    lines = [article.title or article.id, " · ".join(b for b in byline if b), article.url or ""]
    return "\n".join(line for line in lines if line)


def summary_markdown(report: dict) -> str:
    """The index summary as a person reads it: what was added, and every skip with its reason."""
    lines = [f"**Indexed {report['articles']} article(s)**: {report['chunks']} passages "
             f"({report['embedded']} embedded, {report['unchanged']} unchanged)."]  # fmt: skip
    lines += [f"- skipped `{s['path']}`: {s['reason']}" for s in report["skipped"]]
    lines += [f"- duplicate `{d['path']}`: same text as `{d['duplicate_of']}`" for d in report["duplicates"]]
    return "\n".join(lines)


def build_library_tabs(service: Service) -> None:
    """The "Add articles" and "Articles" tabs, inside the caller's ``gr.Blocks``."""
    limit = service.settings.max_upload_bytes

    def add(files: list[str] | None, urls: str, progress=gr.Progress()):  # noqa: B008  (how Gradio injects it)
        paths = [Path(f) for f in files or []]
        links = [u.strip() for u in (urls or "").splitlines() if u.strip()]
        if not paths and not links:
            raise gr.Error("Choose files or paste URLs first.")
        if len(paths) > ARTICLES_PER_REQUEST_MAX or len(links) > URLS_PER_REQUEST_MAX:
            raise gr.Error(f"At most {ARTICLES_PER_REQUEST_MAX} files and {URLS_PER_REQUEST_MAX} URLs at once.")
        if sum(p.stat().st_size for p in paths) > limit:
            raise gr.Error(f"The files are over {limit} bytes together (RAG_MAX_UPLOAD_BYTES).")
        try:
            progress(0.1, desc="Reading and fetching…")
            reports = []
            if paths:
                reports.append(service.add_files([(p.name, p.read_bytes()) for p in paths]))
            if links:
                progress(0.4, desc="Fetching and indexing…")
                reports.append(service.add_records_and_urls([], links))
        except RagError as exc:
            raise gr.Error(str(exc)) from None
        return "\n\n".join(summary_markdown(r) for r in reports), None, ""

    def search(query: str):
        """Every matching article's metadata (no texts), the newest first; the first :data:`PAGE` are shown."""
        try:
            store = service.pipeline().store
            page = service.list_articles(0, max(1, store.counts()[0]), query)
            items = newest_first(page["items"])[:PAGE]
            ids = [item["id"] for item in items]
            chunks = store.chunk_records({"article_id": {"$in": ids}}) if ids else {}
        except RagError as exc:
            raise gr.Error(str(exc)) from None
        passages = Counter(meta.get("article_id") for meta in chunks.values())
        rows = [[_cell(item, key, passages) for key in COLUMNS] for item in items]
        total = page["total"]
        shown = f"{total} article(s), newest first" + (f"; the {PAGE} newest shown" if total > PAGE else "")
        return rows, shown

    def pick(rows, event: gr.SelectData) -> str:
        row = event.index[0] if isinstance(event.index, list | tuple) else event.index
        column = COLUMNS.index("id")
        return rows.iloc[row, column] if hasattr(rows, "iloc") else rows[row][column]

    def open_article(article_id: str) -> str:
        article = service.pipeline().store.get_article((article_id or "").strip())
        if article is None:
            raise gr.Error(f"No article with id {article_id!r}.")
        return article_heading(article) + "\n\n" + article.text

    def delete(article_id: str, query: str):
        try:
            service.delete_article((article_id or "").strip())
        except RagError as exc:
            raise gr.Error(str(exc)) from None
        rows, shown = search(query)
        return rows, shown, "", f"Deleted {article_id}."

    with gr.Tab("Add articles", id="add"):
        gr.Markdown(f"Upload article files ({', '.join(sorted(SUPPORTED))}) or paste the URLs of news pages or "
                    "RSS/Atom feeds, one per line. Skipped items are listed with the reason.")  # fmt: skip
        files = gr.File(label="Files", file_count="multiple", file_types=sorted(SUPPORTED), elem_id="upload")
        urls = gr.Textbox(label="Page or feed URLs", lines=3, placeholder="https://…", elem_id="urls")
        add_button = gr.Button("Add", variant="primary", elem_id="add-articles")
        added = gr.Markdown(elem_id="add-summary")
        add_button.click(add, [files, urls], [added, files, urls])

    with gr.Tab("Articles", id="articles") as articles_tab:
        with gr.Row():
            query = gr.Textbox(label="Search titles, ids, sources, authors", scale=5, elem_id="article-search")
            search_button = gr.Button("Search", scale=1, elem_id="article-search-button")
        count = gr.Markdown(elem_id="article-count")
        table = gr.Dataframe(
            headers=[header for _, header, _ in TABLE], column_widths=[width for _, _, width in TABLE],
            datatype=DATATYPES, wrap=True, interactive=False, elem_id="article-table",
        )  # fmt: skip
        with gr.Row():
            chosen = gr.Textbox(label="Article id", scale=4, elem_id="article-id")
            open_button = gr.Button("Open", scale=1, elem_id="article-open")
            delete_button = gr.Button("Delete", variant="stop", scale=1, elem_id="article-delete")
        done = gr.Markdown(elem_id="article-status")
        text = gr.Textbox(label="Text", lines=14, interactive=False, elem_id="article-text")
        articles_tab.select(search, [query], [table, count])  # the list is there when the tab opens
        search_button.click(search, [query], [table, count])
        query.submit(search, [query], [table, count])
        table.select(pick, [table], [chosen])
        open_button.click(open_article, [chosen], [text])
        delete_button.click(delete, [chosen, query], [table, count, chosen, done])
