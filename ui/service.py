"""The process-wide answering service shared by the HTTP API and the Gradio UI.

The pipeline (models, store handle) is built once; if there is no index yet the service reports "not ready"
and retries on the next request, so `rag index` in another shell makes a running server useful without a
restart.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import nullcontext

from rag import Answer, Pipeline, Settings, __version__
from rag.errors import IndexMissing, StoreError
from rag.llm import describe

log = logging.getLogger(__name__)


class Service:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._pipeline: Pipeline | None = None
        self._lock = threading.Lock()  # one question at a time: 2 cores, and torch/spaCy share them
        self._llm_lock = threading.Lock()
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

    def events(self, question: str, mode: str = "extractive", **options) -> Iterator[str | Answer]:
        """Text deltas (generative mode) and then the answer. Retrieval and verification hold the lock (they
        share the CPU-bound models); the LLM writes outside it, so other questions are answered meanwhile.
        An in-process GGUF model is not thread-safe: it gets a lock of its own."""
        pipeline = self.pipeline()
        if mode == "generative":
            # LLMNotConfigured before any work; with a model, it condenses a follow-up into a standalone question
            options["condense"] = pipeline.generative().condense
        with self._lock:
            evidence = pipeline.prepare(question, **options)
        gguf = mode == "generative" and self.settings.llm_gguf and not self.settings.llm_url
        with self._llm_lock if gguf else nullcontext():
            yield from pipeline.events(evidence, mode, self._lock)

    def health(self) -> dict:
        info = {
            "status": "ready",
            "articles": 0,
            "chunks": 0,
            "embedding_model": self.settings.embed_model_name,
            "reader": f"MiniLM extractive reader ({self.settings.reader_backend})",
            "reranker": self.settings.cross_encoder or "the reader's answerability",
            "llm": describe(self.settings),
            "version": __version__,
        }
        try:
            info["articles"], info["chunks"] = self.pipeline().store.counts()
            if not info["chunks"]:
                info["status"] = "empty index: run rag index PATH"
        except (IndexMissing, StoreError) as exc:
            info["status"] = f"no index: {exc}"
        return info
