"""Takes and comps on the model: pure functions returning new songs (no I/O, no numpy).

Take ``N`` of a track (1-based, as people count) is ``track.lanes[N - 1]``; every pass of a
recording, and every imported file, is a new lane — nothing overwrites a take. A comp is built
from a spec like ``"1:0-12.5,3:12.5-30"`` (take:start-end in seconds, contiguous, no overlap,
no gap); punch-in puts the punched lane into the comp in place of the punched range.
"""

from __future__ import annotations

import re
from dataclasses import replace
from fractions import Fraction

from producer.errors import NotFoundError, UserError, ValidationError
from producer.model import COMP, Clip, Comp, CompSegment, Lane, MediaRef, Song, Track, edit
from producer.model.timing import bar_to_frame

DEFAULT_CROSSFADE_MS = 10.0


def seconds_to_frame(seconds: float, sample_rate: int) -> int:
    """Nearest frame of a time in seconds (exact decimal input: 12.5 s → 600000 at 48 kHz)."""
    return round(Fraction(str(seconds)) * sample_rate)


def song_end_frame(song: Song) -> int:
    """Where the song ends: the end of its last section, clip or marker (0 when empty)."""
    ends = [0]
    if song.sections:
        ends.append(bar_to_frame(song, max(s.end_bar for s in song.sections)))
    ends += [c.end_frame for t in song.tracks for c in t.all_clips()]
    ends += [m.frame for m in song.markers]
    return max(ends)


def take_number(track: Track, lane_id: str) -> int:
    for i, lane in enumerate(track.lanes):
        if lane.id == lane_id:
            return i + 1
    raise NotFoundError(f"track {track.name!r}: no take lane {lane_id!r}")


def get_take(track: Track, number: int) -> Lane:
    if not 1 <= number <= len(track.lanes):
        raise NotFoundError(
            f"track {track.name!r}: no take {number} (it has {len(track.lanes)} take(s))"
        )
    return track.lanes[number - 1]


def add_take(
    song: Song, track_name: str, media: MediaRef, start_frame: int, name: str = ""
) -> tuple[Song, str]:
    """Append a take lane holding one clip of ``media`` at song ``start_frame``; it becomes
    the active lane. Returns the new song and the lane id."""
    track = edit.get_track(song, track_name)
    lane_id = edit.new_id(edit.all_lane_ids(song), "take")
    clip = Clip(
        id=edit.new_id(edit.all_clip_ids(song), "c"),
        media=media,
        start_frame=start_frame,
        source_start_frame=0,
        length_frames=media.frames,
        name=name,
    )
    lane = Lane(id=lane_id, name=name or f"Take {len(track.lanes) + 1}", clips=(clip,))
    new_track = replace(track, lanes=(*track.lanes, lane), active=lane_id)
    return edit.replace_track(song, new_track), lane_id


def select_take(song: Song, track_name: str, which: str) -> Song:
    """Make take ``which`` (a 1-based number) or ``"comp"`` what plays."""
    track = edit.get_track(song, track_name)
    if which == COMP:
        if track.comp is None:
            raise ValidationError(f"track {track_name!r}: has no comp (make one with take comp)")
        return edit.update_track(song, track_name, active=COMP)
    return edit.update_track(song, track_name, active=get_take(track, _number(which)).id)


def rename_take(song: Song, track_name: str, number: int, name: str) -> Song:
    track = edit.get_track(song, track_name)
    lane = get_take(track, number)
    if not name.strip():
        raise ValidationError("take name: must not be empty")
    lanes = tuple(replace(x, name=name) if x is lane else x for x in track.lanes)
    return edit.update_track(song, track_name, lanes=lanes)


def remove_take(song: Song, track_name: str, number: int) -> Song:
    """Remove take lane ``number`` from the track (its media stays in the pool).

    Refused while the comp uses it. When it was active, the last remaining take plays.
    """
    track = edit.get_track(song, track_name)
    lane = get_take(track, number)
    if track.comp is not None and any(s.lane == lane.id for s in track.comp.segments):
        raise ValidationError(
            f"track {track_name!r}: take {number} is used by the comp; change the comp first"
        )
    lanes = tuple(x for x in track.lanes if x is not lane)
    active = track.active
    if active == lane.id:
        active = lanes[-1].id if lanes else ""
    return edit.update_track(song, track_name, lanes=lanes, active=active)


