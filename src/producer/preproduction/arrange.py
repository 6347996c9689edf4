"""Arrangement changes: ripple edits over everything in a song.

Every operation is a pure function ``Song -> Song`` (nothing is mutated) that rebuilds the
timeline from *pieces*: stretches of the old song's beats, each placed at a new beat. Audio
clips (and comp segments) are cut at piece edges in frames, MIDI clips and their notes in
beats, automation lanes get a point at each piece edge holding the curve's value there (so the
curve inside a piece is exactly what it was), markers and tempo changes move with their piece,
and content outside every piece is dropped. Sections are bars of the song's one time
signature; a target bar must be a section boundary (or outside every section) so that no
section is cut in two.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, replace
from fractions import Fraction

from producer.errors import NotFoundError, ValidationError
from producer.model import (
    AutomationLane,
    AutomationPoint,
    Clip,
    Comp,
    CompSegment,
    ControlChange,
    Fade,
    Instrument,
    Interpolation,
    Marker,
    MidiClip,
    PitchBend,
    Section,
    Song,
    TempoChange,
    Track,
)
from producer.model import timing as tm
from producer.model.edit import all_clip_ids, get_track, new_id
from producer.model.mixer import Bus
from producer.model.track import TrackKind


@dataclass(frozen=True)
class Piece:
    """Old beats ``[src_start, src_end)`` (``None``: to the end) placed at ``dst_start``.

    ``copy`` marks a second occurrence of material (a duplicate): its clips get new ids.
    """

    src_start: Fraction
    src_end: Fraction | None
    dst_start: Fraction
    copy: bool = False


class _Ids:
    """Fresh clip ids for copies, never reusing one in the song."""

    def __init__(self, song: Song) -> None:
        self.used = set(all_clip_ids(song))

    def keep_or_new(self, ident: str, first: bool) -> str:
        if first:
            return ident
        fresh = new_id(self.used, "c")
        self.used.add(fresh)
        return fresh


def _inf_frame(end: int | None) -> float:
    return float("inf") if end is None else end


class _Frames:
    """A piece in frames: old ``[start, end)`` → new ``dst``."""

    def __init__(self, old: Song, new: Song, piece: Piece) -> None:
        self.start = tm.beat_to_frame(old, piece.src_start)
        self.end = None if piece.src_end is None else tm.beat_to_frame(old, piece.src_end)
        self.dst = tm.beat_to_frame(new, piece.dst_start)
        self.copy = piece.copy

    def clamp(self, lo: int, hi: int) -> tuple[int, int] | None:
        a = max(lo, self.start)
        b = int(min(hi, _inf_frame(self.end)))
        return (a, b) if b > a else None

    def map(self, frame: int) -> int:
        return self.dst + (frame - self.start)


def _value_at(lane: AutomationLane, frame: int) -> float:
    """The lane's value at ``frame`` (first value before the first point, last after the last)."""
    pts = lane.points
    if frame <= pts[0].frame:
        return pts[0].value
    for a, b in itertools.pairwise(pts):
        if a.frame <= frame < b.frame:
            if lane.interpolation == Interpolation.STEP:
                return a.value
            return a.value + (b.value - a.value) * (frame - a.frame) / (b.frame - a.frame)
    return pts[-1].value


def _remap_automation(
    lanes: tuple[AutomationLane, ...], pieces: list[_Frames]
) -> tuple[AutomationLane, ...]:
    out = []
    for lane in lanes:
        if not lane.points:
            out.append(lane)
            continue
        pts: dict[int, float] = {}
        for p in pieces:
            inside = [q for q in lane.points if p.start <= q.frame < _inf_frame(p.end)]
            for q in inside:
                pts[p.map(q.frame)] = q.value
            # Edge points keep the curve inside the piece exactly as it was.
            pts.setdefault(p.dst, _value_at(lane, p.start))
            if p.end is not None and p.end - 1 > p.start:
                pts.setdefault(p.map(p.end - 1), _value_at(lane, p.end - 1))
        points = tuple(AutomationPoint(f, v) for f, v in sorted(pts.items()))
        out.append(replace(lane, points=_simplify(points)))
    return tuple(out)


def _simplify(points: tuple[AutomationPoint, ...]) -> tuple[AutomationPoint, ...]:
    """Drop points that repeat both neighbours' value (edge points of a flat curve)."""
    keep = []
    for i, p in enumerate(points):
        if 0 < i < len(points) - 1 and points[i - 1].value == p.value == points[i + 1].value:
            continue
        keep.append(p)
    return tuple(keep)


