"""The extra ear's page: the findings first, in plain words, then the plots.

One self-contained HTML file (PNG plots inline, matplotlib's Agg backend as in
:mod:`producer.analysis.plots`): a summary line, the findings table (what, where, what to do),
then the spectrum against the target or references, the masking matrix as a heat map, the
stereo correlation over time, loudness over time with the song's sections, and the version
comparison when there is one; the figures of the mix and of each stem at the end.
"""

from __future__ import annotations

import base64
import html
import io
import math
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from producer.analysis.ear.report import Analysis
from producer.analysis.ear.stereo import correlation_series, mono_loss_by_band

_COLORS = {"error": "#c62828", "warning": "#ef6c00", "info": "#1565c0"}
_WORDS = {
    "clipping": "Clipping",
    "inter-sample-peaks": "Peaks between samples",
    "polarity": "Polarity",
    "mono-compatibility": "Mono playback",
    "mic-alignment": "Microphone timing",
    "masking": "Masking",
    "vocal-balance": "Vocal level",
    "spectral-balance": "Tonal balance",
    "low-end-mono": "Bass width",
    "dc-offset": "DC offset",
    "hum": "Hum",
    "noise-floor": "Noise",
    "dynamics": "Dynamics",
    "delivery": "Delivery",
    "tempo": "Tempo",
    "key": "Key",
    "version-diff": "Changes",
}


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _spectrum(a: Analysis) -> str | None:
    spec = a.extra.get("spectrum")
    if not spec:
        return None
    f = np.asarray(spec["bands_hz"])
    fig, ax = plt.subplots(figsize=(9, 3.4))
    ax.fill_between(
        f, spec["target_low_db"], spec["target_high_db"], color="0.85", label="target range"
    )
    kind = "reference" if spec.get("target") == "references" else "built-in band:"
    for name, c, db in a.extra.get("references", []):
        ax.semilogx(c, db, lw=0.8, ls="--", label=f"{kind} {name}")
    ax.semilogx(f, spec["mix_db"], lw=2.0, color="black", label="this mix")
    ax.set_xlim(25, f[-1] * 1.1)
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("dB re loudness")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)
    return _png(fig)


def _masking(a: Analysis) -> str | None:
    mask = a.extra.get("masking")
    if mask is None:
        return None
    m = np.array(mask.matrix)
    names = list(mask.names)
    fig, ax = plt.subplots(figsize=(1.2 + 0.7 * len(names), 0.9 + 0.55 * len(names)))
    im = ax.imshow(m, cmap="magma_r", vmin=0.0, vmax=max(6.0, float(np.nanmax(m))))
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.set_xlabel("masker (the track that covers)")
    ax.set_ylabel("masked track")
    for i in range(len(names)):
        for j in range(len(names)):
            if i != j:
                ax.text(
                    j, i, f"{m[i, j]:.1f}", ha="center", va="center", fontsize=7, color="tab:cyan"
                )
    fig.colorbar(im, ax=ax, label="dB of masking")
    return _png(fig)


def _stereo(a: Analysis) -> str | None:
    sig = a.heard.mix
    if sig.channels < 2:
        return None
    t, r = correlation_series(sig)
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 2.8), gridspec_kw={"width_ratios": [2, 1]})
    ax.plot(t, r, lw=0.8, color="tab:green")
    ax.axhline(0.0, color="tab:red", lw=0.8, ls=":")
    ax.set_ylim(-1.05, 1.05)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("correlation")
    ax.set_title("+1 mono, 0 wide, below 0 cancels in mono", fontsize=8)
    c, loss = mono_loss_by_band(sig)
    bx.semilogx(c, loss, marker="o", ms=3, lw=0.8)
    bx.axhline(3.0, color="0.5", lw=0.8, ls=":")
    bx.set_xlabel("frequency (Hz)")
    bx.set_ylabel("mono loss (dB)")
    bx.set_ylim(bottom=0.0, top=max(6.0, float(np.nanmax(np.nan_to_num(loss, nan=0.0))) + 1))
    return _png(fig)


def _loudness(a: Analysis) -> str | None:
    rep = a.heard.mix.loudness
    if len(rep.short_term_lufs) == 0:
        return None
    fig, ax = plt.subplots(figsize=(11, 3.2))
    floor = -60.0
    ax.plot(
        rep.momentary_times_s,
        np.maximum(rep.momentary_lufs, floor),
        lw=0.5,
        color="0.6",
        label="mix, momentary",
    )
    ax.plot(
        rep.short_term_times_s,
        np.maximum(rep.short_term_lufs, floor),
        lw=1.6,
        color="black",
        label="mix, short-term",
    )
    vocal = a.context.vocal
    if vocal and vocal in a.heard.stems:
        v = a.heard.stems[vocal].loudness
        ax.plot(
            v.short_term_times_s,
            np.maximum(v.short_term_lufs, floor),
            lw=1.0,
            color="tab:red",
            label=f"{vocal}",
        )
    if a.heard.rest is not None:
        r = a.heard.rest
        ax.plot(
            r.short_term_times_s,
            np.maximum(r.short_term_lufs, floor),
            lw=1.0,
            color="tab:blue",
            label="the rest",
        )
    for k, s in enumerate(a.context.sections):
        ax.axvspan(s.start_s, s.end_s, color="0.92" if k % 2 else "0.97", zorder=0)
        ax.text((s.start_s + s.end_s) / 2, -2.0, s.name, ha="center", va="top", fontsize=8)
    if math.isfinite(rep.integrated_lufs):
        ax.axhline(
            rep.integrated_lufs,
            color="black",
            ls="--",
            lw=0.8,
            label=f"integrated {rep.integrated_lufs:.1f} LUFS",
        )
    ax.set_ylim(floor, 0.0)
    ax.set_xlim(0.0, max(rep.duration_s, 0.4))
    ax.set_xlabel("time (s)")
    ax.set_ylabel("LUFS")
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(alpha=0.3)
    return _png(fig)


