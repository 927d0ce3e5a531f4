"""The extractive reader at answer time: reads the top passages in one batch and finds the answer span in each.

The network (:mod:`rag.reading.model`, trained by ``evals/train_reader.py``) is exported once with
``torch.onnx`` into ``<RAG_MODEL_CACHE>/readers/`` and checked against torch there; answering runs that graph on
ONNX Runtime or OpenVINO (f32 by default), so a server never loads torch after the first export. Spans come
back as exact character offsets through the fast tokenizer's offset mapping.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from rag.encoders.backends import BACKENDS, OpenVinoRunner, OrtRunner, ensure_export, int8_preset, quantize
from rag.errors import RagError
from rag.question import asks_place
from rag.reading.decode import best_token_span, sentence_of_tokens, sigmoid
from rag.reading.weights import ADAPTER_FILE, WEIGHTS_FILE
from rag.sentences import dateline_end, split_sentences
from rag.types import Passage

READER_BACKENDS = ("onnx", "onnx-int8", "openvino")
MAX_LENGTH = 256  # tokens per window: question + a 200-token chunk fits in one
STRIDE = 64
PROBE = [
    ("Who proposed delaying NATO membership?",
     "Retired Lt. Gen. Keith Kellogg has proposed putting off NATO membership for Ukraine."),
    ("When did it happen?", "Nothing here says when. " * 30),
]  # fmt: skip


@dataclass(frozen=True)
class ReadSpan:
    """The reader's best answer in one passage: where it is in the article, and how sure the reader is."""

    passage: Passage
    text: str
    start: int  # offsets in the article text: article_text[start:end] == text
    end: int
    span_score: float  # start + end logit
    answerable: float  # probability that the passage answers the question
    span_probability: float = 1.0  # the reader's probability of this span among its window's spans (1: not known)


def _weights_key(base_model: str) -> str:
    from rag.encoders.backends import model_key

    weights = hashlib.sha256(WEIGHTS_FILE.read_bytes())
    if ADAPTER_FILE.exists():  # a low-rank stage on top changes the network too
        weights.update(ADAPTER_FILE.read_bytes())
    digest = weights.hexdigest()[:12]
    return f"reader-{digest}-{model_key(base_model, 'base')}"


def export_folder(base_model: str, cache: Path, backend: str) -> Path:
    """The exported reader for ``backend`` (``onnx``/``openvino`` share the fp32 graph), exported on first use."""
    base = cache / "readers" / _weights_key(base_model)
    fp32 = ensure_export(base / "onnx", lambda tmp: _export(base_model, tmp), BACKENDS["onnx"])
    if backend != "onnx-int8":
        return fp32
    preset = int8_preset()
    return ensure_export(base / f"onnx-int8-{preset}", lambda tmp: quantize(fp32, tmp, preset), BACKENDS["onnx-int8"])


def _export(base_model: str, out: Path) -> None:
    import warnings

    import torch
    from transformers import AutoTokenizer

    from rag.encoders.backends import OPSET
    from rag.reading.model import INPUTS, OUTPUTS, load

    model = load(base_model)
    tokenizer = AutoTokenizer.from_pretrained(base_model)
    sample = tokenizer([q for q, _ in PROBE], [c for _, c in PROBE], padding=True, truncation="only_second",
                       max_length=MAX_LENGTH, return_tensors="pt")  # fmt: skip
    axes = {name: {0: "batch", 1: "sequence"} for name in INPUTS}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model, tuple(sample[n] for n in INPUTS), str(out / "model.onnx"), dynamo=False,
            input_names=list(INPUTS), output_names=list(OUTPUTS), opset_version=OPSET,
            dynamic_axes={**axes, "start_logits": {0: "batch", 1: "sequence"},
                          "end_logits": {0: "batch", 1: "sequence"}, "answerable_logit": {0: "batch"}},
        )  # fmt: skip
        expected = [t.numpy() for t in model(*(sample[n] for n in INPUTS))]
    tokenizer.backend_tokenizer.save(str(out / "tokenizer.json"))
    got = OrtRunner(out / "model.onnx").run_all({n: sample[n].numpy() for n in INPUTS})
    mask = sample["attention_mask"].numpy().astype(bool)
    worst = max(float(np.abs(e[mask] - g[mask]).max()) if e.ndim == 2 else float(np.abs(e - g).max())
                for e, g in zip(expected, got, strict=True))  # fmt: skip
    if worst > 1e-3:
        raise RagError(f"the ONNX export of the reader does not reproduce torch (max logit difference {worst:.4f})")
    meta = {"inputs": list(INPUTS), "outputs": list(OUTPUTS), "max_length": MAX_LENGTH, "stride": STRIDE,
            "pad_id": tokenizer.pad_token_id, "pad_token": tokenizer.pad_token, "opset": OPSET,
            "torch": torch.__version__, "max_logit_difference": worst, "variant": "fp32"}  # fmt: skip
    (out / "export.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")


