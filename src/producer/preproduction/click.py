"""A click track and count-in for a song, following its tempo map and time signature."""

from __future__ import annotations

import numpy as np

from producer.audio import Audio
from producer.model import Song
from producer.model import timing as tm
from producer.units import db_to_gain

CLICK_MS = 30.0
ACCENT_HZ = 1760.0
BEAT_HZ = 880.0


def _blip(freq_hz: float, sample_rate: int, gain: float) -> np.ndarray:
    # A short decaying sine: the classic metronome blip. Written here (not synthesized by the
    # SoundFont) so the click is identical whatever SoundFont is installed, and starts exactly
    # on its frame (no sample attack to offset it).
    n = round(CLICK_MS / 1000.0 * sample_rate)
    t = np.arange(n) / sample_rate
    env = np.exp(-t / (CLICK_MS / 1000.0 / 5.0))
    return (gain * env * np.sin(2.0 * np.pi * freq_hz * t)).astype(np.float32)


def click_track(
    song: Song,
    bars: int,
    start_bar: int = 0,
    count_in_bars: int = 0,
    level_db: float = -6.0,
) -> tuple[Audio, int]:
    """Clicks for ``bars`` bars from ``start_bar``, preceded by ``count_in_bars`` bars.

    Returns ``(audio, start_frame)``: mono float32 audio, shape (1, frames), and the song frame
    at which the audio's frame 0 plays (negative when a count-in reaches before the song's
    start; the count-in uses the tempo at ``start_bar``). The first beat of each bar is
    accented (higher pitch, +6 dB). One click per beat of the time signature's denominator
    (quarter notes in 4/4, eighths in 6/8).
    """
    sr = song.sample_rate
    ts = song.time_signature
    step = 4.0 / ts.denominator  # quarter notes per counted beat
    start_beat = tm.bar_to_beat(song, start_bar)
    start_frame = tm.beat_to_frame(song, start_beat)
    bpm = tm.tempo_at(song, float(start_beat))
    frames_per_count = 60.0 / bpm * step * sr
    onsets: list[tuple[int, bool]] = []
    count_in = count_in_bars * ts.numerator
    for k in range(count_in):
        onsets.append(
            (round(start_frame - (count_in - k) * frames_per_count), k % ts.numerator == 0)
        )
    for k in range(bars * ts.numerator):
        beat = start_beat + k * np.float64(step)
        onsets.append((tm.beat_to_frame(song, float(beat)), k % ts.numerator == 0))
    origin = onsets[0][0] if onsets else start_frame
    end_beat = start_beat + bars * ts.beats_per_bar
    end_frame = tm.beat_to_frame(song, float(end_beat))
    out = np.zeros(max(end_frame - origin, 1) + round(CLICK_MS / 1000.0 * sr), dtype=np.float32)
    accent = _blip(ACCENT_HZ, sr, db_to_gain(level_db))
    normal = _blip(BEAT_HZ, sr, db_to_gain(level_db - 6.0))
    for frame, is_accent in onsets:
        blip = accent if is_accent else normal
        i = frame - origin
        seg = out[i : i + len(blip)]
        seg += blip[: len(seg)]
    return out[np.newaxis, :], origin


__all__ = ["click_track"]
