"""The quality gate: the main config's metrics against ``evals/thresholds.json``."""

from __future__ import annotations

import json
from pathlib import Path

from rag.errors import BadInput

THRESHOLDS = Path(__file__).resolve().parent / "thresholds.json"


def load_thresholds(path: Path | str = THRESHOLDS, key: str = "metrics") -> dict[str, float]:
    """``{key: {name: minimum}}`` from the thresholds file (``metrics`` gates the seed set, ``conversations``
    the multi-turn set's follow-ups); each minimum a number in (0, 1]."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise BadInput(f"cannot read thresholds {path}: {exc}") from None
    metrics = doc.get(key) if isinstance(doc, dict) else None
    if not isinstance(metrics, dict) or not metrics:
        raise BadInput(f'{path}: expected {{"{key}": {{name: minimum, ...}}}}')
    for name, value in metrics.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
            raise BadInput(f"{path}: threshold for {name!r} must be a number in (0, 1], got {value!r}")
    return {name: float(value) for name, value in metrics.items()}


def check(metrics: dict, thresholds: dict[str, float]) -> list[str]:
    """One message per metric below its threshold (or not measured at all); empty when the gate passes."""
    failures = []
    for name, minimum in thresholds.items():
        value = metrics.get(name)
        if value is None:
            failures.append(f"{name}: not measured (threshold {minimum:.3f})")
        elif value < minimum:
            failures.append(f"{name}: {value:.3f} < threshold {minimum:.3f}")
    return failures
