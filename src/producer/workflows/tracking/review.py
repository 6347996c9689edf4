"""Take review (``producer take review``): pitch, timing and levels of a take, against the grid
and the MIDI guide."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from producer.errors import NotFoundError
from producer.model import COMP, Song, Track
from producer.model import edit as ed
from producer.model import timing as tm
from producer.storage import Project
from producer.tracking import review as rv
from producer.tracking import takes as tk
from producer.workflows.outputs import check_output
from producer.workflows.tracking.captures import recover
from producer.workflows.tracking.takes import _clip_sum


def _guide(song: Song, track: Track) -> list[rv.GuideNote]:
    """The MIDI guide: the track's own MIDI clips, else a MIDI track named "<track> guide"."""
    source = track if track.midi_clips else song.track(f"{track.name} guide")
    if source is None:
        return []
    notes = []
    for mc in source.midi_clips:
        for n in mc.notes:
            b = mc.start_beat + n.start_beat
            notes.append(
                rv.GuideNote(
                    tm.beat_to_seconds(song, b),
                    tm.beat_to_seconds(song, b + n.length_beats),
                    n.pitch,
                )
            )
    return sorted(notes, key=lambda g: g.start_s)


def take_review(
    root: Path, slug: str, track: str, take: int | None = None, plot: Path | None = None
) -> rv.TakeReview:
    """Coach a take (default: what the track plays): pitch, timing, levels; optional PNG."""
    recover(root)
    project = Project.open(root)
    song = project.song(slug)
    t = ed.get_track(song, track)
    if take is None and t.active == COMP and t.comp is not None:
        first = min(s.start_frame for s in t.comp.segments)
        last = max(s.end_frame for s in t.comp.segments)
        data = _clip_sum(project, song, track, first, last - first)
    else:
        lane = tk.get_take(t, take) if take is not None else t.active_lane()
        if lane is None or not lane.clips:
            raise NotFoundError(f"track {track!r}: has no take to review")
        first = min(c.start_frame for c in lane.clips)
        last = max(c.end_frame for c in lane.clips)
        data = _clip_sum(project, song, track, first, last - first, lane=lane.id)
    rate = song.sample_rate
    offset_s = first / rate

    def nearest_16th(s: float) -> float:
        beat = tm.seconds_to_beat(song, s + offset_s)
        return tm.beat_to_seconds(song, round(beat * 4) / 4) - offset_s

    guide = [
        rv.GuideNote(g.start_s - offset_s, g.end_s - offset_s, g.pitch) for g in _guide(song, t)
    ]
    result = rv.review_take(
        data, rate, tuning_hz=song.tuning_hz, nearest_grid_s=nearest_16th, guide=guide
    )
    # Report times on the song's timeline, not from the take's first frame.
    result = replace(
        result,
        notes=[
            replace(
                n,
                start_s=n.start_s + offset_s,
                end_s=n.end_s + offset_s,
                target_s=n.target_s + offset_s,
            )
            for n in result.notes
        ],
        f0_times_s=[x + offset_s for x in result.f0_times_s],
    )
    if plot is not None:
        check_output(plot, project.root)
        rv.plot_review(result, plot)
    return result
