"""REAPER ``.RPP``: the song out and back, through the ``rpp`` package.

An RPP file is nested ``<CHUNK ...>`` blocks of lines of tokens (quoted as REAPER quotes). The
``rpp`` package (Perlence/rpp, BSD-3) parses and prints them; our tests check that it reads the
real REAPER projects in testdata and that printing and re-reading them gives the same tokens
(it normalises quoting and trailing spaces, which REAPER does not care about) — so we use it
rather than a tokenizer of our own. Before parsing, ``_check_blocks`` finds unbalanced blocks
itself, to name the line and the block (rpp's own error is a bare "syntax error").

The mapping (REAPER's State Chunk Definitions; the shapes and the pan-envelope sign were not
checked against REAPER itself here):

* ``<TRACK``: ``NAME``, ``VOLPAN vol pan`` (linear volume, pan −1..+1), ``MUTESOLO mute solo``,
  ``IPHASE``, folders (``ISBUS 1 1`` opens one, ``ISBUS 2 -n`` closes n) for routing a track to
  a bus, ``AUXRECV src mode vol`` on the receiving track for sends (mode 0 post-fader, 3
  pre-fader), ``<VOLENV2``/``<PANENV2``/``<MUTEENV`` with ``PT time value shape`` (shape 0
  linear, 1 square); volume envelopes hold amplitudes (see ``curves``).
* ``<ITEM``: ``POSITION``, ``LENGTH``, ``SOFFS``, ``FADEIN``/``FADEOUT shape length``, ``VOLPAN
  vol pan takevol`` (clip gain = vol × takevol), ``<SOURCE WAVE FILE "...">``, or ``<SOURCE MIDI``
  with ``HASDATA 1 <ppq> QN`` and ``E delta status data1 data2`` events (MIDI parts).
* ``TEMPO bpm num den`` and ``<TEMPOENVEX`` points, ``MARKER idx time "name" flags`` (flag 1: a
  region, two lines per region: our sections), ``MASTER_VOLUME``.

Effects (``<FXCHAIN``) are plug-in states REAPER alone can read: not carried either way.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import rpp as rpplib

from producer.errors import FormatError
from producer.fileio import atomic_output
from producer.interchange.carry import Carries, playing_clips
from producer.interchange.curves import db_lane_to_gains, gain_lane_to_db, to_db, to_gain
from producer.interchange.session import Builder, ImportedSession, MediaLookup, feeds, find_media
from producer.model import (
    MASTER,
    AutomationLane,
    AutomationPoint,
    Bus,
    FadeShape,
    Interpolation,
    MidiClip,
    Note,
    Section,
    Send,
    Song,
    TempoChange,
    TimeSignature,
    Track,
    TrackKind,
    timing,
)
from producer.model import edit as ed

FORMAT = "REAPER"
PPQ = 960

SHAPE_OUT = {
    FadeShape.LINEAR: 0,
    FadeShape.EQUAL_POWER: 1,
    FadeShape.EXPONENTIAL: 2,
    FadeShape.S_CURVE: 5,
}
SHAPE_IN = {
    0: FadeShape.LINEAR,
    1: FadeShape.EQUAL_POWER,
    2: FadeShape.EXPONENTIAL,
    3: FadeShape.EQUAL_POWER,
    4: FadeShape.EXPONENTIAL,
    5: FadeShape.S_CURVE,
    6: FadeShape.S_CURVE,
}
"""REAPER fade shapes → ours; 3, 4 and 6 (the steep variants) are the nearest (reported)."""

CARRIES = Carries(
    name="REAPER",
    clip_gain=True,
    fades=True,
    fade_shapes=True,
    track_gain=True,
    track_pan=True,
    mute=True,
    solo=True,
    polarity=True,
    buses=True,
    sends=True,
    pre_fader_sends=True,
    master=True,
    automation=frozenset({"gain_db", "pan", "mute"}),
    step_automation=True,
    markers=True,
    sections=True,
    tempo=True,
    tempo_changes=True,
    time_signature=True,
    midi=True,
    metadata=frozenset({"title"}),
    inserts=None,
    why={
        "inserts": "REAPER effects are plug-in states (FXCHAIN) only REAPER reads: not written",
        "automation.sends": "send envelopes are not written to RPP",
        "automation.fx": "REAPER effects are not written, nor their envelopes",
        "instrument": "REAPER instruments are plug-ins: the part is written as MIDI without one",
    },
)


def _n(x: float) -> str:
    return repr(float(x))


# ---------------------------------------------------------------- writing


def _envelope(tag: str, points: list[tuple[float, float]], step: bool) -> rpplib.Element:
    env = rpplib.Element(
        tag,
        [],
        [
            ["ACT", "1", "-1"],
            ["VIS", "1", "1", "1"],
            ["ARM", "0"],
            ["DEFSHAPE", "1" if step else "0", "-1", "-1"],
        ],
    )
    for t, v in points:
        env.append(["PT", _n(t), _n(v), "1" if step else "0"])
    return env


def _items(t: Track, song: Song, media: MediaLookup, root: Path) -> list[rpplib.Element]:
    rate = song.sample_rate
    items = []
    if t.kind == TrackKind.MIDI:
        for mc in t.midi_clips:
            start = timing.beat_to_seconds(song, mc.start_beat)
            end = timing.beat_to_seconds(song, mc.start_beat + mc.length_beats)
            src = rpplib.Element("SOURCE", ["MIDI"], [["HASDATA", "1", str(PPQ), "QN"]])
            events: list[tuple[int, int, int, int]] = []
            for note in mc.notes:
                on = round(note.start_beat * PPQ)
                off = round((note.start_beat + note.length_beats) * PPQ)
                events += [(on, 1, 0x90, note.pitch, note.velocity), (off, 0, 0x80, note.pitch, 0)]  # type: ignore[list-item]
            events.sort()
            last = 0
            for tick, _order, status, key, vel in events:  # type: ignore[misc]
                src.append(["E", str(tick - last), f"{status:02x}", f"{key:02x}", f"{vel:02x}"])
                last = tick
            src.append(["E", str(max(round(mc.length_beats * PPQ) - last, 0)), "b0", "7b", "00"])
            items.append(
                rpplib.Element(
                    "ITEM",
                    [],
                    [
                        ["POSITION", _n(start)],
                        ["LENGTH", _n(end - start)],
                        ["LOOP", "0"],
                        ["NAME", mc.name or mc.id],
                        src,
                    ],
                )
            )
        return items
    for c in playing_clips(t):
        path = media(c.media)
        file_name = str(path.resolve()) if path is not None else c.media.source_name
        items.append(
            rpplib.Element(
                "ITEM",
                [],
                [
                    ["POSITION", _n(c.start_frame / rate)],
                    ["LENGTH", _n(c.length_frames / rate)],
                    ["LOOP", "0"],
                    [
                        "FADEIN",
                        str(SHAPE_OUT[c.fade_in.shape]),
                        _n(c.fade_in.length_frames / rate),
                        "0",
                    ],
                    [
                        "FADEOUT",
                        str(SHAPE_OUT[c.fade_out.shape]),
                        _n(c.fade_out.length_frames / rate),
                        "0",
                    ],
                    ["MUTE", "0"],
                    ["NAME", c.name or c.media.source_name or c.id],
                    ["VOLPAN", _n(to_gain(c.gain_db)), "0", "1", "-1"],
                    ["SOFFS", _n(c.source_start_frame / rate)],
                    ["PLAYRATE", "1", "1", "0", "-1", "0", "0.0025"],
                    rpplib.Element("SOURCE", ["WAVE"], [["FILE", file_name]]),
                ],
            )
        )
    return items


def _automation(strip: Track | Bus, rate: int) -> list[rpplib.Element]:
    out = []
    for lane in strip.automation:
        step = lane.interpolation == Interpolation.STEP
        raw = [(p.frame / rate, p.value) for p in lane.points]
        if lane.target == "gain_db":
            pts = [(t, to_gain(v)) for t, v in raw] if step else db_lane_to_gains(raw, 1.0 / rate)
            out.append(_envelope("VOLENV2", pts, step))
        elif lane.target == "pan":
            out.append(_envelope("PANENV2", raw, step))
        elif lane.target == "mute":
            out.append(_envelope("MUTEENV", [(t, 1.0 if v >= 0.5 else 0.0) for t, v in raw], True))
    return out


def write(song: Song, out: Path, media: MediaLookup) -> None:
    """Write ``song`` (reduced with ``CARRIES``) as a REAPER project."""
    rate = song.sample_rate
    proj = rpplib.Element("REAPER_PROJECT", ["0.1", "6.0/producer", "0"], [])
    proj.append(["SAMPLERATE", str(rate), "0", "0"])
    ts = song.time_signature
    proj.append(["TEMPO", _n(song.tempo_bpm), str(ts.numerator), str(ts.denominator)])
    idx = 0
    for marker in song.markers:
        idx += 1
        proj.append(["MARKER", str(idx), _n(marker.frame / rate), marker.name, "0"])
    for section in song.sections:
        idx += 1
        a = timing.bar_to_frame(song, section.start_bar) / rate
        b = timing.bar_to_frame(song, section.end_bar) / rate
        proj.append(["MARKER", str(idx), _n(a), section.name, "1"])
        proj.append(["MARKER", str(idx), _n(b), "", "1"])
    if song.tempo_changes:
        env = rpplib.Element("TEMPOENVEX", [], [["ACT", "1", "-1"]])
        env.append(["PT", "0", _n(song.tempo_bpm), "1"])
        for c in sorted(song.tempo_changes, key=lambda c: c.beat):
            env.append(["PT", _n(timing.beat_to_seconds(song, c.beat)), _n(c.bpm), "1"])
        proj.append(env)
    m = song.master
    proj.append(["MASTER_VOLUME", _n(to_gain(m.gain_db)), _n(m.pan), "-1", "-1", "1"])
    proj.append(["MASTERMUTESOLO", "1" if m.mute else "0"])
    for env in _automation(m, rate):
        env.tag = {"VOLENV2": "MASTERVOLENV2", "PANENV2": "MASTERPANENV2"}.get(env.tag, env.tag)
        if env.tag != "MUTEENV":
            proj.append(env)
    order = _folders(song)
    index = {s.name: i for i, (s, _) in enumerate(order)}
    for s, depth in order:
        tr = rpplib.Element("TRACK", [], [])
        tr.append(["NAME", s.name])
        tr.append(["VOLPAN", _n(to_gain(s.gain_db)), _n(s.pan), "-1", "-1", "1"])
        tr.append(["MUTESOLO", "1" if s.mute else "0", "1" if s.solo else "0", "0"])
        tr.append(["IPHASE", "1" if isinstance(s, Track) and s.polarity_inverted else "0"])
        tr.append(["ISBUS", "1" if depth > 0 else "2" if depth < 0 else "0", str(depth)])
        tr.append(["MAINSEND", "1", "0"])
        feeders: list[Track | Bus] = [*song.tracks, *song.buses]
        for src in feeders:
            for send in src.sends:
                if send.bus == s.name:
                    mode = "3" if send.pre_fader else "0"
                    tr.append(
                        [
                            "AUXRECV",
                            str(index[src.name]),
                            mode,
                            _n(to_gain(send.level_db)),
                            "0",
                            "0",
                            "0",
                            "0",
                            "0",
                            "0",
                            "-1:U",
                            "0",
                            "-1",
                            "",
                        ]
                    )
        for env in _automation(s, rate):
            tr.append(env)
        if isinstance(s, Track):
            for item in _items(s, song, media, out.parent):
                tr.append(item)
        proj.append(tr)
    text = rpplib.dumps(proj)
    with atomic_output(out) as tmp:
        tmp.write_text(text, encoding="utf-8")


def _folders(song: Song) -> list[tuple[Track | Bus, int]]:
    """Strips in folder order, each with REAPER's folder depth change."""
    kids: dict[str, list[Track | Bus]] = {}
    strips: list[Track | Bus] = [*song.tracks, *song.buses]
    for s in strips:
        kids.setdefault(s.output, []).append(s)
    out: list[tuple[Track | Bus, int]] = []

    def visit(s: Track | Bus) -> None:
        mine = kids.get(s.name, []) if isinstance(s, Bus) else []
        out.append((s, 1 if mine else 0))
        for k in mine:
            visit(k)
        if mine:
            last, d = out[-1]
            out[-1] = (last, d - 1 if last is not s else 0)

    for s in kids.get(MASTER, []):
        visit(s)
    return out


