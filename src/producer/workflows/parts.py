"""Rendered MIDI parts: SoundFont renders kept in the parts cache, rendered again when missing.

A MIDI track's audio is the take lane named ``rendered`` (the MIDI stays the source of truth);
its clip refers to an entry of ``producer.storage.parts``, keyed by what was rendered. Every
change to the notes, the instrument, the sections or the tempo asks for the parts again
(``render_parts``): a part whose key has an entry already is not rendered at all (moving a
section leaves the parts inside it as they were), a new one is rendered once. Before anything
reads a song's audio (mix, master, the monitor of a recording) ``ensure_parts`` renders again
what the cache lacks (removed by `producer gc`, a project copied without ``.producer/``).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, replace
from pathlib import Path

from producer.errors import NotFoundError
from producer.model import Clip, Instrument, Lane, MediaRef, Song, Track
from producer.model import edit as ed
from producer.model.track import TrackKind
from producer.storage import Project, parts
from producer.workflows.progress import report as progress

RENDERED_LANE = "rendered"
"""Name of the take lane that holds a MIDI track's SoundFont render."""

_sf_hashes: dict[tuple[str, int, int], str] = {}


def _soundfont_sha256(path: Path) -> str:
    """sha256 of a SoundFont file, remembered per (path, size, mtime) for this process."""
    st = path.stat()
    memo = (str(path), st.st_size, st.st_mtime_ns)
    if memo not in _sf_hashes:
        h = hashlib.sha256()
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        _sf_hashes[memo] = h.hexdigest()
    return _sf_hashes[memo]


@dataclass(frozen=True)
class RenderedPart:
    """A part's render: the cache entry, the song frame it starts at, and the SoundFont to
    record on the track ("" keeps the track's)."""

    ref: MediaRef
    start_frame: int
    soundfont: str = ""


def rendered_tracks(song: Song) -> list[str]:
    """Names of the MIDI tracks that have a ``rendered`` lane."""
    return [
        t.name
        for t in song.tracks
        if t.kind == TrackKind.MIDI and any(lane.name == RENDERED_LANE for lane in t.lanes)
    ]


def _playing(root: Path, track: Track, chosen: Path | None) -> tuple[Track, Path]:
    """The track with the SoundFont it renders with (chosen, its own, or the GM bank)."""
    from producer.preproduction import render

    inst = track.instrument or Instrument()
    if chosen is not None:
        sf = chosen
    elif inst.soundfont:
        try:
            sf = render.soundfont_path(root / inst.soundfont)
        except NotFoundError as exc:
            raise NotFoundError(f"track {track.name!r}: {exc.message}") from None
    else:
        sf = render.soundfont_path(None)
    return replace(track, instrument=replace(inst, soundfont=str(sf))), sf


def render_parts(
    project: Project, song: Song, names: list[str], soundfont: str | Path | None = None
) -> dict[str, RenderedPart]:
    """The renders of tracks ``names`` of ``song`` (those with notes), from the cache or made
    now. Without ``soundfont`` a track renders with the SoundFont it recorded earlier (so a
    re-render after a change sounds the same), or the bundled GM bank; with it, that SoundFont
    is recorded on the track, relative to the project (documents hold no absolute paths)."""
    from producer.preproduction import render

    chosen = render.soundfont_path(soundfont).resolve() if soundfont is not None else None
    record = Path(os.path.relpath(chosen, project.root.resolve())).as_posix() if chosen else ""
    out: dict[str, RenderedPart] = {}
    for i, name in enumerate(names):
        progress(f"rendering {name} ({i + 1}/{len(names)}) with the SoundFont", i, len(names))
        track = ed.get_track(song, name)
        if not any(c.notes for c in track.midi_clips):
            continue
        playing, sf = _playing(project.root, track, chosen)
        key = render.render_key(song, playing, _soundfont_sha256(sf))
        label = f"{name} (rendered)"
        ref = parts.find(project.root, key, label)
        if ref is None:
            audio, start = render.render_track(song, playing)
            ref = parts.store(project.root, key, audio, song.sample_rate, label)
        else:
            start = render.render_start(song, playing)
        out[name] = RenderedPart(ref, start, record)
    return out


def place_render(song: Song, name: str, part: RenderedPart) -> Song:
    """Make ``part`` the track's ``rendered`` take lane (replacing an older render) and the
    active lane; record its SoundFont on the track's instrument when it names one."""
    track = ed.get_track(song, name)
    old = next((lane for lane in track.lanes if lane.name == RENDERED_LANE), None)
    old_ids = {c.id for c in old.clips} if old else set()
    used = [i for i in ed.all_clip_ids(song) if i not in old_ids]
    clip = Clip(
        id=ed.new_id(used, "r"),
        media=part.ref,
        start_frame=part.start_frame,
        source_start_frame=0,
        length_frames=part.ref.frames,
        name=f"{name} (rendered)",
    )
    lane_id = old.id if old else ed.new_id(ed.all_lane_ids(song), "take")
    # A re-render keeps the lane's credit (who programmed or played the part).
    lane = replace(old, clips=(clip,)) if old else Lane(lane_id, RENDERED_LANE, (clip,))
    lanes = tuple(lane if x is old else x for x in track.lanes) if old else (*track.lanes, lane)
    inst = track.instrument or Instrument()
    if part.soundfont:
        inst = replace(inst, soundfont=part.soundfont)
    return ed.replace_track(song, replace(track, lanes=lanes, active=lane_id, instrument=inst))


def ensure_parts(project: Project, song: Song) -> Song:
    """Render again the parts of ``song`` whose cache entry is missing; returns the song.

    A part renders to the same key as before unless what it depends on outside the document
    changed (its SoundFont file, or a newer renderer): then the new render replaces the old
    in the song, as one undoable step, and the returned song is that one.
    """
    stale: dict[str, RenderedPart] = {}
    for t in song.tracks:
        for lane in t.lanes:
            if lane.name != RENDERED_LANE or t.kind != TrackKind.MIDI:
                continue
            for c in lane.clips:
                if not parts.is_part(c.media.path) or parts.present(project.root, c.media):
                    continue
                # Imported only now: the synthesizer (and preproduction's imports) is not for
                # a mix whose parts are all in the cache.
                from producer.preproduction import render

                playing, sf = _playing(project.root, t, None)
                key = render.render_key(song, playing, _soundfont_sha256(sf))
                audio, start = render.render_track(song, playing)
                ref = parts.store(project.root, key, audio, song.sample_rate, c.media.source_name)
                if key != c.media.sha256 or ref.frames != c.media.frames:
                    stale[t.name] = RenderedPart(ref, start)
    if not stale:
        return song
    names = ", ".join(sorted(stale))
    with project.transaction(f"render {names} of {song.slug} again (SoundFont changed)") as tx:
        updated = tx.song(song.slug)
        for name, part in stale.items():
            updated = place_render(updated, name, part)
        tx.put_song(updated)
    return updated


__all__ = [
    "RENDERED_LANE",
    "RenderedPart",
    "ensure_parts",
    "place_render",
    "render_parts",
    "rendered_tracks",
]
