"""The takes of a track: list, select, rename, remove, comp, import, and what the track plays
(the engine's clip sum)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from producer import audio
from producer.audio import Audio
from producer.model import COMP, MediaRef, Song, Track
from producer.model import edit as ed
from producer.storage import Project
from producer.tracking import takes as tk
from producer.workflows import office as office_wf
from producer.workflows.tracking.captures import recover
from producer.workflows.tracking.record import _frames


def media_loader(project: Project) -> Callable[[MediaRef], Audio]:
    """Whole media files of ``project`` as float32 (channels, frames), each read once (takes
    are short; the engine streams instead)."""
    cache: dict[str, Audio] = {}

    def load(ref: MediaRef) -> Audio:
        if ref.path not in cache:
            cache[ref.path] = audio.read(project.media_path(ref))[0]
        return cache[ref.path]

    return load


@dataclass(frozen=True)
class TakeInfo:
    number: int
    lane_id: str
    name: str
    active: bool
    in_comp: bool
    start_s: float
    end_s: float


def take_list(root: Path, slug: str, track: str) -> tuple[list[TakeInfo], bool]:
    """The takes of a track, and whether the comp is what plays."""
    recover(root)
    song = Project.open(root).song(slug)
    t = ed.get_track(song, track)
    used = {s.lane for s in t.comp.segments} if t.comp else set()
    out = []
    for i, lane in enumerate(t.lanes):
        starts = [c.start_frame for c in lane.clips] or [0]
        ends = [c.end_frame for c in lane.clips] or [0]
        out.append(
            TakeInfo(
                number=i + 1,
                lane_id=lane.id,
                name=lane.name,
                active=t.active == lane.id,
                in_comp=lane.id in used,
                start_s=min(starts) / song.sample_rate,
                end_s=max(ends) / song.sample_rate,
            )
        )
    return out, t.active == COMP


def _edit(root: Path, slug: str, label: str, fn: Callable[[Song], Song]) -> Song:
    recover(root)
    project = Project.open(root)
    with project.transaction(label) as tx:
        song = fn(tx.song(slug))
        tx.put_song(song)
    return song


def take_select(root: Path, slug: str, track: str, which: str) -> None:
    _edit(root, slug, f"select take {which} on {track}", lambda s: tk.select_take(s, track, which))


def take_rename(root: Path, slug: str, track: str, number: int, name: str) -> None:
    _edit(
        root,
        slug,
        f"rename take {number} on {track}",
        lambda s: tk.rename_take(s, track, number, name),
    )


def take_remove(root: Path, slug: str, track: str, number: int) -> None:
    _edit(
        root, slug, f"remove take {number} from {track}", lambda s: tk.remove_take(s, track, number)
    )


def take_comp(
    root: Path, slug: str, track: str, use: str, crossfade_ms: float = tk.DEFAULT_CROSSFADE_MS
) -> Track:
    song = _edit(
        root,
        slug,
        f"comp {track}",
        lambda s: tk.build_comp(s, track, use, crossfade_ms),
    )
    return ed.get_track(song, track)


def take_import(
    root: Path,
    slug: str,
    track: str,
    files: Sequence[Path],
    at_seconds: float = 0.0,
    performer: str | None = None,
    instrument: str | None = None,
    role: str | None = None,
    booking: str | None = None,
) -> list[int]:
    """Import audio files as new takes (one lane each) of ``track`` at ``at_seconds``, played
    by ``performer`` (a person of the office roster) if given."""
    recover(root)
    project = Project.open(root)
    song = project.song(slug)
    at = _frames(at_seconds, song.sample_rate, "--at")
    credit = office_wf.take_credit(project, slug, performer, instrument, role, booking)
    refs = [project.import_media(Path(f)) for f in files]
    numbers = []
    with project.transaction(f"import {len(refs)} take(s) into {track}") as tx:
        song = tx.song(slug)
        if song.track(track) is None:
            song = ed.add_track(song, Track(name=track))
        for f, ref in zip(files, refs, strict=True):
            song, lane_id = tk.add_take(song, track, ref, at, name=Path(f).stem)
            song = office_wf.credit_lane(song, track, lane_id, credit)
            numbers.append(tk.take_number(ed.get_track(song, track), lane_id))
        tx.put_song(song)
    return numbers


def render_track_takes(root: Path, slug: str, track: str) -> tuple[Audio, int]:
    """What the track plays (its comp or active take) from frame 0 to its last clip's end:
    the engine's clip sum before the strip, (channels, frames), and the sample rate."""
    project = Project.open(root)
    song = project.song(slug)
    t = ed.get_track(song, track)
    end = max([c.end_frame for c in t.all_clips()] + [0])
    return _clip_sum(project, song, track, 0, end), song.sample_rate


def _clip_sum(
    project: Project, song: Song, track: str, start: int, frames: int, lane: str | None = None
) -> Audio:
    """Frames ``[start, start + frames)`` of what ``track`` (or its lane ``lane``) plays, from
    the engine: the mix's own comp renderer."""
    from producer.engine import render_clip_sum
    from producer.workflows.mix import ProjectMedia

    source = ProjectMedia(project.root)
    try:
        return render_clip_sum(song, track, source, start, frames, lane=lane)
    finally:
        source.close()
