"""Noise and faults of a signal: DC offset, mains hum and the noise floor in its quiet parts.

The quiet parts come from the streaming pass without a second read: every STFT frame's
low-frequency power spectrum is summed into a 3 dB class of the frame's level
(``stream.CLASS_DB``). The frames more than ``QUIET_BELOW_DB`` under the signal's loud level
(95th percentile of its non-silent frames) are its gaps; digital silence is no noise and is
left out.

Hum: in the gaps' mean spectrum, peaks at k·50 Hz or k·60 Hz (k = 1..8) standing at least
``HUM_PROMINENCE_DB`` above the spectrum around them (Essentia's HumDetector looks for the
same thing — steady tonal peaks from 22.5 to 400 Hz in low-energy frames — with another
method); the fundamental comes from the peaks' parabolic interpolation on the log spectrum,
each harmonic's level from its main-lobe power (dBFS, a full-scale sine = 0).

Noise floor: the mean square of the quietest gap frames (at least one second of them), hum
removed, as dBFS RMS (full-scale square wave = 0 dB; white noise of RMS r reads 20·log10 r).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from producer.analysis.ear.findings import Finding, hz
from producer.analysis.ear.frames import F64
from producer.analysis.ear.stream import CLASS_DB, SignalFeatures

QUIET_BELOW_DB = 25.0
MIN_QUIET_S = 1.0
HUM_PROMINENCE_DB = 10.0
HUM_MIN_DBFS = -100.0
HUM_HARMONICS = 8
DC_WARNING_DBFS = -50.0
DC_INFO_DBFS = -60.0
FLOOR_WARNING_DBFS = -50.0
FLOOR_INFO_DBFS = -65.0
OWN = "producer's threshold"


def dc_offset_db(sig: SignalFeatures) -> float:
    """Largest channel mean as dBFS (20·log10|mean|); -inf when there is none."""
    dc = float(np.max(np.abs(sig.dc))) if len(sig.dc) else 0.0
    return 20.0 * math.log10(dc) if dc > 0 else -math.inf


def quiet_classes(sig: SignalFeatures) -> tuple[np.ndarray, float | None]:
    """Boolean mask of the level classes that are gaps, and the loud level (dB)."""
    level = sig.level[sig.level > 0].astype(np.float64)
    if len(level) == 0:
        return np.zeros(len(sig.class_count), dtype=bool), None
    loud = float(np.percentile(10.0 * np.log10(level), 95))
    edges = sig.class_floor_db()
    quiet = (edges + CLASS_DB <= loud - QUIET_BELOW_DB) & (sig.class_count > 0)
    return quiet, loud


def _harmonic(
    spec: F64, freqs: F64, target: float, tol_hz: float
) -> tuple[float, float, float] | None:
    """(frequency, power, prominence dB) of the peak near ``target``, or None."""
    df = freqs[1] - freqs[0]
    lo = int(max(2, math.floor((target - tol_hz) / df)))
    hi = int(min(len(spec) - 3, math.ceil((target + tol_hz) / df)))
    if hi <= lo:
        return None
    k = lo + int(np.argmax(spec[lo : hi + 1]))
    a, b, c = (math.log(max(v, 1e-300)) for v in spec[k - 1 : k + 2])
    denom = a - 2 * b + c
    delta = 0.5 * (a - c) / denom if denom < 0 else 0.0
    power = float(spec[k - 2 : k + 3].sum())
    around = np.concatenate([spec[max(0, k - 12) : k - 3], spec[k + 4 : k + 13]])
    floor = float(np.median(around)) if len(around) else 0.0
    if floor <= 0 or spec[k] <= 0:
        return None
    prominence = 10.0 * math.log10(float(spec[k]) / floor)
    return (k + delta) * df, power, prominence


def hum(sig: SignalFeatures) -> dict[str, Any] | None:
    """The mains hum in the gaps: fundamental (Hz), harmonics, level; None if none or no gaps."""
    quiet, _ = quiet_classes(sig)
    frames = int(sig.class_count[quiet].sum())
    if frames * sig.plan.hop_s < MIN_QUIET_S:
        return None
    spec = sig.class_spectrum[quiet].sum(axis=0) / frames
    freqs = sig.plan.freqs[: len(spec)]
    best: dict[str, Any] | None = None
    for base in (50.0, 60.0):
        found = []
        for k in range(1, HUM_HARMONICS + 1):
            if k * base > freqs[-1] - 20:
                break
            h = _harmonic(spec, freqs, k * base, 1.5 * k + freqs[1])
            if h is None:
                continue
            f, power, prominence = h
            level = 10.0 * math.log10(2.0 * power) if power > 0 else -math.inf
            if prominence >= HUM_PROMINENCE_DB and level >= HUM_MIN_DBFS:
                found.append((k, f, power, level, prominence))
        if len(found) >= 2 or (found and found[0][0] == 1 and found[0][4] >= 15.0):
            weights = np.array([p for _, _, p, _, _ in found])
            f0 = float(
                np.sum(weights * np.array([f / k for k, f, _, _, _ in found])) / weights.sum()
            )
            total = 10.0 * math.log10(2.0 * float(weights.sum()))
            cand = {
                "mains_hz": base,
                "fundamental_hz": f0,
                "level_dbfs": total,
                "harmonics": [
                    {"n": k, "hz": f, "level_dbfs": lv, "prominence_db": pr}
                    for k, f, _, lv, pr in found
                ],
                "power": float(weights.sum()),
            }
            if best is None or cand["level_dbfs"] > best["level_dbfs"]:
                best = cand
    return best


def noise_floor_db(sig: SignalFeatures, hum_power: float = 0.0) -> float | None:
    """dBFS RMS of the quietest second of gaps (hum removed); None without gaps."""
    quiet, _ = quiet_classes(sig)
    idx = np.flatnonzero(quiet)
    if len(idx) == 0 or sig.class_count[idx].sum() * sig.plan.hop_s < MIN_QUIET_S:
        return None
    need = MIN_QUIET_S / sig.plan.hop_s
    count = 0
    power = 0.0
    for c in idx:  # quietest classes first
        count += int(sig.class_count[c])
        power += float(sig.class_power[c])
        if count >= need:
            break
    mean = power / count - hum_power
    return 10.0 * math.log10(mean) if mean > 0 else None


def fault_metrics(sig: SignalFeatures) -> dict[str, Any]:
    h = hum(sig)
    _, loud = quiet_classes(sig)
    return {
        "dc_offset_dbfs": dc_offset_db(sig),
        "hum": h,
        "noise_floor_dbfs": noise_floor_db(sig, h["power"] if h else 0.0),
        "loud_level_dbfs": loud,
    }


def fault_findings(metrics: dict[str, Any], who: str, stem: str | None) -> list[Finding]:
    out: list[Finding] = []
    stems = (stem,) if stem else ()
    dc = metrics["dc_offset_dbfs"]
    if math.isfinite(dc) and dc >= DC_INFO_DBFS:
        out.append(
            Finding(
                check="dc-offset",
                severity="warning" if dc >= DC_WARNING_DBFS else "info",
                metric="dc_offset_dbfs",
                value=dc,
                threshold=DC_WARNING_DBFS if dc >= DC_WARNING_DBFS else DC_INFO_DBFS,
                source=f"{OWN}: a DC of {DC_INFO_DBFS:g} dBFS wastes headroom and clicks at every edit",
                stems=stems,
                action=f"high-pass {who} at 20 Hz (or remove its DC offset)",
                message=f"{who}: DC offset {dc:.1f} dBFS",
            )
        )
    h = metrics["hum"]
    if h:
        harmonics = ", ".join(hz(x["hz"]) for x in h["harmonics"])
        notches = ", ".join(f"{x['hz']:.0f}" for x in h["harmonics"])
        out.append(
            Finding(
                check="hum",
                severity="warning" if h["level_dbfs"] >= -80.0 else "info",
                metric="hum_hz",
                value=h["fundamental_hz"],
                threshold=HUM_PROMINENCE_DB,
                source=f"{OWN}: peaks at k·{h['mains_hz']:g} Hz >= {HUM_PROMINENCE_DB:g} dB above the "
                "spectrum around them in the gaps (cf. Essentia HumDetector)",
                stems=stems,
                band_hz=(h["harmonics"][0]["hz"], h["harmonics"][-1]["hz"]),
                action=f"notch {who} at {notches} Hz (Q 30), or gate its gaps",
                message=f"{who}: mains hum at {h['fundamental_hz']:.1f} Hz, {h['level_dbfs']:.0f} dBFS "
                f"in the gaps (harmonics at {harmonics})",
                data={"harmonics": h["harmonics"], "level_dbfs": h["level_dbfs"]},
            )
        )
    floor = metrics["noise_floor_dbfs"]
    loud = metrics["loud_level_dbfs"]
    if floor is not None and loud is not None:
        snr = loud - floor
        warn = floor > FLOOR_WARNING_DBFS or snr < 30.0
        note = floor > FLOOR_INFO_DBFS or snr < 45.0
        if warn or note:
            out.append(
                Finding(
                    check="noise-floor",
                    severity="warning" if warn else "info",
                    metric="noise_floor_dbfs",
                    value=floor,
                    threshold=FLOOR_WARNING_DBFS if warn else FLOOR_INFO_DBFS,
                    source=f"{OWN}: gaps above {FLOOR_INFO_DBFS:g} dBFS (or within 45 dB of the loud "
                    "parts) are heard once the track is compressed or the mix normalised",
                    stems=stems,
                    action=f"gate or expand {who} between phrases (threshold about {floor + 6:.0f} dBFS, "
                    "range 20 dB), or denoise it",
                    message=f"{who}: noise floor {floor:.1f} dBFS RMS in the gaps, {snr:.0f} dB under "
                    "the loud parts",
                )
            )
    return out


__all__ = [
    "dc_offset_db",
    "fault_findings",
    "fault_metrics",
    "hum",
    "noise_floor_db",
    "quiet_classes",
]
