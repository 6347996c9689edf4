"""The K-weighting filter of ITU-R BS.1770-4 (Annex 1), designed for any rate and run in numpy.

Design: both biquads are redesigned from the analog prototypes by the bilinear transform with
pre-warping (libebur128 ``ebur128_init_filter``; B. De Man, AES 145th Conv. 2018), so 44.1,
48, 88.2, 96 and 192 kHz are all "the same filter"; at 48 kHz they equal Tables 1/2 to 1e-15.

Running it: scipy's ``sosfilt`` is the obvious tool, but importing ``scipy.signal`` costs
about half a second of CPU, more than measuring a whole song, and ``producer meter`` is timed
as a process. The filter is linear, so :class:`KFilter` computes it exactly with matrix
products instead: the signal is cut into frames of ``FRAME`` samples; each output frame is its
zero-state response (a lower-triangular Toeplitz matrix of the impulse response, one BLAS call
for every frame of a block) plus the zero-input response of the state at the frame's start;
the states of all frames follow from one linear recurrence ``s[j+1] = A^F s[j] + G x[j]``,
solved in log2(frames) vectorised doubling steps. The state space is float64 (the RLB
high-pass has poles 0.005 from the unit circle); frames are float32 like the audio. Frames are
counted from the first sample of the stream, so the output does not depend on how the stream
is cut into blocks except for rounding (the tests hold it to scipy's float64 ``sosfilt``
within 1e-5 of full scale).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from producer.errors import ValidationError

Floats = npt.NDArray[np.float64]

#: Samples per frame of the block-state filter (F multiply-adds per sample for the Toeplitz part).
FRAME = 32


def k_weighting_sos(sample_rate: int) -> Floats:
    """The two K-weighting biquads for ``sample_rate`` as scipy ``sos``, shape (2, 6).

    Row 0 is the high-shelf "head" stage, row 1 the RLB high-pass (BS.1770-4 Tables 1/2). Both
    are bilinear-transform designs of the analog prototypes fitted to the 48 kHz tables
    (libebur128 ``ebur128_init_filter``; B. De Man, AES 145th Conv. 2018), so at 48 kHz they
    equal the tables to about 1e-15. Stage 2's numerator is [1, -2, 1], not normalised: the
    -0.691 dB constant of eq. 2 accounts for its +0.043 dB high-frequency gain.
    """
    if sample_rate <= 0:
        raise ValidationError(f"sample rate must be positive, got {sample_rate}")
    fs = float(sample_rate)
    # Stage 1: high shelf.
    f0 = 1681.974450955533
    gain_db = 3.999843853973347
    q = 0.7071752369554196
    k = math.tan(math.pi * f0 / fs)
    vh = 10.0 ** (gain_db / 20.0)
    vb = vh**0.4996667741545416
    a0 = 1.0 + k / q + k * k
    stage1 = [
        (vh + vb * k / q + k * k) / a0,
        2.0 * (k * k - vh) / a0,
        (vh - vb * k / q + k * k) / a0,
        1.0,
        2.0 * (k * k - 1.0) / a0,
        (1.0 - k / q + k * k) / a0,
    ]
    # Stage 2: RLB high pass.
    f0 = 38.13547087602444
    q = 0.5003270373238773
    k = math.tan(math.pi * f0 / fs)
    d = 1.0 + k / q + k * k
    stage2 = [1.0, -2.0, 1.0, 1.0, 2.0 * (k * k - 1.0) / d, (1.0 - k / q + k * k) / d]
    return np.array([stage1, stage2], dtype=np.float64)


def _state_space(sos: Floats) -> tuple[Floats, Floats, Floats, float]:
    """(A, B, C, D) of the cascade of biquads in ``sos`` (transposed direct form II states)."""
    blocks = []
    for b0, b1, b2, a0, a1, a2 in sos:
        b0, b1, b2, a1, a2 = b0 / a0, b1 / a0, b2 / a0, a1 / a0, a2 / a0
        # y = b0 x + s0; s0' = b1 x - a1 y + s1; s1' = b2 x - a2 y
        a = np.array([[-a1, 1.0], [-a2, 0.0]])
        b = np.array([b1 - a1 * b0, b2 - a2 * b0])
        c = np.array([1.0, 0.0])
        blocks.append((a, b, c, b0))
    a_tot, b_tot, c_tot, d_tot = blocks[0]
    for a2_, b2_, c2_, d2_ in blocks[1:]:
        n1, n2 = len(b_tot), len(b2_)
        a = np.zeros((n1 + n2, n1 + n2))
        a[:n1, :n1] = a_tot
        a[n1:, :n1] = np.outer(b2_, c_tot)
        a[n1:, n1:] = a2_
        b = np.concatenate([b_tot, b2_ * d_tot])
        c = np.concatenate([d2_ * c_tot, c2_])
        a_tot, b_tot, c_tot, d_tot = a, b, c, d2_ * d_tot
    return a_tot, b_tot, c_tot, float(d_tot)


class KFilter:
    """Streaming K-weighting of one channel: ``process`` float32 blocks of any length.

    Output sample i is K-weighted input sample i (no delay); the state carries between calls.
    """

    def __init__(self, sample_rate: int, frame: int = FRAME) -> None:
        a, b, c, d = _state_space(k_weighting_sos(sample_rate))
        self.frame = frame
        n = a.shape[0]
        powers = [np.eye(n)]
        for _ in range(frame):
            powers.append(a @ powers[-1])
        self._powers = np.array(powers)  # A^0 .. A^F
        # Impulse response h[0..F-1]: h[0] = D, h[i] = C A^(i-1) B.
        h = np.array([d] + [float(c @ powers[i - 1] @ b) for i in range(1, frame)])
        toeplitz = np.zeros((frame, frame))
        for i in range(frame):
            toeplitz[i, : i + 1] = h[i::-1]
        self._t_transposed = np.ascontiguousarray(toeplitz.T, dtype=np.float32)
        # Zero-input response of the frame-start state: y[i] = C A^i s.
        self._o_transposed = np.array([c @ powers[i] for i in range(frame)]).T  # (n, F)
        # Input j of a frame reaches the next frame's state as A^(F-1-j) B.
        self._g_transposed = np.array([powers[frame - 1 - j] @ b for j in range(frame)])  # (F, n)
        self._m = powers[frame]
        self.reset()

    def reset(self) -> None:
        """Zero state (silence before the stream)."""
        self._state = np.zeros(self._m.shape[0])
        self._pending = np.zeros(0, dtype=np.float32)

    def process(self, x: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """K-weight the next ``len(x)`` samples; returns float32 of the same length."""
        f = self.frame
        head = self._pending
        data = np.concatenate([head, np.asarray(x, dtype=np.float32)]) if len(head) else x
        whole = len(data) // f
        out = np.empty(len(data), dtype=np.float32)
        if whole:
            frames = np.asarray(data[: whole * f], dtype=np.float32).reshape(whole, f)
            states = self._frame_states(frames)
            y = frames @ self._t_transposed
            y += (states @ self._o_transposed).astype(np.float32)
            out[: whole * f] = y.reshape(-1)
        rest = data[whole * f :]
        if len(rest):
            # The open frame, zero-padded: its outputs now (the padding cannot reach them, the
            # Toeplitz matrix is lower-triangular); its samples are kept so that the next call
            # recomputes that frame whole (frames stay aligned to the stream's start).
            r = len(rest)
            padded = np.zeros((1, f), dtype=np.float32)
            padded[0, :r] = rest
            y = padded @ self._t_transposed
            y += (self._state @ self._o_transposed).astype(np.float32)
            out[whole * f :] = y[0, :r]
        self._pending = np.array(rest, dtype=np.float32)
        return out[len(head) :]

    def _frame_states(self, frames: npt.NDArray[np.float32]) -> Floats:
        """State at the start of each frame (whole, n); advances the stored state past them."""
        u = (
            frames.astype(np.float64) @ self._g_transposed
        )  # (J, n): input's share of the next state
        # s[j] = sum_{i <= j} M^(j-i) w[i], w[0] = s0, w[i] = u[i-1]: a scan by doubling.
        w: Floats = np.empty_like(u)
        w[0] = self._state
        w[1:] = u[:-1]
        power = self._m
        shift = 1
        while shift < len(w):
            w[shift:] += w[:-shift] @ power.T
            power = power @ power
            shift *= 2
        self._state = self._m @ w[-1] + u[-1]
        return w


__all__ = ["FRAME", "KFilter", "k_weighting_sos"]
