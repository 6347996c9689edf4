"""Listening to a demo recording: tempo and key estimates.

The estimator lives in :mod:`producer.analysis.ear.tempo_key` (one tempo/key path for
``producer song analyze`` and ``producer analyze``); this module keeps its pre-production name.
"""

from __future__ import annotations

from producer.analysis.ear.tempo_key import NOTE_NAMES, Estimate, estimate

__all__ = ["NOTE_NAMES", "Estimate", "estimate"]
