"""The error-feedback quantiser of :mod:`producer.dsp.dither`, compiled by numba.

Its own module, imported only when noise shaping is asked for (numba costs 0.2 s to import),
with the compiled functions at module level so that numba's cache (``cache=True``, in
``__pycache__`` next to this file) is found again by the next process: functions defined inside
another function are compiled anew in every process.

``kernel(audio float32 (C, n), noise float32 (C, n) in LSB, scale, taps, history (C, 9))``
returns float32 (C, n) on the PCM grid, clipped: :func:`producer.dsp.dither.shape_reference`
(the plain-Python loop the tests compare it with, integer for integer) for a whole block of
every channel. The nine past errors live in scalars (registers) instead of an array shifted
every sample, and channels run in pairs in one loop (two independent feedback chains keep the
CPU busy while each waits on its rounding).
"""

from __future__ import annotations

from typing import Any

import numba  # type: ignore[import-untyped]
import numpy as np


@numba.njit(cache=True, nogil=True, inline="always")  # type: ignore[misc]
def step(x: Any, d: Any, t: Any, e: Any) -> Any:  # pragma: no cover (compiled)
    """One sample: the feedback of the nine past errors (oldest first), rounding, new error."""
    fb = t[8] * e[8]
    fb += t[7] * e[7]
    fb += t[6] * e[6]
    fb += t[5] * e[5]
    fb += t[4] * e[4]
    fb += t[3] * e[3]
    fb += t[2] * e[2]
    fb += t[1] * e[1]
    fb += t[0] * e[0]
    wanted = x - fb
    y = np.rint(wanted + d)
    return y, (y - wanted, e[0], e[1], e[2], e[3], e[4], e[5], e[6], e[7])


@numba.njit(cache=True, nogil=True)  # type: ignore[misc]
def kernel(audio: Any, noise: Any, scale: Any, taps: Any, history: Any) -> Any:  # pragma: no cover
    channels, n = audio.shape
    out = np.empty((channels, n), dtype=np.float32)
    t = (taps[0], taps[1], taps[2], taps[3], taps[4], taps[5], taps[6], taps[7], taps[8])
    lo, hi, inv = -scale, scale - 1.0, 1.0 / scale
    c = 0
    while c < channels:
        pair = c + 1 < channels
        h0 = history[c]
        h1 = history[c + 1] if pair else history[c]
        a = (h0[0], h0[1], h0[2], h0[3], h0[4], h0[5], h0[6], h0[7], h0[8])
        b = (h1[0], h1[1], h1[2], h1[3], h1[4], h1[5], h1[6], h1[7], h1[8])
        for i in range(n):
            ya, a = step(np.float64(audio[c, i]) * scale, np.float64(noise[c, i]), t, a)
            out[c, i] = min(max(ya, lo), hi) * inv
            if pair:
                yb, b = step(np.float64(audio[c + 1, i]) * scale, np.float64(noise[c + 1, i]), t, b)
                out[c + 1, i] = min(max(yb, lo), hi) * inv
        for k in range(9):
            h0[k] = a[k]
            if pair:
                h1[k] = b[k]
        c += 2
    return out
