"""Faster CPU runtimes for the sentence-transformers embedding model: ONNX Runtime (fp32, int8) and OpenVINO.

sentence-transformers' own ``backend="onnx"`` / ``backend="openvino"`` goes through Optimum, which does not fit
this environment: optimum-onnx 0.1.0 pins transformers<4.58 (sentence-transformers 6 needs >=5; forced in, it
fails to import on transformers 5), and optimum-intel 2.2.0 pins transformers<5.6 and huggingface-hub<1.22.
So the export is done here, with the libraries themselves:

- ``onnx``: ``torch.onnx.export`` of the whole SentenceTransformer (transformer, pooling, normalize) to one
  graph whose output is the sentence embedding; checked against torch on a probe batch before it is kept.
- ``onnx-int8``: ONNX Runtime dynamic int8 quantization of that graph, with the settings of
  sentence-transformers' ``export_dynamic_quantized_onnx_model`` presets (``avx512_vnni`` where the CPU has
  VNNI, ``avx2`` otherwise: per-channel symmetric weights, asymmetric uint8 activations, no calibration data).
- ``openvino``: OpenVINO compiling the fp32 ONNX graph, pinned to f32 arithmetic.

Exports are written under ``<RAG_MODEL_CACHE>/encoders/<model>-<hash>/<variant>/`` on first use (never beside the
model, which may sit in a read-only site-packages), atomically, and reused afterwards.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import platform
import shutil
import tempfile
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.errors import RagError

OPSET = 17
PROBE = [
    "Short.",
    "The committee said the new rules would take effect next month after a long public review.",
    " ".join(["A much longer probe text that runs past the model's maximum sequence length."] * 40),
]


@dataclass(frozen=True)
class Backend:
    name: str
    runtime: str  # "torch" | "onnxruntime" | "openvino"
    quantize: str | None = None  # int8 preset: "avx512_vnni" | "avx2" | "arm64" | "auto"
    precision: str = "f32"  # OpenVINO inference precision hint: "f32" | "bf16"
    exact: bool = True  # vectors equal torch's to float rounding: an index built with torch stays valid
    extra: str = ""  # the pip extra that installs its packages


BACKENDS: dict[str, Backend] = {
    "torch": Backend("torch", "torch"),
    "onnx": Backend("onnx", "onnxruntime", extra="onnx"),
    "onnx-int8": Backend("onnx-int8", "onnxruntime", quantize="auto", exact=False, extra="onnx"),
    "openvino": Backend("openvino", "openvino", extra="openvino"),
    # bf16 arithmetic where the CPU has it (AMX / AVX512-BF16), f32 elsewhere: 2.4x torch on batches here
    "openvino-bf16": Backend("openvino-bf16", "openvino", precision="bf16", exact=False, extra="openvino"),
}
# Measured by evals.encoders but not offered as settings.
EVAL_ONLY: dict[str, Backend] = {
    "onnx-int8-avx2": Backend("onnx-int8-avx2", "onnxruntime", quantize="avx2", exact=False, extra="onnx"),
}


def backend_spec(name: str) -> Backend:
    spec = BACKENDS.get(name) or EVAL_ONLY.get(name)
    if spec is None:
        raise RagError(f"unknown embedding backend {name!r}: use one of {', '.join(BACKENDS)}")
    return spec


def int8_preset() -> str:
    """The dynamic-quantization preset for this CPU: u8×s8 needs VNNI (or ARM) to avoid saturation, else u8×u8."""
    if platform.machine().lower() in ("arm64", "aarch64"):
        return "arm64"
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        flags = ""
    return "avx512_vnni" if "avx512_vnni" in flags or "avx_vnni" in flags else "avx2"


def _require(backend: Backend, *modules: str) -> None:
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise RagError(
            f"RAG_EMBED_BACKEND={backend.name} needs the package(s) {', '.join(missing)}: "
            f"pip install 'rag-news[{backend.extra}]' (or set RAG_EMBED_BACKEND=torch)"
        )


def model_key(model_path: str, name: str = "") -> str:
    """Folder name for a model's exports: its name plus a hash of its path and files (size, mtime)."""
    root = Path(model_path).resolve()
    digest = hashlib.sha256(str(root).encode())
    for file in sorted(p for p in root.rglob("*") if p.is_file()):
        stat = file.stat()
        digest.update(f"{file.relative_to(root)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return f"{name or root.name}-{digest.hexdigest()[:10]}"


def export_folder(model_path: str, cache: Path, backend: Backend, name: str = "") -> Path:
    """Where ``backend``'s files for ``model_path`` live (exported there first if they are not yet)."""
    base = cache / "encoders" / model_key(model_path, name)
    fp32 = ensure_export(base / "onnx", lambda tmp: _export_onnx(model_path, tmp), backend)
    if not backend.quantize:
        return fp32
    preset = int8_preset() if backend.quantize == "auto" else backend.quantize
    return ensure_export(base / f"onnx-int8-{preset}", lambda tmp: quantize(fp32, tmp, preset), backend)


def ensure_export(target: Path, build, backend: Backend) -> Path:
    if (target / "export.json").is_file():
        return target
    _require(backend, "onnx", "onnxruntime")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        build(tmp)
        try:
            os.replace(tmp, target)
        except OSError:  # another process finished the same export first
            if not (target / "export.json").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _export_onnx(model_path: str, out: Path) -> None:
    import numpy as np
    import onnxruntime
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(model_path, device="cpu", model_kwargs={"attn_implementation": "eager"}).eval()
    tokenizer = model.tokenizer
    max_length = int(model.max_seq_length or tokenizer.model_max_length)
    sample = tokenizer(PROBE[:2], padding=True, truncation=True, max_length=max_length, return_tensors="pt")
    names = list(sample.keys())

    class Exportable(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *tensors):
            return self.model(dict(zip(names, tensors, strict=True)))["sentence_embedding"]

    axes = {name: {0: "batch", 1: "sequence"} for name in names}
    # Tracer warnings about shape-dependent branches: the probe check below is what decides.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Exportable(), tuple(sample[n] for n in names), str(out / "model.onnx"), dynamo=False,
            input_names=names, output_names=["sentence_embedding"], opset_version=OPSET,
            dynamic_axes={**axes, "sentence_embedding": {0: "batch"}},
        )  # fmt: skip
    tokenizer.backend_tokenizer.save(str(out / "tokenizer.json"))
    meta = {
        "source": str(Path(model_path).resolve()),
        "inputs": names,
        "max_length": max_length,
        "pad_token": tokenizer.pad_token,
        "pad_id": tokenizer.pad_token_id,
        "opset": OPSET,
        "torch": torch.__version__,
        "onnxruntime": onnxruntime.__version__,
    }
    # The tracer fixes any Python branch on shapes: check a batch of other shapes against torch before keeping it.
    expected = model.encode(PROBE, normalize_embeddings=True)
    got = _normalize(OrtRunner(out / "model.onnx").run(_Tokenizer(out / "tokenizer.json", meta).encode(PROBE)))
    worst = float(np.min(np.sum(expected * got, axis=1)))
    if worst < 0.9999:
        raise RagError(
            f"the ONNX export of {model_path} does not reproduce torch (cosine {worst:.4f}); "
            f"use RAG_EMBED_BACKEND=torch for this model"
        )
    (out / "export.json").write_text(json.dumps({**meta, "variant": "fp32"}, indent=1), encoding="utf-8")


