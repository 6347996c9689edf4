"""What changed between two versions of a mix, beyond the gain.

The other version is lined up in time (GCC-PHAT on the two mono copies, :func:`.alignment.align`)
and matched in loudness (integrated loudness of our meter); then its long-term 1/3-octave
spectrum, short-term loudness over time, stereo image and dynamics are compared with this one,
and everything that moved by more than ``CHANGE_DB`` (dB, LU) is listed.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from producer.analysis.ear.alignment import align
from producer.analysis.ear.findings import Finding, clock, hz, ranges
from producer.analysis.ear.spectral import long_term_db
from producer.analysis.ear.stream import SignalFeatures

CHANGE_DB = 0.5
TIME_CHANGE_LU = 1.0
SOURCE = "version comparison, loudness-matched; changes above 0.5 dB listed (producer's threshold)"


def _finding(metric: str, value: float, message: str, action: str, **kw: Any) -> Finding:
    return Finding(
        check="version-diff",
        severity="info",
        metric=metric,
        value=value,
        threshold=kw.pop("threshold", CHANGE_DB),
        source=SOURCE,
        action=action,
        message=message,
        **kw,
    )


def compare(
    this: SignalFeatures,
    other: SignalFeatures,
    this_metrics: dict[str, Any],
    other_metrics: dict[str, Any],
    other_name: str,
) -> tuple[dict[str, Any], list[Finding]]:
    """(metrics, findings) of this version against ``other``."""
    findings: list[Finding] = []
    offset, strength = (0.0, 0.0)
    if this.mono is not None and other.mono is not None and len(this.mono) and len(other.mono):
        offset, strength = align(other.mono, this.mono, this.mono_rate)
    gain = this.loudness.integrated_lufs - other.loudness.integrated_lufs
    metrics: dict[str, Any] = {
        "against": other_name,
        "offset_ms": offset * 1000.0,
        "alignment_strength": strength,
        "loudness_change_lu": gain if math.isfinite(gain) else None,
    }
    if abs(offset) >= 0.001:
        findings.append(
            _finding(
                "offset_ms",
                offset * 1000.0,
                f"this version starts {abs(offset) * 1000:.1f} ms {'later' if offset > 0 else 'earlier'} than {other_name}",
                f"shift it by {-offset * 1000:+.1f} ms to compare sample by sample",
                threshold=1.0,
            )
        )
    if math.isfinite(gain) and abs(gain) >= 0.1:
        findings.append(
            _finding(
                "loudness_change_lu",
                gain,
                f"{gain:+.1f} LU louder than {other_name}"
                if gain > 0
                else f"{gain:+.1f} LU quieter than {other_name}",
                f"listen at matched loudness: turn this version {-gain:+.1f} dB before judging the rest",
                threshold=0.1,
            )
        )
    # Band by band, loudness-matched.
    centers, a = long_term_db(this)
    c2, b = long_term_db(other)
    b = np.interp(np.log(centers), np.log(c2), b, left=np.nan, right=np.nan)
    ok = np.isfinite(a) & np.isfinite(b) & (a > np.nanmax(a) - 60.0)
    diff = np.where(ok, a - b, 0.0)
    metrics["band_change_db"] = {
        f"{c:.0f}": (float(d) if o else None) for c, d, o in zip(centers, diff, ok, strict=True)
    }
    sig = np.where(np.abs(diff) > CHANGE_DB, np.sign(diff), 0)
    k = 0
    while k < len(sig):
        if sig[k] == 0:
            k += 1
            continue
        e = k
        while e + 1 < len(sig) and sig[e + 1] == sig[k]:
            e += 1
        j = k + int(np.argmax(np.abs(diff[k : e + 1])))
        lo, hi = centers[k] * 10 ** (-1 / 20), centers[e] * 10 ** (1 / 20)
        v = float(diff[j])
        where = (
            f"above {hz(lo)}"
            if e == len(sig) - 1 or centers[e] >= 15000
            else f"at {hz(lo)}-{hz(hi)}"
        )
        findings.append(
            _finding(
                "band_change_db",
                v,
                f"{where}: {v:+.1f} dB beyond the gain change (largest at {hz(centers[j])})",
                f"if it was not meant: {'cut' if v > 0 else 'boost'} {abs(v):.1f} dB {where} to return to {other_name}",
                band_hz=(float(lo), float(hi)),
            )
        )
        k = e + 1
    # Loudness over time, lined up and matched.
    st_a, t_a = this.loudness.short_term_lufs, this.loudness.short_term_times_s
    st_b = np.interp(
        t_a - offset,
        other.loudness.short_term_times_s,
        other.loudness.short_term_lufs,
        left=np.nan,
        right=np.nan,
    )
    both = np.isfinite(st_b) & (st_a > -40.0) & (st_b > -40.0)
    if both.any() and math.isfinite(gain):
        d = np.where(both, st_a - st_b - gain, 0.0)
        hop = this.loudness.hop_s
        for sign in (1.0, -1.0):
            spans = ranges(
                sign * d > TIME_CHANGE_LU, hop, merge_gap_s=1.0, min_length_s=3.0, limit=5
            )
            for start, stop in spans:
                i0, i1 = int(start / hop), int(stop / hop)
                v = float(np.mean(d[i0:i1]))
                findings.append(
                    _finding(
                        "loudness_change_over_time_lu",
                        v,
                        f"{clock(start)}-{clock(stop)} is {v:+.1f} LU {'louder' if v > 0 else 'quieter'} against the rest of the song than in {other_name}",
                        f"if it was not meant: ride it {-v:+.1f} dB there",
                        threshold=TIME_CHANGE_LU,
                        times_s=((start, stop),),
                    )
                )
    # Stereo and dynamics.
    pairs = [
        ("correlation", "stereo correlation", 0.05, ""),
        ("mono_loss_db", "mono fold-down loss", CHANGE_DB, " dB"),
        ("low_end_side_db", "side/mid below 120 Hz", 1.0, " dB"),
        ("plr_lu", "peak-to-loudness ratio", CHANGE_DB, " LU"),
        ("loudness_range_lu", "loudness range", CHANGE_DB, " LU"),
        ("crest_factor_db", "crest factor", CHANGE_DB, " dB"),
        ("dr", "DR", 1.0, ""),
    ]
    changes = {}
    for key, label, limit, unit in pairs:
        x, y = this_metrics.get(key), other_metrics.get(key)
        if x is None or y is None or not (math.isfinite(x) and math.isfinite(y)):
            continue
        delta = float(x - y)
        changes[key] = delta
        if abs(delta) >= limit:
            findings.append(
                _finding(
                    f"{key}_change",
                    delta,
                    f"{label}: {y:.2f}{unit} → {x:.2f}{unit} ({delta:+.2f}{unit})",
                    f"if it was not meant: compare the {label} settings of the two versions",
                    threshold=limit,
                )
            )
    metrics["changes"] = changes
    return metrics, findings


__all__ = ["CHANGE_DB", "compare"]