class Reader:
    """Reads ``(question, passage)`` windows in one batch and returns each passage's best span."""

    def __init__(self, base_model: str, cache: Path, backend: str = "openvino") -> None:
        if backend not in READER_BACKENDS:
            raise RagError(f"unknown reader backend {backend!r}: use one of {', '.join(READER_BACKENDS)}")
        from tokenizers import Tokenizer

        folder = export_folder(base_model, cache, backend)
        meta = json.loads((folder / "export.json").read_text(encoding="utf-8"))
        self.backend = backend
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.max_length = int(meta["max_length"])
        self.stride = int(meta["stride"])
        self.pad_id = int(meta["pad_id"])
        self.inputs = meta["inputs"]
        model = folder / "model.onnx"
        self.runner = OpenVinoRunner(model, "f32") if backend == "openvino" else OrtRunner(model)
        self.lock = threading.Lock()

    def _windows(self, question: str, passage: str) -> list:
        """Encodings of question + passage, the passage split into overlapping windows when it is long."""
        room = self.max_length - len(self.tokenizer.encode(question, add_special_tokens=False).ids) - 3
        if room < 16:
            question = self.tokenizer.decode(self.tokenizer.encode(question, add_special_tokens=False).ids[:64])
            room = self.max_length - 67
        self.tokenizer.enable_truncation(
            self.max_length, stride=min(self.stride, room // 2), strategy="only_second", direction="right"
        )
        encoding = self.tokenizer.encode(question, passage)
        return [encoding, *encoding.overflowing]

    def read(self, question: str, passages: list[Passage],
             avoid: Callable[[str], bool] | None = None) -> list[ReadSpan]:  # fmt: skip
        """Each passage's best span (over its windows), in the order of ``passages``; ``avoid``: see
        :meth:`read_pairs`."""
        return [r for r in self.read_pairs([(question, p) for p in passages], avoid) if r is not None]

    def read_pairs(self, pairs: list[tuple[str, Passage]],
                   avoid: Callable[[str], bool] | None = None) -> list[ReadSpan | None]:  # fmt: skip
        """The best span of each ``(question, passage)`` pair, all read in one batch (``None`` where the passage
        holds no span): checking several questions against their passages costs one call of the network.
        ``avoid``: sentences the span is not taken from while the passage has another (a question about the present
        is not answered from a report's recap of what was said before)."""
        if not pairs:
            return []
        rows: list[tuple[int, Any]] = []
        with self.lock:  # the tokenizer's truncation setting is shared state
            for index, (question, passage) in enumerate(pairs):
                rows.extend((index, window) for window in self._windows(question, passage.text))
        width = max(len(w.ids) for _, w in rows)
        feeds = {name: np.full((len(rows), width), self.pad_id if name == "input_ids" else 0, dtype=np.int64)
                 for name in self.inputs}  # fmt: skip
        for r, (_, window) in enumerate(rows):
            n = len(window.ids)
            feeds["input_ids"][r, :n] = window.ids
            feeds["attention_mask"][r, :n] = 1
            feeds["token_type_ids"][r, :n] = window.type_ids
        start, end, answerable = (np.asarray(o) for o in self.runner.run_all(feeds))
        sentences = [split_sentences(p.text) or [(0, len(p.text))] for _, p in pairs]
        avoided = [_avoided(p.text, spans, avoid) for (_, p), spans in zip(pairs, sentences, strict=True)]
        datelines = [dateline_end(p.text) if p.start == 0 and not asks_place(q) else 0 for q, p in pairs]
        best: dict[int, ReadSpan] = {}
        for r, (index, window) in enumerate(rows):
            context = np.array([s == 1 for s in window.sequence_ids])
            segments = sentence_of_tokens(window.offsets, context, [s for s, _ in sentences[index]])
            logits = start[r, : len(context)], end[r, : len(context)]
            allowed = None
            if avoided[index] or datelines[index]:
                after_dateline = np.array([o[0] for o in window.offsets]) >= datelines[index]
                allowed = ~np.isin(segments, avoided[index]) & after_dateline
            span = best_token_span(*logits, context, segments=segments, allowed=allowed)
            if span is None and allowed is not None:
                span = best_token_span(*logits, context, segments=segments)
            if span is None:
                continue
            passage = pairs[index][1]
            lo, hi = window.offsets[span.start_token][0], window.offsets[span.end_token][1]
            candidate = ReadSpan(
                passage=passage, text=passage.text[lo:hi], start=passage.start + lo, end=passage.start + hi,
                span_score=span.score, answerable=sigmoid(float(answerable[r])), span_probability=span.probability,
            )  # fmt: skip
            current = best.get(index)
            if current is None or (candidate.answerable, candidate.span_score) > (
                current.answerable,
                current.span_score,
            ):
                best[index] = candidate
        return [best.get(i) for i in range(len(pairs))]


def _avoided(text: str, sentences: list[tuple[int, int]], avoid: Callable[[str], bool] | None) -> list[int]:
    """Indices of the sentences ``avoid`` rules out, none when it would rule out all of them."""
    if avoid is None:
        return []
    out = [i for i, (s, e) in enumerate(sentences) if avoid(text[s:e])]
    return out if len(out) < len(sentences) else []


@lru_cache(maxsize=2)
def load_reader(base_model: str, cache: str, backend: str) -> Reader:
    """One reader per process and backend (the graph costs ~100 MB)."""
    return Reader(base_model, Path(cache), backend)
