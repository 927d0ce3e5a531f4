"""The sentence-transformers embedding model, loaded once from a local folder through llama-index."""

from __future__ import annotations

from functools import lru_cache

from rag.settings import Settings


@lru_cache(maxsize=4)
def _load(model_path: str, batch_size: int, cache_folder: str):
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    return HuggingFaceEmbedding(
        model_name=model_path, embed_batch_size=batch_size, cache_folder=cache_folder, device="cpu"
    )


def load_embedder(settings: Settings):
    """A ``HuggingFaceEmbedding`` for ``settings.embed_model``; shared per process (it costs ~100 MB)."""
    cache = settings.home / "cache"
    return _load(settings.embed_model, settings.embed_batch_size, str(cache))


def embed_texts(embedder, texts: list[str], *, progress: bool = False) -> list[list[float]]:
    """Embed in batches of similar length (less padding), returning vectors in the input order."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    vectors = embedder.get_text_embedding_batch([texts[i] for i in order], show_progress=progress)
    out: list[list[float]] = [[]] * len(texts)
    for rank, i in enumerate(order):
        out[i] = vectors[rank]
    return out
