"""Loudness of every stem: BS.1770-4 from K-weighted energy per meter hop, without the true peak.

The meter (:class:`producer.analysis.loudness.Meter`) spends most of its time on the true
peak's 4x interpolation; a song's sixteen stems metered whole would cost more than the rest
of the listening pass. Loudness needs only the K-weighted energy per hop: BS.1770-4's 400 ms
gating blocks every 100 ms and EBU Tech 3342's 3 s short-term windows are whole numbers of
the meter's hop (:func:`~producer.analysis.loudness.hop_frames`, 10 ms at 44.1/48 kHz), so
from those energies the integrated loudness, the momentary and short-term series and the
loudness range come out exactly as the meter defines them. Everything here is the meter's
own: its K-weighting biquads, hop, gating and LRA; only the interpolator is left out (the
stems' peaks are read by :mod:`.stream`).
"""

from __future__ import annotations

import math

import numpy as np

from producer.analysis.ear.frames import F32, F64, Chunker
from producer.analysis.loudness import (
    BLOCK_S,
    LOUDNESS_OFFSET_DB,
    SHORT_TERM_S,
    LoudnessReport,
    _gated_loudness,  # the meter's BS.1770-4 gating of 400 ms block powers
    default_channel_weights,
    hop_frames,
    k_weighting_sos,
    loudness_range_of_short_term,
)


def _window_mean(energies: F64, hops: int, frames: int) -> F64:
    """Mean square of every complete window of ``hops`` hops (``frames`` frames each)."""
    if len(energies) < hops:
        return np.zeros(0)
    return np.maximum(np.convolve(energies, np.ones(hops), mode="valid"), 0.0) / (hops * frames)


def _db(power: F64) -> F64:
    with np.errstate(divide="ignore"):
        return np.asarray(LOUDNESS_OFFSET_DB + 10.0 * np.log10(power), dtype=np.float64)


class BlockMeter:
    """Streaming K-weighted energy per meter hop of one signal; :meth:`result` is its
    :class:`~producer.analysis.loudness.LoudnessReport` (peaks left at -inf)."""

    def __init__(self, sample_rate: int, channels: int) -> None:
        self.sample_rate = sample_rate
        self.channels = channels
        self.weights = np.asarray(default_channel_weights(channels), dtype=np.float64)
        self.hop = hop_frames(sample_rate)
        self._sos = k_weighting_sos(sample_rate).astype(np.float32)
        self._zi = np.zeros((self._sos.shape[0], channels, 2), dtype=np.float32)
        self._energies: list[F64] = []
        self._chunker = Chunker(self.hop, self._hops)
        self.frames = 0

    def add(self, x: F32) -> None:
        """The next block, float32 (channels, n)."""
        import scipy.signal  # the meter's filter (the meter imports it too)

        if x.shape[1] == 0:
            return
        y, self._zi = scipy.signal.sosfilt(self._sos, x, axis=1, zi=self._zi)
        self.frames += x.shape[1]
        self._chunker.add(np.square(y, out=y))

    def _hops(self, squares: F32) -> None:
        # float32 sums of a 10 ms hop (pairwise: ~1e-7 relative), float64 from there on.
        per_channel = squares.sum(axis=2).astype(np.float64)  # (channels, hops)
        self._energies.append(self.weights @ per_channel)

    def result(self) -> LoudnessReport:
        """What the meter would report, the peaks aside (the last incomplete hop is left out,
        as the meter leaves it out)."""
        rate = self.sample_rate
        energies = np.concatenate(self._energies) if self._energies else np.zeros(0)
        block_hops = round(BLOCK_S * rate) // self.hop
        short_hops = round(SHORT_TERM_S * rate) // self.hop
        step = max(1, round(BLOCK_S * rate / 4 / self.hop))
        momentary_power = _window_mean(energies, block_hops, self.hop)
        short_power = _window_mean(energies, short_hops, self.hop)
        momentary, short_term = _db(momentary_power), _db(short_power)
        return LoudnessReport(
            integrated_lufs=_gated_loudness(momentary_power[::step]),
            loudness_range_lu=loudness_range_of_short_term(short_term),
            true_peak_dbtp=-math.inf,
            sample_peak_dbfs=-math.inf,
            momentary_max_lufs=float(momentary.max()) if len(momentary) else -math.inf,
            short_term_max_lufs=float(short_term.max()) if len(short_term) else -math.inf,
            duration_s=self.frames / rate,
            sample_rate=rate,
            channels=self.channels,
            channel_weights=tuple(float(w) for w in self.weights),
            true_peak_per_channel_dbtp=(-math.inf,) * self.channels,
            sample_peak_per_channel_dbfs=(-math.inf,) * self.channels,
            true_peak_time_s=0.0,
            true_peak_events_s=np.zeros(0),
            event_threshold_dbtp=math.inf,
            hop_s=self.hop / rate,
            momentary_lufs=momentary,
            short_term_lufs=short_term,
        )


__all__ = ["BlockMeter"]
