"""DAWproject in: a ``.dawproject`` (or a bare ``project.xml``) as a song.

The reader follows the DAWproject 1.0 reference (``Reference.html``): every timeline has a
time unit (beats unless a scope says seconds), a clip shows its content from ``playStart``,
looping ``[loopStart, loopEnd)`` until its ``duration`` is filled, ``Warps`` map a clip's beats
to the seconds of its audio. Looped clips are unrolled into one clip per pass; audio plays at
its own speed (warping that stretches it is reported); note clips become MIDI parts (the
workflow renders them with the SoundFont); automation ``Points`` become automation lanes, in
our units (``curves`` converts linear volume points into dB lanes). Whatever has no place in a
producer song is a ``Lost`` line: plug-ins, instrument devices, clip launcher scenes, send pan,
EQ band types we lack, metadata fields a song does not hold.

The reader is one object built from the reader of each concern (``read_mixer``,
``read_devices``, ``read_clips``, ``read_automation`` over ``read_state``); this module reads
the file, the transport (tempo, time signature, tempo automation) and the metadata.
"""

from __future__ import annotations

import zipfile
from dataclasses import replace
from pathlib import Path

from lxml import etree

from producer.errors import FormatError
from producer.interchange.dawproject.read_clips import ClipReader
from producer.interchange.dawproject.read_mixer import MixerReader
from producer.interchange.dawproject.read_state import float_attr, parse_xml, required_float_attr
from producer.interchange.session import Builder, ImportedSession
from producer.model import TempoChange, TimeSignature

FORMAT = "DAWproject"


class _Reader(MixerReader, ClipReader):
    """The whole reader: the mixer (with its devices) and the arrangement (with its automation)."""

    def transport(self, root: etree._Element) -> None:
        tr = root.find("Transport")
        song = self.b.song
        if tr is not None:
            tempo = tr.find("Tempo")
            if tempo is not None:
                bpm = float_attr(tempo, "value", 120.0) or 120.0
                song = replace(song, tempo_bpm=bpm)
                self.tempo_id = tempo.get("id", "")
                self.carry("tempo")
            ts = tr.find("TimeSignature")
            if ts is not None:
                song = replace(
                    song,
                    time_signature=TimeSignature(
                        int(required_float_attr(ts, "numerator")),
                        int(required_float_attr(ts, "denominator")),
                    ),
                )
                self.carry("time signature")
        self.b.song = song
        arr = root.find("Arrangement")
        if arr is None:
            return
        ta = arr.find("TempoAutomation")
        if ta is not None:
            top = arr.find("Lanes")
            unit = (
                ta.get("timeUnit") or (top.get("timeUnit") if top is not None else None) or "beats"
            )
            changes: list[TempoChange] = []
            pts = ta.findall("RealPoint")
            for i, p in enumerate(pts):
                t, bpm = required_float_attr(p, "time"), required_float_attr(p, "value")
                beat = t if unit == "beats" else self.s_to_beat(t)
                if beat <= 0:
                    self.b.song = replace(self.b.song, tempo_bpm=bpm)
                else:
                    changes.append(TempoChange(beat, bpm))
                self.b.song = replace(self.b.song, tempo_changes=tuple(changes))
                if (
                    p.get("interpolation") == "linear"
                    and i + 1 < len(pts)
                    and required_float_attr(pts[i + 1], "value") != bpm
                ):
                    self.lose(
                        "tempo ramp",
                        f"TempoAutomation at {t:g} {unit}",
                        "producer tempo changes are steps",
                    )
            if changes:
                self.carry("tempo changes")
        tsa = arr.find("TimeSignatureAutomation")
        if tsa is not None and len(tsa.findall("TimeSignaturePoint")) > 1:
            self.lose(
                "time signature changes",
                "TimeSignatureAutomation",
                "a producer song has one time signature",
            )


def _metadata(data: bytes | None, b: Builder, where: str) -> dict[str, str]:
    if data is None:
        return {}
    root = parse_xml(data, where)
    if root.tag != "MetaData":
        raise FormatError(f"{where}: root element <{root.tag!s}> is not a DAWproject <MetaData>")
    out: dict[str, str] = {}
    for el in root:
        text = (el.text or "").strip()
        if not text:
            continue
        if el.tag == "Title":
            out["title"] = text
        elif el.tag in ("Songwriter", "Composer") and "songwriter" not in out:
            out["songwriter"] = text
            b.song = replace(b.song, songwriter=text)
            b.report.carry("songwriter")
        elif el.tag == "Artist":
            out["artist"] = text
        elif el.tag == "Album":
            out["album"] = text
        elif el.tag == "Year":
            out["year"] = text
        else:
            b.report.lose(
                f"{el.tag!s} {text!r}", "metadata.xml", "a producer song has no such field"
            )
    return out


def read(
    path: Path, title: str, rate: int, workdir: Path, media_dirs: tuple[Path, ...]
) -> ImportedSession:
    """Read ``path`` (a ``.dawproject`` ZIP or a bare ``project.xml``); FormatError naming the
    file and element on anything malformed."""
    archive: zipfile.ZipFile | None = None
    meta_data: bytes | None = None
    head = path.read_bytes()[:4]
    if head.startswith(b"PK"):
        try:
            archive = zipfile.ZipFile(path)
            names = archive.namelist()
            if "project.xml" not in names:
                raise FormatError(f"{path}: not a DAWproject: the archive holds no project.xml")
            data = archive.read("project.xml")
            meta_data = archive.read("metadata.xml") if "metadata.xml" in names else None
        except (zipfile.BadZipFile, EOFError, OSError) as exc:
            raise FormatError(
                f"{path}: not a readable DAWproject archive (a damaged or truncated ZIP: {exc})"
            ) from None
        where = f"{path}: project.xml"
    else:
        data = path.read_bytes()
        where = str(path)
    root = parse_xml(data, where)
    if root.tag != "Project":
        raise FormatError(f"{where}: root element <{root.tag!s}> is not a DAWproject <Project>")
    if root.find("Application") is None:
        raise FormatError(f"{where}: <Project> has no <Application> (not a DAWproject)")
    b = Builder(title, rate, path, FORMAT)
    meta = _metadata(meta_data, b, f"{path}: metadata.xml")
    r = _Reader(b, path, archive, workdir, media_dirs)
    try:
        r.transport(root)
        r.structure(root)
        r.arrangement(root)
    except FormatError as exc:
        msg = exc.message
        raise FormatError(msg if msg.startswith(str(path)) else f"{where}: {msg}") from None
    scenes = root.find("Scenes")
    if scenes is not None and any(cs.find("Clip") is not None for cs in scenes.iter("ClipSlot")):
        b.report.lose("clip launcher scenes", "Scenes", "producer songs are one timeline")
    app = root.find("Application")
    if app is not None:
        b.report.carry(f"from {app.get('name', '?')} {app.get('version', '')}".strip())
    if archive is not None:
        archive.close()
    return b.finish(meta)


__all__ = ["read"]