def _versions(a: Analysis) -> str | None:
    vd = a.mix.get("version_diff")
    if not vd:
        return None
    items = [(float(k), v) for k, v in vd["band_change_db"].items() if v is not None]
    if not items:
        return None
    f, d = zip(*items, strict=True)
    fig, ax = plt.subplots(figsize=(9, 2.8))
    ax.semilogx(f, d, marker="o", ms=3)
    ax.axhspan(-0.5, 0.5, color="0.9")
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("dB beyond the gain")
    ax.set_title(
        f"this version against {vd['against']} ({vd['loudness_change_lu']:+.1f} LU, shifted {vd['offset_ms']:.1f} ms)",
        fontsize=9,
    )
    ax.grid(alpha=0.3, which="both")
    return _png(fig)


def _fmt(x: Any) -> str:
    if x is None:
        return "—"
    if isinstance(x, float):
        return f"{x:.2f}" if math.isfinite(x) else "—"
    return html.escape(str(x))


_METRICS = (
    ("integrated_lufs", "Loudness (LUFS)"),
    ("true_peak_dbtp", "True peak (dBTP)"),
    ("loudness_range_lu", "LRA (LU)"),
    ("plr_lu", "PLR (LU)"),
    ("psr_median_db", "PSR median (dB)"),
    ("crest_factor_db", "Crest (dB)"),
    ("dr", "DR"),
    ("correlation", "Correlation"),
    ("mono_loss_db", "Mono loss (dB)"),
    ("low_end_side_db", "Side/mid < 120 Hz (dB)"),
    ("dc_offset_dbfs", "DC (dBFS)"),
    ("noise_floor_dbfs", "Noise floor (dBFS)"),
    ("clipped_runs", "Clipped runs"),
)


def report_html(a: Analysis) -> str:
    """The whole page as one string."""
    data = a.to_json()
    counts = data["summary"]
    verdict = (
        f"{counts['error']} problem(s) to fix, {counts['warning']} warning(s), {counts['info']} note(s)"
        if a.findings
        else "Nothing to report."
    )
    rows = "".join(
        f"<tr><td><span class='sev' style='background:{_COLORS[f.severity]}'>{f.severity}</span></td>"
        f"<td><b>{_WORDS[f.check]}</b><br><small>{html.escape(', '.join(f.stems))}</small></td>"
        f"<td>{html.escape(f.message)}</td><td>{html.escape(f.action)}</td>"
        f"<td><small>{_fmt(f.value)} vs {_fmt(f.threshold)} ({html.escape(f.metric)})<br>"
        f"{html.escape(f.source)}</small></td></tr>"
        for f in a.findings
    )
    plots = [
        (
            "Tonal balance",
            "The black line is this mix; the grey band is where it should sit.",
            _spectrum(a),
        ),
        (
            "Who covers whom",
            "How many dB each track (row) is covered by each other track (column).",
            _masking(a),
        ),
        (
            "Stereo and mono",
            "Left: how alike the two sides are over time. Right: what mono playback loses per band.",
            _stereo(a),
        ),
        (
            "Loudness over the song",
            "The mix, the lead vocal and the rest, with the song's sections.",
            _loudness(a),
        ),
        (
            "What changed",
            "Each band of this version against the other, beyond the overall level.",
            _versions(a),
        ),
    ]
    figures = "".join(
        f"<h2>{html.escape(t)}</h2><p class='hint'>{html.escape(h)}</p><img alt='{html.escape(t)}' src='data:image/png;base64,{png}'>"
        for t, h, png in plots
        if png
    )
    head = "".join(f"<th>{html.escape(label)}</th>" for _, label in _METRICS)
    table = [("mix", a.mix), *sorted(a.stems.items())]
    metric_rows = "".join(
        f"<tr><th>{html.escape(name)}</th>"
        + "".join(f"<td>{_fmt(m.get(k))}</td>" for k, _ in _METRICS)
        + "</tr>"
        for name, m in table
    )
    extra = []
    tempo, key = a.mix.get("tempo"), a.mix.get("key")
    if tempo:
        extra.append(f"tempo {tempo['bpm']:g} BPM (confidence {tempo['confidence']:.2f})")
    if key:
        extra.append(
            f"key {html.escape(key['key'] or 'unknown')} (confidence {key['confidence']:.2f})"
        )
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>Extra ear: {html.escape(a.title)}</title>"
        "<style>body{font-family:sans-serif;max-width:72em;margin:auto;padding:0 1em}"
        "td,th{padding:3px 8px;text-align:left;vertical-align:top;border-bottom:1px solid #eee}"
        ".sev{color:white;border-radius:3px;padding:1px 6px;font-size:80%}.hint{color:#555}"
        "img{max-width:100%}</style></head><body>"
        f"<h1>Extra ear: {html.escape(a.title)}</h1><p><b>{html.escape(verdict)}</b>"
        f"{' — ' + ', '.join(extra) if extra else ''}</p>"
        "<table><tr><th></th><th>What</th><th>Heard</th><th>What to do</th><th>Measured</th></tr>"
        f"{rows}</table>{figures}"
        f"<h2>Figures</h2><table><tr><th></th>{head}</tr>{metric_rows}</table></body></html>\n"
    )


__all__ = ["report_html"]
