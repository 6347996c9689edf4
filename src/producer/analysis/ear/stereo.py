"""Stereo: correlation over time, mono fold-down loss per band, comb notches, low-end mono.

* Phase correlation r = ΣL·R / √(ΣL²·ΣR²) over windows of about 0.4 s (+1 mono, 0
  uncorrelated, −1 anti-phase) and over the whole song.
* Mono fold-down loss per 1/3 octave = level of (L, R) power mean − level of M = (L + R)/2:
  in-phase content loses 0 dB, uncorrelated content 3 dB, anti-phase content everything.
* Comb notches: a delayed copy between the channels makes the mono sum cos²(π·f·τ): notches at
  (2k + 1)/(2τ) (500, 1500 … Hz for 1 ms). Found as narrow minima of the long-term mono ratio
  per bin; the delay itself by GCC-PHAT on the long-term L·R cross-spectrum.
* Low-end mono: side/mid power below 120 Hz.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from producer.analysis.ear.findings import Finding, hz
from producer.analysis.ear.frames import F64
from producer.analysis.ear.stream import SignalFeatures

CORRELATION_WINDOW_S = 0.4
LOW_END_HZ = 120.0
NOTCH_DEPTH_DB = 12.0
BAND_LOSS_DB = 6.0
LOW_END_WARNING_DB = -6.0
LOW_END_INFO_DB = -12.0
MAX_CHANNEL_DELAY_S = 0.005
MONO_SOURCE = (
    "producer's threshold: uncorrelated (wide) content loses 3 dB in mono; more than 6 dB means "
    "the channels cancel"
)


def correlation_series(sig: SignalFeatures) -> tuple[F64, F64]:
    """(window end times s, r) on ~0.4 s windows; windows under -60 dBFS are left out."""
    hop_s = sig.stats_s
    w = max(1, round(CORRELATION_WINDOW_S / hop_s))
    if len(sig.hop_ll) < w:
        return np.zeros(0), np.zeros(0)
    kernel = np.ones(w)
    ll = np.convolve(sig.hop_ll, kernel, "valid")
    rr = np.convolve(sig.hop_rr, kernel, "valid")
    lr = np.convolve(sig.hop_lr, kernel, "valid")
    n = w * hop_s * sig.sample_rate
    loud = (ll + rr) / (2 * n) > 1e-6
    with np.errstate(invalid="ignore", divide="ignore"):
        r = lr / np.sqrt(ll * rr)
    times = np.asarray((np.arange(len(r)) + w) * hop_s, dtype=np.float64)
    ok = loud & np.isfinite(r)
    return times[ok], np.clip(r[ok], -1.0, 1.0)


def mono_loss_by_band(sig: SignalFeatures) -> tuple[F64, F64]:
    """(1/3-octave centres, loss dB) — nan where the band holds no sound."""
    w = sig.plan.third.weights.astype(np.float64)
    stereo = w @ ((sig.power_left + sig.power_right) / 2)
    mid = w @ sig.power_mid
    floor = stereo.max() * 1e-7 if stereo.max() > 0 else 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        loss = 10.0 * np.log10(stereo / mid)
    loss = np.where(stereo > floor, np.minimum(loss, 120.0), np.nan)
    return sig.plan.third.centers, np.asarray(loss, dtype=np.float64)


def channel_delay_s(sig: SignalFeatures) -> tuple[float, float]:
    """(delay of R after L in s, GCC-PHAT peak 0..1) from the long-term cross-spectrum."""
    c = sig.cross_lr
    mag = np.abs(c)
    k = np.flatnonzero(mag > mag.max() * 1e-4) if mag.max() > 0 else np.zeros(0, int)
    if len(k) < 8:
        return 0.0, 0.0
    phat = np.zeros_like(c)
    phat[k] = c[k] / mag[k]
    up = 8
    g = np.fft.irfft(phat, n=up * sig.plan.n_fft)
    g /= len(k) / (up * sig.plan.n_fft / 2)
    lim = int(MAX_CHANNEL_DELAY_S * sig.sample_rate * up)
    lags = np.concatenate([np.arange(0, lim + 1), np.arange(-lim, 0)])
    vals = np.concatenate([g[: lim + 1], g[-lim:]])
    i = int(np.argmax(np.abs(vals)))
    return float(lags[i]) / (up * sig.sample_rate), float(abs(vals[i]))


def comb_notches(sig: SignalFeatures) -> list[float]:
    """Frequencies (Hz) of narrow mono-sum notches deeper than NOTCH_DEPTH_DB, 40 Hz-16 kHz."""
    if sig.channels < 2:
        return []
    stereo = (sig.power_left + sig.power_right) / 2
    kernel = np.ones(3)
    s = np.convolve(stereo, kernel, "same")
    m = np.convolve(sig.power_mid, kernel, "same")
    freqs = sig.plan.freqs
    audible = s > s.max() * 1e-6 if s.max() > 0 else np.zeros_like(s, bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = 10.0 * np.log10(m / s)
    ratio = np.where(audible, ratio, np.nan)
    out = []
    span = 10
    lo = int(np.searchsorted(freqs, 40.0))
    hi = min(len(freqs) - span - 1, int(np.searchsorted(freqs, 16000.0)))
    for k in range(max(lo, span), hi):
        v = ratio[k]
        if not np.isfinite(v) or v > -NOTCH_DEPTH_DB:
            continue
        around = ratio[k - span : k + span + 1]
        if v > np.nanmin(around) or np.nanmax(around) - v < NOTCH_DEPTH_DB:
            continue
        out.append(float(freqs[k]))
    return out


def low_end_side_db(sig: SignalFeatures) -> float | None:
    """Side/mid power below 120 Hz (dB), None when the signal has no low end to speak of."""
    freqs = sig.plan.freqs
    sel = freqs < LOW_END_HZ
    stereo = (sig.power_left + sig.power_right) / 2
    low = float(stereo[sel].sum())
    total = float(stereo.sum())
    frames = max(sig.stft_frames, 1)
    if low / frames < 1e-7 or low < total * 1e-4:
        return None
    mid = float(sig.power_mid[sel].sum())
    side = max(low - mid, 0.0)
    if side <= 0:
        return -120.0
    if mid <= 0:
        return 120.0
    return min(120.0, max(-120.0, 10.0 * math.log10(side / mid)))


def stereo_metrics(sig: SignalFeatures) -> dict[str, Any]:
    stereo = float(((sig.power_left + sig.power_right) / 2).sum())
    mid = float(sig.power_mid.sum())
    ll, rr, lr = float(sig.hop_ll.sum()), float(sig.hop_rr.sum()), float(sig.hop_lr.sum())
    r = lr / math.sqrt(ll * rr) if ll > 0 and rr > 0 else None
    _, series = correlation_series(sig)
    centers, loss = mono_loss_by_band(sig)
    delay, strength = channel_delay_s(sig) if sig.channels == 2 else (0.0, 0.0)
    return {
        "correlation": r,
        "correlation_negative_fraction": float(np.mean(series < 0)) if len(series) else None,
        "mono_loss_db": min(120.0, 10.0 * math.log10(stereo / mid))
        if mid > 0
        else (120.0 if stereo > 0 else None),
        "mono_loss_by_band_db": {
            f"{c:.0f}": (None if not np.isfinite(v) else float(v))
            for c, v in zip(centers, loss, strict=True)
        },
        "comb_notches_hz": comb_notches(sig),
        "channel_delay_ms": delay * 1000.0 if strength >= 0.3 else 0.0,
        "low_end_side_db": low_end_side_db(sig) if sig.channels == 2 else None,
    }


def _mono_problem(m: dict[str, Any]) -> tuple[str, str, float, float] | None:
    """(severity, metric, value, threshold) of one signal's worst mono problem."""
    loss = m["mono_loss_db"]
    r = m["correlation"]
    if loss is not None and (loss >= BAND_LOSS_DB or (r is not None and r <= -0.5)):
        return "error", "mono_loss_db", loss, BAND_LOSS_DB
    if len(m["comb_notches_hz"]) >= 2:
        return "warning", "comb_notches", float(len(m["comb_notches_hz"])), 2.0
    bands = [v for k, v in m["mono_loss_by_band_db"].items() if v is not None and float(k) >= 63]
    if bands and max(bands) >= BAND_LOSS_DB:
        return "warning", "band_mono_loss_db", max(bands), BAND_LOSS_DB
    return None


