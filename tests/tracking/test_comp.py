"""Comps: the spec, the errors, and the rendered comp against an independent numpy reference."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from producer.engine import render_clip_sum
from producer.errors import NotFoundError, ValidationError
from producer.model import COMP
from producer.storage import Project
from producer.tracking import takes as tk
from producer.workflows import tracking as wt
from producer.workflows.mix import ProjectMedia

from .comp_reference import render_comp
from .synth import RATE, noise, write


@pytest.fixture
def three_takes(song_project: tuple[Path, str], tmp_path: Path) -> tuple[Path, str, list]:
    root, slug = song_project
    takes = [noise(4.0, seed=s, level=0.2 + 0.1 * s) for s in (1, 2, 3)]
    files = [write(tmp_path / f"take{i + 1}.wav", a) for i, a in enumerate(takes)]
    assert wt.take_import(root, slug, "vox", files) == [1, 2, 3]
    return root, slug, takes


def _reference(takes: list, ranges: list[tuple[int, float, float]], n: int, frames: int):
    """Straight from the definition: sample by sample, per seam, equal power, t = k/(n-1)."""
    out = np.zeros(frames)
    bounds = [(k, round(a * RATE), round(b * RATE)) for k, a, b in ranges]
    for i, (k, a, b) in enumerate(bounds):
        src = takes[k - 1][0].astype(np.float64)
        for f in range(a, b):
            out[f] = src[f]
        if i > 0:  # the seam at a: the previous take fades out, this one in
            prev = takes[bounds[i - 1][0] - 1][0].astype(np.float64)
            for j in range(n):
                f = a - n // 2 + j
                t = j / (n - 1)
                out[f] = prev[f] * np.cos(np.pi / 2 * t) + src[f] * np.sin(np.pi / 2 * t)
    return out


@pytest.mark.parametrize("crossfade_ms", [10.0, 2.5, 0.0])
def test_comp_plays_exactly_the_chosen_ranges_with_crossfades(three_takes, crossfade_ms) -> None:
    root, slug, takes = three_takes
    spec = "1:0-1.5,3:1.5-2.25,2:2.25-4"
    track = wt.take_comp(root, slug, "vox", spec, crossfade_ms)
    assert track.active == COMP and track.comp is not None
    n = round(crossfade_ms / 1000 * RATE)
    assert track.comp.crossfade_frames == n
    out = render_comp(track, wt.media_loader(Project.open(root)), 0, 4 * RATE, 1)[0]
    ref = _reference(takes, tk.parse_comp_spec(spec), n, 4 * RATE)
    err = np.max(np.abs(out - ref))
    assert err == 0 or 20 * np.log10(err) < -120
    # And what the track plays (the engine's clip sum, through the workflow) is that comp.
    played, rate = wt.render_track_takes(root, slug, "vox")
    assert rate == RATE and played.shape == (1, 4 * RATE)
    err = np.max(np.abs(played[0] - ref))
    assert err == 0 or 20 * np.log10(err) < -120


def test_the_engine_clip_sum_is_the_reference(three_takes) -> None:
    """The one comp renderer, the engine's (the mix plays it; review and render_track_takes
    read it): its clip sum before the strip equals this reference — comp, and each take."""
    root, slug, takes = three_takes
    track = wt.take_comp(root, slug, "vox", "2:0-1,1:1-3,3:3-4")
    project = Project.open(root)
    song = project.song(slug)
    source = ProjectMedia(project.root)
    ref = render_comp(track, wt.media_loader(project), 0, 4 * RATE, 1)[0]
    got = render_clip_sum(song, "vox", source, 0, 4 * RATE)
    assert got.shape == (1, 4 * RATE) and got.dtype == np.float32
    assert 20 * np.log10(np.max(np.abs(got[0] - ref))) < -120
    # A window of it is the same frames (the seams' crossfades are on the timeline).
    part = render_clip_sum(song, "vox", source, RATE - 700, 2000)
    np.testing.assert_array_equal(part, got[:, RATE - 700 : RATE + 1300])
    # One take (lane), whatever the track plays: its clips as recorded.
    lane = track.lanes[2]
    take3 = render_clip_sum(song, "vox", source, 0, 4 * RATE, lane=lane.id)
    np.testing.assert_array_equal(take3[0], takes[2][0])
    # Past the end: silence of the right shape.
    assert not render_clip_sum(song, "vox", source, 10 * RATE, 100).any()
    with pytest.raises(NotFoundError, match="no track 'nobody'"):
        render_clip_sum(song, "nobody", source, 0, 10)
    with pytest.raises(NotFoundError, match="no lane"):
        render_clip_sum(song, "vox", source, 0, 10, lane="l-missing")
    source.close()


def test_the_mix_plays_the_clip_sum(three_takes) -> None:
    """The mix of a centred mono track is that clip sum times the pan law's gain."""
    from producer.engine import ArraySink, render_song

    root, slug, _ = three_takes
    wt.take_comp(root, slug, "vox", "2:0-1,1:1-3,3:3-4")
    project = Project.open(root)
    song = project.song(slug)
    clip_sum = render_clip_sum(song, "vox", ProjectMedia(project.root), 0, 4 * RATE)[0]
    sink = ArraySink(2)
    render_song(song, ProjectMedia(project.root), sink, end_frame=4 * RATE, tail_frames=0)
    gain = np.float32(np.cos(np.pi / 4))  # constant-power centre
    np.testing.assert_array_equal(sink.audio[0], clip_sum * gain)


@pytest.mark.parametrize(
    ("spec", "error", "words"),
    [
        ("1:0-2,2:1.5-4", ValidationError, "overlaps"),
        ("1:0-2,2:2.5-4", ValidationError, "gap"),
        ("1:0-2,4:2-4", ValidationError, "no take 4"),
        ("1:2-1", ValidationError, "reversed"),
        ("1:0-2,2:2-2.005", ValidationError, "shorter than"),
        ("one:0-2", Exception, "TAKE:START-END"),
    ],
)
def test_bad_comps_are_refused_and_change_nothing(three_takes, spec, error, words) -> None:
    root, slug, _ = three_takes
    before = Project.open(root).document_text(slug)
    with pytest.raises(error, match=words):
        wt.take_comp(root, slug, "vox", spec)
    assert Project.open(root).document_text(slug) == before


def test_select_rename_remove(three_takes) -> None:
    root, slug, _ = three_takes
    wt.take_select(root, slug, "vox", "2")
    wt.take_rename(root, slug, "vox", 2, "keeper")
    takes, comp_plays = wt.take_list(root, slug, "vox")
    assert [(t.number, t.name, t.active) for t in takes] == [
        (1, "take1", False),
        (2, "keeper", True),
        (3, "take3", False),
    ]
    assert not comp_plays
    wt.take_comp(root, slug, "vox", "1:0-2,3:2-4")
    with pytest.raises(ValidationError, match="used by the comp"):
        wt.take_remove(root, slug, "vox", 1)
    wt.take_remove(root, slug, "vox", 2)
    takes, comp_plays = wt.take_list(root, slug, "vox")
    assert [t.name for t in takes] == ["take1", "take3"] and comp_plays
    with pytest.raises(NotFoundError, match="no take 5"):
        wt.take_select(root, slug, "vox", "5")
