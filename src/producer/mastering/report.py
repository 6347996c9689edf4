"""The delivery report of a master: a JSON record and an HTML document a producer sends a label.

Both come from the same :class:`~producer.mastering.verdict.Verdict` — the requirement rows
and the verdict computed from them — so the page can never say PASSED above a failing row.
The HTML page (``report.html`` next to this module: the layout and its print style) holds the
release's identity (title, artist, album, ISRC, songwriter), the profile and each requirement
with what was achieved and how, the measurements with human labels and units, and the plots
of :mod:`producer.mastering.report_plots`, self-contained (figures inline as SVG).
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata, resources
from pathlib import Path
from string import Template
from typing import Any

from producer.audio import Audio
from producer.fileio import atomic_output
from producer.mastering.chain import MasterResult
from producer.mastering.export import Tags
from producer.mastering.profiles import DeliveryProfile
from producer.mastering.verdict import Verdict, depth_words


def _num(x: float, digits: int = 2) -> float | None:
    return round(float(x), digits) if math.isfinite(x) else None


def producer_version() -> str:
    try:
        return metadata.version("producer")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


@dataclass(frozen=True)
class ReportContext:
    """What the report says about the release and the run, besides the figures."""

    tags: Tags = field(default_factory=Tags)
    input_name: str = ""
    run: str = ""
    """How the master was made: "one song", "album run of 3 songs, album-normalised", ..."""
    reference: tuple[Audio, int] | None = field(default=None, repr=False)
    reference_name: str = ""
    made_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def summary(
    result: MasterResult, verdict: Verdict, path: str | Path, replaced: bool = False
) -> dict[str, Any]:
    """The ``producer master --json`` row of one output file: the fields issue 5 lists (path,
    profile, figures, rate, depth, passed, gain, limiter), then the requirement rows the verdict
    comes from, the loudness goal in words and whether an earlier file was replaced.
    ``sample_rate`` and ``bit_depth`` are the written file's."""
    written = verdict.written
    return {
        "path": str(path),
        "profile": verdict.profile,
        "integrated_lufs": _num(result.integrated_lufs),
        "true_peak_dbtp": _num(result.true_peak_dbtp),
        "loudness_range_lu": _num(result.loudness_range_lu),
        "sample_rate": written.sample_rate,
        "bit_depth": written.bit_depth or "lossy",
        "passed": verdict.passed,
        "gain_db": _num(result.gain_db),
        "limiter_max_gain_reduction_db": _num(result.max_gain_reduction_db),
        "file_format": f"{written.format.upper()}, {written.sample_type}",
        "loudness_goal": verdict.goal.required(),
        "verdict": verdict.tag,
        "requirements": [r.as_dict() for r in verdict.rows],
        "replaced": replaced,
    }


def report_json(
    result: MasterResult,
    profile: DeliveryProfile,
    verdict: Verdict,
    path: str | Path,
    context: ReportContext = ReportContext(),
) -> dict[str, Any]:
    """The full JSON report: the summary, the release, the input, how the chain got there."""
    data = summary(result, verdict, path)
    data.pop("replaced")
    tags = context.tags
    data.update(
        {
            "title": tags.title,
            "artist": tags.artist,
            "album": tags.album,
            "track": f"{tags.track_number}/{tags.track_total}" if tags.track_number else "",
            "isrc": tags.isrc,
            "songwriter": tags.composer,
            "run": context.run,
            "made_at": context.made_at.isoformat(timespec="seconds"),
            "producer_version": producer_version(),
            "target_lufs": result.target_lufs,
            "tolerance_lu": result.tolerance_lu,
            "ceiling_dbtp": result.ceiling_dbtp,
            "problems": list(verdict.problems),
            "chain_notes": list(verdict.notes),
            "input": context.input_name,
            "reference": context.reference_name,
            "input_integrated_lufs": _num(result.input_integrated_lufs),
            "input_loudness_range_lu": _num(result.input_loudness_range_lu),
            "loudness_range_change_lu": _num(
                result.loudness_range_lu - result.input_loudness_range_lu
            ),
            "limiter_ceiling_db": _num(result.limiter_ceiling_db, 3),
            "solver_iterations": result.iterations,
            "true_peak_meter": "max(BS.1770-4 meter, 8x soxr-interpolated peak)",
            "profile_description": profile.description,
        }
    )
    return data


# ---------------------------------------------------------------- the HTML document


def _e(x: object) -> str:
    return html.escape(str(x))


def _db(x: float | None, unit: str, digits: int = 2, sign: bool = False) -> str:
    if x is None or not math.isfinite(x):
        return "—"
    x = round(x, digits) + 0.0  # no "-0.00"
    return f"{x:+.{digits}f} {unit}" if sign else f"{x:.{digits}f} {unit}"


def _duration(seconds: float) -> str:
    m, s = divmod(seconds, 60.0)
    return f"{int(m)}:{s:06.3f}" if m else f"{s:.3f} s"


