"""RBJ "Audio EQ Cookbook" biquads: coefficients, and a streaming second-order filter.

pedalboard (JUCE) has the shelves and the peaking filter as RBJ biquads, and its high-/low-pass
are first order only (6 dB/octave). The 12 dB/octave high-/low-pass with a Q, the one a mixing
desk has, is therefore computed here: the cookbook's coefficients (R. Bristow-Johnson, "Cookbook
formulae for audio EQ biquad filter coefficients") run by scipy's ``lfilter`` in float64
(transposed direct form II), whose state ``zi`` is kept between blocks so a stream of blocks gives
the samples of one call on the whole signal.

``lfilter`` here is scipy's compiled kernel loaded on its own (see ``lfilter``): importing
``scipy.signal`` costs half a second, more than a 16-track minute spends filtering.
"""

from __future__ import annotations

import functools
import importlib.machinery
import importlib.util
import math
import sys
import sysconfig
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from producer.audio import Audio

Coefficients = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]

_Kernel = Callable[..., tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]]


@functools.cache
def _lfilter_kernel() -> _Kernel:
    """scipy's ``_linear_filter(b, a, x, axis, zi) -> (y, zf)``: the compiled kernel behind
    ``scipy.signal.lfilter``, taken from its extension module without importing
    ``scipy.signal`` (whose import loads scipy.stats, optimize and interpolate: 0.5 s, against
    15 ms for the module alone). Where this scipy keeps it elsewhere, ``scipy.signal``'s own
    (tests/dsp/test_dsp_filters.py checks both give the same samples)."""
    name = "scipy.signal._sigtools"
    try:
        module = sys.modules.get(name)
        if module is None:
            import scipy

            suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
            path = Path(scipy.__file__).parent / "signal" / f"_sigtools{suffix}"
            loader = importlib.machinery.ExtensionFileLoader(name, str(path))
            spec = importlib.util.spec_from_loader(name, loader)
            assert spec is not None
            module = importlib.util.module_from_spec(spec)
            loader.exec_module(module)
        kernel: _Kernel = module._linear_filter
        return kernel
    except Exception:
        from scipy import signal

        def public(b: Any, a: Any, x: Any, axis: int, zi: Any) -> Any:
            return signal.lfilter(b, a, x, axis=axis, zi=zi)

        return public


