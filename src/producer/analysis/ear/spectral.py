"""Tonal balance: the mix's long-term 1/3-octave spectrum, loudness-matched, against a target.

Each long-term spectrum is the mean over all STFT frames of the channel-average power per
1/3-octave band, in dB relative to the signal's integrated loudness (so a louder master does
not look brighter). The target is the band a set of loudness-matched curves span (their
minimum and maximum per band; the 10th to 90th percentile from five curves on), widened by
``TOLERANCE_DB``:

* with reference tracks (``--reference``, many allowed: a folder of mixes of the genre), their
  curves; a deviation is a warning from ``WARNING_DB`` on;
* without, the built-in band (:mod:`.band`: the curves of a stated corpus shipped with
  producer, whose source, size and method are in its file); its corpus is two recordings, so
  a deviation from it is a note (severity info) that says what it was measured against.

A deviation names its band, its size beyond the target in dB, and the stems that carry most of
the energy there, and suggests a cut or boost on the first.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from producer.analysis.ear.findings import Finding, hz
from producer.analysis.ear.frames import F64
from producer.analysis.ear.stream import SignalFeatures

TOLERANCE_DB = 2.0
WARNING_DB = 4.0
#: Deviations beyond the band smaller than this are not reported (producer's threshold).
MIN_DEVIATION_DB = 0.5
LOW_HZ, HIGH_HZ = 30.0, 16500.0


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


def smooth(db: F64) -> F64:
    """Mean (dB) of each band and its two neighbours (one octave): how the built-in band's
    curves are smoothed (a few seconds of one song show its notes as peaks a long-term average
    over many songs would not have), and so the mix's curve when it is compared with them."""
    out = np.full_like(db, np.nan)
    for i in range(len(db)):
        window = db[max(0, i - 1) : i + 2]
        window = window[np.isfinite(window)]
        if np.isfinite(db[i]) and len(window):
            out[i] = float(window.mean())
    return out


def reference_band(curves: Sequence[tuple[F64, F64]], centers: F64) -> tuple[F64, F64]:
    """(low, high) per band of the references' loudness-matched curves, on ``centers``."""
    stack = []
    for c, db in curves:
        stack.append(np.interp(np.log(centers), np.log(c), db, left=np.nan, right=np.nan))
    arr = np.array(stack)
    with warnings.catch_warnings():  # a band no curve reaches stays nan: no target there
        warnings.simplefilter("ignore", RuntimeWarning)
        if len(arr) >= 5:
            return np.nanpercentile(arr, 10, axis=0), np.nanpercentile(arr, 90, axis=0)
        return np.nanmin(arr, axis=0), np.nanmax(arr, axis=0)


def analyse(
    mix: SignalFeatures,
    stems: Mapping[str, SignalFeatures],
    references: Sequence[tuple[str, F64, F64]] = (),
    builtin: tuple[str, Sequence[tuple[str, F64, F64]]] | None = None,
) -> tuple[dict[str, Any], list[Finding]]:
    """Metrics (curves for the report) and findings of the tonal balance, against
    ``references`` (name, centres, dB) or, without them, the ``builtin`` band (its source
    text, its curves)."""
    centers, db = long_term_db(mix)
    if references:
        curves = list(references)
        target = "the references (" + ", ".join(r[0] for r in references) + ")"
        source = (
            f"{len(references)} reference track(s), loudness-matched, band ±{TOLERANCE_DB:g} dB"
        )
    elif builtin is not None:
        source, curves = builtin[0], list(builtin[1])
        target = f"the built-in band ({len(curves)} recordings)"
        db = smooth(db)  # measured as its curves were
    else:
        return {}, []
    low, high = reference_band([(c, d) for _, c, d in curves], centers)
    low, high = low - TOLERANCE_DB, high + TOLERANCE_DB
    dev = np.where(db > high, db - high, np.where(db < low, db - low, 0.0))
    heard = np.isfinite(dev) & (np.abs(dev) >= MIN_DEVIATION_DB)
    dev = np.where(heard & (centers >= LOW_HZ) & (centers <= HIGH_HZ), dev, 0.0)
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
        f = _finding(centers, dev, b, e, stem_power, target, source, TOLERANCE_DB)
        k = int(f.data["band_index"])
        f.data["level_vs_target_db"] = float(db[k] - (low[k] + high[k]) / 2.0)
        findings.append(f if references else replace(f, severity="info"))
        b = e + 1
    metrics = {
        "bands_hz": centers,
        "mix_db": db,
        "target_low_db": low,
        "target_high_db": high,
        "target": "references" if references else "built-in band",
        "target_source": source,
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
        data={
            "stems": [{"stem": n, "share": s} for n, s in shares],
            "frequency_hz": fc,
            "band_index": k,
        },
    )


__all__ = ["TOLERANCE_DB", "analyse", "long_term_db", "reference_band", "smooth"]
