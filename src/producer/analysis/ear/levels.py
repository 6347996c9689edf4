"""Peaks and dynamics: clipped runs, inter-sample peaks, PLR, PSR over time, LRA, crest, DR.

* Clipping: runs of >= 3 consecutive samples at full scale (``stream.FULL_SCALE``), per channel.
* Inter-sample peaks: our BS.1770-4 meter's true peak (producer.analysis.loudness) over 0 dBTP.
* PLR = true peak − integrated loudness; PSR(t) = the largest sample peak of the 3 s window −
  its short-term loudness (the meter gives one true peak per programme, not per window; on
  music the two peaks differ by well under 1 dB, and the ISP check covers the rest).
* DR: the Pleasurize Music Foundation "DR" algorithm as the open meters implement it (janw/
  drmeter, simon-r/dr14_t.meter): per channel 3 s blocks (the last partial one included), block
  RMS = √(2·mean x²) (a sine's equals its peak), the loudest 20 % of blocks (round(0.2·n)),
  DR = 20·log10(second-highest block peak / RMS of those blocks), mean of the channels. Written
  here rather than called from drmeter because it must run on the streamed blocks (drmeter reads
  whole files); it needs 4 blocks, as drmeter does.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from producer.analysis.ear.findings import Finding, ranges, spans_text
from producer.analysis.ear.frames import F64
from producer.analysis.ear.stream import SignalFeatures
from producer.units import gain_to_db

DR_MIN_BLOCKS = 4
DR_TOP_RATIO = 0.2
#: PSR window (s): the EBU short-term window.
PSR_WINDOW_S = 3.0
ISP_SOURCE = (
    "0 dBTP: above it the reconstructed signal exceeds full scale (ITU-R BS.1770-4 Annex 2)"
)


def dr_value(dr_rms: F64, dr_peak: F64) -> tuple[float | None, list[float]]:
    """(DR, per-channel DR) of the 3 s block RMS/peaks, or (None, []) for fewer than 4 blocks."""
    blocks = dr_rms.shape[1]
    if blocks < DR_MIN_BLOCKS:
        return None, []
    top = max(1, round(blocks * DR_TOP_RATIO))
    per_channel = []
    for rms, peak in zip(dr_rms, dr_peak, strict=True):
        loud = np.sort(rms)[-top:]
        rms_top = math.sqrt(float(np.mean(loud**2)))
        second = float(np.sort(peak)[-2])
        per_channel.append(
            20.0 * math.log10(second / rms_top) if rms_top > 0 and second > 0 else 0.0
        )
    return float(np.mean(per_channel)), per_channel


def psr_series(sig: SignalFeatures) -> tuple[F64, F64]:
    """(times s, PSR dB) on the analysis hop: window sample peak − short-term loudness."""
    rep = sig.loudness
    hop_s = sig.stats_s
    peaks = sig.hop_peak.astype(np.float64)
    n = len(peaks)
    if n == 0 or len(rep.short_term_lufs) == 0:
        return np.zeros(0), np.zeros(0)
    w = max(1, round(PSR_WINDOW_S / hop_s))
    pad = np.concatenate([np.zeros(w - 1), peaks])
    window_peak = np.lib.stride_tricks.sliding_window_view(pad, w).max(axis=1)
    ends = (np.arange(n) + 1) * hop_s
    st = np.interp(ends, rep.short_term_times_s, rep.short_term_lufs, left=np.nan, right=np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        psr = 20.0 * np.log10(window_peak) - st
    ok = np.isfinite(psr) & (st > -70.0)
    return ends[ok], psr[ok]


def level_metrics(sig: SignalFeatures) -> dict[str, Any]:
    """The peak/loudness/dynamics metrics of one signal (JSON-ready numbers)."""
    rep = sig.loudness
    peak = float(sig.peak.max()) if len(sig.peak) else 0.0
    ms = float(np.mean(sig.mean_square))
    dr, dr_ch = dr_value(sig.dr_rms, sig.dr_peak)
    _, psr = psr_series(sig)
    rms_db = 10.0 * math.log10(ms) if ms > 0 else -math.inf
    # PLR from the true peak; a stem that never comes within 6 dB of full scale has none
    # measured (see stream.TP_CANDIDATE), and its sample peak stands in (under-reading the
    # true peak by a fraction of a dB on music): the JSON says which.
    tp_known = math.isfinite(sig.true_peak_dbtp)
    plr_peak = sig.true_peak_dbtp if tp_known else gain_to_db(peak)
    loud = rep.integrated_lufs
    plr = plr_peak - loud if math.isfinite(loud) and peak > 0 else None
    return {
        "integrated_lufs": rep.integrated_lufs,
        "loudness_range_lu": rep.loudness_range_lu,
        "true_peak_dbtp": sig.true_peak_dbtp,
        "sample_peak_dbfs": gain_to_db(peak),
        "rms_dbfs": rms_db,
        "crest_factor_db": gain_to_db(peak) - rms_db if peak > 0 and ms > 0 else None,
        "plr_lu": plr,
        "plr_peak": "true peak" if tp_known else "sample peak",
        "psr_median_db": float(np.median(psr)) if len(psr) else None,
        "psr_p10_db": float(np.percentile(psr, 10)) if len(psr) else None,
        "dr": dr,
        "dr_rounded": round(dr) if dr is not None else None,
        "dr_per_channel": dr_ch,
        "clipped_runs": sig.clip_run_count,
        "duration_s": sig.duration_s,
    }


def clipping_findings(sig: SignalFeatures, stem: str | None, float_render: bool) -> list[Finding]:
    """Runs of >= 3 samples at full scale. On a stem of a floating-point render, samples over
    full scale clip nothing yet (the engine is float), so it is a warning there."""
    if sig.clip_run_count == 0:
        return []
    rate = sig.sample_rate
    runs = sig.clip_runs[np.argsort(sig.clip_runs[:, 0], kind="stable")]
    times = tuple((int(s) / rate, (int(s) + int(n)) / rate) for s, n, _ in runs[:50])
    peak_db = gain_to_db(float(sig.peak.max()))
    who = stem or "the mix"
    over = float_render and peak_db > 0.01
    if over:
        cut = math.ceil((peak_db + 0.3) * 10) / 10
        action = (
            f"lower {who} by {cut:.1f} dB (its peak is {peak_db:+.1f} dBFS) before it is bounced"
        )
    else:
        action = (
            f"lower the gain before the clipping stage of {who} by at least 3 dB and re-render "
            "(a clipped peak's true height is lost); if it is the recording, use another take"
        )
    severity = "warning" if (over and stem is not None) else "error"
    return [
        Finding(
            check="clipping",
            severity=severity,
            metric="clipped_runs",
            value=float(sig.clip_run_count),
            threshold=0.0,
            source="runs of >= 3 consecutive samples at full scale (issue 13; cf. Essentia SaturationDetector)",
            stems=(stem,) if stem else (),
            times_s=times,
            action=action,
            message=f"{who}: {sig.clip_run_count} run(s) of 3+ samples at full scale at {spans_text(times)}",
            data={"sample_peak_dbfs": peak_db, "runs_listed": len(times)},
        )
    ]


def isp_findings(sig: SignalFeatures, stem: str | None) -> list[Finding]:
    """True peak over 0 dBTP (the meter's 4x polyphase interpolation)."""
    tp = sig.true_peak_dbtp
    if not math.isfinite(tp) or tp <= 0.0:
        return []
    ev = sig.true_peak_events_s
    hop = sig.loudness.hop_s if sig.metered else 0.05
    times: tuple[tuple[float, float], ...] = ()
    if len(ev):
        grid = np.zeros(int(ev.max() / hop) + 2, dtype=bool)
        grid[np.round(ev / hop).astype(int)] = True
        times = ranges(grid, hop, merge_gap_s=0.5)
    who = stem or "the mix"
    cut = math.ceil((tp + 1.0) * 10) / 10
    return [
        Finding(
            check="inter-sample-peaks",
            severity="info" if stem else "warning",
            metric="true_peak_dbtp",
            value=tp,
            threshold=0.0,
            source=ISP_SOURCE,
            stems=(stem,) if stem else (),
            times_s=times,
            action=f"lower {who} by {cut:.1f} dB, or end the chain with a true-peak limiter at -1.0 dBTP",
            message=f"{who}: true peak {tp:+.2f} dBTP (sample peak {gain_to_db(float(sig.peak.max())):+.2f} dBFS)"
            + (f" at {spans_text(times)}" if times else ""),
        )
    ]


def dynamics_findings(
    metrics: dict[str, Any], reference_lufs: float | None, ceiling_dbtp: float | None, profile: str
) -> list[Finding]:
    """PLR of the mix against the room its delivery profile leaves: a master whose PLR is
    below (ceiling − target) is turned down by loudness normalisation with its peaks still
    under the ceiling, so the limiting bought nothing there."""
    plr = metrics.get("plr_lu")
    if reference_lufs is None or ceiling_dbtp is None or plr is None or not math.isfinite(plr):
        return []
    room = ceiling_dbtp - reference_lufs
    if plr >= room:
        return []
    lost = room - plr
    return [
        Finding(
            check="dynamics",
            severity="warning" if lost >= 4.0 else "info",
            metric="plr_lu",
            value=plr,
            threshold=room,
            source=f"delivery profile {profile}: ceiling {ceiling_dbtp:g} dBTP − target {reference_lufs:g} LUFS",
            action=f"limit {lost:.1f} dB less (aim for a PLR of {room:.0f} LU): at {reference_lufs:g} LUFS "
            "the platform turns the mix down and its peaks stay under the ceiling anyway",
            message=f"peak-to-loudness ratio {plr:.1f} LU is {lost:.1f} LU below the {room:.0f} LU that "
            f"{profile} playback leaves room for",
            data={
                "psr_median_db": metrics.get("psr_median_db"),
                "loudness_range_lu": metrics.get("loudness_range_lu"),
                "dr": metrics.get("dr"),
            },
        )
    ]


__all__ = [
    "DR_MIN_BLOCKS",
    "clipping_findings",
    "dr_value",
    "dynamics_findings",
    "isp_findings",
    "level_metrics",
    "psr_series",
]