def lfilter(
    b: npt.NDArray[np.float64],
    a: npt.NDArray[np.float64],
    x: npt.NDArray[np.float64],
    zi: npt.NDArray[np.float64],
    axis: int = -1,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """``scipy.signal.lfilter(b, a, x, axis=axis, zi=zi)`` for float64 ``b``, ``a`` (``a[0]``
    = 1), ``x`` and ``zi``: the same samples, without importing ``scipy.signal``."""
    y, zf = _lfilter_kernel()(b, a, x, axis, zi)
    return y, zf


"""(b, a): numerator and denominator, each of length 3, normalised so that a[0] == 1."""

#: Filter types of the cookbook that producer uses.
RBJ_TYPES = ("lowpass", "highpass", "lowshelf", "highshelf", "peak")


def rbj_coefficients(
    filter_type: str, frequency_hz: float, gain_db: float, q: float, sample_rate: int
) -> Coefficients:
    """Cookbook coefficients ``(b, a)`` of one biquad (``a[0] == 1``).

    ``filter_type`` is one of ``RBJ_TYPES``; ``gain_db`` matters only for the shelves and the
    peak; ``q`` is the cookbook's Q (shelves use it as the cookbook's "Q" too, as JUCE does).
    """
    if not 0.0 < frequency_hz < sample_rate / 2.0:
        raise ValueError(f"frequency {frequency_hz} Hz is not below Nyquist ({sample_rate / 2} Hz)")
    a_gain = 10.0 ** (gain_db / 40.0)  # cookbook: A = sqrt(10^(dBgain/20))
    w0 = 2.0 * math.pi * frequency_hz / sample_rate
    cos_w0 = math.cos(w0)
    alpha = math.sin(w0) / (2.0 * q)
    if filter_type == "lowpass":
        b = [(1 - cos_w0) / 2, 1 - cos_w0, (1 - cos_w0) / 2]
        a = [1 + alpha, -2 * cos_w0, 1 - alpha]
    elif filter_type == "highpass":
        b = [(1 + cos_w0) / 2, -(1 + cos_w0), (1 + cos_w0) / 2]
        a = [1 + alpha, -2 * cos_w0, 1 - alpha]
    elif filter_type == "peak":
        b = [1 + alpha * a_gain, -2 * cos_w0, 1 - alpha * a_gain]
        a = [1 + alpha / a_gain, -2 * cos_w0, 1 - alpha / a_gain]
    elif filter_type in ("lowshelf", "highshelf"):
        s = 2.0 * math.sqrt(a_gain) * alpha
        sign = 1.0 if filter_type == "lowshelf" else -1.0
        ap, am = a_gain + 1.0, a_gain - 1.0
        b = [
            a_gain * (ap - sign * am * cos_w0 + s),
            sign * 2 * a_gain * (am - sign * ap * cos_w0),
            a_gain * (ap - sign * am * cos_w0 - s),
        ]
        a = [
            ap + sign * am * cos_w0 + s,
            -sign * 2 * (am + sign * ap * cos_w0),
            ap + sign * am * cos_w0 - s,
        ]
    else:
        raise ValueError(f"unknown RBJ filter type {filter_type!r}; one of {', '.join(RBJ_TYPES)}")
    b_arr = np.asarray(b, dtype=np.float64)
    a_arr = np.asarray(a, dtype=np.float64)
    return b_arr / a_arr[0], a_arr / a_arr[0]


class Biquad:
    """A streaming RBJ biquad on every channel: a Processor (no latency).

    Coefficients can change between blocks (automation) without resetting the state, as an
    analogue desk's knob would.
    """

    def __init__(self, filter_type: str, frequency_hz: float, gain_db: float, q: float) -> None:
        self.filter_type = filter_type
        self.frequency_hz = frequency_hz
        self.gain_db = gain_db
        self.q = q
        self._sample_rate = 0
        self._ba: Coefficients | None = None
        self._zi: npt.NDArray[np.float64] = np.zeros((1, 2))

    def prepare(self, sample_rate: int, channels: int, max_block_frames: int) -> None:
        self._sample_rate = sample_rate
        self._zi = np.zeros((channels, 2))
        self._ba = None
        self._coefficients()

    def _coefficients(self) -> Coefficients:
        if self._ba is None:
            self._ba = rbj_coefficients(
                self.filter_type, self.frequency_hz, self.gain_db, self.q, self._sample_rate
            )
        return self._ba

    def set(self, *, frequency_hz: float, gain_db: float, q: float) -> None:
        """New settings from the next block on; the filter memory is kept."""
        if (frequency_hz, gain_db, q) != (self.frequency_hz, self.gain_db, self.q):
            self.frequency_hz, self.gain_db, self.q = frequency_hz, gain_db, q
            self._ba = None

    def process(self, audio: Audio) -> Audio:
        """Filter one block ``audio`` [shape=(channels, frames)]; returns the same shape."""
        if audio.shape[1] == 0:
            return audio
        b, a = self._coefficients()
        if self._zi.shape[0] != audio.shape[0]:
            raise ValueError(f"prepared for {self._zi.shape[0]} channels, got {audio.shape[0]}")
        out, self._zi = lfilter(b, a, audio.astype(np.float64), self._zi, axis=1)
        return np.asarray(out, dtype=np.float32)

    def reset(self) -> None:
        self._zi = np.zeros_like(self._zi)

    @property
    def latency_frames(self) -> int:
        return 0


__all__ = ["RBJ_TYPES", "Biquad", "Coefficients", "lfilter", "rbj_coefficients"]
