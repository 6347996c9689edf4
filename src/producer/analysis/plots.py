"""Plots of measurements (matplotlib, Agg: no display needed).

``loudness_plot`` draws momentary and short-term loudness over time, the integrated value and
the true-peak events of one or more :class:`~producer.analysis.loudness.LoudnessReport`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from producer.analysis.loudness import LoudnessReport
from producer.errors import UserError
from producer.fileio import atomic_output

#: At most this many points per curve: longer series are reduced to their max per bucket, so
#: a 3-hour programme plots as fast as a song and no peak is hidden.
MAX_POINTS = 4000


def _reduce_max(
    times_s: np.ndarray, values: np.ndarray, points: int = MAX_POINTS
) -> tuple[np.ndarray, np.ndarray]:
    if len(values) <= points:
        return times_s, values
    step = -(-len(values) // points)
    usable = (len(values) // step) * step
    return times_s[:usable:step], values[:usable].reshape(-1, step).max(axis=1)


def loudness_plot(
    reports: Sequence[LoudnessReport],
    path: str | os.PathLike[str],
    titles: Sequence[str] | None = None,
) -> Path:
    """Write a PNG with one panel per report: M and S (LUFS) over time (s), I, true-peak events.

    Returns the path written. Raises UserError when the image cannot be written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(path)
    names = (
        list(titles) if titles is not None else [f"programme {i + 1}" for i in range(len(reports))]
    )
    fig, axes = plt.subplots(
        len(reports), 1, figsize=(11, 3.2 * len(reports)), squeeze=False, constrained_layout=True
    )
    try:
        for ax, report, name in zip(axes[:, 0], reports, names, strict=True):
            floor = -60.0
            t, m = _reduce_max(report.momentary_times_s, report.momentary_lufs)
            ax.plot(t, np.maximum(m, floor), lw=0.7, color="tab:blue", label="momentary (0.4 s)")
            t, s = _reduce_max(report.short_term_times_s, report.short_term_lufs)
            ax.plot(t, np.maximum(s, floor), lw=1.4, color="tab:orange", label="short-term (3 s)")
            if math.isfinite(report.integrated_lufs):
                ax.axhline(
                    report.integrated_lufs,
                    color="black",
                    ls="--",
                    lw=1.0,
                    label=f"integrated {report.integrated_lufs:.1f} LUFS",
                )
            events = report.true_peak_events_s
            if len(events):
                ax.vlines(
                    events[:: max(1, len(events) // MAX_POINTS)],
                    0.97,
                    1.0,
                    transform=ax.get_xaxis_transform(),
                    color="tab:red",
                    lw=0.8,
                    label=f"true peak > {report.event_threshold_dbtp:g} dBTP",
                )
            if math.isfinite(report.true_peak_dbtp):
                ax.axvline(
                    report.true_peak_time_s,
                    color="tab:red",
                    ls=":",
                    lw=0.8,
                    label=f"max true peak {report.true_peak_dbtp:.1f} dBTP",
                )
            ax.set_xlim(0.0, max(report.duration_s, 0.4))
            ax.set_ylim(floor, 0.0)
            ax.set_xlabel("time (s)")
            ax.set_ylabel("loudness (LUFS)")
            ax.set_title(name, fontsize=10)
            ax.grid(alpha=0.3)
            ax.legend(loc="lower right", fontsize=7)
        try:
            # Like every output: its folder is made, and it appears only when complete.
            with atomic_output(out, durable=False) as tmp:
                fig.savefig(tmp, dpi=100, format="png")
        except (OSError, ValueError) as exc:
            raise UserError(f"{out}: cannot write the plot ({exc})") from None
    finally:
        plt.close(fig)
    return out


__all__ = ["MAX_POINTS", "loudness_plot"]