# ---------------------------------------------------------------- reading


def _check_blocks(text: str, path: Path) -> None:
    """FormatError naming the line of the first unbalanced block. REAPER indents each block by
    two spaces: a ``>`` less indented than the innermost open block closes an outer one, so the
    inner one is the block never closed."""
    stack: list[tuple[str, int, int]] = []
    for no, line in enumerate(text.splitlines(), start=1):
        s = line.strip()
        indent = len(line) - len(line.lstrip())
        if s.startswith("<"):
            stack.append((s[1:].split(" ", 1)[0] or "?", no, indent))
        elif s == ">":
            if not stack:
                raise FormatError(
                    f"{path}: line {no}: '>' closes no open block (unbalanced blocks)"
                )
            tag, opened, at = stack[-1]
            if at > indent:
                raise FormatError(
                    f"{path}: <{tag} opened at line {opened} is never closed (unbalanced blocks)"
                )
            stack.pop()
    if stack:
        tag, no, _ = stack[-1]
        raise FormatError(f"{path}: <{tag} opened at line {no} is never closed (unbalanced blocks)")


def _lines(el: rpplib.Element) -> Iterator[list[str]]:
    for c in el.children:
        if isinstance(c, list):
            yield c


def _get(el: rpplib.Element, key: str) -> list[str] | None:
    for line in _lines(el):
        if line and line[0] == key:
            return line
    return None