def quantize(fp32: Path, out: Path, preset: str) -> None:
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.registry import IntegerOpsRegistry

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # "consider pre-processing" warning, about static quantization
    try:
        quantize_dynamic(
            fp32 / "model.onnx", out / "model.onnx", op_types_to_quantize=list(IntegerOpsRegistry),
            per_channel=True, reduce_range=False,
            weight_type=QuantType.QUInt8 if preset == "avx2" else QuantType.QInt8,
            extra_options={"WeightSymmetric": True, "ActivationSymmetric": False},
        )  # fmt: skip
    finally:
        root.setLevel(level)
    shutil.copy(fp32 / "tokenizer.json", out / "tokenizer.json")
    meta = json.loads((fp32 / "export.json").read_text(encoding="utf-8"))
    (out / "export.json").write_text(json.dumps({**meta, "variant": f"int8-{preset}"}, indent=1), encoding="utf-8")


def _normalize(vectors):
    import numpy as np

    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class _Tokenizer:
    """The model's fast tokenizer (``tokenizers``), truncating and padding as sentence-transformers does."""

    def __init__(self, path: Path, meta: dict) -> None:
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(path))
        self.tokenizer.enable_truncation(max_length=meta["max_length"])
        self.tokenizer.enable_padding(pad_id=meta["pad_id"], pad_token=meta["pad_token"])
        self.inputs = meta["inputs"]

    def encode(self, texts: list[str]) -> dict[str, Any]:
        import numpy as np

        batch = self.tokenizer.encode_batch(texts)
        fields = {
            "input_ids": lambda e: e.ids,
            "attention_mask": lambda e: e.attention_mask,
            "token_type_ids": lambda e: e.type_ids,
        }
        return {name: np.array([fields[name](e) for e in batch], dtype=np.int64) for name in self.inputs}


