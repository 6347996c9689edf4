"""REAPER out: the song (reduced with ``mapping.CARRIES``) as a ``<REAPER_PROJECT``.

Buses become folder tracks holding what routes to them, sends ``AUXRECV`` lines on the bus,
automation lanes envelopes (a dB lane becomes amplitude points through ``curves``), MIDI parts
``<SOURCE MIDI`` items at ``mapping.PPQ`` ticks per quarter note.
"""

from __future__ import annotations

from pathlib import Path

import rpp as rpplib

from producer.fileio import atomic_output
from producer.interchange.carry import playing_clips
from producer.interchange.curves import db_lane_to_gains, to_gain
from producer.interchange.rpp.mapping import PPQ, SHAPE_OUT
from producer.interchange.session import MediaLookup
from producer.model import MASTER, Bus, Interpolation, Song, Track, TrackKind, timing


def _n(x: float) -> str:
    return repr(float(x))


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


__all__ = ["write"]
