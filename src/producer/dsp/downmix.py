"""Multichannel media folded down to stereo: ITU-R BS.775 coefficients.

A track plays mono or stereo; a file of 3 to 8 channels with known speaker positions plays
folded down to stereo with the "Lo/Ro" equations of ITU-R BS.775 (Table 2, 3/2 → 2/0):

    Lo = L + 0.7071·C + 0.7071·Ls        Ro = R + 0.7071·C + 0.7071·Rs

extended in the usual way to the layouts BS.775 does not list: side and back surrounds both
at −3 dB to their side, a back centre at −6 dB to both sides (−3 dB, then split equally in
power), the LFE channel left out (BS.775 drops it from the downmix). Nothing is normalised:
a loud 5.1 file can fold down above full scale, and the mix's peak says so.

Channel order: a file's own speaker positions (WAVE_FORMAT_EXTENSIBLE channel mask, CAF/AIFF
layouts, as libsndfile reads them), else the WAVE/FLAC default order for its channel count
(``DEFAULT_LAYOUTS``: FLAC format specification, "Channels", the same order Microsoft's
KSAUDIO_SPEAKER_* defaults give).
"""

from __future__ import annotations

import math

import numpy as np

from producer.audio import Audio
from producer.model.media import SPEAKERS

_A = math.sqrt(0.5)  # −3 dB

#: Speaker → (gain into left, gain into right).
COEFFICIENTS: dict[str, tuple[float, float]] = {
    "FL": (1.0, 0.0),
    "FR": (0.0, 1.0),
    "FC": (_A, _A),
    "LFE": (0.0, 0.0),
    "BL": (_A, 0.0),
    "BR": (0.0, _A),
    "SL": (_A, 0.0),
    "SR": (0.0, _A),
    "BC": (0.5, 0.5),
}
assert set(COEFFICIENTS) == set(SPEAKERS)

#: Channel count → speaker order when the file names none (FLAC / WAVE default orders).
DEFAULT_LAYOUTS: dict[int, str] = {
    3: "FL FR FC",
    4: "FL FR BL BR",
    5: "FL FR FC BL BR",
    6: "FL FR FC LFE BL BR",
    7: "FL FR FC LFE BC SL SR",
    8: "FL FR FC LFE BL BR SL SR",
}

#: Common names of layouts, for people.
LAYOUT_NAMES: dict[str, str] = {
    "FL FR FC": "3.0",
    "FL FR BL BR": "quad",
    "FL FR SL SR": "quad",
    "FL FR FC BL BR": "5.0",
    "FL FR FC SL SR": "5.0",
    "FL FR FC LFE BL BR": "5.1",
    "FL FR FC LFE SL SR": "5.1",
    "FL FR FC LFE BC SL SR": "6.1",
    "FL FR FC LFE BL BR SL SR": "7.1",
}

STANDARD = "ITU-R BS.775 (centre and surrounds at −3 dB, LFE left out)"


def describe(layout: str) -> str:
    """``"5.1 (FL FR FC LFE BL BR)"``."""
    name = LAYOUT_NAMES.get(layout)
    return f"{name} ({layout})" if name else layout


def stereo_matrix(layout: str) -> Audio:
    """The (2, channels) float32 matrix folding a ``layout`` signal down to stereo.

    Raises ValueError for a speaker position outside ``SPEAKERS`` (the model's validation
    refuses those documents before a render gets here).
    """
    speakers = layout.split()
    try:
        columns = [COEFFICIENTS[s] for s in speakers]
    except KeyError as exc:
        raise ValueError(f"speaker position {exc.args[0]!r} is not one of {SPEAKERS}") from None
    return np.array(columns, dtype=np.float32).T.copy()


def fold_down(audio: Audio, matrix: Audio) -> Audio:
    """``audio`` (channels, n) folded to (2, n) by ``matrix`` (2, channels)."""
    out: Audio = np.matmul(matrix, audio, dtype=np.float32)
    return out


__all__ = [
    "COEFFICIENTS",
    "DEFAULT_LAYOUTS",
    "LAYOUT_NAMES",
    "STANDARD",
    "describe",
    "fold_down",
    "stereo_matrix",
]
