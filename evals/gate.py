"""The quality gate: the main config's metrics against ``evals/thresholds.json``."""

from __future__ import annotations

import json
from pathlib import Path

from rag.errors import BadInput

THRESHOLDS = Path(__file__).resolve().parent / "thresholds.json"


def load_thresholds(path: Path | str = THRESHOLDS, key: str = "metrics") -> dict[str, float]:
    """``{key: {name: bound}}`` from the thresholds file (``metrics`` gates the seed set, ``conversations``
    the multi-turn set's follow-ups, ``metrics_max`` the seed set's risk and calibration error from above); each
    bound a number in (0, 1]."""
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


def check(metrics: dict, thresholds: dict[str, float], upper: bool = False) -> list[str]:
    """One message per metric below its threshold (above it, for ``upper`` bounds: risks and calibration errors)
    or not measured at all; empty when the gate passes."""
    failures = []
    for name, bound in thresholds.items():
        value = metrics.get(name)
        if value is None:
            failures.append(f"{name}: not measured (threshold {bound:.3f})")
        elif upper and value > bound:
            failures.append(f"{name}: {value:.3f} > maximum {bound:.3f}")
        elif not upper and value < bound:
            failures.append(f"{name}: {value:.3f} < threshold {bound:.3f}")
    return failures


def check_all(metrics: dict, path: Path | str = THRESHOLDS, key: str = "metrics") -> list[str]:
    """``metrics`` against the minimums under ``key`` and the maximums under ``key + "_max"`` (when present)."""
    failures = check(metrics, load_thresholds(path, key))
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    if f"{key}_max" in doc:
        failures += check(metrics, load_thresholds(path, f"{key}_max"), upper=True)
    return failures
