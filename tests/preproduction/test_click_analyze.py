"""Click track with count-in (frames exact, accents on the downbeat), and the listening step
(tempo and key of a rendered arrangement whose tempo and key are known)."""

from __future__ import annotations

import numpy as np

from producer.model import Song, TempoChange, TimeSignature
from producer.model import timing as tm
from producer.preproduction import arrangements, render
from producer.preproduction.analyze import estimate
from producer.preproduction.click import click_track

SR = 48000


def test_click_follows_tempo_map_with_count_in() -> None:
    song = Song("c", "c", sample_rate=SR, tempo_bpm=120.0, tempo_changes=(TempoChange(4.0, 60.0),))
    audio, origin = click_track(song, bars=2, count_in_bars=1)
    assert audio.shape[0] == 1 and audio.dtype == np.float32
    assert origin == -2 * SR  # one bar of 4 beats at 120 BPM before the song
    # A click starts with sin(0) = 0: find each click's first frame from the known grid.
    expected = [origin + k * SR // 2 for k in range(4)]
    expected += [tm.beat_to_frame(song, b) for b in range(8)]
    peaks = []
    for f in expected:
        i = f - origin
        seg = audio[0, i : i + 48]
        assert np.abs(seg).max() > 0.01, f  # a click right there
        if i >= 200:  # silence just before the click: it starts exactly on its frame
            assert np.abs(audio[0, i - 200 : i]).max() < 1e-6
        peaks.append(float(np.abs(audio[0, i : i + 1440]).max()))
    # downbeats (count-in beat 1, bar 0 beat 1, bar 1 beat 1) are accented by 6 dB
    assert peaks[0] > 1.9 * peaks[1] and peaks[4] > 1.9 * peaks[5] and peaks[8] > 1.9 * peaks[9]


def test_six_eight_clicks_eighths() -> None:
    song = Song("c", "c", sample_rate=SR, tempo_bpm=60.0, time_signature=TimeSignature(6, 8))
    audio, origin = click_track(song, bars=1)
    assert origin == 0
    for k in range(6):  # an eighth note at 60 quarter-notes per minute is 0.5 s
        assert np.abs(audio[0, k * SR // 2 : k * SR // 2 + 48]).max() > 0.01


def test_estimates_tempo_and_key_of_a_rendered_arrangement() -> None:
    song = arrangements.ballad()  # 72 BPM, C major
    keys = song.track("Piano")
    drums = song.track("Drums")
    bass = song.track("Bass")
    assert keys is not None and drums is not None and bass is not None
    mix = None
    for part in (keys, drums, bass):
        audio, start = render.render_track(song, part)
        n = start + audio.shape[1]
        if mix is None or mix.shape[1] < n:
            grown = np.zeros((2, n), dtype=np.float32)
            if mix is not None:
                grown[:, : mix.shape[1]] = mix
            mix = grown
        mix[:, start:n] += audio
    assert mix is not None
    est = estimate(mix[:, : 24 * SR], SR)  # intro, verse and chorus: enough to hear it
    assert est.key in ("C major", "A minor")  # relative keys share every pitch class
    # tempo within 4 % or an octave error (beat trackers often halve or double)
    assert any(abs(est.tempo_bpm * m - 72.0) <= 0.04 * 72.0 for m in (0.5, 1.0, 2.0))