def _num(line: list[str] | None, i: int, default: float, where: str) -> float:
    if line is None or len(line) <= i:
        return default
    try:
        v = float(line[i].split(":")[0])
    except ValueError:
        raise FormatError(f"{where}: {line[0]} field {i} {line[i]!r} is not a number") from None
    if not math.isfinite(v):
        raise FormatError(f"{where}: {line[0]} field {i} is not finite")
    return v


def read(path: Path, title: str, rate: int, media_dirs: tuple[Path, ...]) -> ImportedSession:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise FormatError(f"{path}: cannot be read ({exc})") from None
    if not text.lstrip().startswith("<REAPER_PROJECT"):
        raise FormatError(f"{path}: not a REAPER project (it does not start with <REAPER_PROJECT)")
    _check_blocks(text, path)
    try:
        proj = rpplib.loads(text)
    except Exception as exc:
        raise FormatError(
            f"{path}: not a readable REAPER project ({str(exc).splitlines()[0]})"
        ) from None
    b = Builder(title, rate, path, FORMAT)
    r = b.report
    tempo = _get(proj, "TEMPO")
    if tempo is not None:
        b.song = replace(
            b.song,
            tempo_bpm=_num(tempo, 1, 120.0, "TEMPO"),
            time_signature=TimeSignature(
                int(_num(tempo, 2, 4, "TEMPO")), int(_num(tempo, 3, 4, "TEMPO"))
            ),
        )
        r.carry("tempo")
        r.carry("time signature")
    env = proj.find("TEMPOENVEX")
    if env is not None:
        changes = []
        for line in _lines(env):
            if line[0] == "PT":
                t, bpm = _num(line, 1, 0, "TEMPOENVEX PT"), _num(line, 2, 120, "TEMPOENVEX PT")
                beat = float(timing.seconds_to_beat(b.song, t))
                if beat <= 1e-9:
                    b.song = replace(b.song, tempo_bpm=bpm)
                else:
                    changes.append(TempoChange(beat, bpm))
                    b.song = replace(b.song, tempo_changes=tuple(changes))
                if _num(line, 3, 1, "PT") == 0:
                    r.lose(
                        "tempo ramp",
                        f"TEMPOENVEX point at {t:g} s",
                        "producer tempo changes are steps",
                    )
        if changes:
            r.carry("tempo changes")
    _markers(proj, b)
    master = _get(proj, "MASTER_VOLUME")
    if master is not None:
        b.song = replace(
            b.song,
            master=replace(
                b.song.master,
                gain_db=to_db(_num(master, 1, 1, "MASTER_VOLUME")),
                pan=_num(master, 2, 0, "MASTER_VOLUME"),
            ),
        )
    master_lanes = []
    for c in proj.children:
        if isinstance(c, rpplib.Element) and c.tag in ("MASTERVOLENV2", "MASTERPANENV2"):
            lane = _envelope_lane(rpplib.Element(c.tag[6:], c.attrib, c.children), b, "the master")
            if lane is not None:
                master_lanes.append(lane)
    if master_lanes:
        b.song = replace(b.song, master=replace(b.song.master, automation=tuple(master_lanes)))
    tracks = [c for c in proj.children if isinstance(c, rpplib.Element) and c.tag == "TRACK"]
    _tracks(tracks, b, path, media_dirs)
    for c in proj.children:
        if isinstance(c, rpplib.Element) and c.tag in ("MASTERFXLIST",):
            r.lose("master effects", "MASTERFXLIST", CARRIES.why["inserts"])
    return b.finish()


