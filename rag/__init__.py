"""Cited-answer Q&A over news articles: the core shared by indexing, serving and evals.

The answer path by stage, each a package whose docstring says what it owns and what it imports:
``followup`` (a follow-up made standalone) → ``encoders`` + ``retrieval`` (passages) → ``reading`` (spans) →
``judging`` (confidence) → ``answering`` (the answer and its citations), put together by :mod:`rag.pipeline`.
Below them all, the base modules that every stage shares: ``errors``, ``types``, ``settings``, ``limits``,
``records``, ``question``, ``sentences`` and ``timeframe``; :mod:`rag.evidence` is what reading and judging hand
the answerers.

Importing ``rag`` pins the process to offline operation before any model library is imported:
every model this project uses is loaded from a local path, and a library that tries the network
anyway would otherwise stall for minutes on retries.
"""

import os

for _name, _value in {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "ORT_DISABLE_TELEMETRY": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "TOKENIZERS_PARALLELISM": "false",
}.items():
    os.environ.setdefault(_name, _value)

__version__ = "0.1.0"

# The public face: ``from rag import Pipeline, Settings, Filters, Answer, errors``. Loaded on first use, so that
# ``import rag`` stays cheap and keeps pinning the environment before any model library is imported.
_EXPORTS = {
    "Pipeline": "rag.pipeline",
    "Result": "rag.pipeline",
    "Settings": "rag.settings",
    "load_settings": "rag.settings",
    "seeds_folder": "rag.settings",
    "Filters": "rag.records",
    "Store": "rag.retrieval.store",
    "Article": "rag.types",
    "ArticleMeta": "rag.types",
    "meta_of": "rag.types",
    "Passage": "rag.types",
    "Answer": "rag.types",
    "Citation": "rag.types",
    "Statement": "rag.types",
    "Evidence": "rag.evidence",
    "article_from_record": "rag.records",
    "describe_llm": "rag.answering.llm:describe",
    "ABSTAIN_MESSAGE": "rag.limits",
    "TOP_K_MAX": "rag.limits",
    "check_top_k": "rag.limits",
    "HISTORY_TURNS_MAX": "rag.limits",
    "HISTORY_ANSWER_CHARS_MAX": "rag.limits",
    "HISTORY_ARTICLES_MAX": "rag.limits",
    "ARTICLE_ID_CHARS_MAX": "rag.limits",
    "ARTICLES_PER_REQUEST_MAX": "rag.limits",
    "URLS_PER_REQUEST_MAX": "rag.limits",
    "errors": "rag.errors",
}
__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'rag' has no attribute {name!r}")
    import importlib

    where, _, attribute = _EXPORTS[name].partition(":")
    module = importlib.import_module(where)
    return module if name == "errors" else getattr(module, attribute or name)


def __dir__() -> list[str]:
    return sorted(__all__)