def _identity(result: MasterResult, profile: DeliveryProfile, verdict: Verdict, path: Path,
              context: ReportContext) -> list[tuple[str, str]]:  # fmt: skip
    tags = context.tags
    fmt = f"{verdict.written.format.upper()}, {verdict.written.sample_type}"
    channels = result.audio.shape[0]
    items = [
        ("Artist", tags.artist),
        ("Album", tags.album),
        ("Track", f"{tags.track_number} of {tags.track_total}" if tags.track_number else ""),
        ("ISRC", tags.isrc or "none given"),
        ("Songwriter", tags.composer),
        ("Year", tags.year),
        ("File", path.name),
        (
            "Format",
            f"{fmt}, {result.sample_rate / 1000:g} kHz, "
            f"{'stereo' if channels == 2 else 'mono' if channels == 1 else f'{channels} channels'}",
        ),
        ("Duration", _duration(result.audio.shape[1] / result.sample_rate)),
        ("Profile", f"{profile.name} — {profile.description}"),
        ("Made from", context.input_name),
        ("Run", context.run),
        ("Mastered", context.made_at.strftime("%Y-%m-%d %H:%M UTC")),
        ("Made with", f"producer {producer_version()}"),
    ]
    return [(k, v) for k, v in items if v]


def _requirements_table(verdict: Verdict) -> str:
    rows = "".join(
        f"<tr><td><b>{_e(r.label)}</b><span class='sub'>{_e(r.required)}</span></td>"
        f"<td><span class='num'>{_e(r.achieved)}</span><span class='sub'>{_e(r.how)}</span></td>"
        f"<td><span class='pill {'ok' if r.passed else 'bad'}'>"
        f"{'PASS' if r.passed else 'FAIL'}</span></td></tr>"
        for r in verdict.rows
    )
    return (
        "<table class='req'><colgroup><col class='c-req'><col class='c-got'><col class='c-res'>"
        "</colgroup><thead><tr><th>Requirement</th><th>Achieved, and how</th><th>Result</th>"
        f"</tr></thead><tbody>{rows}</tbody></table>"
    )


def _measurements(result: MasterResult) -> str:
    before, after = result.input_report, result.report
    lines: list[tuple[str, str, str]] = [
        (
            "Integrated loudness",
            _db(result.input_integrated_lufs, "LUFS"),
            _db(result.integrated_lufs, "LUFS"),
        ),
        (
            "Loudness range (EBU Tech 3342)",
            _db(result.input_loudness_range_lu, "LU", 1),
            _db(result.loudness_range_lu, "LU", 1),
        ),
    ]
    if before is not None and after is not None:
        lines += [
            ("True peak", _db(before.true_peak_dbtp, "dBTP"), _db(result.true_peak_dbtp, "dBTP")),
            ("Sample peak", _db(before.sample_peak_dbfs, "dBFS"), _db(after.sample_peak_dbfs, "dBFS")),
            (
                "Highest short-term loudness (3 s)",
                _db(before.short_term_max_lufs, "LUFS", 1),
                _db(after.short_term_max_lufs, "LUFS", 1),
            ),
            (
                "Highest momentary loudness (0.4 s)",
                _db(before.momentary_max_lufs, "LUFS", 1),
                _db(after.momentary_max_lufs, "LUFS", 1),
            ),
            ("Sample rate", f"{before.sample_rate} Hz", f"{after.sample_rate} Hz"),
        ]  # fmt: skip
    body = "".join(
        f"<tr><th scope='row'>{_e(k)}</th><td class='num'>{_e(a)}</td><td class='num'>{_e(b)}</td></tr>"
        for k, a, b in lines
    )
    return (
        "<table class='figures'><thead><tr><th>Measurement</th><th>Mix (input)</th>"
        f"<th>Master</th></tr></thead><tbody>{body}</tbody></table>"
    )


