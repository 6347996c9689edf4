"""What the chain delivers: ``MasterResult``, the mastered samples and the figures measured on
them, which the verdict, the report and the export read."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from producer.analysis import loudness
from producer.audio import Audio
from producer.mastering.stream import SampleStore, Spectrum


@dataclass(frozen=True)
class MasterResult:
    """A mastered signal and the figures measured on it (at the delivery rate and depth).

    ``samples`` holds the delivered samples (float32, on the PCM grid for 16/24-bit profiles,
    ready to be written without further rounding), in memory or in a temporary file;
    ``audio`` reads them all into one (channels, frames) array.
    """

    samples: SampleStore = field(repr=False)
    sample_rate: int
    bit_depth: str
    target_lufs: float
    ceiling_dbtp: float
    integrated_lufs: float
    true_peak_dbtp: float
    """Exact true peak of the delivered samples (:mod:`producer.analysis.truepeak`), the
    figure ``producer meter`` gives for the delivered file."""
    loudness_range_lu: float
    input_integrated_lufs: float
    input_loudness_range_lu: float
    gain_db: float
    limiter_ceiling_db: float
    max_gain_reduction_db: float
    iterations: int
    """Renders of the whole chain (the gain itself is solved on the limiter model)."""
    gain_reduction_db: npt.NDArray[np.float64] = field(repr=False)
    """Limiter gain reduction per 50 ms block (positive dB)."""
    problems: tuple[str, ...] = ()
    tolerance_lu: float = 0.1
    report: loudness.LoudnessReport | None = field(default=None, repr=False)
    """Our meter's full report of the delivered samples (series for plots; events are the
    true peaks within ``NEAR_CEILING_DB`` of the ceiling)."""
    input_report: loudness.LoudnessReport | None = field(default=None, repr=False)
    spectrum_before: Spectrum | None = field(default=None, repr=False)
    """Long-term spectrum of the prepared mix (after SRC, EQ, compression), for plots."""
    spectrum_after: Spectrum | None = field(default=None, repr=False)
    """Long-term spectrum of the master."""
    block_peaks_db: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0), repr=False)
    """Sample peak of the master per 50 ms block (dBFS), for plots."""
    guard_dips: int = 0
    """Peaks the true-peak guard lowered after the limiter."""
    guard_max_dip_db: float = 0.0
    glue_ratio: float | None = None
    """Ratio of the glue compressor the ladder added to reach the target (None: not needed)."""

    @property
    def audio(self) -> Audio:
        """Every delivered sample as one float32 array (channels, frames)."""
        return self.samples.read()

    @property
    def channels(self) -> int:
        return self.samples.channels

    @property
    def frames(self) -> int:
        return self.samples.frames

    @property
    def loudness_error_lu(self) -> float:
        return self.integrated_lufs - self.target_lufs

    @property
    def passed(self) -> bool:
        return not self.problems
