"""Numeric units behind one Processor protocol; a chain is a Processor.

``producer.dsp.catalog`` lists the effect kinds (names, parameters with units and ranges) and
creates them; ``producer.dsp.fades`` gives the fade curves.
"""

from producer.dsp import catalog, fades
from producer.dsp.catalog import KINDS, EffectProcessor, EffectSpec, ParamSpec
from producer.dsp.fades import fade_in_curve, fade_out_curve
from producer.dsp.processor import Chain, Gain, Processor

__all__ = [
    "KINDS",
    "Chain",
    "EffectProcessor",
    "EffectSpec",
    "Gain",
    "ParamSpec",
    "Processor",
    "catalog",
    "fade_in_curve",
    "fade_out_curve",
    "fades",
]
