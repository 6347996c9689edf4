"""Edit functions: each takes a model object and returns a new one; nothing is mutated.

They raise ``NotFoundError`` for a name or id that is not there and ``ValidationError`` for an
edit that cannot be made; a full check of the result is ``producer.model.validate``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from producer.errors import NotFoundError, ValidationError
from producer.model.clip import Clip, Fade
from producer.model.mixer import MASTER, Bus, Send
from producer.model.song import Song
from producer.model.track import Lane, Track


def slugify(title: str) -> str:
    """Lower-case ASCII words joined by hyphens: "First Song" → ``first-song``."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    if not slug:
        raise ValidationError(f"title {title!r}: needs at least one letter or digit")
    return slug


def new_id(existing: Iterable[str], prefix: str) -> str:
    """The next free id ``<prefix><n>``: one more than the largest in use, so ids never recur
    while the larger ones exist."""
    n = 0
    for ident in existing:
        m = re.fullmatch(re.escape(prefix) + r"(\d+)", ident)
        if m:
            n = max(n, int(m.group(1)))
    return f"{prefix}{n + 1}"


def all_clip_ids(song: Song) -> list[str]:
    ids = [c.id for t in song.tracks for lane in t.lanes for c in lane.clips]
    ids += [m.id for t in song.tracks for m in t.midi_clips]
    return ids


def all_lane_ids(song: Song) -> list[str]:
    return [lane.id for t in song.tracks for lane in t.lanes]


# ---------------------------------------------------------------- tracks


def get_track(song: Song, name: str) -> Track:
    track = song.track(name)
    if track is None:
        known = ", ".join(t.name for t in song.tracks) or "none"
        raise NotFoundError(f"song {song.slug!r}: no track {name!r} (tracks: {known})")
    return track


def add_track(song: Song, track: Track) -> Song:
    if song.track(track.name) is not None:
        raise ValidationError(f"song {song.slug!r}: a track named {track.name!r} exists already")
    return replace(song, tracks=(*song.tracks, track))


def replace_track(song: Song, track: Track, name: str | None = None) -> Song:
    """Put ``track`` in place of the track named ``name`` (default: ``track.name``)."""
    old = get_track(song, name or track.name)
    return replace(song, tracks=tuple(track if t is old else t for t in song.tracks))


def update_track(song: Song, name: str, **changes: Any) -> Song:
    return replace_track(song, replace(get_track(song, name), **changes), name)


def remove_track(song: Song, name: str) -> Song:
    old = get_track(song, name)
    return replace(song, tracks=tuple(t for t in song.tracks if t is not old))


# ---------------------------------------------------------------- buses and sends


def get_bus(song: Song, name: str) -> Bus:
    bus = song.bus(name)
    if bus is None:
        known = ", ".join([MASTER, *(b.name for b in song.buses)])
        raise NotFoundError(f"song {song.slug!r}: no bus {name!r} (buses: {known})")
    return bus


def add_bus(song: Song, bus: Bus) -> Song:
    if song.bus(bus.name) is not None or bus.name == MASTER:
        raise ValidationError(f"song {song.slug!r}: a bus named {bus.name!r} exists already")
    return replace(song, buses=(*song.buses, bus))


def update_bus(song: Song, name: str, **changes: Any) -> Song:
    old = get_bus(song, name)
    new = replace(old, **changes)
    if name == MASTER:
        return replace(song, master=new)
    return replace(song, buses=tuple(new if b is old else b for b in song.buses))


def remove_bus(song: Song, name: str) -> Song:
    old = get_bus(song, name)
    if name == MASTER:
        raise ValidationError("the master bus cannot be removed")
    return replace(song, buses=tuple(b for b in song.buses if b is not old))


def add_send(song: Song, strip: str, send: Send) -> Song:
    """Add a send from track or bus ``strip`` (a send to the same bus replaces the old one)."""
    get_bus(song, send.bus)
    if song.track(strip) is not None:
        t = get_track(song, strip)
        sends = (*tuple(s for s in t.sends if s.bus != send.bus), send)
        return replace_track(song, replace(t, sends=sends))
    b = get_bus(song, strip)
    sends = (*tuple(s for s in b.sends if s.bus != send.bus), send)
    return update_bus(song, strip, sends=sends)


# ---------------------------------------------------------------- clips


def _s(song: Song, frames: int) -> str:
    """Frames as seconds, the way errors show times to people."""
    rate = song.sample_rate if song.sample_rate > 0 else 1
    return f"{frames / rate:.2f} s"


def find_clip(song: Song, clip_id: str) -> tuple[Track, Lane, Clip]:
    for t in song.tracks:
        for lane in t.lanes:
            for c in lane.clips:
                if c.id == clip_id:
                    return t, lane, c
    known = ", ".join(c.id for t in song.tracks for lane in t.lanes for c in lane.clips)
    raise NotFoundError(f"song {song.slug!r}: no clip {clip_id!r} (clips: {known or 'none'})")


