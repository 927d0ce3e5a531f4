"""The reader network (torch): the packaged MiniLM encoder with a span head and an answerability head.

Only training (``evals/train_reader.py``) and the one-time ONNX export (:mod:`rag.reading.reader`) import this module;
answering runs the exported graph, so a server never loads torch. The committed weights
(``rag/models/reader/reader.safetensors``) hold only what training changed: the transformer layers and the
two heads, in fp16. The word/position embeddings stay frozen during training, so they are taken from the
packaged model at load time and never committed twice.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from rag.reading.weights import ADAPTER_FILE, CARD_FILE, WEIGHTS_FILE

__all__ = [
    "ADAPTER_FILE",
    "CARD_FILE",
    "WEIGHTS_FILE",
    "ReaderModel",
    "add_lora",
    "build",
    "load",
    "merge_lora",
]
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
OUTPUTS = ("start_logits", "end_logits", "answerable_logit")


class ReaderModel(nn.Module):
    """Start/end logits over every token, and one answerability logit read from the [CLS] token (SQuAD 2.0
    style: a question can be unanswerable from the window it reads)."""

    def __init__(self, encoder: nn.Module) -> None:
        super().__init__()
        self.encoder = encoder
        hidden = encoder.config.hidden_size
        self.span = nn.Linear(hidden, 2)
        self.answerable = nn.Linear(hidden, 1)

    def forward(self, input_ids, attention_mask, token_type_ids):
        states = self.encoder(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state
        start, end = self.span(states).unbind(-1)
        return start, end, self.answerable(states[:, 0]).squeeze(-1)

    def trained_state(self) -> dict[str, torch.Tensor]:
        """The parameters training changes (everything but the frozen embeddings and the unused pooler)."""
        return {name: p.detach() for name, p in self.named_parameters() if p.requires_grad}


class LoRALinear(nn.Module):
    """A frozen linear layer plus a trainable low-rank update ``B @ A`` (LoRA): a later training stage that is
    small enough to commit beside the full weights (``rank`` × (in + out) numbers per layer)."""

    def __init__(self, base: nn.Linear, rank: int, alpha: float) -> None:
        super().__init__()
        self.base = base
        self.scale = alpha / rank
        self.lora_a = nn.Parameter(torch.randn(rank, base.in_features) * (1 / rank) ** 0.5 / base.in_features**0.5)
        self.lora_b = nn.Parameter(torch.zeros(base.out_features, rank))

    def forward(self, x):
        return self.base(x) + (x @ self.lora_a.T @ self.lora_b.T) * self.scale

    def merged(self) -> nn.Linear:
        with torch.no_grad():
            self.base.weight += (self.lora_b @ self.lora_a) * self.scale
        return self.base


def _lora_sites(model: ReaderModel):
    """(module, attribute) of every linear layer LoRA adapts: attention query/key/value/output and both
    feed-forward layers of each transformer layer."""
    for layer in model.encoder.encoder.layer:
        attention = layer.attention
        yield from ((attention.self, "query"), (attention.self, "key"), (attention.self, "value"))
        yield from ((attention.output, "dense"), (layer.intermediate, "dense"), (layer.output, "dense"))


def add_lora(model: ReaderModel, rank: int, alpha: float) -> ReaderModel:
    """Freeze every parameter but the two heads and adapt the transformer's linear layers with LoRA."""
    for p in model.parameters():
        p.requires_grad = False
    for head in (model.span, model.answerable):
        for p in head.parameters():
            p.requires_grad = True
    for parent, name in _lora_sites(model):
        setattr(parent, name, LoRALinear(getattr(parent, name), rank, alpha))
    return model


def merge_lora(model: ReaderModel) -> ReaderModel:
    """Fold every LoRA update into its linear layer: the plain network again (for export and serving)."""
    for parent, name in _lora_sites(model):
        module = getattr(parent, name)
        if isinstance(module, LoRALinear):
            setattr(parent, name, module.merged())
    return model


def build(base_model: str, *, freeze_embeddings: bool = True) -> ReaderModel:
    """A reader on the encoder of the sentence-transformers folder ``base_model``, heads freshly initialised."""
    from transformers import AutoModel

    encoder = AutoModel.from_pretrained(base_model, attn_implementation="eager", add_pooling_layer=False)
    model = ReaderModel(encoder)
    if freeze_embeddings:
        for p in model.encoder.embeddings.parameters():
            p.requires_grad = False
    return model


def load(base_model: str, weights: Path = WEIGHTS_FILE, adapter: Path | None = ADAPTER_FILE) -> ReaderModel:
    """The trained reader: the packaged encoder with the committed (fp16) trained parameters put back as fp32,
    and the low-rank stage on top of them (``adapter``, when the file exists) merged in."""
    from safetensors.torch import load_file

    model = build(base_model)
    state = {k: v.float() for k, v in load_file(str(weights)).items()}
    expected = set(model.trained_state())
    if set(state) != expected:
        missing, extra = sorted(expected - set(state)), sorted(set(state) - expected)
        raise ValueError(f"{weights} does not fit the reader: missing {missing[:3]}, unexpected {extra[:3]}")
    model.load_state_dict(state, strict=False)
    if adapter is not None and adapter.exists():
        extra = {k: v.float() for k, v in load_file(str(adapter)).items()}
        rank = next(v.shape[0] for k, v in extra.items() if k.endswith("lora_a"))
        add_lora(model, rank, float(extra.pop("lora_alpha").item()))
        missing = {n for n, p in model.named_parameters() if p.requires_grad} - set(extra)
        if missing:
            raise ValueError(f"{adapter} does not fit the reader: missing {sorted(missing)[:3]}")
        model.load_state_dict(extra, strict=False)
        merge_lora(model)
    return model.eval()
