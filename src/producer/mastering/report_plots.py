"""The figures of the delivery report (matplotlib, Agg: no display needed), as inline SVG.

Each plot is drawn against the run's own numbers: the loudness target and its tolerance of
the profile (or of the reference / album normalisation that replaced it), the true-peak
ceiling of the profile, the limiter the chain actually ran. SVG rather than PNG so the page
prints sharp; long programmes are reduced to their maximum per bucket so no peak is hidden and
a 3-hour file plots as fast as a song.
"""

from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import numpy.typing as npt

from producer.analysis import loudness
from producer.audio import Audio
from producer.mastering.chain import GR_BLOCK_S, MasterResult, long_term_spectrum_db
from producer.mastering.verdict import LoudnessGoal

MAX_POINTS = 3000
#: True-peak events are drawn when they come within this of the ceiling (dB).
NEAR_CEILING_DB = 1.0
#: Sample peaks are drawn per block of this length (s).
PEAK_BLOCK_S = 0.05

INK = "#1f2933"
MUTED = "#7b8794"
MASTER = "#2f6fdf"
MIX = "#9aa5b1"
TARGET = "#0b7a53"
CEILING = "#c0392b"
WARN = "#e67e22"

_STYLE: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 8.5,
    "axes.edgecolor": "#cbd2d9",
    "axes.labelcolor": INK,
    "axes.titlesize": 9,
    "axes.grid": True,
    "grid.color": "#e4e7eb",
    "grid.linewidth": 0.6,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "legend.fontsize": 7.5,
    "svg.fonttype": "none",
}


@dataclass(frozen=True)
class Figure:
    title: str
    caption: str
    svg_base64: str


