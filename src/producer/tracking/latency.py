"""Round-trip latency: play impulses, record them back through a loopback, find the lag.

The output plays ``repeats`` unit impulses ``spacing_s`` apart while the input records; the
lag of each is the peak of the cross-correlation between what was played and what came back
(scipy.signal.correlate, FFT method). The median lag over the repeats is the round trip; the
spread between them says whether the loopback is stable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

from producer.audio import Audio
from producer.errors import RenderError
from producer.tracking.streams import InputStream


@dataclass(frozen=True)
class LatencyMeasurement:
    latency_frames: int
    sample_rate: int
    lags_frames: tuple[int, ...]
    peak_ratio: float
    """Correlation peak over the median of |correlation|: how clearly the impulse came back."""

    @property
    def latency_ms(self) -> float:
        return 1000.0 * self.latency_frames / self.sample_rate


def impulse_train(sample_rate: int, repeats: int, spacing_s: float, level: float = 0.5) -> Audio:
    """Mono float32 (1, frames): ``repeats`` impulses of ``level``, the first after one spacing."""
    step = round(spacing_s * sample_rate)
    out = np.zeros((1, step * (repeats + 1)), dtype=np.float32)
    out[0, step : step * (repeats + 1) : step] = level
    return out


def find_lag(played: Audio, recorded: Audio, max_lag_frames: int) -> tuple[int, float]:
    """Lag (frames) of ``recorded`` behind ``played`` (both (channels, frames), channel 0 used)
    at the cross-correlation peak within ``[0, max_lag_frames]``, and the peak's prominence."""
    p = played[0].astype(np.float64)
    r = recorded[0].astype(np.float64)
    corr = signal.correlate(r, p, mode="full", method="fft")
    zero = len(p) - 1  # index of lag 0 in 'full' mode
    window = np.abs(corr[zero : zero + max_lag_frames + 1])
    lag = int(np.argmax(window))
    floor = float(np.median(window)) or 1e-30
    return lag, float(window[lag] / floor)


def measure_latency(
    stream: InputStream,
    *,
    repeats: int = 3,
    spacing_s: float = 0.5,
    block_frames: int = 1024,
) -> LatencyMeasurement:
    """Play impulses on ``stream``'s output and record them back; the round trip in frames.

    Some paths (a sound server's) have a different round trip each time a stream opens; for
    those, ``producer record --calibrate`` measures inside the capture itself.
    Raises RenderError when nothing comes back (no loopback, or a muted path) or when the
    impulses disagree by more than 1 ms (a dropout moved the output against the input).
    """
    rate = stream.sample_rate
    spacing = round(spacing_s * rate)
    train = impulse_train(rate, repeats, spacing_s)
    total = train.shape[1] + spacing
    channels = max(stream.output_channels, 1)

    def output(first: int, n: int) -> Audio:
        out = np.zeros((channels, n), dtype=np.float32)
        seg = train[:, first : first + n]
        out[:, : seg.shape[1]] = seg
        return out

    stream.set_output(output)
    got: list[Audio] = []
    stream.start()
    try:
        for i in range(0, total, block_frames):
            got.append(stream.read(min(block_frames, total - i)))
    finally:
        stream.close()
    recorded = np.concatenate(got, axis=1)
    m = latency_from_impulses(recorded, rate, repeats, spacing)
    if max(m.lags_frames) - min(m.lags_frames) > rate // 1000:
        raise RenderError(
            f"latency: the round trip was unstable (impulses came back after "
            f"{', '.join(str(x) for x in m.lags_frames)} frames): a dropout; measure again"
        )
    return m


def latency_from_impulses(
    recorded: Audio, sample_rate: int, repeats: int, spacing_frames: int
) -> LatencyMeasurement:
    """The round trip from a recording (channels, frames) of :func:`impulse_train` played from
    its frame 0: each impulse is found alone in its own stretch, so one lost impulse cannot
    win; the median lag is the latency. RenderError when the impulses did not come back."""
    spacing = spacing_frames
    lags, ratios = [], []
    for k in range(repeats):
        lo = (k + 1) * spacing - spacing // 2
        single = np.zeros((1, 2 * spacing), dtype=np.float32)
        single[0, spacing // 2] = 1.0
        window = recorded[:, lo : lo + 2 * spacing]
        if window.shape[1] < spacing:
            break
        lag, ratio = find_lag(single, window, min(spacing - 1, window.shape[1] - spacing // 2))
        lags.append(lag)
        ratios.append(ratio)
    if not ratios or max(ratios) < 20.0:
        raise RenderError(
            "latency: the impulses did not come back (connect the output to the input: a "
            "loopback cable, or the sound server's monitor source)"
        )
    return LatencyMeasurement(
        int(np.median(lags)), sample_rate, tuple(lags), float(np.median(ratios))
    )


__all__ = [
    "LatencyMeasurement",
    "find_lag",
    "impulse_train",
    "latency_from_impulses",
    "measure_latency",
]
