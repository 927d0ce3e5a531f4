"""RAG_EMBED_BACKEND: validation, the index identity it implies, and (slow) the ONNX export against torch."""

import importlib.util

import numpy as np
import pytest

from rag.encoders.backends import embed_identity
from rag.errors import RagError
from rag.settings import Settings, load_settings


def test_default_backends_keep_torch_vectors(settings):
    # OpenVINO f32 reproduces torch's vectors: an index built with either is valid for both
    assert settings.embed_backend == "openvino"
    assert embed_identity(settings) == "all-MiniLM-L6-v2"
    assert embed_identity(settings.model_copy(update={"embed_backend": "torch"})) == "all-MiniLM-L6-v2"


@pytest.mark.parametrize("value", ["torch", "onnx", "onnx-int8", "openvino", " ONNX-Int8 "])
def test_backend_read_from_the_environment(monkeypatch, value):
    monkeypatch.setenv("RAG_EMBED_BACKEND", value)
    assert load_settings().embed_backend == value.strip().lower()


@pytest.mark.parametrize("value", ["tensorrt", "", "onnx_int8"])
def test_unknown_backend_names_the_variable(monkeypatch, value):
    monkeypatch.setenv("RAG_EMBED_BACKEND", value)
    with pytest.raises(RagError, match="RAG_EMBED_BACKEND") as caught:
        load_settings()
    assert "onnx-int8" in str(caught.value)  # the message lists the allowed values


def test_only_lossy_backends_change_the_index_identity():
    assert embed_identity(Settings(embed_backend="onnx")) == "all-MiniLM-L6-v2"
    assert embed_identity(Settings(embed_backend="openvino")) == "all-MiniLM-L6-v2"
    assert embed_identity(Settings(embed_backend="onnx-int8")) == "all-MiniLM-L6-v2 [onnx-int8]"


def test_store_built_with_torch_refuses_int8_queries(settings):
    from rag.retrieval.store import Store, StoreUnusable

    Store(settings, create=True).bump_generation()  # records the embedding identity
    Store(Settings(home=settings.home, embed_backend="onnx"))  # same vectors: fine
    with pytest.raises(StoreUnusable, match=r"onnx-int8"):
        Store(Settings(home=settings.home, embed_backend="onnx-int8"))


def test_missing_package_is_a_clear_error(monkeypatch, settings):
    from rag.encoders import backends as encoder_backends

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "openvino" else real(name, *a))
    with pytest.raises(RagError, match=r"pip install 'rag-news\[openvino\]'"):
        encoder_backends.load_exported(settings.embed_model, "openvino", settings.model_cache, 8)


@pytest.mark.slow
def test_onnx_backend_reproduces_torch(settings):
    pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    from rag.encoders.embedding import load_embedder

    sentence = "Retired general Keith Kellogg proposed delaying Ukraine's NATO membership."
    settings = Settings(home=settings.home, model_cache=settings.home / "models", embed_backend="torch")
    torch_vector = np.array(load_embedder(settings).get_text_embedding(sentence))
    onnx_settings = settings.model_copy(update={"embed_backend": "onnx"})
    onnx_vector = np.array(load_embedder(onnx_settings).get_text_embedding(sentence))
    assert float(np.dot(torch_vector, onnx_vector)) > 0.99

    exports = list((settings.model_cache / "encoders").glob("*/onnx/export.json"))
    assert len(exports) == 1  # exported into the model cache, not beside the packaged model
    stamp = exports[0].stat().st_mtime_ns
    from rag.encoders.backends import load_exported

    load_exported(onnx_settings.embed_model, "onnx", settings.model_cache, 8, onnx_settings.embed_model_name)
    assert exports[0].stat().st_mtime_ns == stamp  # reused, not exported again


@pytest.mark.slow
def test_bf16_backend_computes_in_f32_where_the_cpu_lacks_bf16(settings):
    """OpenVINO emulates bf16 on a CPU without AMX / AVX512-BF16, 35x slower than f32: the reranker's default
    backend must not pay that on such a machine, and must keep bf16 where the CPU has it."""
    openvino = pytest.importorskip("openvino")
    from rag.encoders.backends import load_exported

    encoder = load_exported(settings.embed_model, "openvino-bf16", settings.model_cache, 8, settings.embed_model_name)
    has_bf16 = "BF16" in openvino.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    assert encoder.runner.precision == ("bf16" if has_bf16 else "f32")
    assert encoder.encode(["Keith Kellogg proposed delaying NATO membership."]).shape == (1, 384)
