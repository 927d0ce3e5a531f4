"""The language model behind generative answers, through llama-index's LLM interface.

Two backends: any OpenAI-compatible endpoint (llama.cpp's server, Ollama, vLLM, a hosted API) via
``OpenAILike``, and a local GGUF file run in-process by llama-cpp-python via ``LlamaCPP``. Either way the
caller gets a stream of text deltas that stops with :class:`LLMUnavailable` (a 503 in the API) when the model
cannot be reached, answers with an error, or runs past ``RAG_LLM_TIMEOUT`` — never a hang.
"""

from __future__ import annotations

import atexit
import contextlib
import time
from collections.abc import Iterator
from functools import lru_cache

from rag.errors import LLMUnavailable, RagError
from rag.settings import Settings


def load_llm(settings: Settings):
    """The configured llama-index LLM, or ``None`` when generative answers are not configured."""
    if settings.llm_url:
        return _openai_like(settings.llm_url, settings.llm_model, settings.llm_api_key or "not-needed",
                            settings.llm_timeout, settings.llm_max_tokens)  # fmt: skip
    if settings.llm_gguf:
        return _llama_cpp(str(settings.llm_gguf), settings.llm_max_tokens, settings.llm_threads)
    return None


def describe(settings: Settings) -> str | None:
    """Where the LLM is, for health output and messages (never the key)."""
    if settings.llm_url:
        return f"{settings.llm_model} at {settings.llm_url}"
    return f"{settings.llm_gguf} (in process)" if settings.llm_gguf else None


@lru_cache(maxsize=4)
def _openai_like(url: str, model: str, api_key: str, timeout: float, max_tokens: int):
    from llama_index.llms.openai_like import OpenAILike

    # max_retries=0: a dead endpoint must fail within the timeout, not after the client's backoff retries
    return OpenAILike(
        api_base=url, model=model, api_key=api_key, is_chat_model=True, context_window=8192, timeout=timeout,
        max_retries=0, temperature=0.0, max_tokens=max_tokens,
    )  # fmt: skip


_IN_PROCESS_MODELS: list = []


def _close_in_process_models() -> None:
    """Free in-process models at exit while the interpreter is whole: llama-cpp-python's own finaliser runs too
    late, after module globals are gone, and prints a ``TypeError`` traceback that reads like a failure."""
    for model in _IN_PROCESS_MODELS:
        with contextlib.suppress(Exception):  # best effort at exit
            model.close()
    _IN_PROCESS_MODELS.clear()


@lru_cache(maxsize=2)
def _llama_cpp(path: str, max_tokens: int, threads: int):
    from pathlib import Path

    if not Path(path).is_file():
        raise RagError(f"RAG_LLM_GGUF: no model file at {path}")
    try:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter
        from llama_index.llms.llama_cpp import LlamaCPP
    except ImportError:
        raise RagError("RAG_LLM_GGUF needs the llm extra: pip install 'rag-news[llm]' (docs/generative.md)") from None
    llm = LlamaCPP(
        model_path=path, temperature=0.0, max_new_tokens=max_tokens, context_window=4096,
        model_kwargs={"n_threads": threads, "verbose": False},
    )  # fmt: skip
    metadata = llm._model.metadata
    template = metadata.get("tokenizer.chat_template")
    if not template:
        raise RagError(f"RAG_LLM_GGUF: {path} carries no chat template; serve it behind RAG_LLM_URL instead")
    vocab = llm._model
    formatter = Jinja2ChatFormatter(
        template=template,
        eos_token=vocab.detokenize([vocab.token_eos()]).decode("utf-8", "ignore"),
        bos_token=vocab.detokenize([vocab.token_bos()]).decode("utf-8", "ignore"),
    )

    def messages_to_prompt(messages) -> str:
        turns = [{"role": m.role.value, "content": m.content or ""} for m in messages]
        return formatter(messages=turns).prompt

    llm.messages_to_prompt = messages_to_prompt
    if not _IN_PROCESS_MODELS:
        atexit.register(_close_in_process_models)
    _IN_PROCESS_MODELS.append(llm._model)
    return llm


def stream_chat(llm, messages: list[tuple[str, str]], timeout: float, where: str) -> Iterator[str]:
    """Text deltas of the model's reply; :class:`LLMUnavailable` with the reason on any failure or timeout."""
    from llama_index.core.llms import ChatMessage

    deadline = time.monotonic() + timeout
    chat = [ChatMessage(role=role, content=content) for role, content in messages]
    try:
        for chunk in llm.stream_chat(chat):
            if time.monotonic() > deadline:
                raise LLMUnavailable(f"the LLM ({where}) did not finish within RAG_LLM_TIMEOUT={timeout:g} s")
            if chunk.delta:
                yield chunk.delta
    except LLMUnavailable:
        raise
    except Exception as exc:  # the client libraries raise many types; all mean "no answer from the model"
        raise LLMUnavailable(_reason(exc, where, timeout)) from exc


def _reason(exc: Exception, where: str, timeout: float) -> str:
    name = type(exc).__name__
    if "Timeout" in name:
        return f"the LLM ({where}) did not answer within RAG_LLM_TIMEOUT={timeout:g} s"
    if "Connection" in name or "Connect" in name:
        return f"cannot reach the LLM ({where}): {exc}"
    status = getattr(exc, "status_code", None)
    if status:
        return f"the LLM ({where}) answered HTTP {status}: {getattr(exc, 'message', exc)}"
    return f"the LLM ({where}) failed: {name}: {exc}"
