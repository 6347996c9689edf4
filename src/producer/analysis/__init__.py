"""producer.analysis: pure measurements on float32 ``(channels, frames)`` arrays.

``loudness``: ITU-R BS.1770-4 / EBU R 128 meter (momentary, short-term, integrated loudness,
loudness range, sample and true peak), whole-array and streaming.
"""

from producer.analysis import loudness
from producer.analysis.loudness import LoudnessReport, Meter

__all__ = ["LoudnessReport", "Meter", "loudness"]