def _processing(result: MasterResult, profile: DeliveryProfile) -> str:
    dither = (
        f"TPDF to {depth_words(profile.bit_depth)}, the last step"
        if profile.pcm_bits is not None
        else "none (32-bit float delivery)"
    )
    lines = [
        ("Gain", _db(result.gain_db, "dB", sign=True)),
        ("Limiter, largest gain reduction", _db(result.max_gain_reduction_db, "dB", 1)),
        ("Limiter working ceiling", _db(result.limiter_ceiling_db, "dBTP")),
        ("Loudness range change", _db(result.loudness_range_lu - result.input_loudness_range_lu, "LU", 1, sign=True)),
        ("Dither", dither),
        ("Gain solver", f"{result.iterations} render(s) measured, limiter and dither in the loop"),
        ("True-peak measurement", "the larger of the BS.1770-4 meter (4×) and an 8× soxr-interpolated peak"),
    ]  # fmt: skip
    body = "".join(f"<tr><th scope='row'>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in lines)
    return f"<table class='figures'><tbody>{body}</tbody></table>"


def _album_note(verdict: Verdict) -> str:
    goal = verdict.goal
    if goal.kind == "album":
        return (
            "<p class='note'><b>Album normalisation.</b> Every song of this album gets the same "
            f"gain ({goal.album_gain_db:+.2f} dB): the one that puts the loudest song, "
            f"<i>{_e(goal.loudest_song)}</i>, on the target of {goal.target_lufs:.1f} LUFS. "
            "The quieter songs stay quieter by as much as they were in the mixes, so the album "
            "plays as it was mixed (AES TD1008 album mode). Their requirement is therefore the "
            "album gain, not the target itself.</p>"
        )
    if goal.kind == "reference":
        return (
            f"<p class='note'><b>Matched to a reference.</b> The loudness target is the "
            f"reference track {_e(goal.reference)} ({goal.target_lufs:.2f} LUFS), not the "
            f"profile's {goal.profile_target_lufs:.1f} LUFS; the other requirements are the "
            "profile's.</p>"
        )
    if goal.kind == "custom":
        return (
            f"<p class='note'><b>Custom target.</b> {goal.target_lufs:.1f} LUFS was asked "
            f"instead of the profile's {goal.profile_target_lufs:.1f} LUFS.</p>"
        )
    return ""


def report_html(
    result: MasterResult,
    profile: DeliveryProfile,
    verdict: Verdict,
    path: str | Path,
    context: ReportContext = ReportContext(),
) -> str:
    """The self-contained HTML document (figures inline)."""
    path = Path(path)
    tags = context.tags
    title = tags.title or path.stem
    if verdict.passed:
        headline = f"Meets the {profile.name} profile"
        detail = f"All {len(verdict.rows)} requirements are met."
    else:
        failed = [r for r in verdict.rows if not r.passed]
        headline = f"Does not meet the {profile.name} profile"
        detail = "; ".join(f"{r.label}: {r.achieved}, required {r.required}" for r in failed)
        if verdict.notes:
            detail += ". " + " ".join(verdict.notes)
    identity = "".join(
        f"<div><dt>{_e(k)}</dt><dd>{_e(v)}</dd></div>"
        for k, v in _identity(result, profile, verdict, path, context)
    )
    # The figures draw with matplotlib (half a second to import): loaded when a report is
    # written, not when `producer master` starts.
    from producer.mastering.report_plots import figures

    plots = "".join(
        f"<figure><h3>{_e(f.title)}</h3><img alt='{_e(f.title)}' "
        f"src='data:image/svg+xml;base64,{f.svg_base64}'><figcaption>{_e(f.caption)}</figcaption></figure>"
        for f in figures(
            result, verdict.goal, profile.name, context.reference, context.reference_name
        )
    )
    gr = result.gain_reduction_db
    if not (gr.size and float(gr.max()) >= 0.05):
        plots += (
            "<p class='note'>The limiter did not act on this master (largest gain reduction "
            f"{result.max_gain_reduction_db:.2f} dB): the gain alone met the target.</p>"
        )
    subtitle = " · ".join(x for x in (tags.artist, tags.album) if x)
    page = Template(
        resources.files("producer.mastering").joinpath("report.html").read_text("utf-8")
    )
    return page.substitute(
        page_title=_e(f"Delivery report — {title} ({profile.name})"),
        title=_e(title),
        subtitle=_e(subtitle),
        verdict_class="ok" if verdict.passed else "bad",
        verdict_word="PASSED" if verdict.passed else "FAILED",
        headline=_e(headline),
        detail=_e(detail),
        identity=identity,
        album_note=_album_note(verdict),
        requirements=_requirements_table(verdict),
        measurements=_measurements(result),
        processing=_processing(result, profile),
        plots=plots,
        footer=_e(
            f"producer {producer_version()} · {context.made_at.strftime('%Y-%m-%d')} · loudness "
            "per ITU-R BS.1770-4 with EBU R 128 gating; loudness range per EBU Tech 3342"
        ),
    )


def _write_text(path: Path, text: str) -> None:
    with atomic_output(path, durable=False) as tmp:
        tmp.write_text(text, encoding="utf-8")


def report_paths(master_path: Path) -> tuple[Path, Path]:
    """``<master stem>.report.json`` and ``.report.html`` next to the master."""
    base = master_path.with_name(master_path.stem)
    return base.with_name(base.name + ".report.json"), base.with_name(base.name + ".report.html")


def write_reports(
    result: MasterResult,
    profile: DeliveryProfile,
    verdict: Verdict,
    master_path: Path,
    context: ReportContext = ReportContext(),
) -> tuple[Path, Path]:
    """Write ``<master>.report.json`` and ``<master>.report.html`` next to the master."""
    jpath, hpath = report_paths(master_path)
    data = report_json(result, profile, verdict, master_path, context)
    _write_text(jpath, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    _write_text(hpath, report_html(result, profile, verdict, master_path, context))
    return jpath, hpath


__all__ = [
    "ReportContext",
    "producer_version",
    "report_html",
    "report_json",
    "report_paths",
    "summary",
    "write_reports",
]
