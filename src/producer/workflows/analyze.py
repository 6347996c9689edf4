"""Use case ``producer analyze``: the extra ear on a song of the project or on files.

A song is rendered through the mix workflow in one engine pass whose sinks *are* the analysis
(the mix and every track's post-fader signal are measured block by block; no stem is written
to disk). Files are read in lockstep. The delivery profile and the streaming services' levels
come from mastering's profiles. :func:`analyze_version` is the entry point for a page that
shows one rendered version (the review studio): analysis of files to JSON and HTML.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from producer.analysis import ear
from producer.audio import AUDIO_EXTENSIONS
from producer.errors import NotFoundError, UserError
from producer.fileio import atomic_output
from producer.mastering.profiles import get_profile, load_profiles
from producer.model import Song
from producer.model import timing as tm
from producer.storage import Project
from producer.workflows import mix as mix_wf
from producer.workflows.outputs import check_output, existing
from producer.workflows.progress import frames as progress_frames
from producer.workflows.progress import report

Progress = Callable[[int, int], None]
Analysis = ear.Analysis

#: Services whose normalisation level is a delivery profile of the same name, and whether
#: they raise quiet tracks (only Spotify documents that it does, up to -1 dBTP: STANDARDS §3.3).
SERVICES = {"spotify": True, "apple": False, "youtube": False, "amazon": False, "deezer": False}
VOCAL_NAME = re.compile(r"vocal|vox", re.IGNORECASE)
#: Where the review studio keeps the analyses of versions, ``<render_id>.html|json``: a cache
#: (analysing the render again makes them); `producer gc` removes those whose render is gone.
ANALYSIS_DIR = ".producer/cache/analysis"


def _services() -> tuple[ear.StreamingService, ...]:
    profiles = load_profiles()
    out = []
    for name, raises in SERVICES.items():
        p = profiles.get(name)
        if p is not None:
            out.append(
                ear.StreamingService(
                    name,
                    p.target_lufs,
                    raises_quiet=raises,
                    headroom_dbtp=-1.0,
                    source=p.description,
                )
            )
    return tuple(out)


def _delivery(profile: str) -> ear.DeliveryTarget:
    p = get_profile(profile)
    return ear.DeliveryTarget(
        p.name,
        p.target_lufs,
        p.tolerance_lu,
        p.ceiling_dbtp,
        p.ceiling_louder_dbtp,
        p.louder_than_lufs,
    )


def pick_vocal(names: Sequence[str], vocal: str | None) -> str | None:
    """``vocal`` if it names a stem; else a stem whose name says vocal/vox (a lead or main one
    first); else None."""
    if vocal is not None:
        if vocal not in names:
            raise NotFoundError(
                f"--vocal {vocal!r}: no such stem (stems: {', '.join(names) or 'none'})"
            )
        return vocal
    hits = sorted(n for n in names if VOCAL_NAME.search(n))
    lead = [n for n in hits if re.search(r"lead|main", n, re.IGNORECASE)]
    best = lead or hits
    return best[0] if best else None


def song_sections(song: Song, length_s: float) -> tuple[ear.Section, ...]:
    """The song's sections in seconds of the render (which starts at the timeline's 0)."""
    out = []
    for s in sorted(song.sections, key=lambda s: s.start_bar):
        a = tm.beat_to_seconds(song, float(tm.bar_to_beat(song, s.start_bar)))
        b = tm.beat_to_seconds(song, float(tm.bar_to_beat(song, s.end_bar)))
        if a < length_s:
            out.append(ear.Section(s.name, a, min(b, length_s)))
    return tuple(out)


def _resolve(root: Path, p: str | os.PathLike[str]) -> Path:
    path = Path(p)
    return path if path.is_absolute() else root / path


def _expand_stems(
    root: Path, stems: Sequence[str | os.PathLike[str]], mix: Path
) -> dict[str, Path]:
    files: list[Path] = []
    for s in stems:
        p = _resolve(root, s)
        if p.is_dir():
            files += sorted(
                f for f in p.iterdir() if f.suffix.lower() in AUDIO_EXTENSIONS and f.is_file()
            )
        else:
            files.append(p)
    files = [f for f in files if f.resolve() != mix.resolve()]
    ear.check_stem_names([f.stem for f in files])
    return {f.stem: f for f in files}


def analyze(
    root: Path,
    target: str,
    *,
    stems: Sequence[str | os.PathLike[str]] = (),
    vocal: str | None = None,
    references: Sequence[str | os.PathLike[str]] = (),
    against: str | None = None,
    profile: str = "streaming",
    progress: Progress | None = None,
    tempo_key: bool = True,
) -> ear.Analysis:
    """Analyse song ``target`` of the project at ``root``, or the audio file ``target``.

    Progress goes to ``progress(done, expected)`` when given, else to the shell's
    (``producer.workflows.progress``): the listening pass, then the checks."""
    delivery = _delivery(profile)
    services = _services()
    refs = [ear.listen_file(_resolve(root, r)) for r in references]
    path = _resolve(root, target)
    if path.is_file():
        mix_path = path
        stem_paths = _expand_stems(root, stems, mix_path)
        lead = pick_vocal(list(stem_paths), vocal)
        rest = [n for n in stem_paths if n != lead] if lead else []
        heard = ear.listen_files(
            mix_path, stem_paths, rest=rest, progress=progress or progress_frames("listening")
        )
        other = None
        if against is not None:
            other_path = _resolve(root, against)
            if not other_path.is_file():
                raise NotFoundError(f"--against {against}: no such file")
            other = (other_path.name, ear.listen_file(other_path, keep_mono=True))
        context = ear.Context(vocal=lead, delivery=delivery, services=services, title=mix_path.name)
        report("checking")
        return ear.analyse(heard, context, refs, other, tempo_key=tempo_key)
    if stems:
        raise UserError("--stems is for a mix file: a song's stems are its tracks")
    if path.suffix.lower() in AUDIO_EXTENSIONS or os.sep in target:
        raise NotFoundError(f"{target}: no such file")
    project = Project.open(root)
    song = project.song(target)
    heard = _listen_song(root, target, song, vocal, progress)
    other = None
    if against is not None:
        other = _other_version(root, project, song, against)
    context = ear.Context(
        vocal=pick_vocal(list(heard.stems), vocal),
        sections=song_sections(song, heard.mix.duration_s),
        delivery=delivery,
        services=services,
        song_tempo_bpm=song.tempo_bpm,
        song_key=song.key or None,
        float_render=True,
        title=song.title or song.slug,
    )
    report("checking")
    return ear.analyse(heard, context, refs, other, tempo_key=tempo_key)


def _listen_song(
    root: Path, slug: str, song: Song, vocal: str | None, progress: Progress | None
) -> ear.Heard:
    box: dict[str, ear.Listener] = {}

    def sinks(names: Sequence[str], expected: int) -> tuple[object, Mapping[str, object]]:
        lead = pick_vocal(list(names), vocal)
        listener = ear.Listener(
            song.sample_rate,
            2,
            dict.fromkeys(names, 2),
            rest=[n for n in names if n != lead] if lead else [],
            expected_frames=expected,
        )
        box["listener"] = listener
        return listener.sinks()

    try:
        mix_wf.render_into(
            root,
            slug,
            sinks,  # type: ignore[arg-type]
            progress=progress or progress_frames(f"listening to {slug}"),
        )
    except BaseException:
        if "listener" in box:
            box["listener"].close()
        raise
    return box["listener"].finish()


def _other_version(
    root: Path, project: Project, song: Song, against: str
) -> tuple[str, ear.SignalFeatures]:
    """Another version: a file, or the song as it was at a snapshot (rendered now)."""
    path = _resolve(root, against)
    if path.is_file():
        return path.name, ear.listen_file(path, keep_mono=True)
    if against not in project.snapshots():
        known = ", ".join(project.snapshots()) or "none"
        raise NotFoundError(f"--against {against}: no such file or snapshot (snapshots: {known})")
    old = project.snapshot_song(against, song.slug)
    box: dict[str, ear.Listener] = {}

    def sinks(names: Sequence[str], expected: int) -> tuple[object, Mapping[str, object]]:
        box["listener"] = ear.Listener(
            old.sample_rate, 2, {}, expected_frames=expected, mix_name=against
        )
        mix_sink, _ = box["listener"].sinks()
        return mix_sink, {}

    mix_wf.render_into(root, song.slug, sinks, song=old)  # type: ignore[arg-type]
    return f"snapshot {against}", box["listener"].finish().mix


def check_report_path(path: Path, root: Path, inputs: Sequence[Path] = ()) -> None:
    """Refuse a report path inside the project's own files or over an input (outputs rules)."""
    check_output(path, root, *inputs)