class OrtRunner:
    def __init__(self, path: Path) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def run(self, feeds: dict[str, Any]):
        return self.run_all(feeds)[0]

    def run_all(self, feeds: dict[str, Any]) -> list:
        return self.session.run(None, feeds)


class OpenVinoRunner:
    def __init__(self, path: Path, precision: str) -> None:
        import openvino

        core = openvino.Core()
        if precision == "bf16" and "BF16" not in core.get_property("CPU", "OPTIMIZATION_CAPABILITIES"):
            # Without AMX / AVX512-BF16, OpenVINO emulates bf16: 35x slower than f32 on an AVX-512F Xeon (41
            # sentences 9.6 s vs 0.30 s), where it was meant to be 2.4x faster. f32 there, same vectors.
            precision = "f32"
        self.precision = precision
        config = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": precision}
        self.compiled = core.compile_model(str(path), "CPU", config)
        self.lock = threading.Lock()  # calling the compiled model reuses one infer request: not thread-safe

    def run(self, feeds: dict[str, Any]):
        return self.run_all(feeds)[0]

    def run_all(self, feeds: dict[str, Any]) -> list:
        with self.lock:
            result = self.compiled(feeds)
            return [result[i].copy() for i in range(len(self.compiled.outputs))]


class ExportedEncoder:
    """Embeds texts with an exported graph: length-sorted batches, L2-normalized vectors in input order."""

    def __init__(self, folder: Path, backend: Backend, batch_size: int) -> None:
        meta = json.loads((folder / "export.json").read_text(encoding="utf-8"))
        self.folder = folder
        self.variant = meta["variant"]
        self.tokenizer = _Tokenizer(folder / "tokenizer.json", meta)
        self.batch_size = batch_size
        if backend.runtime == "openvino":
            self.runner = OpenVinoRunner(folder / "model.onnx", backend.precision)
        else:
            self.runner = OrtRunner(folder / "model.onnx")

    def encode(self, texts: list[str]):
        import numpy as np

        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        parts = []
        for lo in range(0, len(order), self.batch_size):
            batch = [texts[i] for i in order[lo : lo + self.batch_size]]
            parts.append(self.runner.run(self.tokenizer.encode(batch)))
        vectors = _normalize(np.concatenate(parts).astype(np.float32, copy=False))
        out = np.empty_like(vectors)
        out[order] = vectors
        return out


def load_exported(model_path: str, backend_name: str, cache: Path, batch_size: int, name: str = "") -> ExportedEncoder:
    """An :class:`ExportedEncoder` for ``backend_name``, exporting the model into ``cache`` on first use."""
    backend = backend_spec(backend_name)
    if backend.runtime == "torch":
        raise RagError("the torch backend is sentence-transformers itself: use rag.encoders.embedding.load_embedder")
    _require(backend, "onnxruntime" if backend.runtime == "onnxruntime" else "openvino")
    return ExportedEncoder(export_folder(model_path, cache, backend, name), backend, batch_size)


def llama_embedding(encoder: ExportedEncoder, model_name: str, batch_size: int):
    """The encoder as a llama-index ``BaseEmbedding`` (what the retriever, reranker and indexer call)."""
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from pydantic import PrivateAttr

    class ExportedEmbedding(BaseEmbedding):
        _encoder: Any = PrivateAttr()

        def __init__(self, **kwargs) -> None:
            super().__init__(**kwargs)
            self._encoder = encoder

        @classmethod
        def class_name(cls) -> str:
            return "ExportedEmbedding"

        def _get_query_embedding(self, query: str) -> list[float]:
            return self._encoder.encode([query])[0].tolist()

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

        def _get_text_embedding(self, text: str) -> list[float]:
            return self._encoder.encode([text])[0].tolist()

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return self._encoder.encode(texts).tolist()

    return ExportedEmbedding(model_name=model_name, embed_batch_size=batch_size)


def embed_identity(settings) -> str:
    """What the index records as its embedding model: the model name, plus the backend when that backend's vectors
    are not torch's (int8); the fp32 backends reproduce torch, so their indexes are interchangeable."""
    exact = BACKENDS[settings.embed_backend].exact
    name = settings.embed_model_name
    return name if exact else f"{name} [{settings.embed_backend}]"
