"""Coaching measurements of a take: per-note pitch and timing, levels, clipping, noise floor.

Pure functions on arrays (no project, no files): the workflow hands in the take, the tuning,
the grid and the guide notes. Pitch is librosa's pYIN (Mauch & Dixon 2014); onsets are
librosa's onset detector, refined on a 1 ms RMS envelope because the detector's frame hop
(and its peak-picking on spectral flux, which peaks after the attack) would bias timing by
several milliseconds — the coaching target is ±5 ms.

Cents are measured from 12-tone equal temperament at ``tuning_hz`` (A4, MIDI note 69):
``midi = 69 + 12 · log2(f / tuning_hz)``; a note's pitch is the median over its voiced pYIN
frames (the median of a symmetric vibrato is its centre).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from producer.analysis.loudness import sample_peak
from producer.audio import Audio, as_audio
from producer.dsp.resample import resample
from producer.fileio import atomic_output
from producer.units import gain_to_db

#: A sample at or above this magnitude counts as clipped: the largest 16-bit code (32767/32768)
#: — a converter that clips holds its largest code, in any bit depth at or above 16.
CLIP_LEVEL = 32767 / 32768

#: pYIN's search range: the lowest bass voice (C2) to a high soprano (C6).
FMIN_HZ = 65.0
FMAX_HZ = 1050.0


@dataclass(frozen=True)
class GuideNote:
    """An intended note: MIDI ``pitch`` from ``start_s`` to ``end_s`` (seconds in the take)."""

    start_s: float
    end_s: float
    pitch: int


@dataclass(frozen=True)
class NoteReview:
    start_s: float
    end_s: float
    pitch_hz: float
    midi: float
    target_midi: int
    deviation_cents: float
    target_s: float
    offset_ms: float


@dataclass(frozen=True)
class TakeReview:
    """What `producer take review` reports; ``to_json`` has the documented field names."""

    sample_rate: int
    duration_s: float
    tuning_hz: float
    reference: str
    peak_dbfs: float
    clipped_samples: int
    noise_floor_dbfs: float
    pitch_deviation_cents_median: float | None
    timing_offset_ms_median: float | None
    notes: list[NoteReview] = field(default_factory=list)
    f0_times_s: list[float] = field(default_factory=list)
    f0_hz: list[float] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("f0_times_s")
        d.pop("f0_hz")
        return d


def hz_to_midi(f_hz: np.ndarray | float, tuning_hz: float) -> np.ndarray:
    return 69.0 + 12.0 * np.log2(np.asarray(f_hz, dtype=np.float64) / tuning_hz)


def peak_dbfs(audio: Audio) -> float:
    return sample_peak(audio) if audio.size else -math.inf


def clipped_samples(audio: Audio) -> int:
    """Samples (over all channels) at or beyond :data:`CLIP_LEVEL`."""
    return int(np.count_nonzero(np.abs(audio) >= CLIP_LEVEL))


def rms_envelope(mono: np.ndarray, window: int) -> np.ndarray:
    """RMS over a centred moving window of ``window`` samples, same length as ``mono``."""
    power = np.convolve(mono.astype(np.float64) ** 2, np.ones(window) / window, mode="same")
    return np.sqrt(np.maximum(power, 0.0))


def noise_floor_dbfs(mono: np.ndarray, sample_rate: int) -> float:
    """The 5th percentile of the 50 ms RMS (the quiet between phrases), dBFS."""
    win = max(1, sample_rate // 20)
    n = len(mono) // win
    if n == 0:
        return -math.inf
    rms = np.sqrt(np.mean(mono[: n * win].astype(np.float64).reshape(n, win) ** 2, axis=1))
    return gain_to_db(float(np.percentile(rms, 5)))


def detect_onsets(mono: np.ndarray, sample_rate: int) -> np.ndarray:
    """Note onsets in samples, ``(n,)`` int: librosa's detector refined on the RMS envelope.

    Each coarse onset is moved to where the 4 ms RMS envelope first rises 10 % of the way
    from the preceding minimum to the following peak. Onsets whose 20 ms level does not rise
    6 dB over the 30 ms before (vibrato and noise trigger spectral flux too) or closer than
    80 ms to the previous one are dropped.
    """
    import librosa

    hop = 128
    coarse = librosa.onset.onset_detect(
        y=mono.astype(np.float32), sr=sample_rate, hop_length=hop, units="samples"
    )
    fine = rms_envelope(mono, max(1, sample_rate // 250))
    smooth = rms_envelope(mono, max(1, sample_rate // 50))
    ms = sample_rate // 1000
    found: list[int] = []
    for c in np.asarray(coarse, dtype=int):
        lo = max(0, c - 60 * ms)
        hi = min(len(fine), c + 60 * ms)
        if c - lo < 4 or hi - c < 4:
            continue
        m = lo + int(np.argmin(fine[lo:c]))
        p = m + int(np.argmax(fine[m:hi]))
        floor, top = fine[m], fine[p]
        before = smooth[max(0, m - 30 * ms) : m + 1].mean()
        if smooth[m:hi].max() < 2.0 * max(before, 1e-9):
            continue
        rise = np.nonzero(fine[m : p + 1] >= floor + 0.1 * (top - floor))[0]
        onset = m + int(rise[0])
        if found and onset - found[-1] < 80 * ms:
            continue
        found.append(onset)
    return np.asarray(found, dtype=int)


#: pYIN runs at this rate: the voice's fundamental is below 1.1 kHz and a quarter of the
#: samples make it four times faster than at 48 kHz.
PITCH_RATE = 16000


def pitch_track(mono: np.ndarray, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """pYIN f0: (times_s, f0_hz), float64 ``(frames,)`` every 10 ms; unvoiced frames are NaN.

    pYIN's Viterbi pass costs the square of its pitch bins, so a quick YIN pass first finds
    the take's range and pYIN searches only that (±3 semitones), at 16 kHz (soxr).
    """
    import librosa

    y = resample(mono[np.newaxis, :], sample_rate, PITCH_RATE)[0]
    frame_length, hop = 1024, PITCH_RATE // 100
    rough = librosa.yin(
        y, fmin=FMIN_HZ, fmax=FMAX_HZ, sr=PITCH_RATE, frame_length=frame_length, hop_length=hop
    )
    loud = rms_envelope(y, frame_length)[::hop]
    m = min(len(loud), len(rough))
    sel = rough[:m][loud[:m] > 0.1 * max(float(loud.max()), 1e-9)]
    if not sel.size or float(loud.max()) < 1e-6:
        # Nothing above -120 dBFS: no pitch to track.
        times = librosa.times_like(rough, sr=PITCH_RATE, hop_length=hop)
        return np.asarray(times, dtype=np.float64), np.full(len(rough), np.nan)
    fmin = max(FMIN_HZ, float(np.percentile(sel, 5)) / 2 ** (3 / 12))
    fmax = min(FMAX_HZ, float(np.percentile(sel, 95)) * 2 ** (3 / 12))
    if fmax <= fmin * 2 ** (1 / 12):
        fmin, fmax = FMIN_HZ, FMAX_HZ
    f0, _voiced, _prob = librosa.pyin(
        y, fmin=fmin, fmax=fmax, sr=PITCH_RATE, frame_length=frame_length, hop_length=hop
    )
    times = librosa.times_like(f0, sr=PITCH_RATE, hop_length=hop)
    # pYIN's f0 sits on its 10-cent grid of states; where it is voiced and agrees with YIN
    # (within 50 cents: same octave, same note) take YIN's interpolated value instead.
    n = min(len(f0), len(rough))
    f0 = np.asarray(f0[:n], dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        agree = np.abs(1200.0 * np.log2(rough[:n] / f0)) < 50.0
    f0 = np.where(agree, rough[:n], f0)
    return np.asarray(times[:n], dtype=np.float64), f0


def review_take(
    audio: Audio,
    sample_rate: int,
    *,
    tuning_hz: float = 440.0,
    nearest_grid_s: Callable[[float], float] | None = None,
    guide: Sequence[GuideNote] = (),
) -> TakeReview:
    """Review a take ``audio`` (channels, frames) at ``sample_rate``.

    Pitch deviations are from the guide note sounding at each onset when ``guide`` is given,
    else from the nearest equal-tempered note at ``tuning_hz``. Timing offsets are from the
    nearest guide note start, else from ``nearest_grid_s(onset_s)`` (the song's 16th grid);
    without either they are None. Positive offsets are late.
    """
    a = as_audio(audio)
    mono = a.mean(axis=0).astype(np.float64)
    times, f0 = pitch_track(mono, sample_rate)
    onsets = detect_onsets(mono, sample_rate)
    starts = onsets / sample_rate
    # A note already sounding when the take starts (a punch-in, a held note) has no onset to
    # detect: its pitch still counts, its timing cannot be measured.
    voiced = times[np.isfinite(f0)]
    held = bool(voiced.size) and (not len(starts) or starts[0] - voiced[0] > 0.08)
    if held:
        starts = np.insert(starts, 0, max(0.0, float(voiced[0]) - 0.05))
    ends = np.append(starts[1:], len(mono) / sample_rate) if len(starts) else starts
    notes: list[NoteReview] = []
    for i, (s, e) in enumerate(zip(starts, ends, strict=True)):
        # Skip the attack (scoops) and the release: the sustained part carries the pitch.
        sel = (times >= s + 0.05) & (times <= e - 0.03) & np.isfinite(f0)
        if not np.any(sel):
            continue
        midi = float(np.median(hz_to_midi(f0[sel], tuning_hz)))
        target_s = math.nan
        if guide:
            g = min(guide, key=lambda n: abs(n.start_s - s))
            target = g.pitch
            target_s = g.start_s
        else:
            target = round(midi)
            if nearest_grid_s is not None:
                target_s = nearest_grid_s(float(s))
        if held and i == 0:
            target_s = math.nan
        notes.append(
            NoteReview(
                start_s=float(s),
                end_s=float(e),
                pitch_hz=float(tuning_hz * 2.0 ** ((midi - 69.0) / 12.0)),
                midi=midi,
                target_midi=int(target),
                deviation_cents=100.0 * (midi - target),
                target_s=float(target_s),
                offset_ms=1000.0 * (float(s) - target_s) if math.isfinite(target_s) else math.nan,
            )
        )
    cents = [n.deviation_cents for n in notes]
    offsets = [n.offset_ms for n in notes if math.isfinite(n.offset_ms)]
    return TakeReview(
        sample_rate=sample_rate,
        duration_s=a.shape[1] / sample_rate,
        tuning_hz=tuning_hz,
        reference="guide" if guide else "equal temperament and 16th grid",
        peak_dbfs=peak_dbfs(a),
        clipped_samples=clipped_samples(a),
        noise_floor_dbfs=noise_floor_dbfs(mono, sample_rate),
        pitch_deviation_cents_median=float(np.median(cents)) if cents else None,
        timing_offset_ms_median=float(np.median(offsets)) if offsets else None,
        notes=notes,
        f0_times_s=[float(t) for t in times],
        f0_hz=[float(f) for f in f0],
    )


def plot_review(review: TakeReview, path: Path) -> None:
    """A PNG of the pitch track (MIDI note numbers) against the target notes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 4), dpi=100)
    try:
        t = np.asarray(review.f0_times_s)
        f0 = np.asarray(review.f0_hz)
        with np.errstate(invalid="ignore", divide="ignore"):
            ax.plot(t, hz_to_midi(f0, review.tuning_hz), lw=1.0, label="sung pitch")
        for n in review.notes:
            ax.hlines(n.target_midi, n.start_s, n.end_s, colors="tab:red", lw=2.0)
            ax.axvline(n.start_s, color="0.8", lw=0.5)
        ax.plot([], [], color="tab:red", lw=2.0, label="target note")
        ax.set_xlabel("time (s)")
        ax.set_ylabel(f"MIDI note (A4 = {review.tuning_hz:g} Hz)")
        ax.legend(loc="upper right")
        fig.tight_layout()
        # Like every output: its folder is made, and it appears only when complete.
        with atomic_output(path, durable=False) as tmp:
            fig.savefig(tmp, format="png")
    finally:
        plt.close(fig)


__all__ = [
    "CLIP_LEVEL",
    "GuideNote",
    "NoteReview",
    "TakeReview",
    "clipped_samples",
    "detect_onsets",
    "hz_to_midi",
    "noise_floor_dbfs",
    "peak_dbfs",
    "pitch_track",
    "plot_review",
    "review_take",
]
