"""The delivery report of a master: JSON figures and an HTML page with embedded PNG plots.

Plots (matplotlib, Agg backend, no display needed): momentary and short-term loudness before and
after, long-term spectrum before/after (and of the reference), the limiter's gain reduction
over time, and true-peak events. Every figure comes from our BS.1770-4 meter
(:mod:`producer.analysis.loudness`) on the delivered samples, plus the 8× interpolated peak.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from producer.audio import Audio
from producer.fileio import atomic_output
from producer.mastering.chain import GR_BLOCK_S, MasterResult, long_term_spectrum_db
from producer.mastering.profiles import DeliveryProfile


def _num(x: float, digits: int = 2) -> float | None:
    return round(float(x), digits) if math.isfinite(x) else None


def requirements(result: MasterResult, profile: DeliveryProfile) -> list[dict[str, Any]]:
    """One pass/fail line per requirement of the profile."""
    err = result.integrated_lufs - result.target_lufs
    rows = [
        {
            "requirement": f"integrated loudness {result.target_lufs:.1f} LUFS "
            f"± {result.tolerance_lu:.1f} LU",
            "achieved": f"{result.integrated_lufs:.2f} LUFS ({err:+.2f} LU)",
            "passed": bool(abs(err) <= result.tolerance_lu),
        },
        {
            "requirement": f"true peak ≤ {result.ceiling_dbtp:.1f} dBTP",
            "achieved": f"{result.true_peak_dbtp:.2f} dBTP",
            "passed": bool(result.true_peak_dbtp <= result.ceiling_dbtp),
        },
        {
            "requirement": f"sample rate {profile.sample_rate} Hz",
            "achieved": f"{result.sample_rate} Hz",
            "passed": result.sample_rate == profile.sample_rate,
        },
        {
            "requirement": f"bit depth {profile.bit_depth}",
            "achieved": result.bit_depth,
            "passed": result.bit_depth == profile.bit_depth,
        },
    ]
    return rows


def summary(result: MasterResult, profile: DeliveryProfile, path: str | Path) -> dict[str, Any]:
    """The JSON fields of ``producer master --json`` for one output file, exactly those the
    issue lists: path, profile, achieved figures, rate, depth, passed, the gain applied and the
    limiter's largest gain reduction."""
    return {
        "path": str(path),
        "profile": profile.name,
        "integrated_lufs": _num(result.integrated_lufs),
        "true_peak_dbtp": _num(result.true_peak_dbtp),
        "loudness_range_lu": _num(result.loudness_range_lu),
        "sample_rate": result.sample_rate,
        "bit_depth": result.bit_depth,
        "passed": result.passed,
        "gain_db": _num(result.gain_db),
        "limiter_max_gain_reduction_db": _num(result.max_gain_reduction_db),
    }