def mono_findings(mix: dict[str, Any], stems: dict[str, dict[str, Any]]) -> list[Finding]:
    """One finding for the mix (naming the stems with their own mono problem), one per stem."""
    out: list[Finding] = []
    culprits = []
    for name in sorted(stems):
        p = _mono_problem(stems[name])
        if p is None:
            continue
        culprits.append(name)
        out.append(_mono_finding(stems[name], p, name, (name,)))
    p = _mono_problem(mix)
    if p is not None:
        out.insert(0, _mono_finding(mix, p, "the mix", tuple(culprits)))
    return out


def _mono_finding(
    m: dict[str, Any], problem: tuple[str, str, float, float], who: str, stems: tuple[str, ...]
) -> Finding:
    severity, metric, value, threshold = problem
    r = m["correlation"]
    notches = m["comb_notches_hz"]
    delay = m["channel_delay_ms"]
    target = stems[0] if stems and who == "the mix" else who
    band: tuple[float, float] | None = None
    if metric == "mono_loss_db":
        action = (
            f"flip the polarity of one channel of {target}: its channels cancel "
            f"(correlation {r:+.2f}, mono loses {value:.0f} dB)"
        )
        message = f"{who}: the mono fold-down loses {value:.1f} dB (correlation {r:+.2f})"
    elif metric == "comb_notches":
        band = (notches[0], notches[-1])
        if delay:
            late, early = ("right", "left") if delay > 0 else ("left", "right")
            action = (
                f"line up the channels of {target}: the {late} is {abs(delay):.2f} ms late — delay "
                f"the {early} by {abs(delay):.2f} ms, or use a mono-compatible widener"
            )
        else:
            action = f"remove the delay between the channels of {target} (notch spacing {notches[1] - notches[0]:.0f} Hz)"
        message = (
            f"{who}: comb-filter notches in mono at {', '.join(hz(f) for f in notches[:6])}"
            + (f" (channels {abs(delay):.2f} ms apart)" if delay else "")
        )
    else:
        worst = max(
            (
                (float(k), v)
                for k, v in m["mono_loss_by_band_db"].items()
                if v is not None and float(k) >= 63
            ),
            key=lambda kv: kv[1],
        )
        band = (worst[0] * 10 ** (-1 / 20), worst[0] * 10 ** (1 / 20))
        action = f"narrow {target} around {hz(worst[0])} (mid/side: lower the side by {value - 3:.0f} dB there)"
        message = f"{who}: mono fold-down loses {value:.1f} dB around {hz(worst[0])}"
    return Finding(
        check="mono-compatibility",
        severity=severity,
        metric=metric,
        value=value,
        threshold=threshold,
        source=MONO_SOURCE,
        stems=stems,
        band_hz=band,
        action=action,
        message=message,
        data={"correlation": r, "comb_notches_hz": notches[:12], "channel_delay_ms": delay},
    )


