"""The Feeds tab: the feeds the server polls, with how each last poll went; add one, remove one.

The same poller as ``GET/POST/DELETE /feeds`` (:mod:`ui.feeds`): a feed added here is polled at once and then
every ``RAG_FEED_INTERVAL`` seconds, checked by the same guard as URLs added on the Add articles tab.
"""

from __future__ import annotations

import gradio as gr

from rag.errors import RagError
from ui.service import Service

# (field, header, width in px): together the 960 px the page gives the table at 1,200 px, so the last column,
# the error a person opens this tab to read, is not cut off at the right edge
ORIGINS = {"settings": "RAG_FEEDS", "api": "added"}  # where a feed came from, in the words of the text above
COLUMNS = [("url", "Feed", 220), ("origin", "From", 100), ("last_poll", "Last poll (UTC)", 160),
           ("last_status", "Status", 70), ("new_articles", "New", 50), ("total_new", "Total new", 80),
           ("last_error", "Last error", 280)]  # fmt: skip


def shown(key: str, value) -> str | int:
    """A cell as a person reads it: the poll's time without the ISO 'T' and the offset the header already says;
    the origin as the setting that lists the feed, or "added" (here or through the API)."""
    if value is None:
        return ""
    if key == "origin":
        return ORIGINS.get(value, value)
    if key == "last_poll":
        return str(value).replace("T", " ").removesuffix("+00:00")
    return value


def feed_rows(feeds: list[dict]) -> list[list]:
    return [[shown(key, f[key]) for key, _, _ in COLUMNS] for f in feeds]


def build_feeds_tab(service: Service) -> None:
    def listed():
        feeds = service.feeds.list()
        plural = "" if len(feeds) == 1 else "s"
        return feed_rows(feeds), f"{len(feeds)} feed{plural}, polled every {service.settings.feed_interval:g} s."

    def add(url: str):
        try:
            service.feeds.add(url or "")
        except RagError as exc:
            raise gr.Error(str(exc)) from None
        service.feeds.start()
        return (*listed(), "")

    def remove(url: str):
        try:
            service.feeds.remove((url or "").strip())
        except KeyError:
            raise gr.Error(f"no feed {url!r} is polled") from None
        except RagError as exc:
            raise gr.Error(str(exc)) from None
        return (*listed(), "")

    with gr.Tab("Feeds", id="feeds") as tab:
        gr.Markdown("RSS/Atom feeds polled in the background; new items are answerable after the next poll. Feeds "
                    "from the server's `RAG_FEEDS` setting are removed there.")  # fmt: skip
        summary = gr.Markdown(elem_id="feed-count")
        table = gr.Dataframe(headers=[header for _, header, _ in COLUMNS], column_widths=[w for _, _, w in COLUMNS],
                             wrap=True, interactive=False, elem_id="feed-table")  # fmt: skip
        with gr.Row():
            url = gr.Textbox(label="Feed URL", placeholder="https://…/feed.xml", scale=4, elem_id="feed-url")
            add_button = gr.Button("Add feed", variant="primary", scale=1, elem_id="feed-add")
            remove_button = gr.Button("Remove", variant="stop", scale=1, elem_id="feed-remove")
            refresh = gr.Button("Refresh", scale=1, elem_id="feed-refresh")
        tab.select(listed, None, [table, summary])
        refresh.click(listed, None, [table, summary])
        add_button.click(add, [url], [table, summary, url])
        remove_button.click(remove, [url], [table, summary, url])
