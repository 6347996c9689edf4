"""REAPER in, the tracks: folders and buses, routing, sends, envelopes, audio and MIDI items.

A folder parent (``ISBUS 1``), or a track that receives sends and holds no items, is a bus;
a track routes to its folder. ``AUXRECV`` lines on a bus become sends of their source (a
send that would close a cycle, a muted one and send pan are reported). Volume, pan and mute
envelopes become automation lanes; items become clips (the first take; gain = item volume ×
take volume) or MIDI parts (notes only); plug-ins (``<FXCHAIN``) are reported lost.
"""

from __future__ import annotations

from pathlib import Path

import rpp as rpplib

from producer.errors import FormatError
from producer.interchange.curves import gain_lane_to_db, to_db
from producer.interchange.rpp.chunks import line_of, lines_of, number_at
from producer.interchange.rpp.mapping import CARRIES, PPQ, SHAPE_IN
from producer.interchange.session import Builder, feeds, find_media
from producer.model import (
    MASTER,
    AutomationLane,
    AutomationPoint,
    FadeShape,
    Interpolation,
    MidiClip,
    Note,
    Send,
    TrackKind,
    timing,
)
from producer.model import edit as ed


def read_tracks(
    tracks: list[rpplib.Element], b: Builder, path: Path, media_dirs: tuple[Path, ...]
) -> None:
    r = b.report
    # Which tracks are buses: folder parents, and receivers of sends without items.
    receivers = {i for i, t in enumerate(tracks) if line_of(t, "AUXRECV") is not None}
    names: list[str] = []
    kinds: list[str] = []
    depth_stack: list[str] = []
    parents: list[str] = []
    for i, t in enumerate(tracks):
        name_line = line_of(t, "NAME")
        name = (name_line[1] if name_line and len(name_line) > 1 else "") or f"Track {i + 1}"
        isbus = line_of(t, "ISBUS")
        depth = int(number_at(isbus, 2, 0, f"track {name!r}")) if isbus else 0
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
    volpan = line_of(t, "VOLPAN")
    mutesolo = line_of(t, "MUTESOLO")
    changes: dict[str, object] = {
        "gain_db": to_db(number_at(volpan, 1, 1.0, where)),
        "pan": max(-1.0, min(1.0, number_at(volpan, 2, 0.0, where))),
        "mute": number_at(mutesolo, 1, 0, where) != 0,
        "solo": number_at(mutesolo, 2, 0, where) != 0,
    }
    if changes["gain_db"] != 0.0:
        r.carry("fader levels")
    if changes["pan"] != 0.0:
        r.carry("pan")
    if kinds[i] == "track" and number_at(line_of(t, "IPHASE"), 1, 0, where) != 0:
        changes["polarity_inverted"] = True
        r.carry("polarity")
    if number_at(line_of(t, "MAINSEND"), 1, 1, where) != 0:
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
    for line in lines_of(t):
        if line[0] != "AUXRECV":
            continue
        src = int(number_at(line, 1, -1, where))
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
        mode = int(number_at(line, 2, 0, where))
        if mode == 1:
            r.lose(
                f"pre-FX send from {names[src]}",
                where,
                "producer sends tap after the inserts (read as pre-fader)",
            )
        send = Send(
            bus=name, level_db=to_db(number_at(line, 3, 1.0, where)), pre_fader=mode in (1, 3)
        )
        if abs(number_at(line, 4, 0, where)) > 1e-9:
            r.lose(f"send pan from {names[src]}", where, "producer sends have no pan")
        if number_at(line, 5, 0, where):
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
            lane = envelope_lane(c, b, where)
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
            if any(line[0] == "PT" for line in lines_of(c)):
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


def envelope_lane(env: rpplib.Element, b: Builder, where: str) -> AutomationLane | None:
    pts: list[tuple[float, float]] = []
    shapes: list[int] = []
    for line in lines_of(env):
        if line[0] == "PT":
            pts.append((max(number_at(line, 1, 0, where), 0.0), number_at(line, 2, 0, where)))
            shapes.append(int(number_at(line, 3, 0, where)))
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
    name_line = line_of(item, "NAME")
    label = name_line[1] if name_line and len(name_line) > 1 else ""
    pos = number_at(line_of(item, "POSITION"), 1, 0.0, f"track {track!r} ITEM")
    where = (
        f"ITEM {label!r} at {pos:g} s on track {track!r}"
        if label
        else f"ITEM at {pos:g} s on track {track!r}"
    )
    length = number_at(line_of(item, "LENGTH"), 1, 0.0, where)
    if number_at(line_of(item, "MUTE"), 1, 0, where):
        r.lose("muted item", where, "producer clips have no mute: not imported")
        return
    takes = [c for c in item.children if isinstance(c, list) and c and c[0] == "TAKE"]
    if takes:
        r.lose("other takes of the item", where, "only the first take is imported")
    rate_line = line_of(item, "PLAYRATE")
    if rate_line is not None and abs(number_at(rate_line, 1, 1.0, where) - 1.0) > 1e-9:
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
    file_line = line_of(src, "FILE")
    if file_line is None or len(file_line) < 2:
        raise FormatError(f"{path}: {where}: <SOURCE {kind}> has no FILE")
    key = file_line[1]
    mf = b.media.get(key) or b.media_file(key, find_media(key, path.parent, media_dirs))
    volpan = line_of(item, "VOLPAN")
    gain = number_at(volpan, 1, 1.0, where) * number_at(volpan, 3, 1.0, where)
    if abs(number_at(volpan, 2, 0.0, where)) > 1e-9:
        r.lose("take pan", where, "producer clips have no pan")
    fin, fout = line_of(item, "FADEIN"), line_of(item, "FADEOUT")
    shapes = []
    for line in (fin, fout):
        code = int(number_at(line, 1, 0, where))
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
        number_at(line_of(item, "SOFFS"), 1, 0.0, where),
        length,
        where,
        gain_db=to_db(gain),
        fade_in_s=number_at(fin, 2, 0.0, where),
        fade_out_s=number_at(fout, 2, 0.0, where),
        fade_in_shape=shapes[0],
        fade_out_shape=shapes[1],
        name=label,
    )
    if clip is not None:
        r.carry("audio clips (position, length, source offset)")
        if gain != 1.0:
            r.carry("clip gain")
        if number_at(fin, 2, 0.0, where) or number_at(fout, 2, 0.0, where):
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
    has = line_of(src, "HASDATA")
    ppq = int(number_at(has, 2, PPQ, where)) or PPQ
    tick = 0
    on: dict[int, tuple[int, int]] = {}
    notes: list[Note] = []
    other = 0
    for line in lines_of(src):
        if line[0] not in ("E", "e", "X", "x"):
            continue
        tick += int(number_at(line, 1, 0, where))
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


__all__ = ["envelope_lane", "read_tracks"]
