"""Balance and delivery: the lead vocal against the rest per section, loudness and true peak
against a delivery profile, and what each streaming service's normalisation would do.

Loudness over a stretch of the song is the BS.1770-4 gated loudness of the meter's 400 ms
blocks (every 100 ms: the momentary series sampled as the meter gates it) that lie inside the
stretch, with the −70 LUFS absolute and −10 LU relative gates.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from producer.analysis.ear.findings import Finding
from producer.analysis.ear.masking import Section
from producer.analysis.loudness import LoudnessReport

VOCAL_GUIDELINE_LU = 0.0
VOCAL_INFO_LU = 2.0
VOCAL_WARNING_LU = 4.0
VOCAL_SOURCE = (
    "lead vocal about as loud as the rest of the mix: Pestana & Reiss, AES 53rd Conf. 2014 "
    "(secondary: sageaudio.com); ±2 LU note, ±4 LU warning: producer's"
)


@dataclass(frozen=True)
class DeliveryTarget:
    """The numbers of a delivery profile (the profiles themselves live in mastering)."""

    name: str
    target_lufs: float
    tolerance_lu: float
    ceiling_dbtp: float
    ceiling_louder_dbtp: float | None = None
    louder_than_lufs: float | None = None

    def ceiling_for(self, integrated_lufs: float) -> float:
        if (
            self.ceiling_louder_dbtp is not None
            and self.louder_than_lufs is not None
            and integrated_lufs > self.louder_than_lufs + 1e-9
        ):
            return self.ceiling_louder_dbtp
        return self.ceiling_dbtp


@dataclass(frozen=True)
class StreamingService:
    """How a service normalises playback: its reference level, and whether it raises quiet
    tracks (only up to a true-peak headroom)."""

    name: str
    reference_lufs: float
    raises_quiet: bool = False
    headroom_dbtp: float = -1.0
    source: str = ""


def gated_loudness(report: LoudnessReport, start_s: float = 0.0, end_s: float = math.inf) -> float:
    """BS.1770-4 gated loudness (LUFS) of the 400 ms blocks inside [start_s, end_s]."""
    m = np.asarray(report.momentary_lufs)
    if len(m) == 0:
        return -math.inf
    times = report.momentary_times_s
    step = max(1, round(0.1 / report.hop_s))
    idx = np.arange(0, len(m), step)
    t = times[idx]
    sel = idx[(t - 0.4 >= start_s - 1e-9) & (t <= end_s + 1e-9)]
    if len(sel) == 0:
        return -math.inf
    power = 10.0 ** ((m[sel] + 0.691) / 10.0)
    loud = m[sel]
    passed = power[loud > -70.0]
    if len(passed) == 0:
        return -math.inf
    gate = 10.0 * math.log10(float(np.mean(passed))) - 0.691 - 10.0
    kept = power[(loud > -70.0) & (loud > gate)]
    return 10.0 * math.log10(float(np.mean(kept))) - 0.691


def vocal_balance(
    vocal: LoudnessReport, rest: LoudnessReport, sections: Sequence[Section], duration_s: float
) -> dict[str, Any]:
    """Vocal minus rest (LU), whole song and per section."""
    whole = gated_loudness(vocal) - gated_loudness(rest)
    per = []
    for s in sections:
        v, r = gated_loudness(vocal, s.start_s, s.end_s), gated_loudness(rest, s.start_s, s.end_s)
        per.append(
            {
                "section": s.name,
                "start_s": s.start_s,
                "end_s": s.end_s,
                "vocal_lufs": v,
                "rest_lufs": r,
                "difference_lu": v - r if math.isfinite(v) and math.isfinite(r) else None,
            }
        )
    return {
        "difference_lu": whole if math.isfinite(whole) else None,
        "sections": per,
        "duration_s": duration_s,
    }


def vocal_findings(balance: dict[str, Any], vocal: str) -> list[Finding]:
    out = []
    rows = [s for s in balance["sections"] if s["difference_lu"] is not None]
    items = (
        [(s["difference_lu"], s["section"], (s["start_s"], s["end_s"])) for s in rows]
        if rows
        else [(balance["difference_lu"], "", None)]
    )
    for diff, name, span in items:
        if diff is None or abs(diff - VOCAL_GUIDELINE_LU) <= VOCAL_INFO_LU:
            continue
        gap = VOCAL_GUIDELINE_LU - diff
        where = f" in {name}" if name else ""
        verb = "raise" if gap > 0 else "lower"
        out.append(
            Finding(
                check="vocal-balance",
                severity="warning" if abs(gap) > VOCAL_WARNING_LU else "info",
                metric="vocal_minus_rest_lu",
                value=diff,
                threshold=VOCAL_GUIDELINE_LU,
                source=VOCAL_SOURCE,
                stems=(vocal,),
                times_s=(span,) if span else (),
                action=f"{verb} {vocal} by {abs(gap):.1f} dB{where} (or move the rest by {-gap:+.1f} dB)",
                message=f"{vocal} is {diff:+.1f} LU against the rest of the mix{where}",
                data={"section": name or None},
            )
        )
    return out


def delivery(
    report: LoudnessReport, target: DeliveryTarget | None, services: Sequence[StreamingService]
) -> tuple[dict[str, Any], list[Finding]]:
    """Loudness and true peak against the profile; each service's normalisation gain."""
    i = report.integrated_lufs
    tp = report.true_peak_dbtp
    metrics: dict[str, Any] = {"integrated_lufs": i, "true_peak_dbtp": tp, "streaming": {}}
    findings: list[Finding] = []
    if not math.isfinite(i):
        return metrics, findings
    gains = {}
    for s in services:
        g = s.reference_lufs - i
        if g > 0:
            g = max(0.0, min(g, s.headroom_dbtp - tp)) if s.raises_quiet else 0.0
        gains[s.name] = g
        metrics["streaming"][s.name] = {
            "reference_lufs": s.reference_lufs,
            "gain_db": g,
            "source": s.source,
        }
    if target is not None:
        ceiling = target.ceiling_for(i)
        metrics.update(
            {"profile": target.name, "target_lufs": target.target_lufs, "ceiling_dbtp": ceiling}
        )
        if math.isfinite(tp) and tp > ceiling:
            findings.append(
                Finding(
                    check="delivery",
                    severity="warning",
                    metric="true_peak_dbtp",
                    value=tp,
                    threshold=ceiling,
                    source=f"delivery profile {target.name}",
                    action=f"master it with a true-peak limiter at {ceiling:g} dBTP (producer master "
                    f"--profile {target.name}), or lower it by {tp - ceiling + 0.1:.1f} dB",
                    message=f"true peak {tp:+.2f} dBTP is over the {ceiling:g} dBTP ceiling of {target.name}",
                )
            )
        off = i - target.target_lufs
        if abs(off) > target.tolerance_lu:
            findings.append(
                Finding(
                    check="delivery",
                    severity="info",
                    metric="integrated_lufs",
                    value=i,
                    threshold=target.target_lufs,
                    source=f"delivery profile {target.name}: {target.target_lufs:g} LUFS ± {target.tolerance_lu:g} LU",
                    action=f"producer master --profile {target.name} applies {-off:+.1f} dB (with its limiter)",
                    message=f"integrated loudness {i:.1f} LUFS is {off:+.1f} LU from the {target.name} target",
                )
            )
    down = {k: v for k, v in gains.items() if v < -0.05}
    if down:
        worst = min(down.values())
        listing = ", ".join(
            f"{k} {v:+.1f} dB" for k, v in sorted(down.items(), key=lambda kv: kv[1])
        )
        findings.append(
            Finding(
                check="delivery",
                severity="info",
                metric="streaming_gain_db",
                value=worst,
                threshold=0.0,
                source="streaming normalisation references (STANDARDS.md §3.3; only Spotify publishes its algorithm)",
                action=f"nothing is gained above their reference: {-worst:.1f} dB less limiting loses no "
                "loudness on these services",
                message=f"streaming services would turn it down: {listing}",
                data={"gains_db": gains},
            )
        )
    return metrics, findings


__all__ = [
    "DeliveryTarget",
    "StreamingService",
    "delivery",
    "gated_loudness",
    "vocal_balance",
    "vocal_findings",
]