def _remap_clips(clips: Iterable[Clip], pieces: list[_Frames], ids: _Ids) -> tuple[Clip, ...]:
    out = []
    for c in clips:
        first = True
        for p in pieces:
            cut = p.clamp(c.start_frame, c.end_frame)
            if cut is None:
                continue
            lo, hi = cut
            out.append(
                replace(
                    c,
                    id=ids.keep_or_new(c.id, first and not p.copy),
                    start_frame=p.map(lo),
                    source_start_frame=c.source_start_frame + (lo - c.start_frame),
                    length_frames=hi - lo,
                    fade_in=c.fade_in if lo == c.start_frame else Fade(),
                    fade_out=c.fade_out if hi == c.end_frame else Fade(),
                )
            )
            first = first and p.copy
    return tuple(sorted(out, key=lambda c: (c.start_frame, c.id)))


# Controllers whose value at a piece's start is restated there, in this order: registered
# parameter selects before their data entry, so a piece keeps its pitch-bend range.
_STATE_ORDER = (101, 100, 6, 38, 0, 32, 7, 11, 10, 1, 64, 66, 67)


def _remap_performance(
    c: MidiClip, lo: Fraction, hi: Fraction
) -> tuple[tuple[ControlChange, ...], tuple[PitchBend, ...]]:
    """The controllers and pitch bends of clip ``c`` inside its beats ``[lo, hi)``, moved to
    start at 0. Like an automation lane cut at a piece edge, the state in force at ``lo`` (the
    last value of each controller before it: a held pedal, a bent note) is restated at 0."""
    before: dict[int, int] = {}
    inside: list[ControlChange] = []
    for cc in c.controls:
        at = Fraction(cc.beat)
        if at < lo:
            before[cc.controller] = cc.value
        elif at < hi:
            inside.append(replace(cc, beat=float(at - lo)))
    bend_before: int | None = None
    bends: list[PitchBend] = []
    for pb in c.pitch_bends:
        at = Fraction(pb.beat)
        if at < lo:
            bend_before = pb.value
        elif at < hi:
            bends.append(replace(pb, beat=float(at - lo)))
    order = {k: i for i, k in enumerate(_STATE_ORDER)}
    state = [
        ControlChange(0.0, k, v)
        for k, v in sorted(before.items(), key=lambda kv: (order.get(kv[0], 99), kv[0]))
    ]
    if bend_before is not None:
        bends.insert(0, PitchBend(0.0, bend_before))
    return (*state, *inside), tuple(bends)


def _remap_midi(clips: Iterable[MidiClip], pieces: list[Piece], ids: _Ids) -> tuple[MidiClip, ...]:
    out = []
    for c in clips:
        cs = Fraction(c.start_beat)
        ce = cs + Fraction(c.length_beats)
        first = True
        for p in pieces:
            lo = max(cs, p.src_start)
            hi = ce if p.src_end is None else min(ce, p.src_end)
            if hi <= lo:
                continue
            new_start = p.dst_start + (lo - p.src_start)
            notes = []
            for n in c.notes:
                at = cs + Fraction(n.start_beat)
                if lo <= at < hi:
                    # A note is cut at its piece's end: it must not sound into what follows.
                    length = min(Fraction(n.length_beats), hi - at)
                    notes.append(replace(n, start_beat=float(at - lo), length_beats=float(length)))
            controls, bends = _remap_performance(c, lo - cs, hi - cs)
            out.append(
                replace(
                    c,
                    id=ids.keep_or_new(c.id, first and not p.copy),
                    start_beat=float(new_start),
                    length_beats=float(hi - lo),
                    notes=tuple(notes),
                    controls=controls,
                    pitch_bends=bends,
                )
            )
            first = first and p.copy
    return tuple(sorted(out, key=lambda c: (c.start_beat, c.id)))


def _remap_comp(comp: Comp | None, pieces: list[_Frames]) -> Comp | None:
    if comp is None:
        return None
    segs = []
    for s in comp.segments:
        for p in pieces:
            cut = p.clamp(s.start_frame, s.end_frame)
            if cut:
                segs.append(CompSegment(s.lane, p.map(cut[0]), p.map(cut[1])))
    return replace(comp, segments=tuple(sorted(segs, key=lambda s: s.start_frame)))


