"""producer.analysis: pure measurements on float32 ``(channels, frames)`` arrays.

``loudness``: ITU-R BS.1770-4 / EBU R 128 meter (momentary, short-term, integrated loudness,
loudness range, sample and true peak), whole-array and streaming; with ``kweighting`` (the
K-filter, run in numpy), ``truepeak`` (the exact peak of the band-limited signal) and
``layouts`` (loudspeaker layouts and their channel weights: 5.1, 7.1, 7.1.4, BS.2051).
"""

from producer.analysis import layouts, loudness, truepeak
from producer.analysis.layouts import Layout
from producer.analysis.loudness import LoudnessReport, Meter

__all__ = ["Layout", "LoudnessReport", "Meter", "layouts", "loudness", "truepeak"]