def _replace_lane(song: Song, track: Track, lane: Lane, clips: tuple[Clip, ...]) -> Song:
    new_lane = replace(lane, clips=tuple(sorted(clips, key=lambda c: (c.start_frame, c.id))))
    lanes = tuple(new_lane if x is lane else x for x in track.lanes)
    return replace_track(song, replace(track, lanes=lanes))


def add_clip(song: Song, track_name: str, clip: Clip, lane_id: str | None = None) -> Song:
    """Add ``clip`` to a lane of a track (default: the active lane; a first lane is made)."""
    track = get_track(song, track_name)
    if clip.id in all_clip_ids(song):
        raise ValidationError(f"song {song.slug!r}: clip id {clip.id!r} is in use")
    target = lane_id or track.active
    lane = next((x for x in track.lanes if x.id == target), None)
    if lane is None:
        if lane_id is not None:
            raise NotFoundError(f"track {track_name!r}: no take lane {lane_id!r}")
        new_lane = Lane(id=new_id(all_lane_ids(song), "take"), name="Take 1")
        track = replace(track, lanes=(*track.lanes, new_lane), active=new_lane.id)
        song = replace_track(song, track)
        lane = new_lane
    return _replace_lane(song, track, lane, (*lane.clips, clip))


def update_clip(song: Song, clip_id: str, **changes: Any) -> Song:
    track, lane, clip = find_clip(song, clip_id)
    new = replace(clip, **changes)
    return _replace_lane(song, track, lane, tuple(new if c is clip else c for c in lane.clips))


def remove_clip(song: Song, clip_id: str) -> Song:
    track, lane, clip = find_clip(song, clip_id)
    return _replace_lane(song, track, lane, tuple(c for c in lane.clips if c is not clip))


def move_clip(song: Song, clip_id: str, start_frame: int) -> Song:
    if start_frame < 0:
        raise ValidationError(
            f"clip {clip_id!r}: cannot start before the song (at {_s(song, start_frame)})"
        )
    return update_clip(song, clip_id, start_frame=start_frame)


def trim_clip(
    song: Song, clip_id: str, start_frame: int | None = None, end_frame: int | None = None
) -> Song:
    """Move the clip's left and/or right edge on the timeline; the audio stays in place."""
    _, _, clip = find_clip(song, clip_id)
    start = clip.start_frame if start_frame is None else start_frame
    end = clip.end_frame if end_frame is None else end_frame
    if end <= start:
        raise ValidationError(
            f"clip {clip_id!r}: trim leaves no audio (start {_s(song, start)}, end {_s(song, end)})"
        )
    if start < 0:
        raise ValidationError(
            f"clip {clip_id!r}: cannot start before the song (at {_s(song, start)})"
        )
    source_start = clip.source_start_frame + (start - clip.start_frame)
    if source_start < 0 or source_start + (end - start) > clip.media.frames:
        # Where the clip's audio could lie on the timeline, with the audio in place.
        lo = clip.start_frame - clip.source_start_frame
        hi = lo + clip.media.frames
        raise ValidationError(
            f"clip {clip_id!r}: {_s(song, start)}–{_s(song, end)} reaches outside its source "
            f"({clip.media.source_name or clip.media.path}), which lies at "
            f"{_s(song, max(lo, 0))}–{_s(song, hi)}"
        )
    return update_clip(
        song, clip_id, start_frame=start, source_start_frame=source_start, length_frames=end - start
    )


def split_clip(song: Song, clip_id: str, at_frame: int) -> tuple[Song, str]:
    """Cut a clip in two at timeline frame ``at_frame``; returns the song and the new right id."""
    track, lane, clip = find_clip(song, clip_id)
    if not clip.start_frame < at_frame < clip.end_frame:
        raise ValidationError(
            f"clip {clip_id!r}: split point {_s(song, at_frame)} is not inside the clip "
            f"({_s(song, clip.start_frame)[:-2]}–{_s(song, clip.end_frame)})"
        )
    left_len = at_frame - clip.start_frame
    left = replace(clip, length_frames=left_len, fade_out=Fade())
    right = replace(
        clip,
        id=new_id(all_clip_ids(song), "c"),
        start_frame=at_frame,
        source_start_frame=clip.source_start_frame + left_len,
        length_frames=clip.length_frames - left_len,
        fade_in=Fade(),
    )
    clips = (*tuple(c for c in lane.clips if c is not clip), left, right)
    return _replace_lane(song, track, lane, clips), right.id


__all__ = [
    "add_bus",
    "add_clip",
    "add_send",
    "add_track",
    "all_clip_ids",
    "all_lane_ids",
    "find_clip",
    "get_bus",
    "get_track",
    "move_clip",
    "new_id",
    "remove_bus",
    "remove_clip",
    "remove_track",
    "replace_track",
    "slugify",
    "split_clip",
    "trim_clip",
    "update_bus",
    "update_clip",
    "update_track",
]