def _remap_tempo(song: Song, pieces: list[Piece]) -> tuple[float, tuple[TempoChange, ...]]:
    if not song.tempo_changes:
        return song.tempo_bpm, ()
    changes: dict[Fraction, float] = {}
    for p in pieces:
        changes.setdefault(p.dst_start, tm.tempo_at(song, float(p.src_start)))
        for c in song.tempo_changes:
            b = Fraction(c.beat)
            if p.src_start < b and (p.src_end is None or b < p.src_end):
                changes[p.dst_start + (b - p.src_start)] = c.bpm
    ordered = sorted(changes.items())
    base = ordered[0][1] if ordered and ordered[0][0] == 0 else song.tempo_bpm
    result: list[TempoChange] = []
    last = base
    for beat, bpm in ordered:
        if beat == 0 or bpm == last:
            continue
        result.append(TempoChange(beat=float(beat), bpm=bpm))
        last = bpm
    return base, tuple(result)


def _remap_track(t: Track, pieces: list[Piece], frames: list[_Frames], ids: _Ids) -> Track:
    lanes = tuple(replace(lane, clips=_remap_clips(lane.clips, frames, ids)) for lane in t.lanes)
    return replace(
        t,
        lanes=lanes,
        comp=_remap_comp(t.comp, frames),
        midi_clips=_remap_midi(t.midi_clips, pieces, ids),
        automation=_remap_automation(t.automation, frames),
    )


def _remap_bus(b: Bus, frames: list[_Frames]) -> Bus:
    return replace(b, automation=_remap_automation(b.automation, frames))


def remap(song: Song, pieces: list[Piece], sections: tuple[Section, ...]) -> Song:
    """Rebuild ``song`` from ``pieces`` (see the module docstring); ``sections`` replace the
    song's sections."""
    pieces = [p for p in pieces if p.src_end is None or p.src_end > p.src_start]
    tempo_bpm, tempo_changes = _remap_tempo(song, pieces)
    new = replace(song, tempo_bpm=tempo_bpm, tempo_changes=tempo_changes)
    frames = [_Frames(song, new, p) for p in pieces]
    ids = _Ids(song)
    markers = []
    for p in frames:
        for m in song.markers:
            if p.start <= m.frame < _inf_frame(p.end):
                markers.append(Marker(m.name, p.map(m.frame)))
    return replace(
        new,
        sections=tuple(sorted(sections, key=lambda s: s.start_bar)),
        markers=tuple(sorted(markers, key=lambda m: m.frame)),
        tracks=tuple(_remap_track(t, pieces, frames, ids) for t in song.tracks),
        buses=tuple(_remap_bus(b, frames) for b in song.buses),
        master=_remap_bus(song.master, frames),
    )


# ---------------------------------------------------------------- sections


def _bar(song: Song, bar: int) -> Fraction:
    return tm.bar_to_beat(song, bar)


def get_section(song: Song, name: str) -> Section:
    for s in song.sections:
        if s.name == name:
            return s
    known = ", ".join(s.name for s in song.sections) or "none"
    raise NotFoundError(f"song {song.slug!r}: no section {name!r} (sections: {known})")


def _check_boundary(song: Song, bar: int, ignore: str = "") -> None:
    if bar < 0:
        raise ValidationError(f"song {song.slug!r}: bar {bar} is before the song start")
    for s in song.sections:
        if s.name != ignore and s.start_bar < bar < s.end_bar:
            raise ValidationError(
                f"song {song.slug!r}: bar {bar} is inside section {s.name!r} "
                f"(bars {s.start_bar}..{s.end_bar}); choose a section boundary"
            )


def _check_name(song: Song, name: str) -> None:
    if not name.strip():
        raise ValidationError("section name: is empty")
    if any(s.name == name for s in song.sections):
        raise ValidationError(f"song {song.slug!r}: a section named {name!r} exists already")


