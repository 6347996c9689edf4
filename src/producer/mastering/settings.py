"""How to master: the chain's settings (EQ bands, glue compressor, limiter, limiting budget,
dither), frozen dataclasses that callers build and the chain (``producer.mastering.chain``) reads.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EqBand:
    """One corrective EQ band: ``kind`` is "low_shelf", "high_shelf" or "peak"."""

    kind: str
    frequency_hz: float
    gain_db: float
    q: float = 0.707


@dataclass(frozen=True)
class CompressorSettings:
    """A gentle glue compressor (pedalboard ``Compressor``)."""

    threshold_db: float = -18.0
    ratio: float = 1.5
    attack_ms: float = 30.0
    release_ms: float = 200.0


@dataclass(frozen=True)
class ChainSettings:
    """How to master: EQ, glue compression, limiter, limiting budget, dither options."""

    eq: tuple[EqBand, ...] = ()
    tilt_db: float = 0.0
    """Spectral tilt: +x dB lifts the highs by x/2 dB and cuts the lows by x/2 around 1 kHz."""
    compressor: CompressorSettings | None = None
    max_limiting_db: float = 15.0
    """Largest limiter gain reduction accepted to reach the target (the limiting budget)."""
    auto_compress: bool = True
    """When the limiter alone cannot reach the target within the budget, add glue compression."""
    limiter_release_ms: float = 100.0
    limiter_lookahead_ms: float = 5.0
    noise_shaping: bool = False
    seed: int = 0
    """Seed of the TPDF dither: the same input gives the same file."""
    reference_max_eq_db: float = 6.0
    """Largest boost/cut of the reference-matching EQ."""


DEFAULT_SETTINGS = ChainSettings()
