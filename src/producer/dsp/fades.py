"""Fade curves: gains rising 0 → 1 over n frames; a fade-out is a fade-in reversed.

With ``t = k / (n − 1)`` for frame ``k`` of ``n`` (so the first gain is exactly 0 and the last
exactly 1; a one-frame fade sits at ``t = 0.5``):

=============  ==============================  =============================================
shape          gain g(t)                       property
=============  ==============================  =============================================
linear         t                               in + out = 1 (a crossfade keeps amplitude)
equal_power    sin(π/2 · t)                    in² + out² = 1 (keeps power of uncorrelated
                                               material); −3.01 dB at the middle
s_curve        (1 − cos(π · t)) / 2            raised cosine; in + out = 1, flat at both ends
exponential    (1000^t − 1) / 999              a 60 dB ramp linear in dB (g ≈ 10^(−3(1−t))),
                                               shifted by 1/999 so it starts at exact silence
=============  ==============================  =============================================

Because a fade-out is the reverse, its t runs 1 → 0 over the same frames: in and out of a
crossfade of n frames use ``t`` and ``1 − t``, which is what makes the sums above exact.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from producer.model import FadeShape

Gains = npt.NDArray[np.float32]
"""float32 gains, shape (frames,)."""


def _positions(n: int) -> npt.NDArray[np.float64]:
    if n < 0:
        raise ValueError(f"fade length must be >= 0 frames, got {n}")
    if n == 1:
        return np.array([0.5])
    return np.linspace(0.0, 1.0, n)


def fade_in_curve(shape: FadeShape | str, n: int) -> Gains:
    """Gains [shape=(n,)] of a fade-in of ``n`` frames, rising from 0 to 1 (see module doc)."""
    t = _positions(n)
    kind = FadeShape(shape)
    if kind is FadeShape.LINEAR:
        g = t
    elif kind is FadeShape.EQUAL_POWER:
        g = np.sin(0.5 * np.pi * t)
    elif kind is FadeShape.S_CURVE:
        g = 0.5 * (1.0 - np.cos(np.pi * t))
    else:  # FadeShape.EXPONENTIAL
        g = (np.power(1000.0, t) - 1.0) / 999.0
    return np.asarray(g, dtype=np.float32)


def fade_out_curve(shape: FadeShape | str, n: int) -> Gains:
    """Gains [shape=(n,)] of a fade-out of ``n`` frames: the fade-in reversed, 1 → 0."""
    return np.ascontiguousarray(fade_in_curve(shape, n)[::-1])


__all__ = ["Gains", "fade_in_curve", "fade_out_curve"]
