"""Sessions in and out: other DAWs' formats ↔ the model (layer 4, like storage; no rendering).

=============  ======  ======  ================================================================
format         export  import  module (library)
=============  ======  ======  ================================================================
dawproject     yes     yes     ``dawproject/`` (lxml; schema-checked in tests)
rpp            yes     yes     ``rpp`` (the ``rpp`` package: parse and print REAPER chunks)
otio           yes     yes     ``otio`` (OpenTimelineIO)
aaf            yes     yes     ``otio`` (OpenTimelineIO + otio-aaf-adapter, which uses pyaaf2)
ardour         no      yes     ``ardour`` (lxml)
stems          yes     no      ``bwf`` (BWF ``bext``/``iXML`` chunks; the workflow renders)
=============  ======  ======  ================================================================

``export_song`` reduces the song to what the format carries (``carry.reduce``: every change a
``Lost`` line) and writes that; ``read_session`` gives an ``ImportedSession`` (a song whose clips
name their media by key) that ``producer.workflows.session`` brings into a project.
"""

from __future__ import annotations

from pathlib import Path

from producer.errors import UserError
from producer.interchange.carry import Carries, playing_clips, reduce, song_end_frame
from producer.interchange.report import LossReport, Lost
from producer.interchange.session import (
    ImportedSession,
    MediaFile,
    MediaLookup,
    check_media_bounds,
)
from producer.model import Album, Song

EXPORT_FORMATS = ("dawproject", "rpp", "aaf", "otio", "stems")
IMPORT_FORMATS = ("dawproject", "rpp", "aaf", "otio", "ardour")
EXTENSIONS = {
    ".dawproject": "dawproject",
    ".rpp": "rpp",
    ".aaf": "aaf",
    ".otio": "otio",
    ".ardour": "ardour",
    ".template": "ardour",
}
NAMES = {
    "dawproject": "DAWproject",
    "rpp": "REAPER",
    "aaf": "AAF",
    "otio": "OTIO",
    "ardour": "Ardour",
    "stems": "BWF stems",
}


def export_format(out: Path, fmt: str | None) -> str:
    """The format to write: ``fmt``, else from ``out``'s extension (none: a stems folder)."""
    if fmt is not None:
        if fmt not in EXPORT_FORMATS:
            raise UserError(f"--format {fmt!r}: use one of {', '.join(EXPORT_FORMATS)}")
        return fmt
    if out.is_dir() or not out.suffix:
        return "stems"
    found = EXTENSIONS.get(out.suffix.lower())
    if found is None or found not in EXPORT_FORMATS:
        raise UserError(
            f"{out}: cannot tell the format from {out.suffix!r}; give --format "
            f"({', '.join(EXPORT_FORMATS)}) or an extension .dawproject, .rpp, .aaf, .otio"
        )
    return found


def import_format(path: Path, fmt: str | None) -> str:
    if fmt is not None:
        if fmt not in IMPORT_FORMATS:
            raise UserError(f"--format {fmt!r}: use one of {', '.join(IMPORT_FORMATS)}")
        return fmt
    found = EXTENSIONS.get(path.suffix.lower())
    if found is None and path.suffix.lower() == ".xml":
        found = "dawproject"  # a bare project.xml
    if found is None:
        raise UserError(
            f"{path}: cannot tell the format from {path.suffix!r}; give --format "
            f"({', '.join(IMPORT_FORMATS)})"
        )
    return found


def carries(fmt: str) -> Carries:
    """What ``fmt`` holds of a song."""
    if fmt == "dawproject":
        from producer.interchange import dawproject

        return dawproject.CARRIES
    if fmt == "rpp":
        from producer.interchange import rpp

        return rpp.CARRIES
    if fmt in ("otio", "aaf"):
        from producer.interchange import otio

        return otio.CARRIES[fmt]
    raise UserError(f"{fmt}: not a format producer writes (use {', '.join(EXPORT_FORMATS)})")


def plan_export(song: Song, fmt: str) -> tuple[Song, LossReport]:
    """The song as ``fmt`` will hold it, and the report of what that loses."""
    report = LossReport(NAMES[fmt], "export")
    reduced = reduce(song, carries(fmt), report)
    for t in reduced.tracks:
        for c in playing_clips(t):
            if c.media.offline:
                report.lose(
                    f"audio {c.media.source_name!r}",
                    f"clip {c.id} of track {t.name}",
                    "offline (never imported): the session names the file but holds no audio",
                )
    return reduced, report


def export_song(
    song: Song,
    album: Album,
    fmt: str,
    out: Path,
    media: MediaLookup,
) -> LossReport:
    """Write ``song`` as ``fmt`` to ``out``; ``media(ref) -> Path | None`` finds the audio.

    Returns the loss report (also for what the writer could not place).
    """
    reduced, report = plan_export(song, fmt)
    if fmt == "dawproject":
        from producer.interchange import dawproject

        dawproject.write(reduced, album, out, media)
    elif fmt == "rpp":
        from producer.interchange import rpp

        rpp.write(reduced, out, media)
    elif fmt in ("otio", "aaf"):
        from producer.interchange import otio

        otio.write(reduced, album, fmt, out, media, report)
    else:
        raise UserError(f"{fmt}: not written by export_song (stems render: see the workflow)")
    return report


def read_session(
    path: Path,
    fmt: str,
    title: str,
    rate: int,
    workdir: Path,
    media_dirs: tuple[Path, ...] = (),
) -> ImportedSession:
    """Read another DAW's session ``path`` as a song at ``rate`` (see ``session``).

    ``workdir`` receives audio unpacked from an archive. FormatError (exit 2) names the file
    and the element on malformed input; nothing is written anywhere else.
    """
    if not path.is_file():
        from producer.errors import NotFoundError

        raise NotFoundError(f"{path}: no such file")
    if fmt == "dawproject":
        from producer.interchange import dawproject

        session = dawproject.read(path, title, rate, workdir, media_dirs)
    elif fmt == "rpp":
        from producer.interchange import rpp

        session = rpp.read(path, title, rate, media_dirs)
    elif fmt in ("otio", "aaf"):
        from producer.interchange import otio

        session = otio.read(path, fmt, title, rate, media_dirs)
    elif fmt == "ardour":
        from producer.interchange import ardour

        session = ardour.read(path, title, rate, media_dirs)
    else:
        raise UserError(f"{fmt}: not a format producer reads (use {', '.join(IMPORT_FORMATS)})")
    check_media_bounds(session)
    return session


__all__ = [
    "EXPORT_FORMATS",
    "EXTENSIONS",
    "IMPORT_FORMATS",
    "NAMES",
    "Carries",
    "ImportedSession",
    "LossReport",
    "Lost",
    "MediaFile",
    "MediaLookup",
    "carries",
    "export_format",
    "export_song",
    "import_format",
    "plan_export",
    "playing_clips",
    "read_session",
    "reduce",
    "song_end_frame",
]
