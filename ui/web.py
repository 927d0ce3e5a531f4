"""The Gradio UI: ask, read the short answer, check every claim against its highlighted source passage."""

from __future__ import annotations

import json

import gradio as gr

from rag import HISTORY_TURNS_MAX, TOP_K_MAX, Filters
from rag.errors import RagError
from ui.api import error_status
from ui.feeds_tab import build_feeds_tab
from ui.library import build_library_tabs
from ui.render import answered_turn, conversation_html, pending_turn
from ui.service import Service

EXAMPLES = [
    "Who proposed delaying NATO membership?",
    "What job did Trump pick him for?",
    "Which retired general wants Ukraine's alliance membership put off?",
    "What did Zelensky call for?",
    "How many allies are in NATO?",
    "What is the capital of Australia?",
]


EXTRACTIVE = "Quoted from the articles"
GENERATIVE = "Written by the LLM (verified)"


def theme() -> gr.themes.Base:
    """System fonts only: the default theme would fetch web fonts from the internet."""
    return gr.themes.Default(font=["system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])


def examples(settings) -> list[str]:
    """The UI's example questions: the configured question set's, else ones about the seed article."""
    if settings.examples is None:
        return EXAMPLES
    try:
        lines = settings.examples.read_text(encoding="utf-8").splitlines()
        return [json.loads(line)["question"] for line in lines if line.strip()] or EXAMPLES
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RagError(f"RAG_EXAMPLES: cannot read questions from {settings.examples}: {exc}") from None


def build_ui(service: Service) -> gr.Blocks:
    generative = service.settings.generative

    def ask(question: str, mode: str, top_k: float, source: str, author: str, published_from: str,
            published_to: str, turns: list[dict]):  # fmt: skip
        """Yields the conversation while the model writes (generative mode), then with the verified answer added.
        ``turns`` (the browser session's state) holds every earlier turn; the server keeps none."""
        mode = "generative" if mode == GENERATIVE else "extractive"
        history = [{k: t[k] for k in ("question", "answer", "articles")} for t in turns][-HISTORY_TURNS_MAX:]
        n = len(turns) + 1
        written = ""
        record = service.request_log.start("UI", "/ask")  # one log line per question, its id under the answer
        record.asked(question, mode)
        try:
            filters = Filters.parse(source=source, author=author, published_from=published_from,
                                    published_to=published_to)  # fmt: skip
            for event in service.events(question, mode, top_k=int(top_k), filters=filters, history=history):
                if isinstance(event, str):
                    written += event
                    yield conversation_html([*turns, pending_turn(n, question, written)]), turns, gr.update()
                    continue
                record.answered(event)
                record.status = 200
                store = service.pipeline().store
                ids = {c.article_id for c in [*event.citations, *event.related]}
                texts = {i: a.text for i in ids if (a := store.get_article(i)) is not None}
                turns = [*turns, answered_turn(n, event, texts, record.id)]
                yield conversation_html(turns), turns, ""
        except RagError as exc:
            record.failed(exc)
            record.status = error_status(exc)
            raise gr.Error(f"{exc} (request id: {record.id})") from None
        finally:
            service.request_log.emit(record)

    with gr.Blocks(title="Ask the articles", analytics_enabled=False) as blocks:
        gr.Markdown("## Ask the articles\nAnswers come only from the indexed articles, each claim with its source.")
        with gr.Tab("Ask", id="ask"):
            with gr.Row():
                question = gr.Textbox(
                    label="Question", placeholder="Who proposed delaying NATO membership?", scale=5, elem_id="question"
                )
                button = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
            mode = gr.Radio(
                [EXTRACTIVE, GENERATIVE],
                value=EXTRACTIVE,
                label="Answer",
                visible=generative,
                elem_id="mode",
                info="Generative: an LLM writes the answer; every sentence is checked against the passage it cites.",
            )
            with gr.Accordion("Settings", open=False):
                top_k = gr.Slider(1, TOP_K_MAX, value=service.settings.top_k, step=1, label="Passages to consider")
                with gr.Row():
                    source = gr.Textbox(label="Source (exact name)", placeholder="any")
                    author = gr.Textbox(label="Author (exact name)", placeholder="any")
                with gr.Row():
                    published_from = gr.Textbox(label="Published from", placeholder="YYYY-MM-DD")
                    published_to = gr.Textbox(label="Published to", placeholder="YYYY-MM-DD")
            output = gr.HTML(elem_id="answer")
            turns = gr.State([])  # this browser session's conversation: follow-ups are resolved against it
            new = gr.Button("New conversation", variant="secondary", size="sm", elem_id="new-conversation")
            gr.Examples(examples(service.settings), inputs=question, label="Examples")
            inputs = [question, mode, top_k, source, author, published_from, published_to, turns]
            button.click(ask, inputs, [output, turns, question])
            question.submit(ask, inputs, [output, turns, question])
            new.click(lambda: ("", [], ""), None, [output, turns, question])

        build_library_tabs(service)
        build_feeds_tab(service)
    return blocks