def write_html(analysis: ear.Analysis, path: Path) -> Path:
    """The report page (summary of findings first, then plots), written atomically."""
    from producer.analysis.ear.html import report_html  # matplotlib: only when a page is asked

    text = report_html(analysis)
    with atomic_output(path, durable=False) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def write_json(analysis: ear.Analysis, path: Path) -> Path:
    with atomic_output(path, durable=False) as tmp:
        tmp.write_text(json.dumps(analysis.to_json(), indent=2) + "\n", encoding="utf-8")
    return path


def analyze_version(
    mix: Path,
    stems: Mapping[str, Path] | None = None,
    *,
    json_out: Path | None = None,
    html_out: Path | None = None,
    vocal: str | None = None,
    profile: str = "streaming",
    tempo_key: bool = True,
    title: str | None = None,
) -> ear.Analysis:
    """Analyse one rendered version (a mix file and, if kept, its stem files) and write its
    JSON and HTML report: what a review page links as the version's analysis. ``title``
    heads the report (default: the file's name)."""
    stem_paths = dict(stems or {})
    lead = pick_vocal(list(stem_paths), vocal)
    rest = [n for n in stem_paths if n != lead] if lead else []
    heard = ear.listen_files(mix, stem_paths, rest=rest)
    context = ear.Context(
        vocal=lead,
        delivery=_delivery(profile),
        services=_services(),
        title=title or mix.name,
    )
    analysis = ear.analyse(heard, context, tempo_key=tempo_key)
    if json_out is not None:
        write_json(analysis, json_out)
    if html_out is not None:
        write_html(analysis, html_out)
    return analysis


__all__ = [
    "ANALYSIS_DIR",
    "Analysis",
    "analyze",
    "analyze_version",
    "check_report_path",
    "existing",
    "pick_vocal",
    "song_sections",
    "write_html",
    "write_json",
]
