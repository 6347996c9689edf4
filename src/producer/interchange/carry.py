"""What each format carries, and the song as a format sees it.

``reduce(song, caps, report)`` is the one place that decides what an export loses: it returns
the song with everything the format cannot hold removed or set to what an import of that
format brings back (a fade shape becomes the format's default shape, an unknown effect is
bypassed, a lost automation lane goes), and adds a ``Lost`` line for each change. Writers write
the reduced song, so the loss report and the file agree by construction, and a round trip
(export → import → render) nulls against the render of the reduced song — the tests check both.

``playing_clips(track)`` is what every writer exports of a track: the clips that play (the
active take lane, or a comp flattened to the clips of its segments, the seam crossfades as
overlaps). Inactive take lanes are not exported (no format here has take lanes that other DAWs
read back); ``reduce`` reports them.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from producer.interchange.report import LossReport
from producer.model import (
    COMP,
    MASTER,
    AutomationLane,
    Bus,
    Clip,
    EffectSlot,
    Fade,
    FadeShape,
    Instrument,
    Interpolation,
    Marker,
    Song,
    Track,
    TrackKind,
    timing,
)

InsertRule = Callable[[EffectSlot], tuple[EffectSlot, list[tuple[str, str]]]]
"""An insert as the format holds it, and (what, why) for each part that it cannot."""


def keep_insert(slot: EffectSlot) -> tuple[EffectSlot, list[tuple[str, str]]]:
    return slot, []


@dataclass(frozen=True)
class Carries:
    """The things of a song that a format holds. Strings are the reasons given when not."""

    name: str
    clip_gain: bool = False
    fades: bool = False
    fade_shapes: bool = False
    default_fade_shape: FadeShape = FadeShape.LINEAR
    overlaps: bool = True
    """Overlapping clips on one track (crossfaded by the engine's automatic rule)."""
    overlaps_nested: bool = True
    """A clip overlapping more than its neighbour (inside another, or three at once)."""
    fades_at_gaps_only: bool = False
    """Fades only where the clip edge touches silence (OTIO/AAF dissolves to a gap)."""
    track_gain: bool = False
    track_pan: bool = False
    mute: bool = False
    solo: bool = False
    polarity: bool = False
    buses: bool = False
    sends: bool = False
    pre_fader_sends: bool = False
    master: bool = False
    automation: frozenset[str] = frozenset()
    """Targets carried: ``gain_db``, ``pan``, ``mute``, ``sends`` (levels), ``fx``."""
    step_automation: bool = False
    markers: bool = False
    sections: bool = False
    sections_as_markers: bool = False
    """Without sections: a section is written as a marker at its start (read back so)."""
    tempo: bool = False
    tempo_changes: bool = False
    time_signature: bool = False
    midi: bool = False
    instrument: bool = False
    metadata: frozenset[str] = frozenset()
    """Song fields carried as metadata: ``title``, ``songwriter``, ``key``, ``isrc``."""
    inserts: InsertRule | None = None
    """None: no inserts at all; else how each insert is held."""
    why: dict[str, str] = field(default_factory=dict)
    """Per-thing reasons overriding the generic "<format> has no <thing>"."""

    def reason(self, key: str, default: str) -> str:
        return self.why.get(key, f"{self.name} {default}")


def _seconds(frames: int, rate: int) -> str:
    return f"{frames / rate:.3f} s"


def _db(x: float) -> str:
    return f"{x:+.2f} dB"


# ---------------------------------------------------------------- what plays


def playing_clips(track: Track) -> tuple[Clip, ...]:
    """The clips that play on ``track``, as one lane (see the module docstring).

    A comp segment ``[s0, s1)`` of lane L becomes L's clips trimmed to the segment, widened by
    the seam crossfade (n frames centred on each inner seam, as the engine plays it): the two
    sides of a seam overlap by n frames, and the engine's automatic crossfade of an overlap is
    the same equal-power curve the comp uses. Exact unless a seam falls inside a clip's own fade.
    """
    if track.active == COMP and track.comp is not None:
        lanes = {lane.id: lane for lane in track.lanes}
        segs = track.comp.segments
        n = track.comp.crossfade_frames
        out: list[Clip] = []
        for i, seg in enumerate(segs):
            w0 = seg.start_frame - n // 2 if i > 0 and n > 0 else seg.start_frame
            w1 = seg.end_frame - n // 2 + n if i + 1 < len(segs) and n > 0 else seg.end_frame
            for c in lanes[seg.lane].clips:
                a, b = max(w0, c.start_frame), min(w1, c.end_frame)
                if b <= a:
                    continue
                fin = c.fade_in if a == c.start_frame else Fade()
                fout = c.fade_out if b == c.end_frame else Fade()
                out.append(
                    replace(
                        c,
                        id=f"{c.id}-{i + 1}" if (a, b) != (c.start_frame, c.end_frame) else c.id,
                        start_frame=a,
                        source_start_frame=c.source_start_frame + (a - c.start_frame),
                        length_frames=b - a,
                        fade_in=fin,
                        fade_out=fout,
                    )
                )
        return tuple(sorted(out, key=lambda c: (c.start_frame, c.id)))
    lane = track.active_lane()
    return tuple(sorted(lane.clips, key=lambda c: (c.start_frame, c.id))) if lane else ()


def song_end_frame(song: Song) -> int:
    """First frame after the last clip that plays (0 for an empty song)."""
    ends = [c.end_frame for t in song.tracks for c in playing_clips(t)]
    return max(ends, default=0)


# ---------------------------------------------------------------- reduce


def _reduce_clips(track: Track, caps: Carries, rate: int, report: LossReport, where: str) -> Track:
    lanes = []
    for lane in track.lanes:
        clips = []
        for c in lane.clips:
            cw = f"clip {c.id} of {where}"
            if c.gain_db != 0.0 and not caps.clip_gain:
                report.lose(
                    f"clip gain {_db(c.gain_db)}", cw, caps.reason("clip_gain", "has no clip gain")
                )
                c = replace(c, gain_db=0.0)
            fades = {"fade-in": c.fade_in, "fade-out": c.fade_out}
            for label, fade in list(fades.items()):
                if fade.length_frames <= 0:
                    continue
                if not caps.fades:
                    report.lose(
                        f"{label} of {_seconds(fade.length_frames, rate)}",
                        cw,
                        caps.reason("fades", "has no fades on a lone clip"),
                    )
                    fades[label] = Fade()
                elif fade.shape != caps.default_fade_shape and not caps.fade_shapes:
                    report.lose(
                        f"{label} shape {fade.shape}",
                        cw,
                        caps.reason(
                            "fade_shapes",
                            f"fades have a length only (read back as {caps.default_fade_shape})",
                        ),
                    )
                    fades[label] = replace(fade, shape=caps.default_fade_shape)
            clips.append(replace(c, fade_in=fades["fade-in"], fade_out=fades["fade-out"]))
        lanes.append(replace(lane, clips=tuple(clips)))
    track = replace(track, lanes=tuple(lanes))
    others = [
        lane
        for lane in track.lanes
        if lane.clips
        and lane.id != track.active
        and not (
            track.active == COMP
            and track.comp
            and any(s.lane == lane.id for s in track.comp.segments)
        )
        and not (track.kind == TrackKind.MIDI and caps.midi and lane.name == "rendered")
    ]
    if others:
        names = ", ".join(lane.name or lane.id for lane in others)
        report.lose(
            f"take lanes not playing ({names})",
            where,
            "only what plays (the active take or the comp) is exported",
        )
    if track.active == COMP and track.comp is not None:
        report.carry("comps (as the clips that play, seams crossfaded)")
    elif (not caps.overlaps_nested or caps.fades_at_gaps_only) and track.active_lane() is not None:
        track = _reduce_lane_edges(track, caps, rate, report, where)
    if not caps.overlaps:
        clips_ = playing_clips(track)
        for a, b in itertools.pairwise(clips_):
            if a.end_frame > b.start_frame:
                report.lose(
                    f"crossfade of clips {a.id} and {b.id}",
                    where,
                    caps.reason("overlaps", "has no overlapping clips"),
                )
    return track


def _reduce_lane_edges(
    track: Track, caps: Carries, rate: int, report: LossReport, where: str
) -> Track:
    """For formats that hold one clip at a time and fades only against silence: drop the
    clips that overlap more than their neighbour and the fades on overlapped edges."""
    lane = track.active_lane()
    assert lane is not None
    kept: list[Clip] = []
    for c in sorted(lane.clips, key=lambda c: (c.start_frame, c.id)):
        if (
            not caps.overlaps_nested
            and kept
            and (
                c.end_frame <= kept[-1].end_frame
                or (len(kept) > 1 and kept[-2].end_frame > c.start_frame)
            )
        ):
            report.lose(
                f"clip {c.id}", where, caps.reason("overlaps_nested", "holds one clip at a time")
            )
            continue
        kept.append(c)
    if caps.fades_at_gaps_only:
        for i, c in enumerate(kept):
            fin, fout = c.fade_in, c.fade_out
            if fin.length_frames and i and kept[i - 1].end_frame > c.start_frame:
                report.lose(
                    f"fade-in of {_seconds(fin.length_frames, rate)}",
                    f"clip {c.id} of {where}",
                    f"{caps.name}: the clip overlaps the one before; the dissolve is the crossfade",
                )
                fin = Fade()
            if fout.length_frames and i + 1 < len(kept) and kept[i + 1].start_frame < c.end_frame:
                report.lose(
                    f"fade-out of {_seconds(fout.length_frames, rate)}",
                    f"clip {c.id} of {where}",
                    f"{caps.name}: the clip overlaps the next; the dissolve is the crossfade",
                )
                fout = Fade()
            kept[i] = replace(c, fade_in=fin, fade_out=fout)
    lanes = tuple(replace(x, clips=tuple(kept)) if x.id == lane.id else x for x in track.lanes)
    return replace(track, lanes=lanes)


def _reduce_automation(
    strip: Track | Bus, caps: Carries, report: LossReport, where: str, lost_fx: set[int]
) -> tuple[AutomationLane, ...]:
    kept = []
    for lane in strip.automation:
        if not lane.points:
            continue
        parts = lane.target.split(".")
        kind = "sends" if parts[0] == "sends" else "fx" if parts[0] == "fx" else lane.target
        if kind not in caps.automation:
            report.lose(
                f"{lane.target} automation",
                where,
                caps.reason(f"automation.{kind}", f"carries no {kind} automation"),
            )
            continue
        if kind == "fx" and int(parts[1]) in lost_fx:
            report.lose(
                f"{lane.target} automation",
                where,
                f"the parameter is not carried by {caps.name}",
            )
            continue
        if kind == "sends" and not caps.sends:
            report.lose(f"{lane.target} automation", where, f"{caps.name} has no sends")
            continue
        if lane.interpolation == Interpolation.STEP and not caps.step_automation:
            report.lose(
                f"{lane.target} automation steps",
                where,
                f"{caps.name} interpolates automation linearly",
            )
            lane = replace(lane, interpolation=Interpolation.LINEAR)
        kept.append(lane)
    if kept:
        report.carry("automation")
    return tuple(kept)


def _reduce_inserts(
    strip: Track | Bus, caps: Carries, report: LossReport, where: str
) -> tuple[tuple[EffectSlot, ...], set[int]]:
    """Inserts as the format holds them; a lost one stays as a bypassed slot (so the numbers of
    the others, ``fx.<n>``, do not move). Returns the slots and the numbers of automated
    parameters that are lost (as n, for the lanes)."""
    slots: list[EffectSlot] = []
    lost_fx: set[int] = set()
    lost_params: dict[int, set[str]] = {}
    for n, slot in enumerate(strip.inserts, start=1):
        if caps.inserts is None:
            report.lose(
                f"insert {n} ({slot.kind})", where, caps.reason("inserts", "carries no effects")
            )
            slots.append(replace(slot, bypass=True))
            lost_fx.add(n)
            continue
        held, losses = caps.inserts(slot)
        for what, why in losses:
            report.lose(f"insert {n} ({slot.kind}) {what}".rstrip(), where, why)
        if held.bypass and not slot.bypass:
            lost_fx.add(n)
        lost_params[n] = {k for k in slot.params if k not in held.params}
        slots.append(held)
    if any(not s.bypass for s in slots):
        report.carry("effects")
    # A lane of a parameter the held insert lost goes too.
    for lane in strip.automation:
        parts = lane.target.split(".")
        if (
            parts[0] == "fx"
            and len(parts) == 3
            and parts[2] in lost_params.get(int(parts[1]), set())
        ):
            lost_fx.add(int(parts[1]))
    return tuple(slots), lost_fx


def _reduce_strip(
    strip: Track | Bus, caps: Carries, song: Song, report: LossReport, where: str
) -> Track | Bus:
    changes: dict[str, object] = {}
    if strip.gain_db != 0.0:
        if caps.track_gain:
            report.carry("fader levels")
        else:
            report.lose(
                f"fader {_db(strip.gain_db)}", where, caps.reason("track_gain", "has no faders")
            )
            changes["gain_db"] = 0.0
    if strip.pan != 0.0:
        if caps.track_pan:
            report.carry("pan")
        else:
            report.lose(f"pan {strip.pan:+.2f}", where, caps.reason("track_pan", "has no pan"))
            changes["pan"] = 0.0
    if strip.mute:
        if caps.mute:
            report.carry("mute")
        else:
            report.lose("mute", where, caps.reason("mute", "has no mute"))
            changes["mute"] = False
    if strip.solo:
        if caps.solo:
            report.carry("solo")
        else:
            report.lose("solo", where, caps.reason("solo", "has no solo"))
            changes["solo"] = False
    if isinstance(strip, Track) and strip.polarity_inverted:
        if caps.polarity:
            report.carry("polarity")
        else:
            report.lose(
                "polarity inversion", where, caps.reason("polarity", "has no polarity switch")
            )
            changes["polarity_inverted"] = False
    sends = []
    for s in strip.sends:
        if not caps.sends:
            report.lose(
                f"send to {s.bus} ({_db(s.level_db)})", where, caps.reason("sends", "has no sends")
            )
        elif s.pre_fader and not caps.pre_fader_sends:
            report.lose(
                f"pre-fader send to {s.bus}",
                where,
                caps.reason("pre_fader_sends", "sends are post-fader only"),
            )
            sends.append(replace(s, pre_fader=False))
        else:
            report.carry("sends")
            sends.append(s)
    changes["sends"] = tuple(sends)
    if strip.name != MASTER and strip.output != MASTER:
        if caps.buses:
            report.carry("routing to buses")
        else:
            report.lose(
                f"output to bus {strip.output}", where, caps.reason("buses", "has no buses")
            )
            changes["output"] = MASTER
    inserts, lost_fx = _reduce_inserts(strip, caps, report, where)
    changes["inserts"] = inserts
    changes["automation"] = _reduce_automation(strip, caps, report, where, lost_fx)
    return replace(strip, **changes)  # type: ignore[arg-type]


def _reduce_track(track: Track, caps: Carries, song: Song, report: LossReport) -> Track:
    where = f"track {track.name}"
    if track.kind == TrackKind.MIDI:
        if caps.midi:
            if track.midi_clips:
                report.carry("MIDI notes")
            inst = track.instrument or Instrument()
            if inst != Instrument() and not caps.instrument:
                what = (
                    f"SoundFont {inst.soundfont}"
                    if inst.soundfont
                    else f"instrument (GM program {inst.program}"
                    + (f", bank {inst.bank}" if inst.bank else "")
                    + (", drums" if inst.is_drum else "")
                    + ")"
                )
                report.lose(
                    what,
                    where,
                    caps.reason("instrument", "names no instrument (read back as the GM piano)"),
                )
                track = replace(track, instrument=Instrument())
        else:
            rendered = any(lane.clips for lane in track.lanes)
            report.lose(
                f"MIDI notes ({sum(len(m.notes) for m in track.midi_clips)})",
                where,
                caps.reason("midi", "carries audio only")
                + (
                    "; exported as the SoundFont render"
                    if rendered
                    else "; the part was never rendered"
                ),
            )
            track = replace(track, kind=TrackKind.AUDIO, midi_clips=(), instrument=None)
    track = _reduce_clips(track, caps, song.sample_rate, report, where)
    if any(lane.clips for lane in track.lanes):
        report.carry("audio clips (position, length, source offset)")
        if any(c.fade_in.length_frames or c.fade_out.length_frames for c in track.all_clips()):
            report.carry("fades" + (" with shapes" if caps.fade_shapes else ""))
        if any(c.gain_db for c in track.all_clips()):
            report.carry("clip gain")
    reduced = _reduce_strip(track, caps, song, report, where)
    assert isinstance(reduced, Track)
    return reduced


def reduce(song: Song, caps: Carries, report: LossReport) -> Song:
    """``song`` as ``caps`` holds it; every change is a ``Lost`` in ``report`` (module doc)."""
    rate = song.sample_rate
    tracks = tuple(_reduce_track(t, caps, song, report) for t in song.tracks)
    buses = []
    for b in song.buses:
        if caps.buses:
            report.carry("buses")
            r = _reduce_strip(b, caps, song, report, f"bus {b.name}")
            assert isinstance(r, Bus)
            buses.append(r)
        else:
            report.lose(f"bus {b.name}", "", caps.reason("buses", "has no buses"))
    master = song.master
    if caps.master:
        m = _reduce_strip(master, caps, song, report, "the master")
        assert isinstance(m, Bus)
        master = m
    elif master != Bus(name=MASTER, output=""):
        report.lose(
            "master bus settings (fader, pan, inserts, automation)",
            "the master",
            caps.reason("master", "has no master bus"),
        )
        master = Bus(name=MASTER, output="")
    out = replace(song, tracks=tracks, buses=tuple(buses), master=master)
    # Song-level things.
    if song.markers:
        if caps.markers:
            report.carry("markers")
        else:
            for marker in song.markers:
                report.lose(
                    f"marker {marker.name!r} at {_seconds(marker.frame, rate)}",
                    "",
                    caps.reason("markers", "has no markers"),
                )
            out = replace(out, markers=())
    if song.sections:
        if caps.sections:
            report.carry("sections")
        else:
            for s in song.sections:
                report.lose(
                    f"section {s.name!r} (bars {s.start_bar + 1}–{s.end_bar})",
                    "",
                    caps.reason("sections", "has no sections"),
                )
            out = replace(out, sections=())
            if caps.sections_as_markers:
                starts = tuple(
                    Marker(s.name, timing.bar_to_frame(song, s.start_bar)) for s in song.sections
                )
                out = replace(
                    out, markers=tuple(sorted((*out.markers, *starts), key=lambda m: m.frame))
                )
    if caps.tempo:
        report.carry("tempo")
    elif song.tempo_bpm != 120.0 or song.tempo_changes:
        report.lose(f"tempo {song.tempo_bpm:g} BPM", "", caps.reason("tempo", "has no tempo"))
    if song.tempo_changes and not caps.tempo_changes:
        report.lose(
            f"{len(song.tempo_changes)} tempo change(s)",
            "",
            caps.reason("tempo_changes", "has no tempo changes"),
        )
        out = replace(out, tempo_changes=())
    if caps.time_signature:
        report.carry("time signature")
    elif str(song.time_signature) != "4/4":
        report.lose(
            f"time signature {song.time_signature}",
            "",
            caps.reason("time_signature", "has no time signature"),
        )
    for key, value in (
        ("title", song.title),
        ("songwriter", song.songwriter),
        ("key", song.key),
        ("isrc", song.isrc),
    ):
        if not value:
            continue
        if key in caps.metadata:
            report.carry(key)
        else:
            report.lose(
                f"{key} {value!r}", "", caps.reason(f"metadata.{key}", f"has no {key} field")
            )
    if song.tuning_hz != 440.0:
        report.lose(f"tuning A = {song.tuning_hz:g} Hz", "", f"{caps.name} has no tuning reference")
    if song.gap_before_s is not None or song.crossfade_s:
        report.lose(
            "album gap and crossfade", "", "album sequencing stays in the project, not the session"
        )
    if not math.isfinite(rate):  # pragma: no cover - model validation forbids it
        raise AssertionError(rate)
    return out


__all__ = [
    "Carries",
    "InsertRule",
    "keep_insert",
    "playing_clips",
    "reduce",
    "song_end_frame",
]