def add_section(
    song: Song, name: str, start_bar: int, length_bars: int, insert: bool = False
) -> Song:
    """Name bars ``start_bar``.. of the song as a section; with ``insert``, first open that many
    empty bars there (a ripple: everything from ``start_bar`` on moves later)."""
    _check_name(song, name)
    if length_bars <= 0:
        raise ValidationError(f"section {name!r}: length {length_bars} bars is not positive")
    new_sec = Section(name, start_bar, length_bars)
    if not insert:
        if start_bar < 0:
            raise ValidationError(f"section {name!r}: bar {start_bar} is before the song start")
        for s in song.sections:
            if s.start_bar < new_sec.end_bar and new_sec.start_bar < s.end_bar:
                raise ValidationError(
                    f"section {name!r} (bars {start_bar}..{new_sec.end_bar}) overlaps section "
                    f"{s.name!r} (bars {s.start_bar}..{s.end_bar})"
                )
        return replace(
            song, sections=tuple(sorted((*song.sections, new_sec), key=lambda s: s.start_bar))
        )
    _check_boundary(song, start_bar)
    at = _bar(song, start_bar)
    length = _bar(song, length_bars)
    shifted = [
        replace(s, start_bar=s.start_bar + length_bars) if s.start_bar >= start_bar else s
        for s in song.sections
    ]
    pieces = [Piece(Fraction(0), at, Fraction(0)), Piece(at, None, at + length)]
    return remap(song, pieces, (*shifted, new_sec))


def remove_section(song: Song, name: str, keep_bars: bool = False) -> Song:
    """Cut a section and its content out of the song; what follows moves up (a ripple).
    With ``keep_bars`` only the name goes and the music stays."""
    sec = get_section(song, name)
    rest = tuple(s for s in song.sections if s is not sec)
    if keep_bars:
        return replace(song, sections=rest)
    s, e = _bar(song, sec.start_bar), _bar(song, sec.end_bar)
    shifted = tuple(
        replace(x, start_bar=x.start_bar - sec.length_bars) if x.start_bar >= sec.end_bar else x
        for x in rest
    )
    return remap(song, [Piece(Fraction(0), s, Fraction(0)), Piece(e, None, s)], shifted)


def move_section(song: Song, name: str, to_bar: int) -> Song:
    """Move a section and its content so that it starts at bar ``to_bar`` of the result; the
    song closes the gap it leaves and opens room where it lands (a ripple)."""
    sec = get_section(song, name)
    n = sec.length_bars
    if to_bar == sec.start_bar:
        return song
    # ``to_bar`` counts in the song without the section: it is old bar to_bar (before it) or
    # to_bar + n (after it).
    old_target = to_bar if to_bar <= sec.start_bar else to_bar + n
    _check_boundary(song, old_target, ignore=name)
    if old_target > sec.start_bar and old_target < sec.end_bar:
        raise ValidationError(f"section {name!r}: cannot move into itself")

    def b(bar: int) -> Fraction:
        return _bar(song, bar)

    s, e, t = sec.start_bar, sec.end_bar, to_bar
    if t < s:
        pieces = [
            Piece(Fraction(0), b(t), Fraction(0)),
            Piece(b(s), b(e), b(t)),
            Piece(b(t), b(s), b(t + n)),
            Piece(b(e), None, b(e)),
        ]
    else:
        pieces = [
            Piece(Fraction(0), b(s), Fraction(0)),
            Piece(b(e), b(t + n), b(s)),
            Piece(b(s), b(e), b(t)),
            Piece(b(t + n), None, b(t + n)),
        ]

    def where(x: Section) -> Section:
        if x is sec:
            return replace(x, start_bar=t)
        if t < s and t <= x.start_bar < s:
            return replace(x, start_bar=x.start_bar + n)
        if t > s and e <= x.start_bar < t + n:
            return replace(x, start_bar=x.start_bar - n)
        return x

    return remap(song, pieces, tuple(where(x) for x in song.sections))


def duplicate_section(song: Song, name: str, to_bar: int | None = None, new_name: str = "") -> Song:
    """Insert a copy of a section (content included) at bar ``to_bar`` (default: right after
    it); what follows moves later. The copy is named ``new_name`` (default ``"<name> 2"``)."""
    sec = get_section(song, name)
    t = sec.end_bar if to_bar is None else to_bar
    _check_boundary(song, t)
    copy_name = new_name or _free_name(song, name)
    _check_name(song, copy_name)
    n = sec.length_bars

    def b(bar: int) -> Fraction:
        return _bar(song, bar)

    pieces = [
        Piece(Fraction(0), b(t), Fraction(0)),
        Piece(b(sec.start_bar), b(sec.end_bar), b(t), copy=True),
        Piece(b(t), None, b(t + n)),
    ]
    shifted = tuple(
        replace(x, start_bar=x.start_bar + n) if x.start_bar >= t else x for x in song.sections
    )
    return remap(song, pieces, (*shifted, Section(copy_name, t, n)))


def _free_name(song: Song, name: str) -> str:
    taken = {s.name for s in song.sections}
    k = 2
    while f"{name} {k}" in taken:
        k += 1
    return f"{name} {k}"