def _markers(proj: rpplib.Element, b: Builder) -> None:
    regions: dict[str, list[tuple[float, str]]] = {}
    for line in _lines(proj):
        if line[0] != "MARKER":
            continue
        t = _num(line, 2, 0, "MARKER")
        name = line[3] if len(line) > 3 else ""
        flags = int(_num(line, 4, 0, "MARKER"))
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


def _tracks(
    tracks: list[rpplib.Element], b: Builder, path: Path, media_dirs: tuple[Path, ...]
) -> None:
    r = b.report
    # Which tracks are buses: folder parents, and receivers of sends without items.
    receivers = {i for i, t in enumerate(tracks) if _get(t, "AUXRECV") is not None}
    names: list[str] = []
    kinds: list[str] = []
    depth_stack: list[str] = []
    parents: list[str] = []
    for i, t in enumerate(tracks):
        name_line = _get(t, "NAME")
        name = (name_line[1] if name_line and len(name_line) > 1 else "") or f"Track {i + 1}"
        isbus = _get(t, "ISBUS")
        depth = int(_num(isbus, 2, 0, f"track {name!r}")) if isbus else 0
        items = [c for c in t.children if isinstance(c, rpplib.Element) and c.tag == "ITEM"]
        is_bus = depth > 0 or (i in receivers and not items)
        if is_bus:
            if items:
                r.lose(
                    f"items of folder track {name!r}",
                    f"track {name!r}",
                    "a folder is a bus here: its own items are not imported",
                )
            strip = b.bus(name)
            r.carry("buses")
        else:
            midi = any(_source_kind(it) == "MIDI" for it in items)
            strip = b.track(name, TrackKind.MIDI if midi else TrackKind.AUDIO)
        names.append(strip)
        kinds.append("bus" if is_bus else "track")
        parents.append(depth_stack[-1] if depth_stack else MASTER)
        if depth > 0:
            depth_stack.append(strip)
        elif depth < 0:
            del depth_stack[len(depth_stack) + depth :]
    for i, t in enumerate(tracks):
        _strip(t, i, names, kinds, parents, tracks, b, path, media_dirs)