def _reduce_max(
    times: npt.NDArray[np.float64], values: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    if len(values) <= MAX_POINTS:
        return times, values
    step = -(-len(values) // MAX_POINTS)
    usable = (len(values) // step) * step
    return times[:usable:step], values[:usable].reshape(-1, step).max(axis=1)


def _svg(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _time_axis(ax: Any, duration_s: float) -> None:
    ax.set_xlim(0.0, max(duration_s, 1e-3))
    if duration_s > 120:
        ax.xaxis.set_major_formatter(
            matplotlib.ticker.FuncFormatter(lambda t, _: f"{int(t // 60)}:{int(t % 60):02d}")
        )
        ax.set_xlabel("time (min:s)")
    else:
        ax.set_xlabel("time (s)")


def _loudness(result: MasterResult, goal: LoudnessGoal, profile_name: str) -> Figure | None:
    before, after = result.input_report, result.report
    if after is None:
        return None
    fig, ax = plt.subplots(figsize=(9, 2.9))
    floor = min(goal.target_lufs - 30.0, -40.0)
    lo, hi = goal.target_lufs - goal.tolerance_lu, goal.target_lufs + goal.tolerance_lu
    ax.axhspan(lo, hi, color=TARGET, alpha=0.12, lw=0)
    ax.axhline(goal.target_lufs, color=TARGET, lw=1.0, ls="--")
    if before is not None:
        t, m = _reduce_max(before.momentary_times_s, before.momentary_lufs)
        ax.plot(t, np.maximum(m, floor), color="#d3d8de", lw=0.6, label="mix, momentary (0.4 s)")
        t, s = _reduce_max(before.short_term_times_s, before.short_term_lufs)
        ax.plot(t, np.maximum(s, floor), color=MIX, lw=1.0, label="mix, short-term (3 s)")
    t, m = _reduce_max(after.momentary_times_s, after.momentary_lufs)
    ax.plot(t, np.maximum(m, floor), color="#8fb3f0", lw=0.6, label="master, momentary (0.4 s)")
    t, s = _reduce_max(after.short_term_times_s, after.short_term_lufs)
    ax.plot(t, np.maximum(s, floor), color=MASTER, lw=1.4, label="master, short-term (3 s)")
    where = {
        "reference": "the reference's loudness",
        "custom": "custom target",
        "album": "album target (the loudest song)",
    }.get(goal.kind, f"{profile_name} target")
    ax.annotate(
        f"{where}: {goal.target_lufs:.1f} LUFS ± {goal.tolerance_lu:.1f} LU",
        xy=(1.0, goal.target_lufs), xycoords=("axes fraction", "data"),
        xytext=(-4, 4), textcoords="offset points", ha="right", va="bottom",
        color=TARGET, fontsize=7.5,
    )  # fmt: skip
    ax.axhline(result.integrated_lufs, color=MASTER, lw=0.8, ls=":")
    ax.set_ylim(floor, max(0.0, goal.target_lufs + 6.0))
    ax.set_ylabel("loudness (LUFS)")
    _time_axis(ax, after.duration_s)
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.2), ncol=4)
    caption = (
        f"Integrated loudness of the master {result.integrated_lufs:.2f} LUFS (dotted), of the "
        f"mix {result.input_integrated_lufs:.2f} LUFS; loudness range {result.loudness_range_lu:.1f} LU "
        f"(mix {result.input_loudness_range_lu:.1f} LU). BS.1770-4, EBU R 128 gating."
    )
    return Figure("Loudness over time", caption, _svg(fig))


def _block_peaks_db(
    audio: Audio, rate: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    n = max(1, round(PEAK_BLOCK_S * rate))
    frames = audio.shape[1]
    blocks = frames // n
    if blocks == 0:
        return np.zeros(0), np.zeros(0)
    peaks = np.empty(blocks, dtype=np.float32)
    step = 200  # blocks per pass: 10 s at a time, no full-length temporary
    for b0 in range(0, blocks, step):
        b1 = min(blocks, b0 + step)
        chunk = np.abs(audio[:, b0 * n : b1 * n]).reshape(audio.shape[0], b1 - b0, n)
        peaks[b0:b1] = chunk.max(axis=(0, 2))
    with np.errstate(divide="ignore"):
        db = 20.0 * np.log10(peaks.astype(np.float64))
    return np.arange(blocks) * (n / rate), db


def _peaks(result: MasterResult, profile_name: str) -> Figure | None:
    after = result.report
    if after is None:
        return None
    ceiling = result.ceiling_dbtp
    near = loudness.measure(
        result.audio, result.sample_rate, event_threshold_dbtp=ceiling - NEAR_CEILING_DB
    )
    fig, ax = plt.subplots(figsize=(9, 2.5))
    t, p = _block_peaks_db(result.audio, result.sample_rate)
    t, p = _reduce_max(t, p)
    floor = ceiling - 24.0
    ax.fill_between(t, floor, np.maximum(p, floor), color=MASTER, alpha=0.35, lw=0,
                    label=f"sample peak per {PEAK_BLOCK_S * 1000:.0f} ms")  # fmt: skip
    events = np.asarray(near.true_peak_events_s)
    if events.size:
        ax.vlines(events, ceiling - NEAR_CEILING_DB, ceiling, color=WARN, lw=0.8,
                  label=f"true peak within {NEAR_CEILING_DB:.0f} dB of the ceiling ({events.size})")  # fmt: skip
    ax.axhline(ceiling, color=CEILING, lw=1.1)
    ax.annotate(
        f"{profile_name} ceiling {ceiling:.1f} dBTP",
        xy=(1.0, ceiling), xycoords=("axes fraction", "data"), xytext=(-4, 3),
        textcoords="offset points", ha="right", va="bottom", color=CEILING, fontsize=7.5,
    )  # fmt: skip
    if math.isfinite(after.true_peak_dbtp):
        ax.plot([after.true_peak_time_s], [result.true_peak_dbtp], marker="v", color=CEILING,
                ms=5, ls="none", label=f"highest true peak {result.true_peak_dbtp:.2f} dBTP")  # fmt: skip
    ax.set_ylim(floor, max(ceiling + 2.0, 0.5))
    ax.set_ylabel("level (dBFS / dBTP)")
    _time_axis(ax, after.duration_s)
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.2), ncol=4)
    caption = (
        f"Peaks of the delivered samples against the profile's ceiling. Highest true peak "
        f"{result.true_peak_dbtp:.2f} dBTP at {after.true_peak_time_s:.2f} s "
        "(the larger of the meter's 4× and an 8× interpolated reading)."
    )
    return Figure("Peaks against the ceiling", caption, _svg(fig))


def _limiter(result: MasterResult) -> Figure | None:
    gr = result.gain_reduction_db
    if gr.size == 0 or float(gr.max()) < 0.05:
        return None
    fig, ax = plt.subplots(figsize=(9, 2.0))
    t = np.arange(gr.size, dtype=np.float64) * GR_BLOCK_S
    t, g = _reduce_max(t, np.asarray(gr, dtype=np.float64))
    ax.fill_between(t, 0.0, -g, color=CEILING, alpha=0.45, lw=0)
    ax.set_ylabel("gain reduction (dB)")
    ax.set_ylim(min(-1.0, -float(gr.max()) * 1.15), 0.2)
    _time_axis(ax, gr.size * GR_BLOCK_S)
    caption = (
        f"What the true-peak limiter took away, per {GR_BLOCK_S * 1000:.0f} ms: at most "
        f"{result.max_gain_reduction_db:.1f} dB."
    )
    return Figure("Limiter gain reduction", caption, _svg(fig))


def _spectrum(
    result: MasterResult, reference: tuple[Audio, int] | None, reference_name: str
) -> Figure | None:
    if result.processed_input is None:
        return None
    fig, ax = plt.subplots(figsize=(9, 2.6))
    f, b = long_term_spectrum_db(result.processed_input, result.sample_rate)
    _, a = long_term_spectrum_db(result.audio, result.sample_rate)
    top = float(max(np.max(a[1:]), np.max(b[1:])))
    ax.semilogx(f[1:], b[1:], color=MIX, lw=0.9, label="mix (after corrective EQ)")
    ax.semilogx(f[1:], a[1:], color=MASTER, lw=1.0, label="master")
    if reference is not None:
        fr, r = long_term_spectrum_db(reference[0], reference[1])
        r = r - float(np.max(r[1:])) + top
        ax.semilogx(
            fr[1:], r[1:], color=WARN, lw=0.9, label=f"reference {reference_name} (aligned)"
        )
    ax.set_xlim(20.0, result.sample_rate / 2)
    ax.set_ylim(top - 80.0, top + 5.0)
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("level (dB)")
    ax.xaxis.set_major_formatter(
        matplotlib.ticker.FuncFormatter(lambda x, _: f"{x / 1000:g}k" if x >= 1000 else f"{x:g}")
    )
    ax.legend(loc="lower left")
    return Figure("Long-term spectrum", "Average spectrum over the whole programme.", _svg(fig))


def figures(
    result: MasterResult,
    goal: LoudnessGoal,
    profile_name: str,
    reference: tuple[Audio, int] | None = None,
    reference_name: str = "",
) -> list[Figure]:
    """The report's figures, in reading order (absent ones left out)."""
    with plt.rc_context(_STYLE):  # type: ignore[arg-type]
        made = [
            _loudness(result, goal, profile_name),
            _peaks(result, profile_name),
            _limiter(result),
            _spectrum(result, reference, reference_name),
        ]
    return [f for f in made if f is not None]


__all__ = ["Figure", "figures"]
