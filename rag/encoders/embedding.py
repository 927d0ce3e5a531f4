"""The sentence-transformers embedding model, loaded once from a local folder through llama-index.

``RAG_EMBED_BACKEND`` picks the runtime: ``torch`` (sentence-transformers itself, the default) or an exported
graph run by ONNX Runtime or OpenVINO (see :mod:`rag.encoders.backends`), exported into ``RAG_MODEL_CACHE`` on
first use. Every backend is a llama-index ``BaseEmbedding`` returning L2-normalized vectors.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from rag.settings import Settings


@lru_cache(maxsize=4)
def _load(model_path: str, batch_size: int, cache_folder: str, backend: str = "torch", name: str = ""):
    if backend != "torch":
        from rag.encoders.backends import llama_embedding, load_exported

        encoder = load_exported(model_path, backend, Path(cache_folder), batch_size, name)
        return llama_embedding(encoder, model_path, batch_size)

    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    return HuggingFaceEmbedding(
        model_name=model_path, embed_batch_size=batch_size, cache_folder=cache_folder, device="cpu"
    )


def load_embedder(settings: Settings, backend: str | None = None):
    """A llama-index embedding for ``settings.embed_model`` on ``settings.embed_backend`` (or ``backend``);
    shared per process (it costs ~100 MB)."""
    cache = settings.model_cache
    return _load(
        settings.embed_model, settings.embed_batch_size, str(cache), backend or settings.embed_backend,
        settings.embed_model_name,
    )  # fmt: skip


def embed_texts(embedder, texts: list[str], *, progress: bool = False) -> list[list[float]]:
    """Embed in batches of similar length (less padding), returning vectors in the input order."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    vectors = embedder.get_text_embedding_batch([texts[i] for i in order], show_progress=progress)
    out: list[list[float]] = [[]] * len(texts)
    for rank, i in enumerate(order):
        out[i] = vectors[rank]
    return out
