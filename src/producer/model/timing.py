"""Musical time ↔ frames, exact: bars:beats, quarter-note beats, seconds and frames.

Beats are quarter notes (MIDI's convention); a bar holds ``TimeSignature.beats_per_bar`` of
them. The tempo map is the song's ``tempo_bpm`` from beat 0, then each ``TempoChange``. The
arithmetic is done in ``fractions.Fraction`` so that a whole number of frames per beat stays
exact however long the song (floats would drift by a frame after enough bars).
"""

from __future__ import annotations

from fractions import Fraction

from producer.model.song import Song, TempoChange


def _segments(song: Song) -> list[tuple[Fraction, Fraction]]:
    """(start beat, bpm) of every constant-tempo stretch, sorted."""
    changes = sorted(song.tempo_changes, key=lambda c: c.beat)
    segs = [(Fraction(0), Fraction(song.tempo_bpm))]
    for c in changes:
        if c.beat <= 0:
            segs[0] = (Fraction(0), Fraction(c.bpm))
        else:
            segs.append((Fraction(c.beat), Fraction(c.bpm)))
    return segs


def beat_to_seconds_exact(song: Song, beat: float | Fraction) -> Fraction:
    b = Fraction(beat)
    t = Fraction(0)
    segs = _segments(song)
    for i, (start, bpm) in enumerate(segs):
        end = segs[i + 1][0] if i + 1 < len(segs) else None
        if end is not None and b > end:
            t += (end - start) * 60 / bpm
            continue
        return t + (b - start) * 60 / bpm
    return t  # unreachable: the last segment is open


def beat_to_seconds(song: Song, beat: float) -> float:
    return float(beat_to_seconds_exact(song, beat))


def beat_to_frame(song: Song, beat: float | Fraction) -> int:
    """Nearest frame of a beat position (half-frames round up)."""
    f = beat_to_seconds_exact(song, beat) * song.sample_rate
    return int(f + Fraction(1, 2)) if f >= 0 else -int(-f + Fraction(1, 2))


def seconds_to_beat(song: Song, seconds: float | Fraction) -> Fraction:
    s = Fraction(seconds)
    t = Fraction(0)
    segs = _segments(song)
    for i, (start, bpm) in enumerate(segs):
        end = segs[i + 1][0] if i + 1 < len(segs) else None
        if end is not None:
            dur = (end - start) * 60 / bpm
            if s > t + dur:
                t += dur
                continue
        return start + (s - t) * bpm / 60
    return Fraction(0)


def frame_to_beat(song: Song, frame: int) -> Fraction:
    return seconds_to_beat(song, Fraction(frame, song.sample_rate))


def bar_to_beat(song: Song, bar: float, beat_in_bar: float = 0.0) -> Fraction:
    """Beat of a 0-based bar plus beats into it (one time signature for the whole song)."""
    return Fraction(bar) * Fraction(song.time_signature.beats_per_bar) + Fraction(beat_in_bar)


def bar_to_frame(song: Song, bar: float, beat_in_bar: float = 0.0) -> int:
    return beat_to_frame(song, bar_to_beat(song, bar, beat_in_bar))


def frame_to_bar_beat(song: Song, frame: int) -> tuple[int, Fraction]:
    """(0-based bar, beats into the bar) of a frame."""
    beat = frame_to_beat(song, frame)
    per_bar = Fraction(song.time_signature.beats_per_bar)
    bar = int(beat // per_bar)
    return bar, beat - bar * per_bar


def tempo_at(song: Song, beat: float) -> float:
    bpm = Fraction(song.tempo_bpm)
    for start, seg_bpm in _segments(song):
        if Fraction(beat) >= start:
            bpm = seg_bpm
    return float(bpm)


__all__ = [
    "TempoChange",
    "bar_to_beat",
    "bar_to_frame",
    "beat_to_frame",
    "beat_to_seconds",
    "beat_to_seconds_exact",
    "frame_to_bar_beat",
    "frame_to_beat",
    "seconds_to_beat",
    "tempo_at",
]