def rename_section(song: Song, name: str, new_name: str) -> Song:
    sec = get_section(song, name)
    _check_name(song, new_name)
    return replace(
        song, sections=tuple(replace(s, name=new_name) if s is sec else s for s in song.sections)
    )


# ---------------------------------------------------------------- parts


def _midi_track(song: Song, name: str) -> Track:
    t = get_track(song, name)
    if t.kind != TrackKind.MIDI:
        raise ValidationError(f"track {name!r}: is an audio track, not a MIDI part")
    return t


def transpose(song: Song, track_name: str, semitones: int, section: str | None = None) -> Song:
    """Move every note of a MIDI track (or those starting inside ``section``) by ``semitones``;
    a note pushed outside 0..127 is an error and nothing changes."""
    t = _midi_track(song, track_name)
    lo, hi = Fraction(0), None
    if section is not None:
        sec = get_section(song, section)
        lo, hi = _bar(song, sec.start_bar), _bar(song, sec.end_bar)
    clips = []
    for c in t.midi_clips:
        notes = []
        for note in c.notes:
            at = Fraction(c.start_beat) + Fraction(note.start_beat)
            if at >= lo and (hi is None or at < hi):
                pitch = note.pitch + semitones
                if not 0 <= pitch <= 127:
                    raise ValidationError(
                        f"track {track_name!r}: note {note.pitch} at beat {float(at):g} would "
                        f"become {pitch}, outside MIDI's 0..127"
                    )
                note = replace(note, pitch=pitch)
            notes.append(note)
        clips.append(replace(c, notes=tuple(notes)))
    new_track = replace(t, midi_clips=tuple(clips))
    return replace(song, tracks=tuple(new_track if x is t else x for x in song.tracks))


def set_instrument(song: Song, track_name: str, instrument: Instrument) -> Song:
    t = _midi_track(song, track_name)
    return replace(
        song, tracks=tuple(replace(x, instrument=instrument) if x is t else x for x in song.tracks)
    )


def set_tempo(song: Song, bpm: float, move_audio: bool = False) -> Song:
    """Change the song's tempo; tempo changes scale with it (the map keeps its shape).

    MIDI parts follow by construction (their notes are in beats). Audio clips, automation and
    markers stay at their frames unless ``move_audio``: then each moves to keep its beat
    (audio is not time-stretched: a clip keeps its length).
    """
    if not 1 <= bpm <= 999:
        raise ValidationError(f"tempo: {bpm} BPM is outside 1..999")
    ratio = bpm / song.tempo_bpm
    new = replace(
        song,
        tempo_bpm=bpm,
        tempo_changes=tuple(replace(c, bpm=c.bpm * ratio) for c in song.tempo_changes),
    )
    if not move_audio:
        return new

    def f(frame: int) -> int:
        return tm.beat_to_frame(new, tm.frame_to_beat(song, frame))

    def lanes(autos: tuple[AutomationLane, ...]) -> tuple[AutomationLane, ...]:
        return tuple(
            replace(a, points=tuple(AutomationPoint(f(p.frame), p.value) for p in a.points))
            for a in autos
        )

    tracks = []
    for t in song.tracks:
        new_lanes = tuple(
            replace(lane, clips=tuple(replace(c, start_frame=f(c.start_frame)) for c in lane.clips))
            for lane in t.lanes
        )
        tracks.append(replace(t, lanes=new_lanes, automation=lanes(t.automation)))
    return replace(
        new,
        tracks=tuple(tracks),
        markers=tuple(Marker(m.name, f(m.frame)) for m in song.markers),
        buses=tuple(replace(b, automation=lanes(b.automation)) for b in song.buses),
        master=replace(song.master, automation=lanes(song.master.automation)),
    )


def song_length_beats(song: Song) -> Fraction:
    """End of the last section, note or clip, in beats."""
    end = Fraction(0)
    for s in song.sections:
        end = max(end, _bar(song, s.end_bar))
    for t in song.tracks:
        for mc in t.midi_clips:
            end = max(end, Fraction(mc.start_beat) + Fraction(mc.length_beats))
        for c in t.all_clips():
            end = max(end, tm.frame_to_beat(song, c.end_frame))
    return end


__all__ = [
    "Piece",
    "add_section",
    "duplicate_section",
    "get_section",
    "move_section",
    "remap",
    "remove_section",
    "rename_section",
    "set_instrument",
    "set_tempo",
    "song_length_beats",
    "transpose",
]