def _number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise UserError(f"take {text!r}: not a take number (1, 2, …) or 'comp'") from None


_SPEC = re.compile(r"^\s*(\d+)\s*:\s*([0-9.]+)\s*-\s*([0-9.]+)\s*$")


def parse_comp_spec(spec: str) -> list[tuple[int, float, float]]:
    """``"1:0-12.5,3:12.5-30"`` → ``[(1, 0.0, 12.5), (3, 12.5, 30.0)]`` (take, start s, end s)."""
    out = []
    for part in spec.split(","):
        m = _SPEC.match(part)
        if not m:
            raise UserError(f"--use {part.strip()!r}: expected TAKE:START-END in seconds")
        try:
            out.append((int(m.group(1)), float(m.group(2)), float(m.group(3))))
        except ValueError:
            raise UserError(f"--use {part.strip()!r}: not numbers") from None
    return out


def build_comp(
    song: Song, track_name: str, spec: str, crossfade_ms: float = DEFAULT_CROSSFADE_MS
) -> Song:
    """Set the track's comp from ``spec`` and make it what plays.

    Ranges must be in time order, meet exactly (no overlap, no gap), each at least one
    crossfade long; every problem is reported at once (ValidationError, exit 2).
    """
    track = edit.get_track(song, track_name)
    rate = song.sample_rate
    if crossfade_ms < 0:
        raise ValidationError(f"crossfade: {crossfade_ms} ms is negative")
    n = seconds_to_frame(crossfade_ms / 1000.0, rate)
    problems = []
    segments = []
    prev_end: float | None = None
    for take, start_s, end_s in parse_comp_spec(spec):
        where = f"--use {take}:{start_s:g}-{end_s:g}"
        if not 1 <= take <= len(track.lanes):
            problems.append(f"{where}: track {track_name!r} has no take {take}")
            continue
        if end_s <= start_s:
            problems.append(f"{where}: empty or reversed range")
        if prev_end is not None and start_s < prev_end:
            problems.append(f"{where}: overlaps the previous range (ends at {prev_end:g} s)")
        elif prev_end is not None and start_s > prev_end:
            problems.append(f"{where}: leaves a gap after {prev_end:g} s")
        a, b = seconds_to_frame(start_s, rate), seconds_to_frame(end_s, rate)
        if 0 < b - a < n:
            problems.append(f"{where}: shorter than the {crossfade_ms:g} ms crossfade")
        prev_end = end_s
        segments.append(CompSegment(track.lanes[take - 1].id, a, b))
    if problems:
        raise ValidationError(problems[0], problems)
    comp = Comp(segments=tuple(segments), crossfade_frames=n)
    return edit.update_track(song, track_name, comp=comp, active=COMP)


def punch_into_comp(track: Track, lane_id: str, in_frame: int, out_frame: int, n: int) -> Track:
    """The track with ``lane_id`` playing song frames ``[in_frame, out_frame)`` and what played
    before (the comp or the active lane) everywhere else, crossfaded over ``n`` frames."""
    if track.active == COMP and track.comp is not None:
        base = list(track.comp.segments)
    else:
        old = track.active_lane()
        end = max([c.end_frame for c in old.clips] + [out_frame]) if old else out_frame
        start = min([c.start_frame for c in old.clips] + [in_frame]) if old else in_frame
        base = [CompSegment(old.id, start, end)] if old and old.id != lane_id else []
    segs: list[CompSegment] = []
    for s in base:
        if s.start_frame < in_frame:
            segs.append(replace(s, end_frame=min(s.end_frame, in_frame)))
    segs.append(CompSegment(lane_id, in_frame, out_frame))
    for s in base:
        if s.end_frame > out_frame:
            segs.append(replace(s, start_frame=max(s.start_frame, out_frame)))
    return replace(track, comp=Comp(segments=tuple(segs), crossfade_frames=n), active=COMP)


__all__ = [
    "DEFAULT_CROSSFADE_MS",
    "add_take",
    "build_comp",
    "get_take",
    "parse_comp_spec",
    "punch_into_comp",
    "remove_take",
    "rename_take",
    "seconds_to_frame",
    "select_take",
    "song_end_frame",
    "take_number",
]
