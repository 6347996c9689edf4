"""REAPER in: a ``.RPP`` project as a song (the tracks: ``read_tracks``).

The file is checked for unbalanced blocks and parsed by the ``rpp`` package; this module reads
the project level: ``TEMPO`` and ``<TEMPOENVEX`` (steps; a ramp is reported), ``MARKER`` lines
(regions on bar lines become sections, others a marker at their start), the master's volume,
pan and envelopes; master effects are reported lost.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import rpp as rpplib

from producer.errors import FormatError
from producer.interchange.curves import to_db
from producer.interchange.rpp.chunks import check_blocks, line_of, lines_of, number_at
from producer.interchange.rpp.mapping import CARRIES, FORMAT
from producer.interchange.rpp.read_tracks import envelope_lane, read_tracks
from producer.interchange.session import Builder, ImportedSession
from producer.model import Section, TempoChange, TimeSignature, timing


def read(path: Path, title: str, rate: int, media_dirs: tuple[Path, ...]) -> ImportedSession:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise FormatError(f"{path}: cannot be read ({exc})") from None
    if not text.lstrip().startswith("<REAPER_PROJECT"):
        raise FormatError(f"{path}: not a REAPER project (it does not start with <REAPER_PROJECT)")
    check_blocks(text, path)
    try:
        proj = rpplib.loads(text)
    except Exception as exc:
        raise FormatError(
            f"{path}: not a readable REAPER project ({str(exc).splitlines()[0]})"
        ) from None
    b = Builder(title, rate, path, FORMAT)
    r = b.report
    tempo = line_of(proj, "TEMPO")
    if tempo is not None:
        b.song = replace(
            b.song,
            tempo_bpm=number_at(tempo, 1, 120.0, "TEMPO"),
            time_signature=TimeSignature(
                int(number_at(tempo, 2, 4, "TEMPO")), int(number_at(tempo, 3, 4, "TEMPO"))
            ),
        )
        r.carry("tempo")
        r.carry("time signature")
    env = proj.find("TEMPOENVEX")
    if env is not None:
        changes = []
        for line in lines_of(env):
            if line[0] == "PT":
                t, bpm = (
                    number_at(line, 1, 0, "TEMPOENVEX PT"),
                    number_at(line, 2, 120, "TEMPOENVEX PT"),
                )
                beat = float(timing.seconds_to_beat(b.song, t))
                if beat <= 1e-9:
                    b.song = replace(b.song, tempo_bpm=bpm)
                else:
                    changes.append(TempoChange(beat, bpm))
                    b.song = replace(b.song, tempo_changes=tuple(changes))
                if number_at(line, 3, 1, "PT") == 0:
                    r.lose(
                        "tempo ramp",
                        f"TEMPOENVEX point at {t:g} s",
                        "producer tempo changes are steps",
                    )
        if changes:
            r.carry("tempo changes")
    _markers(proj, b)
    master = line_of(proj, "MASTER_VOLUME")
    if master is not None:
        b.song = replace(
            b.song,
            master=replace(
                b.song.master,
                gain_db=to_db(number_at(master, 1, 1, "MASTER_VOLUME")),
                pan=number_at(master, 2, 0, "MASTER_VOLUME"),
            ),
        )
    master_lanes = []
    for c in proj.children:
        if isinstance(c, rpplib.Element) and c.tag in ("MASTERVOLENV2", "MASTERPANENV2"):
            lane = envelope_lane(rpplib.Element(c.tag[6:], c.attrib, c.children), b, "the master")
            if lane is not None:
                master_lanes.append(lane)
    if master_lanes:
        b.song = replace(b.song, master=replace(b.song.master, automation=tuple(master_lanes)))
    tracks = [c for c in proj.children if isinstance(c, rpplib.Element) and c.tag == "TRACK"]
    read_tracks(tracks, b, path, media_dirs)
    for c in proj.children:
        if isinstance(c, rpplib.Element) and c.tag in ("MASTERFXLIST",):
            r.lose("master effects", "MASTERFXLIST", CARRIES.why["inserts"])
    return b.finish()


def _markers(proj: rpplib.Element, b: Builder) -> None:
    regions: dict[str, list[tuple[float, str]]] = {}
    for line in lines_of(proj):
        if line[0] != "MARKER":
            continue
        t = number_at(line, 2, 0, "MARKER")
        name = line[3] if len(line) > 3 else ""
        flags = int(number_at(line, 4, 0, "MARKER"))
        if flags & 1:
            regions.setdefault(line[1], []).append((t, name))
        else:
            b.marker(name, t)
            b.report.carry("markers")
    song = b.song
    for idx, pts in regions.items():
        if len(pts) < 2:
            continue
        (t0, name), (t1, _) = pts[0], pts[1]
        bar0 = timing.frame_to_bar_beat(song, b.frames(t0))
        bar1 = timing.frame_to_bar_beat(song, b.frames(t1))
        name = name or f"Region {idx}"
        if bar0[1] == 0 and bar1[1] == 0 and bar1[0] > bar0[0]:
            b.song = replace(
                b.song, sections=(*b.song.sections, Section(name, bar0[0], bar1[0] - bar0[0]))
            )
            b.report.carry("sections")
        else:
            b.marker(name, t0)
            b.report.lose(
                f"end of region {name!r}",
                "MARKER",
                "not on a bar line: read as a marker at its start",
            )


__all__ = ["read"]
