"""The two things every benchmark prints: percentiles of timings and a plain-text table."""

from __future__ import annotations

from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolation percentile (numpy's default), ``q`` in 0..100; None when there are no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return round(ordered[low] + (ordered[high] - ordered[low]) * (position - low), 2)


def text_table(rows: list[dict], title: str) -> str:
    """``rows`` (dicts with the same keys, in column order) under ``title``, columns padded to align."""
    columns = list(rows[0])
    widths = {c: max(len(c), *(len(_cell(r[c])) for r in rows)) for c in columns}
    out = [f"\n{title}", " | ".join(c.ljust(widths[c]) for c in columns), "-|-".join("-" * widths[c] for c in columns)]
    out += [" | ".join(_cell(r[c]).ljust(widths[c]) for c in columns) for r in rows]
    return "\n".join(out)


def _cell(value) -> str:
    return f"{value:.2f}" if isinstance(value, float) else str(value)
