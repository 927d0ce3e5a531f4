"""The Feeds tab: the feeds the server polls, with how each last poll went; add one, remove one.

The same poller as ``GET/POST/DELETE /feeds`` (:mod:`ui.feeds`): a feed added here is polled at once and then
every ``RAG_FEED_INTERVAL`` seconds, checked by the same guard as URLs added on the Add articles tab.
"""

from __future__ import annotations

import gradio as gr

from rag.errors import RagError
from ui.service import Service

# (field, header, width in px): no column squeezed to a letter per line at 1,200 px
COLUMNS = [("url", "Feed", 260), ("origin", "From", 80), ("last_poll", "Last poll (UTC)", 200),
           ("last_status", "Status", 120), ("new_articles", "New", 70), ("total_new", "Total new", 100),
           ("last_error", "Last error", 220)]  # fmt: skip


def feed_rows(feeds: list[dict]) -> list[list]:
    return [[f[key] if f[key] is not None else "" for key, _, _ in COLUMNS] for f in feeds]


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
