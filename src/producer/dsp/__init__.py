"""Numeric units behind one Processor protocol; a chain is a Processor."""

from producer.dsp.processor import Chain, Gain, Processor

__all__ = ["Chain", "Gain", "Processor"]
