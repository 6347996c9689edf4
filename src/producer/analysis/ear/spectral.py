"""Tonal balance: the mix's long-term 1/3-octave spectrum, loudness-matched, against a target.

Each long-term spectrum is the mean over all STFT frames of the channel-average power per
1/3-octave band, in dB relative to the signal's integrated loudness (so a louder master does
not look brighter). The target is

* with reference tracks: the band they span (their minimum and maximum per band; the 10th to
  90th percentile from five references on), widened by ``TOLERANCE_DB``;
* without: the mix's own smooth trend — a robust quadratic over log frequency, the shape
  Elowsson & Friberg (AES 142nd Conv., 2017) fitted to the mean spectrum of a large set of
  popular music — so only resonances and holes are reported. No measured corpus of
  commercial masters ships with producer; a folder of references of the genre is the better
  target (``--reference`` may be given many times).

A deviation names its band, its size beyond the target in dB, and the stems that carry most of
the energy there, and suggests a cut or boost on the first.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from producer.analysis.ear.findings import Finding, hz
from producer.analysis.ear.frames import F64
from producer.analysis.ear.stream import SignalFeatures

TOLERANCE_DB = 2.0
TREND_DB = 4.0
WARNING_DB = 4.0
LOW_HZ, HIGH_HZ = 30.0, 16500.0
#: Without references the lowest and highest octaves are left alone: genres differ most there.
TREND_LOW_HZ, TREND_HIGH_HZ = 60.0, 12000.0


def long_term_db(sig: SignalFeatures) -> tuple[F64, F64]:
    """(1/3-octave centres, band level dB re the integrated loudness; nan if silent)."""
    p = (
        sig.third.astype(np.float64).mean(axis=0)
        if len(sig.third)
        else np.zeros(len(sig.plan.third))
    )
    loud = sig.loudness.integrated_lufs
    ref = loud if math.isfinite(loud) else 0.0
    with np.errstate(divide="ignore"):
        db = 10.0 * np.log10(p) - ref
    return sig.plan.third.centers, np.where(p > 0, db, np.nan)


def reference_band(curves: Sequence[tuple[F64, F64]], centers: F64) -> tuple[F64, F64]:
    """(low, high) per band of the references' loudness-matched curves, on ``centers``."""
    stack = []
    for c, db in curves:
        stack.append(np.interp(np.log(centers), np.log(c), db, left=np.nan, right=np.nan))
    arr = np.array(stack)
    if len(arr) >= 5:
        return np.nanpercentile(arr, 10, axis=0), np.nanpercentile(arr, 90, axis=0)
    return np.nanmin(arr, axis=0), np.nanmax(arr, axis=0)


def trend(centers: F64, db: F64) -> F64:
    """Robust quadratic fit of ``db`` over log2 frequency (bands outside 3 dB dropped, twice)."""
    x = np.log2(centers / 1000.0)
    ok = np.isfinite(db) & (centers >= LOW_HZ) & (centers <= HIGH_HZ)
    fit = np.full_like(db, np.nan)
    if ok.sum() < 6:
        return fit
    use = ok.copy()
    coef = np.polyfit(x[use], db[use], 2)
    for _ in range(2):
        resid = db - np.polyval(coef, x)
        use = ok & (np.abs(resid) <= 3.0)
        if use.sum() < 6:
            break
        coef = np.polyfit(x[use], db[use], 2)
    fit[ok] = np.polyval(coef, x[ok])
    return fit


def analyse(
    mix: SignalFeatures,
    stems: Mapping[str, SignalFeatures],
    references: Sequence[tuple[str, F64, F64]] = (),
) -> tuple[dict[str, Any], list[Finding]]:
    """Metrics (curves for the report) and findings of the tonal balance."""
    centers, db = long_term_db(mix)
    names = [r[0] for r in references]
    if references:
        low, high = reference_band([(c, d) for _, c, d in references], centers)
        low, high = low - TOLERANCE_DB, high + TOLERANCE_DB
        target = "the references (" + ", ".join(names) + ")"
        source = (
            f"{len(references)} reference track(s), loudness-matched, band ±{TOLERANCE_DB:g} dB"
        )
        threshold = TOLERANCE_DB
    else:
        fit = trend(centers, db)
        low, high = fit - TREND_DB, fit + TREND_DB
        target = "the mix's own spectral trend"
        source = (
            "the mix's robust quadratic trend over log frequency (shape after Elowsson & Friberg, "
            f"AES 2017); {TREND_DB:g} dB: producer's threshold"
        )
        threshold = TREND_DB
    dev = np.where(db > high, db - high, np.where(db < low, db - low, 0.0))
    lo_hz, hi_hz = (LOW_HZ, HIGH_HZ) if references else (TREND_LOW_HZ, TREND_HIGH_HZ)
    dev = np.where(np.isfinite(dev) & (centers >= lo_hz) & (centers <= hi_hz), dev, 0.0)
    stem_power = {
        n: s.third.astype(np.float64).mean(axis=0) if len(s.third) else np.zeros(len(centers))
        for n, s in stems.items()
    }
    findings = []
    b = 0
    while b < len(dev):
        if dev[b] == 0:
            b += 1
            continue
        sign = np.sign(dev[b])
        e = b
        while e + 1 < len(dev) and np.sign(dev[e + 1]) == sign:
            e += 1
        f = _finding(centers, dev, b, e, stem_power, target, source, threshold)
        findings.append(f if references else replace(f, severity="info"))
        b = e + 1
    metrics = {
        "bands_hz": centers,
        "mix_db": db,
        "target_low_db": low,
        "target_high_db": high,
        "target": "references" if references else "trend",
        "deviation_db": dev,
    }
    return metrics, findings


def _finding(
    centers: F64,
    dev: F64,
    b0: int,
    b1: int,
    stem_power: Mapping[str, F64],
    target: str,
    source: str,
    threshold: float,
) -> Finding:
    sl = slice(b0, b1 + 1)
    k = b0 + int(np.argmax(np.abs(dev[sl])))
    value = float(dev[k])
    lo, hi = centers[b0] * 10 ** (-1 / 20), centers[b1] * 10 ** (1 / 20)
    fc = float(centers[k])
    q = min(4.0, max(0.5, math.sqrt(lo * hi) / (hi - lo)))
    energy = {n: float(p[sl].sum()) for n, p in stem_power.items()}
    total = sum(energy.values())
    ranked = sorted(energy, key=lambda n: -energy[n])
    shares = [(n, energy[n] / total) for n in ranked if total > 0 and energy[n] > 0][:3]
    size = min(6.0, max(1.0, round(abs(value) * 2) / 2))
    on = (
        f" on {shares[0][0]} ({shares[0][1] * 100:.0f} % of the energy there)"
        if shares
        else " on the mix bus"
    )
    verb = "cut" if value > 0 else "boost"
    more = "more" if value > 0 else "less"
    return Finding(
        check="spectral-balance",
        severity="warning" if abs(value) >= WARNING_DB else "info",
        metric="deviation_db",
        value=value,
        threshold=threshold,
        source=source,
        stems=tuple(n for n, _ in shares),
        band_hz=(float(lo), float(hi)),
        action=f"{verb} {size:.1f} dB at {hz(fc)}, Q {q:.1f},{on}",
        message=f"{abs(value):.1f} dB {more} energy at {hz(lo)}-{hz(hi)} than {target}",
        data={"stems": [{"stem": n, "share": s} for n, s in shares], "frequency_hz": fc},
    )


__all__ = ["TOLERANCE_DB", "analyse", "long_term_db", "reference_band", "trend"]
