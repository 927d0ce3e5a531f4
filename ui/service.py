"""The process-wide answering service shared by the HTTP API and the Gradio UI.

The pipeline (models, store handle) is built once; if there is no index yet the service reports "not ready"
and retries on the next request, so `rag index` in another shell makes a running server useful without a
restart.
"""

from __future__ import annotations

import logging
import threading

from rag import __version__
from rag.errors import IndexMissing, StoreError
from rag.pipeline import Pipeline
from rag.settings import Settings

log = logging.getLogger(__name__)


class Service:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._pipeline: Pipeline | None = None
        self._lock = threading.Lock()  # one question at a time: 2 cores, and torch/spaCy share them
        self.startup_error: str | None = None

    def start(self) -> None:
        try:
            self.pipeline().warm_up()
        except (IndexMissing, StoreError) as exc:
            self.startup_error = str(exc)
            log.warning("serving without an index: %s", exc)

    def pipeline(self) -> Pipeline:
        if self._pipeline is None:
            with self._lock:
                if self._pipeline is None:
                    self._pipeline = Pipeline(self.settings)
        return self._pipeline

    def run(self, question: str, **options):
        pipeline = self.pipeline()
        with self._lock:
            return pipeline.run(question, **options)

    def health(self) -> dict:
        info = {
            "status": "ready",
            "articles": 0,
            "chunks": 0,
            "embedding_model": self.settings.embed_model_name,
            "reranker": self.settings.cross_encoder or "sentence-level (MiniLM + lexical)",
            "version": __version__,
        }
        try:
            info["articles"], info["chunks"] = self.pipeline().store.counts()
            if not info["chunks"]:
                info["status"] = "empty index: run rag index PATH"
        except (IndexMissing, StoreError) as exc:
            info["status"] = f"no index: {exc}"
        return info