def report_json(
    result: MasterResult, profile: DeliveryProfile, path: str | Path, input_name: str = ""
) -> dict[str, Any]:
    """The full JSON report: summary, input figures, solver details, requirements."""
    data = summary(result, profile, path)
    data.update(
        {
            "target_lufs": result.target_lufs,
            "ceiling_dbtp": result.ceiling_dbtp,
            "problems": list(result.problems),
            "input": input_name,
            "input_integrated_lufs": _num(result.input_integrated_lufs),
            "input_loudness_range_lu": _num(result.input_loudness_range_lu),
            "loudness_range_change_lu": _num(
                result.loudness_range_lu - result.input_loudness_range_lu
            ),
            "limiter_ceiling_db": _num(result.limiter_ceiling_db, 3),
            "solver_iterations": result.iterations,
            "true_peak_meter": "max(BS.1770-4 meter, 8x soxr-interpolated peak)",
            "profile_description": profile.description,
            "requirements": requirements(result, profile),
        }
    )
    return data


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _plots(result: MasterResult, reference: tuple[Audio, int] | None) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    before, after = result.input_report, result.report
    if before is not None and after is not None:
        fig, ax = plt.subplots(figsize=(8, 3))
        for rep, label in ((before, "before"), (after, "after")):
            ax.plot(rep.momentary_times_s, rep.momentary_lufs, lw=0.6, label=f"momentary {label}")
            ax.plot(
                rep.short_term_times_s, rep.short_term_lufs, lw=1.4, label=f"short-term {label}"
            )
        ax.axhline(result.target_lufs, color="k", ls="--", lw=0.8, label="target")
        ax.set_xlabel("time (s)")
        ax.set_ylabel("LUFS")
        ax.set_ylim(bottom=max(-60.0, result.target_lufs - 30.0))
        ax.legend(fontsize=7, ncol=3)
        out.append(("Loudness over time (BS.1770-4, EBU mode)", _png(fig)))
    if result.processed_input is not None:
        fig, ax = plt.subplots(figsize=(8, 3))
        f, b = long_term_spectrum_db(result.processed_input, result.sample_rate)
        _, a = long_term_spectrum_db(result.audio, result.sample_rate)
        ax.semilogx(f[1:], b[1:], lw=0.8, label="before (after EQ)")
        ax.semilogx(f[1:], a[1:], lw=0.8, label="after")
        if reference is not None:
            fr, r = long_term_spectrum_db(reference[0], reference[1])
            ax.semilogx(fr[1:], r[1:], lw=0.8, label="reference")
        ax.set_xlabel("frequency (Hz)")
        ax.set_ylabel("dB")
        ax.legend(fontsize=7)
        out.append(("Long-term spectrum", _png(fig)))
    gr = result.gain_reduction_db
    if gr.size:
        fig, ax = plt.subplots(figsize=(8, 2.5))
        ax.plot(np.arange(gr.size) * GR_BLOCK_S, -gr, lw=0.8, color="tab:red")
        ax.set_xlabel("time (s)")
        ax.set_ylabel("gain reduction (dB)")
        out.append(("Limiter gain reduction", _png(fig)))
    if after is not None:
        fig, ax = plt.subplots(figsize=(8, 2))
        ev = np.asarray(after.true_peak_events_s)
        ax.vlines(ev, 0, 1, color="tab:orange", lw=0.8)
        ax.set_xlim(0, max(after.duration_s, 1e-3))
        ax.set_yticks([])
        ax.set_xlabel(f"time (s) of true-peak events above {after.event_threshold_dbtp:.1f} dBTP")
        out.append((f"True-peak events ({ev.size})", _png(fig)))
    return out


def report_html(
    result: MasterResult,
    profile: DeliveryProfile,
    path: str | Path,
    input_name: str = "",
    reference: tuple[Audio, int] | None = None,
) -> str:
    """A self-contained HTML page: figures, pass/fail per requirement, PNG plots inline."""
    data = report_json(result, profile, path, input_name)
    rows = "".join(
        f"<tr><td>{html.escape(r['requirement'])}</td><td>{html.escape(r['achieved'])}</td>"
        f"<td class={'pass' if r['passed'] else 'fail'}>{'PASS' if r['passed'] else 'FAIL'}</td></tr>"
        for r in data["requirements"]
    )
    figures = "".join(
        f"<h2>{html.escape(title)}</h2><img alt='{html.escape(title)}' "
        f"src='data:image/png;base64,{png}'>"
        for title, png in _plots(result, reference)
    )
    facts = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
        for k, v in data.items()
        if k != "requirements"
    )
    verdict = "PASSED" if result.passed else "FAILED: " + "; ".join(result.problems)
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>Delivery report: {html.escape(Path(path).name)}</title>"
        "<style>body{font-family:sans-serif;max-width:60em;margin:auto}"
        "td,th{padding:2px 8px;text-align:left}.pass{color:green}.fail{color:red}</style>"
        f"</head><body><h1>{html.escape(Path(path).name)} — {html.escape(profile.name)}</h1>"
        f"<p><b>{html.escape(verdict)}</b></p><table>{rows}</table>"
        f"<h2>Figures</h2><table>{facts}</table>{figures}</body></html>\n"
    )


def _atomic_text(path: Path, text: str) -> None:
    # The one atomic-output rule (a temporary name per process, stale ones cleaned up).
    with atomic_output(path, durable=False) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_reports(
    result: MasterResult,
    profile: DeliveryProfile,
    master_path: Path,
    input_name: str = "",
    reference: tuple[Audio, int] | None = None,
) -> tuple[Path, Path]:
    """Write ``<master>.report.json`` and ``<master>.report.html`` next to the master."""
    base = master_path.with_name(master_path.stem)
    jpath = base.with_name(base.name + ".report.json")
    hpath = base.with_name(base.name + ".report.html")
    data = report_json(result, profile, master_path, input_name)
    _atomic_text(jpath, json.dumps(data, indent=2) + "\n")
    _atomic_text(hpath, report_html(result, profile, master_path, input_name, reference))
    return jpath, hpath


__all__ = ["report_html", "report_json", "requirements", "summary", "write_reports"]
