"""The chain's corrective EQ: the settings' tilt, bands and glue compressor as pedalboard
plugins (``_eq_board``), and reference matching: the smoothed curve that moves a mix's
long-term spectrum to a reference's (``reference_match_curve``) and its linear-phase FIR
(``reference_fir``, ``apply_fir_eq``).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pedalboard

from producer.audio import Audio, as_audio
from producer.errors import UserError
from producer.mastering.settings import ChainSettings
from producer.mastering.stream import Spectrum, StreamFir, long_term_spectrum_db


def _eq_board(settings: ChainSettings) -> list[pedalboard.Plugin]:
    plugins: list[pedalboard.Plugin] = []
    if settings.tilt_db:
        half = settings.tilt_db / 2.0
        plugins.append(pedalboard.LowShelfFilter(cutoff_frequency_hz=1000.0, gain_db=-half))
        plugins.append(pedalboard.HighShelfFilter(cutoff_frequency_hz=1000.0, gain_db=half))
    for band in settings.eq:
        if band.kind == "low_shelf":
            plugins.append(
                pedalboard.LowShelfFilter(
                    cutoff_frequency_hz=band.frequency_hz, gain_db=band.gain_db, q=band.q
                )
            )
        elif band.kind == "high_shelf":
            plugins.append(
                pedalboard.HighShelfFilter(
                    cutoff_frequency_hz=band.frequency_hz, gain_db=band.gain_db, q=band.q
                )
            )
        elif band.kind == "peak":
            plugins.append(
                pedalboard.PeakFilter(
                    cutoff_frequency_hz=band.frequency_hz, gain_db=band.gain_db, q=band.q
                )
            )
        else:
            raise UserError(f"EQ band kind {band.kind!r} unknown (low_shelf, high_shelf, peak)")
    if settings.compressor is not None:
        c = settings.compressor
        plugins.append(
            pedalboard.Compressor(
                threshold_db=c.threshold_db,
                ratio=c.ratio,
                attack_ms=c.attack_ms,
                release_ms=c.release_ms,
            )
        )
    return plugins


def _smooth_octave_fraction(
    f: npt.NDArray[np.float64], level_db: npt.NDArray[np.float64], fraction: float = 3.0
) -> npt.NDArray[np.float64]:
    """Average ``level_db`` over a 1/``fraction``-octave window around each frequency."""
    out = np.empty_like(level_db)
    half = 2.0 ** (1.0 / (2.0 * fraction))
    for i, fc in enumerate(f):
        if fc <= 0:
            out[i] = level_db[i]
            continue
        sel = (f >= fc / half) & (f <= fc * half)
        out[i] = float(np.mean(level_db[sel]))
    return out


def reference_match_curve(
    audio: Audio, reference: Audio, sample_rate: int, max_eq_db: float = 6.0
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(frequencies_hz, gain_db): the smoothed EQ that moves ``audio``'s balance to ``reference``.

    Both arrays are (channels, frames) at ``sample_rate``. The difference of the long-term
    spectra is smoothed over 1/3 octave, its level-weighted mean over 100 Hz–10 kHz removed
    (loudness is matched separately, in LUFS), held flat outside 30 Hz–16 kHz and clipped to
    ±``max_eq_db`` so that a reference cannot ask for an extreme curve.
    """
    return reference_match_curve_of(
        long_term_spectrum_db(audio, sample_rate), reference, sample_rate, max_eq_db
    )


def reference_fir(
    frequencies_hz: npt.NDArray[np.float64], gain_db: npt.NDArray[np.float64], sample_rate: int
) -> npt.NDArray[np.float64]:
    """The linear-phase FIR (scipy ``firwin2``, 4097 taps) with the given magnitude curve."""
    import scipy.signal  # only reference matching needs it (0.5 s to import)

    nyq = sample_rate / 2.0
    freq = np.clip(frequencies_hz / nyq, 0.0, 1.0)
    freq[0], freq[-1] = 0.0, 1.0
    return np.asarray(scipy.signal.firwin2(4097, freq, 10.0 ** (gain_db / 20.0)))


def apply_fir_eq(
    audio: Audio,
    sample_rate: int,
    frequencies_hz: npt.NDArray[np.float64],
    gain_db: npt.NDArray[np.float64],
) -> Audio:
    """Apply :func:`reference_fir` to ``audio`` [shape=(channels, frames)], delay removed."""
    a = as_audio(audio)
    fir = StreamFir(reference_fir(frequencies_hz, gain_db, sample_rate), a.shape[0])
    return np.concatenate([fir.process(a), fir.flush()], axis=1)[:, : a.shape[1]]


def reference_match_curve_of(
    spectrum: Spectrum, reference: Audio, sample_rate: int, max_eq_db: float = 6.0
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """:func:`reference_match_curve` from the input's measured long-term spectrum."""
    f, a_db = spectrum
    fr, r_db = long_term_spectrum_db(reference, sample_rate)
    if len(r_db) != len(a_db):  # programmes of different lengths: the input's frequency grid
        r_db = np.interp(f, fr, r_db)
    diff = _smooth_octave_fraction(f, r_db - a_db)
    band = (f >= 100.0) & (f <= 10000.0)
    diff = diff - float(np.mean(diff[band]))
    lo, hi = 30.0, min(16000.0, 0.45 * sample_rate)
    inside = (f >= lo) & (f <= hi)
    diff[f < lo] = diff[inside][0]
    diff[f > hi] = diff[inside][-1]
    return f, np.clip(diff, -max_eq_db, max_eq_db)