def _source_kind(item: rpplib.Element) -> str:
    src = item.find("SOURCE")
    return src.attrib[0] if src is not None and src.attrib else ""


def _set(b: Builder, name: str, **changes: object) -> None:
    if b.song.bus(name) is not None and b.song.track(name) is None:
        b.song = ed.update_bus(b.song, name, **changes)
    else:
        b.song = ed.update_track(b.song, name, **changes)


def _strip(
    t: rpplib.Element,
    i: int,
    names: list[str],
    kinds: list[str],
    parents: list[str],
    tracks: list[rpplib.Element],
    b: Builder,
    path: Path,
    media_dirs: tuple[Path, ...],
) -> None:
    name = names[i]
    where = f"track {name!r}"
    r = b.report
    volpan = _get(t, "VOLPAN")
    mutesolo = _get(t, "MUTESOLO")
    changes: dict[str, object] = {
        "gain_db": to_db(_num(volpan, 1, 1.0, where)),
        "pan": max(-1.0, min(1.0, _num(volpan, 2, 0.0, where))),
        "mute": _num(mutesolo, 1, 0, where) != 0,
        "solo": _num(mutesolo, 2, 0, where) != 0,
    }
    if changes["gain_db"] != 0.0:
        r.carry("fader levels")
    if changes["pan"] != 0.0:
        r.carry("pan")
    if kinds[i] == "track" and _num(_get(t, "IPHASE"), 1, 0, where) != 0:
        changes["polarity_inverted"] = True
        r.carry("polarity")
    if _num(_get(t, "MAINSEND"), 1, 1, where) != 0:
        changes["output"] = parents[i]
        if parents[i] != MASTER:
            r.carry("routing to buses")
    else:
        changes["output"] = MASTER
        r.lose(
            "master send off",
            where,
            "every producer strip has a main output: routed to its folder or the master",
        )
    _set(b, name, **changes)
    for line in _lines(t):
        if line[0] != "AUXRECV":
            continue
        src = int(_num(line, 1, -1, where))
        if not 0 <= src < len(names):
            r.lose("receive", where, "its source is not a track of the project")
            continue
        if kinds[i] != "bus":
            r.lose(
                f"receive from {names[src]}",
                where,
                "a track with items takes no sends in producer (only buses do)",
            )
            continue
        if feeds(b.song, name, names[src]):
            r.lose(f"send from {names[src]}", where, "it would close a routing cycle")
            continue
        mode = int(_num(line, 2, 0, where))
        if mode == 1:
            r.lose(
                f"pre-FX send from {names[src]}",
                where,
                "producer sends tap after the inserts (read as pre-fader)",
            )
        send = Send(bus=name, level_db=to_db(_num(line, 3, 1.0, where)), pre_fader=mode in (1, 3))
        if abs(_num(line, 4, 0, where)) > 1e-9:
            r.lose(f"send pan from {names[src]}", where, "producer sends have no pan")
        if _num(line, 5, 0, where):
            r.lose(
                f"muted send from {names[src]}", where, "producer sends are always on: not imported"
            )
            continue
        strip = b.song.bus(names[src]) if kinds[src] == "bus" else b.song.track(names[src])
        assert strip is not None
        _set(b, names[src], sends=(*strip.sends, send))
        r.carry("sends")
    lanes: list[AutomationLane] = []
    for c in t.children:
        if not isinstance(c, rpplib.Element):
            continue
        if c.tag in ("VOLENV2", "PANENV2", "MUTEENV"):
            lane = _envelope_lane(c, b, where)
            if lane is not None:
                lanes.append(lane)
        elif c.tag in (
            "VOLENV",
            "PANENV",
            "VOLENV3",
            "WIDTHENV",
            "WIDTHENV2",
            "PARMENV",
            "AUXVOLENV",
            "AUXPANENV",
            "AUXMUTEENV",
        ):
            if any(line[0] == "PT" for line in _lines(c)):
                r.lose(
                    f"{c.tag} envelope",
                    where,
                    "only the volume, pan and mute envelopes (post-FX) are imported",
                )
        elif c.tag == "FXCHAIN":
            plugins = [
                x
                for x in c.children
                if isinstance(x, rpplib.Element)
                and x.tag in ("VST", "JS", "AU", "CLAP", "DX", "LV2")
            ]
            for p in plugins:
                label = p.attrib[0] if p.attrib else p.tag
                r.lose(f"effect {label}", where, CARRIES.why["inserts"])
        elif c.tag == "ITEM":
            _item(c, name, b, path, media_dirs)
    if lanes:
        _set(b, name, automation=tuple(lanes))
        r.carry("automation")


