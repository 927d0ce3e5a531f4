"""The reader network (torch): the packaged MiniLM encoder with a span head and an answerability head.

Only training (``evals/train_reader.py``) and the one-time ONNX export (:mod:`rag.reader`) import this module;
answering runs the exported graph, so a server never loads torch. The committed weights
(``rag/models/reader/reader.safetensors``) hold only what training changed: the transformer layers and the
two heads, in fp16. The word/position embeddings stay frozen during training, so they are taken from the
packaged model at load time and never committed twice.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from rag.reader_weights import CARD_FILE, WEIGHTS_FILE

__all__ = ["CARD_FILE", "WEIGHTS_FILE", "ReaderModel", "build", "load"]
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


def build(base_model: str, *, freeze_embeddings: bool = True) -> ReaderModel:
    """A reader on the encoder of the sentence-transformers folder ``base_model``, heads freshly initialised."""
    from transformers import AutoModel

    encoder = AutoModel.from_pretrained(base_model, attn_implementation="eager", add_pooling_layer=False)
    model = ReaderModel(encoder)
    if freeze_embeddings:
        for p in model.encoder.embeddings.parameters():
            p.requires_grad = False
    return model


def load(base_model: str, weights: Path = WEIGHTS_FILE) -> ReaderModel:
    """The trained reader: the packaged encoder with the committed (fp16) trained parameters put back as fp32."""
    from safetensors.torch import load_file

    model = build(base_model)
    state = {k: v.float() for k, v in load_file(str(weights)).items()}
    expected = set(model.trained_state())
    if set(state) != expected:
        missing, extra = sorted(expected - set(state)), sorted(set(state) - expected)
        raise ValueError(f"{weights} does not fit the reader: missing {missing[:3]}, unexpected {extra[:3]}")
    model.load_state_dict(state, strict=False)
    return model.eval()
