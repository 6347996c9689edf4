"""What the extra ear reports: findings with their value, threshold, source and one action.

A finding is one row of the issue's JSON (``check, severity, metric, value, threshold, source,
stems, band_hz, times_s, action``), plus optional details (``data``). Every threshold names
where it comes from: a delivery profile, a cited rule, the references, or "producer" for the
values this module chose itself (the reason is then in ``source`` too).

Severity: ``error`` is a fault that damages the audio for every listener (clipping, polarity
cancellation in mono); ``warning`` is a problem most engineers would fix; ``info`` is a
measurement worth knowing. A clean mix yields no error.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

SEVERITIES = ("error", "warning", "info")

#: The check names of the issue, in report order.
CHECKS = (
    "clipping",
    "inter-sample-peaks",
    "polarity",
    "mono-compatibility",
    "mic-alignment",
    "masking",
    "vocal-balance",
    "spectral-balance",
    "low-end-mono",
    "dc-offset",
    "hum",
    "noise-floor",
    "dynamics",
    "delivery",
    "tempo",
    "key",
    "version-diff",
)


@dataclass(frozen=True)
class Finding:
    """One thing the ear noticed. ``band_hz`` is ``(low, high)``; ``times_s`` a list of
    ``(start, end)`` ranges in seconds of the analysed mix; ``stems`` the tracks involved,
    the one to act on first."""

    check: str
    severity: str
    metric: str
    value: float | None
    threshold: float | None
    source: str
    action: str
    stems: tuple[str, ...] = ()
    band_hz: tuple[float, float] | None = None
    times_s: tuple[tuple[float, float], ...] = ()
    message: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        assert self.check in CHECKS, self.check
        assert self.severity in SEVERITIES, self.severity

    def to_json(self) -> dict[str, Any]:
        """The issue's finding object (and ``message``/``data`` beside it)."""
        out: dict[str, Any] = {
            "check": self.check,
            "severity": self.severity,
            "metric": self.metric,
            "value": rounded(self.value),
            "threshold": rounded(self.threshold),
            "source": self.source,
            "stems": list(self.stems),
            "band_hz": [round(self.band_hz[0], 1), round(self.band_hz[1], 1)]
            if self.band_hz
            else None,
            "times_s": [[round(a, 3), round(b, 3)] for a, b in self.times_s] or None,
            "action": self.action,
            "message": self.message,
        }
        if self.data:
            out["data"] = jsonable(self.data)
        return out


def rounded(x: float | None, digits: int = 3) -> float | None:
    """A JSON number: None for missing or non-finite values."""
    if x is None:
        return None
    x = float(x)
    return round(x, digits) if math.isfinite(x) else None


def jsonable(value: Any) -> Any:
    """Plain JSON data from numpy scalars/arrays, tuples and non-finite floats (→ None)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return rounded(float(value), 4)
    return value


def sort_findings(findings: Sequence[Finding]) -> list[Finding]:
    """Errors first, then warnings, then notes; within a severity in the order of CHECKS."""
    return sorted(
        findings,
        key=lambda f: (SEVERITIES.index(f.severity), CHECKS.index(f.check)),
    )


def ranges(
    mask: npt.NDArray[np.bool_],
    step_s: float,
    *,
    offset_s: float = 0.0,
    merge_gap_s: float = 1.0,
    min_length_s: float = 0.0,
    limit: int = 20,
) -> tuple[tuple[float, float], ...]:
    """Time ranges (s) where ``mask`` (one value per ``step_s``) holds, gaps below
    ``merge_gap_s`` bridged, ranges shorter than ``min_length_s`` dropped; the longest
    ``limit`` kept, in time order."""
    m = np.asarray(mask, dtype=bool)
    if not m.any():
        return ()
    edges = np.diff(np.concatenate([[0], m.astype(np.int8), [0]]))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    merged: list[list[int]] = []
    gap = merge_gap_s / step_s
    for s, e in zip(starts, ends, strict=True):
        if merged and s - merged[-1][1] <= gap:
            merged[-1][1] = int(e)
        else:
            merged.append([int(s), int(e)])
    out = [
        (offset_s + s * step_s, offset_s + e * step_s)
        for s, e in merged
        if (e - s) * step_s >= min_length_s
    ]
    if len(out) > limit:
        out = sorted(sorted(out, key=lambda r: r[0] - r[1])[:limit])
    return tuple(out)


def clock(seconds: float) -> str:
    """m:ss.s for a time in a song."""
    m, s = divmod(max(0.0, seconds), 60.0)
    return f"{int(m)}:{s:04.1f}"


def spans_text(times: Sequence[tuple[float, float]], limit: int = 3) -> str:
    """'0:12.0–0:18.5, 1:02.0–1:10.0 and 2 more' for a message."""
    parts = [f"{clock(a)}–{clock(b)}" for a, b in times[:limit]]
    more = len(times) - limit
    return ", ".join(parts) + (f" and {more} more" if more > 0 else "")


def hz(f: float) -> str:
    """250 Hz, 1.6 kHz."""
    return f"{f / 1000:.3g} kHz" if f >= 1000 else f"{f:.0f} Hz"


__all__ = [
    "CHECKS",
    "SEVERITIES",
    "Finding",
    "clock",
    "hz",
    "jsonable",
    "ranges",
    "rounded",
    "sort_findings",
    "spans_text",
]
