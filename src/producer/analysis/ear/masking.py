"""Masking between stems, with the culprits named: an ERB-band **excess-energy** model.

Model (not a partial-loudness model): per STFT frame (≈ 85 ms hop) and ERB band (1 ERB wide,
50 Hz-16 kHz, :mod:`.frames`), each stem's power is spread over the neighbouring bands with a
level-independent triangular spreading function — 25 dB per band towards lower frequencies,
10 dB per band towards higher ones (the slopes of Schroeder, Atal & Hall, JASA 66, 1979, per
Bark; applied per ERB, a finer scale, they spread a little less) — giving its excitation
X_s(b, t). For a target T the masking is the excess of everyone else's excitation over T's:

    M_T(b, t) = max(0, 10·log10(Σ_{s≠T} X_s(b, t) / X_T(b, t)))   [dB]

counted only where T itself is playing in that band (frame within 30 dB of T's loud level,
band within 30 dB of T's strongest band in the frame). Each masker s gets the share
X_s / Σ_{s≠T} X_s of it (the spreading is linear, so shares add up): that share of M_T is the
masking *attributed* to s. This is the formulation of the extra-ear research note (§2.3), the
shape of the MPEG-inspired multitrack metrics of Hafezi & Reiss (JAES 2015) and Ronan et al.
(2018), with attribution per masker added.

Findings: per band the culprit with the largest attributed masking; adjacent bands with the same
culprit form a region; regions are ranked by how much cutting that culprit there would unmask
the target (the suggested cut, 1-6 dB, is what brings Σ others down to the target's level in
the region's median frame). Renaming or reordering stems changes nothing: every sum is
symmetric in the stems and ties are broken by masking values, not names.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from producer.analysis.ear.findings import Finding, hz, ranges, spans_text
from producer.analysis.ear.frames import F64, FramePlan, erb_number
from producer.analysis.ear.stream import SignalFeatures

LOWER_SLOPE_DB = 25.0
UPPER_SLOPE_DB = 10.0
ACTIVE_RANGE_DB = 30.0
MASKING_DB = 3.0
WARNING_DB = 6.0
MAX_CUT_DB = 6.0
MIN_ACTIVE_S = 2.0
SOURCE = (
    "ERB-band excess-energy masking model (Glasberg & Moore 1990 ERB scale, Schroeder et al. "
    "1979 spreading slopes); 3 dB excess (the others at twice the target's power): producer's "
    "threshold"
)


@dataclass(frozen=True)
class Section:
    """A named part of the song, in seconds of the analysed mix."""

    name: str
    start_s: float
    end_s: float


def spreading_matrix(plan: FramePlan) -> F64:
    """(maskee band, masker band) linear power weights of the triangular spreading function."""
    e = erb_number(plan.erb.centers)
    d = e[:, None] - e[None, :]  # maskee minus masker, in ERB
    att = np.where(d >= 0, UPPER_SLOPE_DB * d, LOWER_SLOPE_DB * -d)
    return np.asarray(10.0 ** (-att / 10.0))


@dataclass(frozen=True, eq=False)
class MaskingResult:
    """The all-pairs matrix and the lead's (and other targets') ranked regions."""

    names: tuple[str, ...]
    matrix: F64
    """(target, masker) mean attributed masking in dB where the target plays."""
    findings: tuple[Finding, ...]
    profile: dict[str, F64]
    """Target → mean masking per ERB band (dB), for plots."""


def _section_names(times: Sequence[tuple[float, float]], sections: Sequence[Section]) -> list[str]:
    out = []
    for s in sections:
        overlap = sum(max(0.0, min(b, s.end_s) - max(a, s.start_s)) for a, b in times)
        if overlap >= 0.25 * max(s.end_s - s.start_s, 1e-9) and s.name not in out:
            out.append(s.name)
    return out


def analyse(
    stems: dict[str, SignalFeatures],
    lead: str | None,
    sections: Sequence[Section] = (),
    max_lead_regions: int = 3,
    max_other_findings: int = 5,
) -> MaskingResult | None:
    """Masking of every stem by every other one; None with fewer than two stems."""
    names = tuple(sorted(stems))
    if len(names) < 2:
        return None
    plan = stems[names[0]].plan
    frames = min(len(stems[n].erb) for n in names)
    energy = np.stack([stems[n].erb[:frames].astype(np.float64) for n in names])  # (S, F, B)
    spread = spreading_matrix(plan)
    excitation = energy @ spread.T
    total = excitation.sum(axis=0)
    s_count = len(names)
    matrix = np.zeros((s_count, s_count))
    profile: dict[str, F64] = {}
    lead_findings: list[tuple[float, Finding]] = []
    other_findings: list[tuple[float, Finding]] = []
    for t, target in enumerate(names):
        xt = excitation[t]
        others = total - xt
        active = _active(energy[t])
        if not active.any():
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            m = np.where(active, np.maximum(0.0, 10.0 * np.log10(others / xt)), 0.0)
            m = np.nan_to_num(m, nan=0.0, posinf=120.0)
            # Masker s's attributed masking is m·X_s/others: one weight per (frame, band).
            w = np.where(others > 0, m / others, 0.0)
        band_attr = np.einsum("sfb,fb->sb", excitation, w)  # (S, B), summed over frames
        band_attr[t] = 0.0
        count = active.sum()
        matrix[t] = band_attr.sum(axis=1) / count
        per_band_count = active.sum(axis=0)
        profile[target] = np.where(
            per_band_count > 0, m.sum(axis=0) / np.maximum(per_band_count, 1), np.nan
        )
        regions = _regions(
            t, names, m, w, band_attr, active, excitation, others, plan, sections, target == lead
        )
        if target == lead:
            lead_findings += regions
        else:
            strong = [r for r in regions if r[1].value is not None and r[1].value >= WARNING_DB]
            other_findings += [(score, replace(f, severity="info")) for score, f in strong[:1]]
    findings = [f for _, f in sorted(lead_findings, key=lambda r: -r[0])[:max_lead_regions]]
    findings += [f for _, f in sorted(other_findings, key=lambda r: -r[0])[:max_other_findings]]
    return MaskingResult(names, matrix, tuple(findings), profile)


def _active(e: F64) -> npt.NDArray[np.bool_]:
    """Where the target plays: loud frames, and bands near its strongest band in the frame."""
    level = e.sum(axis=1)
    playing = level > 0
    if not playing.any():
        return np.zeros_like(e, dtype=bool)
    loud = np.percentile(level[playing], 95)
    frame_ok = level >= loud * 10 ** (-ACTIVE_RANGE_DB / 10)
    band_ok = e >= e.max(axis=1, keepdims=True) * 10 ** (-ACTIVE_RANGE_DB / 10)
    return np.asarray(frame_ok[:, None] & band_ok & (e > 0))


def _regions(
    t: int,
    names: tuple[str, ...],
    m: F64,
    w: F64,
    band_attr: F64,
    active: npt.NDArray[np.bool_],
    excitation: F64,
    others: F64,
    plan: FramePlan,
    sections: Sequence[Section],
    every: bool,
) -> list[tuple[float, Finding]]:
    """The target's regions (adjacent bands with one top culprit); all of them for the lead,
    the strongest only for another target."""
    n_act = active.sum(axis=0)
    enough = n_act * plan.hop_s >= MIN_ACTIVE_S
    safe = np.maximum(n_act, 1)
    band_mask = m.sum(axis=0) / safe
    top = np.argmax(band_attr / safe, axis=0)
    good = enough & (band_mask >= MASKING_DB)
    spans: list[tuple[int, int, int]] = []
    b = 0
    bands = len(band_mask)
    while b < bands:
        if not good[b]:
            b += 1
            continue
        c = int(top[b])
        e = b
        while e + 1 < bands and good[e + 1] and int(top[e + 1]) == c:
            e += 1
        spans.append((c, b, e))
        b = e + 1
    if not every and spans:
        spans = [max(spans, key=lambda r: float(band_attr[r[0], r[1] : r[2] + 1].sum()))]
    return [
        _region_finding(t, c, b0, b1, names, m, w, active, excitation, others, plan, sections)
        for c, b0, b1 in spans
    ]


def _region_finding(
    t: int,
    c: int,
    b0: int,
    b1: int,
    names: tuple[str, ...],
    m: F64,
    w: F64,
    active: npt.NDArray[np.bool_],
    excitation: F64,
    others: F64,
    plan: FramePlan,
    sections: Sequence[Section],
) -> tuple[float, Finding]:
    sl = slice(b0, b1 + 1)
    attributed = excitation[:, :, sl] * w[None, :, sl]  # (S, F, region bands)
    attributed[t] = 0.0
    act = active[:, sl]
    xt = excitation[t][:, sl][act]
    xc = excitation[c][:, sl][act]
    oth = others[:, sl][act]
    rest = oth - xc
    with np.errstate(divide="ignore", invalid="ignore"):
        gain = np.where(xc > 0, (xt - rest) / xc, 1.0)
    g = float(np.median(gain))
    cut = MAX_CUT_DB if g <= 10 ** (-MAX_CUT_DB / 10) else (-10.0 * math.log10(g) if g < 1 else 0.0)
    cut = min(MAX_CUT_DB, max(1.0, round(cut * 2) / 2))
    k = 10 ** (-cut / 10)
    with np.errstate(divide="ignore", invalid="ignore"):
        m_now = np.maximum(0.0, 10 * np.log10(oth / xt))
        m_cut = np.maximum(0.0, 10 * np.log10((rest + k * xc) / xt))
    benefit = float(np.nanmean(m_now - m_cut)) * (b1 - b0 + 1)
    mean_mask = float(np.mean(m[:, sl][act]))
    per_masker = attributed.sum(axis=(1, 2)) / max(act.sum(), 1)
    order = [int(i) for i in np.argsort(-per_masker, kind="stable") if i != t and per_masker[i] > 0]
    shares = per_masker / max(per_masker.sum(), 1e-30)
    lo, hi = float(plan.erb.low[b0]), float(plan.erb.high[b1])
    # The cut goes where the culprit is most to blame (its largest share of the masking), as
    # wide as its share stays above halfway between that and its smallest share in the region.
    attr_band = np.where(act[None], attributed, 0.0).sum(axis=1)  # (S, bands)
    share_band = attr_band[c] / np.maximum(attr_band.sum(axis=0), 1e-30)
    peak = int(np.argmax(share_band))
    half = 0.5 * (share_band[peak] + share_band.min())
    left = peak
    while left > 0 and share_band[left - 1] >= half:
        left -= 1
    right = peak
    while right < len(share_band) - 1 and share_band[right + 1] >= half:
        right += 1
    fc = float(plan.erb.centers[b0 + peak])
    width = float(plan.erb.high[b0 + right] - plan.erb.low[b0 + left])
    q = min(4.0, max(0.5, fc / width))
    per_frame = np.where(active[:, sl], attributed[c], np.nan)
    counted = np.isfinite(per_frame).sum(axis=1)
    a_f = np.where(counted > 0, np.nansum(per_frame, axis=1) / np.maximum(counted, 1), 0.0)
    thresh = max(
        MASKING_DB * shares[c], float(np.percentile(a_f[a_f > 0], 60)) if (a_f > 0).any() else 0.0
    )
    times = ranges(
        a_f >= thresh, plan.hop_s, offset_s=0.0, merge_gap_s=1.0, min_length_s=0.5, limit=8
    )
    in_sections = _section_names(times, sections)
    where = (
        f" in {', '.join(in_sections)}"
        if in_sections
        else (f" at {spans_text(times)}" if times else "")
    )
    target, culprit = names[t], names[c]
    culprits: list[dict[str, Any]] = [
        {"stem": names[i], "share": float(shares[i]), "masking_db": float(per_masker[i])}
        for i in order[:4]
    ]
    share_text = ", ".join(f"{x['stem']} {x['share'] * 100:.0f} %" for x in culprits[:3])
    finding = Finding(
        check="masking",
        severity="warning" if mean_mask >= WARNING_DB and shares[c] >= 0.4 else "info",
        metric="masking_db",
        value=mean_mask,
        threshold=MASKING_DB,
        source=SOURCE,
        stems=tuple(str(x["stem"]) for x in culprits),
        band_hz=(lo, hi),
        times_s=times,
        action=f"cut {cut:.1f} dB at {hz(fc)}, Q {q:.1f}, on {culprit}{where}",
        message=f"{target} is masked by {mean_mask:.1f} dB at {hz(lo)}-{hz(hi)}{where}; culprits: {share_text}",
        data={
            "target": target,
            "culprits": culprits,
            "cut_db": cut,
            "frequency_hz": fc,
            "q": q,
            "sections": in_sections,
        },
    )
    return benefit, finding


def matrix_json(result: MaskingResult) -> dict[str, Any]:
    """{target: {masker: dB}} of the all-pairs matrix."""
    return {
        t: {s: float(result.matrix[i, j]) for j, s in enumerate(result.names) if j != i}
        for i, t in enumerate(result.names)
    }


__all__ = ["MaskingResult", "Section", "analyse", "matrix_json", "spreading_matrix"]