def _envelope_lane(env: rpplib.Element, b: Builder, where: str) -> AutomationLane | None:
    pts: list[tuple[float, float]] = []
    shapes: list[int] = []
    for line in _lines(env):
        if line[0] == "PT":
            pts.append((max(_num(line, 1, 0, where), 0.0), _num(line, 2, 0, where)))
            shapes.append(int(_num(line, 3, 0, where)))
    if not pts:
        return None
    rate = b.rate
    if any(s not in (0, 1) for s in shapes):
        b.report.lose(
            f"{env.tag} curve shapes",
            where,
            "producer automation is linear or stepped: read as linear",
        )
    step = env.tag == "MUTEENV" or all(s == 1 for s in shapes)
    if not step and any(s == 1 for s in shapes):  # square points in a linear lane
        held: list[tuple[float, float]] = []
        for k, (t, v) in enumerate(pts):
            held.append((t, v))
            if shapes[k] == 1 and k + 1 < len(pts) and pts[k + 1][0] - t > 1.0 / rate:
                held.append((pts[k + 1][0] - 1.0 / rate, v))
        pts = held
    if env.tag == "VOLENV2":
        conv = [(t, to_db(v)) for t, v in pts] if step else gain_lane_to_db(pts, 1.0 / rate)
        target = "gain_db"
    elif env.tag == "PANENV2":
        conv = [(t, max(-1.0, min(1.0, v))) for t, v in pts]
        target = "pan"
    else:
        conv = [(t, 1.0 if v >= 0.5 else 0.0) for t, v in pts]
        target = "mute"
    points = tuple(AutomationPoint(b.frames(t), v) for t, v in sorted(conv))
    return AutomationLane(target, points, Interpolation.STEP if step else Interpolation.LINEAR)


