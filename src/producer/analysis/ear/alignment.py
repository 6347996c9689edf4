"""Microphones of one source: delay to a fraction of a sample, relative polarity, or "ambiguous".

From the stems' frame-averaged cross-spectral matrix (:class:`.stream.CrossSpectra`, mid
signals, bins to 8 kHz):

* **same source**: the energy-weighted coherence Σ|C_ab| / √(ΣP_a·ΣP_b) — the correlation
  the two would reach if every frequency were lined up — of at least ``SAME_SOURCE``; unrelated
  stems stay near 0 (1/√frames), bleed of one into the other stays low;
* **delay**: GCC-PHAT (Knapp & Carter, IEEE TASSP 24, 1976) over the coherent bins only
  (magnitude-squared coherence >= 0.3), 16x zero-padded inverse FFT and a parabola through the
  peak, within ±20 ms (Sound Radix Auto-Align reaches ±881 samples at 44.1 kHz);
* **polarity**: the sign of the plain cross-correlation at that lag;
* **ambiguous**: when the bins holding 99 % of the pair's energy span less than an octave
  or number fewer than 8 (steady tones), or a second GCC peak at least 0.8 of the first: then no delay is claimed.

The version alignment (``--against``) uses the same estimator on the two mixes' mono copies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from producer.analysis.ear.findings import Finding, hz
from producer.analysis.ear.frames import F32, F64
from producer.analysis.ear.stream import CrossSpectra

SAME_SOURCE = 0.5
COHERENT = 0.3
MAX_DELAY_S = 0.020
SECOND_PEAK = 0.8
UPSAMPLE = 16
SOURCE = "GCC-PHAT (Knapp & Carter 1976) on the coherent bins; comb filtering of two mics summed: first notch at 1/(2·delay) (Clifford & Reiss, JARP 2011)"


@dataclass(frozen=True)
class PairResult:
    a: str
    b: str
    coherence: float
    ambiguous: bool
    delay_s: float | None
    """Delay of ``b`` after ``a`` (s); None when ambiguous."""
    correlation: float | None
    """Cross-correlation coefficient at that lag (sign = polarity)."""
    level_difference_db: float
    """Level of b − level of a (dB)."""
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "stems": [self.a, self.b],
            "coherence": self.coherence,
            "ambiguous": self.ambiguous,
            "delay_ms": None if self.delay_s is None else self.delay_s * 1000.0,
            "correlation": self.correlation,
            "polarity": None
            if self.correlation is None
            else ("inverted" if self.correlation < 0 else "same"),
            "level_difference_db": self.level_difference_db,
            "reason": self.reason,
        }


def _gcc(
    cross: np.ndarray, weight: F64, n_fft: int, rate: int, max_lag_s: float
) -> tuple[F64, F64]:
    """(lags s, GCC values) of a weighted PHAT cross-spectrum, 16x interpolated, within ±max."""
    mag = np.abs(cross)
    phat = np.where(weight > 0, cross / np.maximum(mag, 1e-300), 0.0) * weight
    n = UPSAMPLE * n_fft
    full = np.zeros(n // 2 + 1, dtype=np.complex128)
    full[: len(phat)] = phat
    g = np.fft.irfft(full, n=n) * n / (2.0 * max(float(weight.sum()), 1e-30))
    lim = min(n // 2 - 1, int(max_lag_s * rate * UPSAMPLE))
    lags = np.concatenate([np.arange(-lim, 0), np.arange(0, lim + 1)]) / (UPSAMPLE * rate)
    vals = np.concatenate([g[-lim:], g[: lim + 1]])
    return lags, vals


def _peak(lags: F64, vals: F64) -> tuple[float, float, float]:
    """(lag of the largest |value| refined by a parabola, its value, the best other peak)."""
    a = np.abs(vals)
    i = int(np.argmax(a))
    lag = float(lags[i])
    if 0 < i < len(a) - 1:
        y0, y1, y2 = a[i - 1], a[i], a[i + 1]
        den = y0 - 2 * y1 + y2
        if den < 0:
            lag += 0.5 * (y0 - y2) / den * float(lags[1] - lags[0])
    # The best other local maximum outside the main lobe (where |g| first drops to half).
    lo = i
    while lo > 0 and a[lo - 1] < a[lo] and a[lo] > 0.5 * a[i]:
        lo -= 1
    hi = i
    while hi < len(a) - 1 and a[hi + 1] < a[hi] and a[hi] > 0.5 * a[i]:
        hi += 1
    rest = np.concatenate([a[:lo], a[hi + 1 :]])
    return lag, float(vals[i]), float(rest.max()) if len(rest) else 0.0


def pairs(cross: CrossSpectra) -> list[PairResult]:
    """Every pair of stems that carries the same source, with its delay and polarity."""
    plan = cross.plan
    c = cross.matrix
    power = np.real(np.einsum("kii->ki", c))  # (bins, stems)
    freqs = plan.freqs[: c.shape[0]]
    band = (freqs >= 40.0)[:, None]
    out: list[PairResult] = []
    names = cross.names
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            cij = c[:, i, j] * band[:, 0]
            pi, pj = power[:, i] * band[:, 0], power[:, j] * band[:, 0]
            if pi.sum() <= 0 or pj.sum() <= 0:
                continue
            coherence = float(np.abs(cij).sum() / math.sqrt(pi.sum() * pj.sum()))
            if coherence < SAME_SOURCE:
                continue
            level = 10.0 * math.log10(pj.sum() / pi.sum())
            with np.errstate(divide="ignore", invalid="ignore"):
                msc = np.abs(cij) ** 2 / (pi * pj)
            msc = np.nan_to_num(msc)
            # Only bins that carry sound count: a pure tone's window leakage is "coherent" too.
            loud = (pi > pi.max() * 1e-6) & (pj > pj.max() * 1e-6)
            coherent = np.flatnonzero((msc >= COHERENT) & loud)
            a, b = names[i], names[j]
            # The bins that hold 99 % of the pair's energy: a steady tone keeps them within a
            # few bins, and its delay is known only modulo its period.
            e = np.sqrt(pi * pj)
            order = np.argsort(-e, kind="stable")
            core = order[: int(np.searchsorted(np.cumsum(e[order]) / e.sum(), 0.99)) + 1]
            core_f = freqs[core][freqs[core] > 0]
            span = float(core_f.max() / core_f.min()) if len(core_f) else 1.0
            if len(coherent) < 8 or len(core) < 8 or span < 2.0:
                out.append(
                    PairResult(
                        a,
                        b,
                        coherence,
                        True,
                        None,
                        None,
                        level,
                        "steady tones: the coherent energy lies in too few frequencies to tell one delay",
                    )
                )
                continue
            weight = np.zeros(len(cij))
            weight[coherent] = 1.0
            lags, vals = _gcc(cij, weight, plan.n_fft, plan.sample_rate, MAX_DELAY_S)
            lag, peak, second = _peak(lags, vals)
            if abs(peak) <= 0 or second >= SECOND_PEAK * abs(peak):
                out.append(
                    PairResult(
                        a,
                        b,
                        coherence,
                        True,
                        None,
                        None,
                        level,
                        "the correlation has several peaks of nearly equal height",
                    )
                )
                continue
            # Plain (energy-weighted) correlation at that lag: its sign is the polarity.
            w = np.ones(len(cij))
            phase = np.exp(-2j * np.pi * freqs * lag)
            rho = float(np.real(np.sum(np.conj(phase) * cij * w)) / math.sqrt(pi.sum() * pj.sum()))
            out.append(PairResult(a, b, coherence, False, lag, rho, level))
    return out


def pair_findings(results: list[PairResult], rate: int) -> list[Finding]:
    out = []
    for p in results:
        stems = (p.a, p.b)
        if p.ambiguous or p.delay_s is None or p.correlation is None:
            out.append(
                Finding(
                    check="mic-alignment",
                    severity="info",
                    metric="delay_ms",
                    value=None,
                    threshold=None,
                    source=SOURCE,
                    stems=stems,
                    action=f"line up {p.a} and {p.b} by ear on a transient: no delay can be measured "
                    "from steady tones",
                    message=f"{p.a} and {p.b} carry the same source but their delay is ambiguous ({p.reason})",
                    data=p.to_json(),
                )
            )
            continue
        delay_ms = p.delay_s * 1000.0
        late, early = (p.b, p.a) if delay_ms > 0 else (p.a, p.b)
        d = abs(delay_ms)
        samples = d * rate / 1000.0
        comparable = abs(p.level_difference_db) <= 10.0
        if p.correlation < 0:
            out.append(
                Finding(
                    check="polarity",
                    severity="warning",
                    metric="correlation",
                    value=p.correlation,
                    threshold=0.0,
                    source=SOURCE,
                    stems=(p.b, p.a),
                    action=f"flip the polarity of {p.b}"
                    + (
                        f" and delay {early} by {d:.2f} ms ({samples:.1f} samples)"
                        if d >= 0.02
                        else ""
                    ),
                    message=f"{p.b} is in opposite polarity to {p.a} (correlation {p.correlation:+.2f} "
                    f"at {delay_ms:+.2f} ms): summed, they cancel",
                    data=p.to_json(),
                )
            )
        if d >= 0.02:
            notch = 1.0 / (2.0 * p.delay_s) if p.delay_s else math.inf
            audible = comparable and 100.0 <= abs(notch) <= 5000.0
            out.append(
                Finding(
                    check="mic-alignment",
                    severity="warning" if audible else "info",
                    metric="delay_ms",
                    value=delay_ms,
                    threshold=0.02,
                    source=SOURCE,
                    stems=(early, late),
                    band_hz=(abs(notch), abs(notch) * 3) if math.isfinite(notch) else None,
                    action=f"delay {early} by {d:.2f} ms ({samples:.1f} samples) to line it up with {late}",
                    message=f"{late} arrives {d:.3f} ms after {early}: summed, they comb-filter from "
                    f"{hz(abs(notch))} up",
                    data=p.to_json(),
                )
            )
    return out


def align(a: F32, b: F32, rate: int, max_lag_s: float = 30.0) -> tuple[float, float]:
    """(delay of b after a in s, GCC-PHAT peak 0..1) of two mono signals (versions of a mix).

    One FFT cross-spectrum over at most the first 120 s of each, PHAT-weighted between 50 Hz
    and 8 kHz, peak refined by a parabola on the 16x interpolated correlation.
    """
    n_max = int(120 * rate)
    x, y = a[:n_max].astype(np.float64), b[:n_max].astype(np.float64)
    n = 1 << math.ceil(math.log2(len(x) + len(y)))
    fx, fy = np.fft.rfft(x, n), np.fft.rfft(y, n)
    cross = np.conj(fx) * fy
    freqs = np.fft.rfftfreq(n, 1.0 / rate)
    mag = np.abs(cross)
    weight = (
        (freqs >= 50.0) & (freqs <= min(8000.0, 0.45 * rate)) & (mag > mag.max() * 1e-9)
    ).astype(float)
    # Coarse lag on the plain grid, then a fine look around it.
    phat = np.where(weight > 0, cross / np.maximum(mag, 1e-300), 0.0)
    g = np.fft.irfft(phat, n)
    lim = min(n // 2 - 1, int(max_lag_s * rate))
    lags = np.concatenate([np.arange(-lim, 0), np.arange(0, lim + 1)])
    vals = np.concatenate([g[-lim:], g[: lim + 1]])
    i = int(np.argmax(np.abs(vals)))
    coarse = int(lags[i])
    strength = float(abs(vals[i]) * n / (2.0 * max(weight.sum(), 1.0)))
    # Fine: remove the coarse lag, interpolate around zero.
    shifted = cross * np.exp(2j * np.pi * freqs * coarse / rate)
    ph = np.where(weight > 0, shifted / np.maximum(np.abs(shifted), 1e-300), 0.0)
    up = 16
    small = 4
    k = np.arange(-small * up, small * up + 1) / (up * rate)
    # Direct evaluation of the band-limited correlation near zero lag (no huge inverse FFT).
    sel = np.flatnonzero(weight > 0)
    step = max(1, len(sel) // 20000)
    sel = sel[::step]
    vals_f = np.real(np.exp(2j * np.pi * np.outer(k, freqs[sel])) @ ph[sel])
    lag, _, _ = _peak(k, vals_f)
    return coarse / rate + lag, strength


__all__ = ["PairResult", "align", "pair_findings", "pairs"]
