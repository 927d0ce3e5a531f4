"""Where the project's trained reader lives in the package: its weights and its machine-written card.

A module of its own so that the serving side (:mod:`rag.reading.reader`) and the torch side (:mod:`rag.reading.model`,
training and export) both name the files without importing each other."""

from pathlib import Path

WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "models" / "reader"
WEIGHTS_FILE = WEIGHTS_DIR / "reader.safetensors"  # trained layers + heads, fp16 (see the model card there)
CARD_FILE = WEIGHTS_DIR / "reader.json"
ADAPTER_FILE = WEIGHTS_DIR / "reader-adapter.safetensors"  # a later low-rank stage on top, merged at load (fp16)
