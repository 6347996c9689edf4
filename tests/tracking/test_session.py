"""Recording modes through the stream interface (array source): plain with latency
compensation, punch-in (null test outside the punch), loop (one take per pass), bad input."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from producer.audio import Audio
from producer.dsp.resample import resample
from producer.errors import NotFoundError, UserError, ValidationError
from producer.model import COMP, MediaRef
from producer.storage import Project
from producer.tracking.streams import ArraySourceStream
from producer.workflows import tracking as wt

from .comp_reference import crossfade_curves, render_comp, render_lane
from .synth import RATE, noise, write


def _load(root: Path) -> Callable[[MediaRef], Audio]:
    return wt.media_loader(Project.open(root))


def _lane_audio(root: Path, slug: str, track: str, number: int) -> tuple[int, np.ndarray]:
    """(start frame, audio) of take ``number`` (one clip per take)."""
    t = Project.open(root).song(slug).track(track)
    assert t is not None
    clip = t.lanes[number - 1].clips[0]
    return clip.start_frame, _load(root)(clip.media)


def _null_db(a: np.ndarray, b: np.ndarray) -> float:
    err = float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)), initial=0.0))
    return 20 * np.log10(err) if err > 0 else -np.inf


def test_plain_take_is_latency_compensated_and_starts_at_from(song_project) -> None:
    root, slug = song_project
    src = noise(3.0, seed=1)
    opts = wt.RecordOptions(tracks=("vox",), from_s=1.5, latency_ms=10.0)
    report = wt.record_song(root, slug, opts, stream=ArraySourceStream(src, RATE))
    assert report.state == "finished"
    assert report.latency_frames == 480
    start, take = _lane_audio(root, slug, "vox", 1)
    assert start == round(1.5 * RATE)
    # Capture frame i sounds at song frame start + i - latency: the take drops the first 480.
    np.testing.assert_array_equal(take, src[:, 480:])


def test_several_tracks_one_take_each_per_pass(song_project) -> None:
    root, slug = song_project
    src = noise(1.0, seed=2, channels=2)
    opts = wt.RecordOptions(tracks=("gtr", "vox"))
    wt.record_song(root, slug, opts, stream=ArraySourceStream(src, RATE))
    np.testing.assert_array_equal(_lane_audio(root, slug, "gtr", 1)[1], src[:1])
    np.testing.assert_array_equal(_lane_audio(root, slug, "vox", 1)[1], src[1:])


def test_track_input_channels_make_stereo_takes(song_project) -> None:
    root, slug = song_project
    src = noise(0.5, seed=18, channels=3)
    opts = wt.RecordOptions(tracks=("vox:3", "pad:1,2"))
    wt.record_song(root, slug, opts, stream=ArraySourceStream(src, RATE))
    np.testing.assert_array_equal(_lane_audio(root, slug, "vox", 1)[1], src[2:])
    np.testing.assert_array_equal(_lane_audio(root, slug, "pad", 1)[1], src[:2])
    with pytest.raises(UserError, match="count from 1"):
        wt.record_song(root, slug, wt.RecordOptions(tracks=("vox:0",)))


def test_punch_in_replaces_exactly_the_punched_range(song_project, tmp_path) -> None:
    root, slug = song_project
    old = noise(6.0, seed=3)
    wt.take_import(root, slug, "vox", [write(tmp_path / "old.wav", old)])
    new = noise(6.0, seed=4, level=0.5)
    p_in, p_out, pre = 2.0, 3.5, 1.0
    opts = wt.RecordOptions(tracks=("vox",), punch_in_s=p_in, punch_out_s=p_out, pre_roll_s=pre)
    wt.record_song(root, slug, opts, stream=ArraySourceStream(new, RATE))

    song = Project.open(root).song(slug)
    track = song.track("vox")
    assert track is not None and track.active == COMP and len(track.lanes) == 2
    n = track.comp.crossfade_frames if track.comp else 0
    assert n == 480  # the default 10 ms
    a, b = round(p_in * RATE), round(p_out * RATE)
    out = render_comp(track, _load(root), 0, old.shape[1], 1)[0]

    # Independent reference: old outside, new (captured from 1 s before punch-in) inside,
    # equal-power crossfades of n frames centred on both seams, t = k / (n - 1).
    new_on_song = np.zeros(old.shape[1], dtype=np.float64)
    first = round((p_in - pre) * RATE)
    new_on_song[first:] = new[0, : old.shape[1] - first]
    ref = old[0].astype(np.float64).copy()
    t = np.linspace(0.0, 1.0, n)
    fin, fout = np.sin(np.pi / 2 * t), np.cos(np.pi / 2 * t)
    x0, x1 = a - n // 2, b - n // 2
    ref[x0 : x0 + n] = old[0, x0 : x0 + n] * fout + new_on_song[x0 : x0 + n] * fin
    ref[x0 + n : x1] = new_on_song[x0 + n : x1]
    ref[x1 : x1 + n] = new_on_song[x1 : x1 + n] * fout + old[0, x1 : x1 + n] * fin
    assert _null_db(out, ref) < -120
    # Outside the punch (and its crossfades) the lane is untouched, sample for sample.
    np.testing.assert_array_equal(out[:x0], old[0, :x0])
    np.testing.assert_array_equal(out[x1 + n :], old[0, x1 + n :])
    # The new take holds only the punched range (plus the crossfade margins).
    start, take = _lane_audio(root, slug, "vox", 2)
    assert start == x0 and take.shape[1] == (x1 + n) - x0


def test_punch_twice_keeps_the_first_punch(song_project, tmp_path) -> None:
    root, slug = song_project
    old = noise(6.0, seed=5)
    wt.take_import(root, slug, "vox", [write(tmp_path / "old.wav", old)])
    for p_in, p_out, seed in ((1.0, 2.0, 6), (3.0, 4.0, 7)):
        opts = wt.RecordOptions(tracks=("vox",), punch_in_s=p_in, punch_out_s=p_out, pre_roll_s=0.5)
        wt.record_song(root, slug, opts, stream=ArraySourceStream(noise(4.0, seed), RATE))
    track = Project.open(root).song(slug).track("vox")
    assert track is not None and track.comp is not None
    lanes = [s.lane for s in track.comp.segments]
    bounds = [(s.start_frame, s.end_frame) for s in track.comp.segments]
    assert lanes == ["take1", "take2", "take1", "take3", "take1"]
    assert bounds == [
        (0, 48000),
        (48000, 96000),
        (96000, 144000),
        (144000, 192000),
        (192000, 288000),
    ]


def test_loop_recording_makes_one_take_per_pass(song_project, tmp_path) -> None:
    root, slug = song_project
    wt.take_import(root, slug, "bed", [write(tmp_path / "bed.wav", noise(4.0, seed=8))])
    count_in = 2 * RATE  # one bar of 4/4 at 120 BPM
    length = RATE  # loop 1.0 .. 2.0 s
    lat = 240
    src = noise((count_in + 3.5 * length + lat) / RATE, seed=9)
    opts = wt.RecordOptions(
        tracks=("vox",), from_s=1.0, to_s=2.0, loop=True, count_in_bars=1, latency_ms=5.0
    )
    report = wt.record_song(root, slug, opts, stream=ArraySourceStream(src, RATE))
    assert [t.take for t in report.takes] == [1, 2, 3, 4]
    for k in range(4):
        start, take = _lane_audio(root, slug, "vox", k + 1)
        assert start == RATE
        lo = lat + count_in + k * length
        np.testing.assert_array_equal(take, src[:, lo : min(lo + length, src.shape[1])])
    assert _lane_audio(root, slug, "vox", 4)[1].shape[1] == length // 2


def test_device_lost_ends_the_take_cleanly(song_project) -> None:
    root, slug = song_project
    src = noise(2.0, seed=10)
    stream = ArraySourceStream(src, RATE, fail_after_frames=RATE // 2)
    report = wt.record_song(root, slug, wt.RecordOptions(tracks=("vox",)), stream=stream)
    assert report.state == "device_lost" and "lost" in report.message
    _start, take = _lane_audio(root, slug, "vox", 1)
    frames = take.shape[1]
    assert frames >= RATE // 2 - 1024
    np.testing.assert_array_equal(take, src[:, :frames])


def _takes(root: Path, slug: str) -> str:
    return Project.open(root).document_text(slug)


@pytest.mark.parametrize(
    ("opts", "error", "words"),
    [
        (dict(punch_in_s=4.0, punch_out_s=9.0), ValidationError, "outside the song"),
        (dict(punch_in_s=3.0, punch_out_s=2.0), ValidationError, "must be after"),
        (dict(punch_in_s=3.0), UserError, "go together"),
        (dict(from_s=-1.0), ValidationError, "--from"),
        (dict(count_in_bars=-1), ValidationError, "--count-in"),
        (dict(loop=True, from_s=7.0), ValidationError, "empty"),
        (dict(source_file=Path("/nonexistent.wav")), NotFoundError, "nonexistent.wav"),
    ],
)
def test_bad_input_is_refused_before_anything_changes(
    song_project, tmp_path, opts, error, words
) -> None:
    root, slug = song_project
    wt.take_import(root, slug, "vox", [write(tmp_path / "t.wav", noise(6.0, seed=11))])
    before = _takes(root, slug)
    with pytest.raises(error, match=words):
        wt.record_song(root, slug, wt.RecordOptions(tracks=("vox",), **opts))
    assert _takes(root, slug) == before


def test_source_at_another_rate_is_converted(song_project, tmp_path, monkeypatch) -> None:
    """A 44.1 kHz source records into a 48 kHz song, converted by soxr as import converts."""
    monkeypatch.setenv("PRODUCER_SOURCE_REALTIME", "0")
    root, slug = song_project
    source = noise(1.0, seed=12)
    path = write(tmp_path / "44k.wav", source, rate=44100)
    opts = wt.RecordOptions(tracks=("vox",), source_file=path, seconds=0.5)
    report = wt.record_song(root, slug, opts)
    assert report.recorded_s == pytest.approx(0.5)
    lane = Project.open(root).song(slug).track("vox").lanes[-1]
    take = _load(root)(lane.clips[0].media)
    np.testing.assert_allclose(take[0], resample(source, 44100, RATE)[0, :24000], atol=1e-4)


def test_reference_lane_renderer_places_clips(song_project, tmp_path) -> None:
    root, slug = song_project
    a = noise(1.0, seed=13)
    wt.take_import(root, slug, "vox", [write(tmp_path / "a.wav", a)], at_seconds=0.5)
    track = Project.open(root).song(slug).track("vox")
    assert track is not None
    out = render_lane(track.lanes[0], _load(root), 0, 2 * RATE, 1)
    np.testing.assert_array_equal(out[0, : RATE // 2], 0)
    np.testing.assert_array_equal(out[0, RATE // 2 : RATE // 2 + RATE], a[0])
    fo, fi = crossfade_curves(5)
    np.testing.assert_allclose(fo**2 + fi**2, 1.0)
    assert fi[0] == 0.0 and fo[-1] < 1e-15


class LoopbackStream:
    """A fake duplex device: what the output source plays comes back ``latency`` frames later;
    after ``dropout_at`` input frames the output slips by ``slip`` frames (an underrun)."""

    def __init__(self, latency: int, frames: int, dropout_at: int = -1, slip: int = 0) -> None:
        self.sample_rate, self.channels, self.output_channels, self.xruns = RATE, 1, 2, 0
        self._line = np.zeros(latency, dtype=np.float32)
        self._left = frames
        self._dropout_at, self._slip, self._pos = dropout_at, slip, 0
        self._source = None

    def set_output(self, source) -> None:
        self._source = source

    @property
    def output_position(self) -> int:
        return self._pos

    def start(self) -> None:
        pass

    def read(self, frames: int) -> np.ndarray:
        if self._dropout_at >= 0 and self._pos >= self._dropout_at:
            self._line = np.concatenate([np.zeros(self._slip, np.float32), self._line])
            self._dropout_at = -1
        n = min(frames, self._left)
        played = self._source(self._pos, n)[0] if self._source else np.zeros(n, np.float32)
        self._line = np.concatenate([self._line, played])
        out, self._line = self._line[:n], self._line[n:]
        self._left -= n
        self._pos += n
        return out[np.newaxis, :].copy()

    def close(self) -> None:
        pass


@pytest.mark.parametrize(("slip", "drift"), [(0, 0), (300, 300)])
def test_calibrated_take_lines_up_with_the_mix_and_a_dropout_is_reported(
    song_project, tmp_path, slip, drift
) -> None:
    root, slug = song_project
    bed = noise(3.0, seed=14)
    wt.take_import(root, slug, "bed", [write(tmp_path / "bed.wav", bed)])
    lat = 777
    stream = LoopbackStream(lat, 10 * RATE, dropout_at=3 * RATE, slip=slip)
    opts = wt.RecordOptions(tracks=("vox",), seconds=2.0, calibrate=True, click=False)
    report = wt.record_song(root, slug, opts, stream=stream)
    assert report.latency_frames == lat
    assert report.latency_drift_frames == drift
    assert ("dropout" in report.message) == bool(drift)
    _, take = _lane_audio(root, slug, "vox", 1)
    # The monitor played the bed through the engine (mono, centred: the pan law's gain).
    mix = take[0, : 2 * RATE - lat] if not slip else take[0, : RATE // 2]
    ref = bed[0, : mix.shape[0]]
    gain = float(np.dot(mix, ref) / np.dot(ref, ref))
    assert 0.5 < gain <= 1.0
    assert _null_db(mix / gain, ref) < -100


def test_count_in_and_click_play_on_the_monitor(song_project, tmp_path) -> None:
    from producer.preproduction.click import click_track

    root, slug = song_project
    wt.take_import(root, slug, "bed", [write(tmp_path / "bed.wav", np.zeros((1, 4 * RATE)))])
    lat = 123
    stream = LoopbackStream(lat, 20 * RATE)
    opts = wt.RecordOptions(
        tracks=("vox",), from_s=2.0, seconds=2.0, count_in_bars=1, latency_ms=lat / RATE * 1000
    )
    report = wt.record_song(root, slug, opts, stream=stream)
    assert report.frames == 4 * RATE  # one bar of count-in (2 s at 120 BPM) and the take
    start, take = _lane_audio(root, slug, "vox", 1)
    assert start == 2 * RATE
    song = Project.open(root).song(slug)
    clicks, at = click_track(song, 3, start_bar=1, count_in_bars=1)
    assert at == 0  # the count-in bar is bar 0
    expected = clicks[0, 2 * RATE : 2 * RATE + take.shape[1]]
    np.testing.assert_allclose(take[0, : expected.shape[0]], expected, atol=1e-6)
    assert np.max(np.abs(expected)) > 0.1


def test_loop_monitor_wraps_each_pass_and_takes_line_up(song_project, tmp_path) -> None:
    """Through a loopback, each pass records what the monitor played: the loop range again."""
    root, slug = song_project
    bed = noise(4.0, seed=15)
    wt.take_import(root, slug, "bed", [write(tmp_path / "bed.wav", bed)])
    lat = 321
    stream = LoopbackStream(lat, 20 * RATE)
    opts = wt.RecordOptions(
        tracks=("vox",),
        from_s=1.0,
        to_s=2.5,
        loop=True,
        seconds=4.5,
        click=False,
        latency_ms=lat / RATE * 1000,
    )
    report = wt.record_song(root, slug, opts, stream=stream)
    assert [t.take for t in report.takes] == [1, 2, 3]
    ref = bed[0, RATE : RATE * 5 // 2].astype(np.float64)
    for k in (1, 2, 3):
        start, take = _lane_audio(root, slug, "vox", k)
        assert start == RATE
        got = take[0].astype(np.float64)
        n = got.shape[0]  # the last pass is shorter by the latency
        gain = float(np.dot(got[:n], ref[:n]) / np.dot(ref[:n], ref[:n]))
        assert 0.5 < gain <= 1.0
        assert _null_db(got[:n] / gain, ref[:n]) < -100


def test_a_punch_stopped_early_punches_only_as_far_as_it_reached(song_project, tmp_path) -> None:
    root, slug = song_project
    wt.take_import(root, slug, "vox", [write(tmp_path / "old.wav", noise(6.0, seed=16))])
    # Punch 2.0-3.5 s with 1 s pre-roll, but the input ends 1.5 s in (song time 2.5 s).
    opts = wt.RecordOptions(tracks=("vox",), punch_in_s=2.0, punch_out_s=3.5, pre_roll_s=1.0)
    wt.record_song(root, slug, opts, stream=ArraySourceStream(noise(1.5, seed=17), RATE))
    track = Project.open(root).song(slug).track("vox")
    assert track is not None and track.comp is not None
    segs = [(s.lane, s.start_frame, s.end_frame) for s in track.comp.segments]
    reach = round(2.5 * RATE) - 240  # the take's end less the half crossfade after the seam
    assert segs == [("take1", 0, 2 * RATE), ("take2", 2 * RATE, reach), ("take1", reach, 6 * RATE)]