def _item(
    item: rpplib.Element, track: str, b: Builder, path: Path, media_dirs: tuple[Path, ...]
) -> None:
    r = b.report
    name_line = _get(item, "NAME")
    label = name_line[1] if name_line and len(name_line) > 1 else ""
    pos = _num(_get(item, "POSITION"), 1, 0.0, f"track {track!r} ITEM")
    where = (
        f"ITEM {label!r} at {pos:g} s on track {track!r}"
        if label
        else f"ITEM at {pos:g} s on track {track!r}"
    )
    length = _num(_get(item, "LENGTH"), 1, 0.0, where)
    if _num(_get(item, "MUTE"), 1, 0, where):
        r.lose("muted item", where, "producer clips have no mute: not imported")
        return
    takes = [c for c in item.children if isinstance(c, list) and c and c[0] == "TAKE"]
    if takes:
        r.lose("other takes of the item", where, "only the first take is imported")
    rate_line = _get(item, "PLAYRATE")
    if rate_line is not None and abs(_num(rate_line, 1, 1.0, where) - 1.0) > 1e-9:
        r.lose("play rate", where, "producer plays audio at its own speed")
    src = item.find("SOURCE")
    if src is None:
        r.lose("item without a source", where, "nothing to import")
        return
    kind = src.attrib[0] if src.attrib else ""
    if kind == "MIDI":
        _midi_item(src, item, track, pos, length, label, b, where)
        return
    if kind not in ("WAVE", "FLAC", "MP3", "VORBIS", "OGG", "WAVPACK", "AIFF"):
        r.lose(f"{kind or 'unknown'} source", where, "producer imports audio files and MIDI items")
        return
    file_line = _get(src, "FILE")
    if file_line is None or len(file_line) < 2:
        raise FormatError(f"{path}: {where}: <SOURCE {kind}> has no FILE")
    key = file_line[1]
    mf = b.media.get(key) or b.media_file(key, find_media(key, path.parent, media_dirs))
    volpan = _get(item, "VOLPAN")
    gain = _num(volpan, 1, 1.0, where) * _num(volpan, 3, 1.0, where)
    if abs(_num(volpan, 2, 0.0, where)) > 1e-9:
        r.lose("take pan", where, "producer clips have no pan")
    fin, fout = _get(item, "FADEIN"), _get(item, "FADEOUT")
    shapes = []
    for line in (fin, fout):
        code = int(_num(line, 1, 0, where))
        if code in (3, 4, 6):
            r.lose(
                f"fade shape {code}",
                where,
                f"read as the nearest producer shape ({SHAPE_IN[code]})",
            )
        shapes.append(SHAPE_IN.get(code, FadeShape.LINEAR))
    clip = b.clip(
        track,
        mf,
        pos,
        _num(_get(item, "SOFFS"), 1, 0.0, where),
        length,
        where,
        gain_db=to_db(gain),
        fade_in_s=_num(fin, 2, 0.0, where),
        fade_out_s=_num(fout, 2, 0.0, where),
        fade_in_shape=shapes[0],
        fade_out_shape=shapes[1],
        name=label,
    )
    if clip is not None:
        r.carry("audio clips (position, length, source offset)")
        if gain != 1.0:
            r.carry("clip gain")
        if _num(fin, 2, 0.0, where) or _num(fout, 2, 0.0, where):
            r.carry("fades with shapes")


