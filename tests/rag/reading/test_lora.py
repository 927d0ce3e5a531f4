"""A low-rank (LoRA) training stage on top of the committed reader: saved small, merged at load, same network."""

import pytest

pytestmark = pytest.mark.slow


def _outputs(model, tokenizer):
    import torch

    x = tokenizer(["Who designed the bridge?"], ["Engineer Tomas Berg designed the 320-metre bridge."],
                  return_tensors="pt")  # fmt: skip
    with torch.no_grad():
        return model(x["input_ids"], x["attention_mask"], x["token_type_ids"])


def test_an_adapter_file_loads_as_the_network_it_was_trained_as(tmp_path):
    import torch
    from safetensors.torch import save_file
    from transformers import AutoTokenizer

    from rag.reading.model import add_lora, load
    from rag.settings import packaged_embedding_model

    base = packaged_embedding_model()
    tokenizer = AutoTokenizer.from_pretrained(base)
    torch.manual_seed(0)
    adapted = add_lora(load(base, adapter=None), rank=4, alpha=8.0).eval()
    trainable = {n for n, p in adapted.named_parameters() if p.requires_grad}
    assert trainable and all("lora_" in n or n.startswith(("span.", "answerable.")) for n in trainable)
    with torch.no_grad():  # a trained update is not zero: give B (zero at start) some weight
        for name, p in adapted.named_parameters():
            if name.endswith("lora_b"):
                p.normal_(0, 0.02)
    state = {n: p.detach().half() for n, p in adapted.named_parameters() if p.requires_grad}
    adapter = tmp_path / "adapter.safetensors"
    save_file({**state, "lora_alpha": torch.tensor([8.0])}, str(adapter))
    assert adapter.stat().st_size < 1_000_000  # small: rank 4 over 36 layers plus the heads

    merged = load(base, adapter=adapter)
    plain = load(base, adapter=None)
    unmerged = add_lora(load(base, adapter=None), 4, 8.0)
    unmerged.load_state_dict({n: v.float() for n, v in state.items()}, strict=False)
    expected = _outputs(unmerged.eval(), tokenizer)
    got, before = _outputs(merged, tokenizer), _outputs(plain, tokenizer)
    assert max(float((e - g).abs().max()) for e, g in zip(expected, got, strict=True)) < 1e-3
    assert max(float((b - g).abs().max()) for b, g in zip(before, got, strict=True)) > 1e-2  # it changed something
    assert not any("lora_" in n for n, _ in merged.named_parameters())  # merged: the plain network to export