def low_end_findings(mix: dict[str, Any], stems: dict[str, dict[str, Any]]) -> list[Finding]:
    out = []
    named = []
    for name in sorted(stems):
        v = stems[name]["low_end_side_db"]
        if v is not None and v >= LOW_END_INFO_DB:
            named.append(name)
            out.append(_low_end(v, name, (name,)))
    v = mix["low_end_side_db"]
    if v is not None and v >= LOW_END_INFO_DB:
        out.insert(0, _low_end(v, "the mix", tuple(named)))
    return out


def _low_end(value: float, who: str, stems: tuple[str, ...]) -> Finding:
    target = stems[0] if stems and who == "the mix" else who
    return Finding(
        check="low-end-mono",
        severity="warning" if value >= LOW_END_WARNING_DB else "info",
        metric="side_to_mid_below_120hz_db",
        value=value,
        threshold=LOW_END_WARNING_DB if value >= LOW_END_WARNING_DB else LOW_END_INFO_DB,
        source="producer's threshold; below 80-120 Hz direction is not heard (Nugen Monofilter "
        "manual) and wide bass cancels in mono and on vinyl",
        stems=stems,
        band_hz=(20.0, LOW_END_HZ),
        action=f"make {target} mono below 120 Hz (high-pass its side channel at 120 Hz)",
        message=f"{who}: side is {value:+.1f} dB against mid below 120 Hz",
    )


__all__ = [
    "channel_delay_s",
    "comb_notches",
    "correlation_series",
    "low_end_findings",
    "low_end_side_db",
    "mono_findings",
    "mono_loss_by_band",
    "stereo_metrics",
]