def _midi_item(
    src: rpplib.Element,
    item: rpplib.Element,
    track: str,
    pos: float,
    length: float,
    label: str,
    b: Builder,
    where: str,
) -> None:
    r = b.report
    if b.song.track(track) is not None and b.song.track(track).kind != TrackKind.MIDI:  # type: ignore[union-attr]
        r.lose("MIDI item on an audio track", where, "a producer audio track holds audio only")
        return
    has = _get(src, "HASDATA")
    ppq = int(_num(has, 2, PPQ, where)) or PPQ
    tick = 0
    on: dict[int, tuple[int, int]] = {}
    notes: list[Note] = []
    other = 0
    for line in _lines(src):
        if line[0] not in ("E", "e", "X", "x"):
            continue
        tick += int(_num(line, 1, 0, where))
        if line[0] in ("X", "x") or len(line) < 5:
            other += 1
            continue
        try:
            status, d1, d2 = int(line[2], 16), int(line[3], 16), int(line[4], 16)
        except ValueError:
            raise FormatError(f"{where}: MIDI event {' '.join(line)!r} is not hex") from None
        kind = status & 0xF0
        if kind == 0x90 and d2 > 0:
            on[d1] = (tick, d2)
        elif kind in (0x80, 0x90) and d1 in on:
            t0, vel = on.pop(d1)
            notes.append(Note(d1, vel, t0 / ppq, (tick - t0) / ppq))
        elif not (kind == 0xB0 and d1 == 0x7B):
            other += 1
    if other:
        r.lose(
            f"{other} MIDI event(s) other than notes", where, "producer MIDI parts hold notes only"
        )
    start = float(timing.seconds_to_beat(b.song, pos))
    end = float(timing.seconds_to_beat(b.song, pos + length))
    keep = tuple(n for n in notes if n.start_beat < end - start)
    if len(keep) < len(notes):
        r.lose(
            "notes past the item's end (looped MIDI item)", where, "only the first pass is imported"
        )
    b.midi_clip(
        track, MidiClip(id="m", start_beat=start, length_beats=end - start, notes=keep, name=label)
    )
    r.carry("MIDI items as parts")


__all__ = ["CARRIES", "read", "write"]
