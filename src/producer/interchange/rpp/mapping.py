"""What an RPP file holds of a song, shared by the writer and the reader: ``CARRIES``, the
fade shapes both ways and the MIDI resolution producer writes."""

from __future__ import annotations

from producer.interchange.carry import Carries
from producer.model import FadeShape

FORMAT = "REAPER"
PPQ = 960

SHAPE_OUT = {
    FadeShape.LINEAR: 0,
    FadeShape.EQUAL_POWER: 1,
    FadeShape.EXPONENTIAL: 2,
    FadeShape.S_CURVE: 5,
}
SHAPE_IN = {
    0: FadeShape.LINEAR,
    1: FadeShape.EQUAL_POWER,
    2: FadeShape.EXPONENTIAL,
    3: FadeShape.EQUAL_POWER,
    4: FadeShape.EXPONENTIAL,
    5: FadeShape.S_CURVE,
    6: FadeShape.S_CURVE,
}
"""REAPER fade shapes → ours; 3, 4 and 6 (the steep variants) are the nearest (reported)."""

CARRIES = Carries(
    name="REAPER",
    clip_gain=True,
    fades=True,
    fade_shapes=True,
    track_gain=True,
    track_pan=True,
    mute=True,
    solo=True,
    polarity=True,
    buses=True,
    sends=True,
    pre_fader_sends=True,
    master=True,
    automation=frozenset({"gain_db", "pan", "mute"}),
    step_automation=True,
    markers=True,
    sections=True,
    tempo=True,
    tempo_changes=True,
    time_signature=True,
    midi=True,
    metadata=frozenset({"title"}),
    inserts=None,
    why={
        "inserts": "REAPER effects are plug-in states (FXCHAIN) only REAPER reads: not written",
        "automation.sends": "send envelopes are not written to RPP",
        "automation.fx": "REAPER effects are not written, nor their envelopes",
        "instrument": "REAPER instruments are plug-ins: the part is written as MIDI without one",
    },
)


__all__ = ["CARRIES", "FORMAT", "PPQ", "SHAPE_IN", "SHAPE_OUT"]
