"""One process, one app: the FastAPI API with the Gradio UI mounted at ``/``."""

from __future__ import annotations

import hmac
from contextlib import asynccontextmanager

import gradio as gr
from fastapi import FastAPI

from rag import Settings, __version__, load_settings
from ui import api, library
from ui.render import CSS
from ui.service import Service
from ui.web import build_ui, theme


def create_app(settings: Settings | None = None, *, warm: bool = True) -> FastAPI:
    service = Service(settings or load_settings())

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        if warm:
            service.start()
        yield
        service.stop()

    app = FastAPI(
        title="rag-news",
        version=__version__,
        description="Cited-answer Q&A over news articles. Every answer cites the passages and character spans "
        "it rests on, or says the articles don't answer the question.",
        lifespan=lifespan,
        openapi_tags=api.OPENAPI_TAGS,
    )
    app.state.service = service
    api.install(app, service)
    key = service.settings.api_key
    auth = (lambda _user, password: hmac.compare_digest(password.encode(), key.encode())) if key else None
    return gr.mount_gradio_app(
        app, build_ui(service), path="/", theme=theme(), css=CSS + library.CSS, footer_links=["api"], auth=auth,
        auth_message="Enter any user name and the server's API key as password." if key else None,
    )  # fmt: skip
