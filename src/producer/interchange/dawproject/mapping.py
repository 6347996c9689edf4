"""What DAWproject holds of a song, and our effects as its standard devices.

Shared by the writer and the reader: ``CARRIES`` (what ``carry.reduce`` keeps and reports
lost), ``DEVICES`` (our dynamics kinds as DAWproject's ``Compressor``, ``NoiseGate`` and
``Limiter`` with their parameters in the schema's element order), ``EQ_TYPES`` (our EQ band
types as ``eqBandType``) and ``insert_rule`` (how one of our inserts is held).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from producer.interchange.carry import Carries
from producer.model import EffectSlot


@dataclass(frozen=True)
class DeviceParam:
    """One of our parameters as a DAWproject device element (``Threshold``...)."""

    ours: str
    element: str
    unit: str
    scale: float = 1.0
    """DAWproject value = ours × scale (ms → seconds: 0.001; a gate's range: −1)."""


DEVICES: dict[str, tuple[str, tuple[DeviceParam, ...]]] = {
    "compressor": (
        "Compressor",
        (
            DeviceParam("attack_ms", "Attack", "seconds", 0.001),
            DeviceParam("makeup_db", "OutputGain", "decibel"),
            DeviceParam("ratio", "Ratio", "linear"),
            DeviceParam("release_ms", "Release", "seconds", 0.001),
            DeviceParam("threshold_db", "Threshold", "decibel"),
        ),
    ),
    "gate": (
        "NoiseGate",
        (
            DeviceParam("attack_ms", "Attack", "seconds", 0.001),
            DeviceParam("range_db", "Range", "decibel", -1.0),
            DeviceParam("ratio", "Ratio", "linear"),
            DeviceParam("release_ms", "Release", "seconds", 0.001),
            DeviceParam("threshold_db", "Threshold", "decibel"),
        ),
    ),
    "limiter": (
        "Limiter",
        (
            # A look-ahead limiter's attack is its look-ahead (unverified against other DAWs).
            DeviceParam("lookahead_ms", "Attack", "seconds", 0.001),
            DeviceParam("release_ms", "Release", "seconds", 0.001),
            DeviceParam("ceiling_db", "Threshold", "decibel"),
        ),
    ),
}
"""Our dynamics kinds → (DAWproject element, parameters in the schema's element order)."""

EQ_TYPES = {
    "lowshelf": "lowShelf",
    "highshelf": "highShelf",
    "peak": "bell",
    "highpass": "highPass",
    "lowpass": "lowPass",
}
"""Our EQ band types → DAWproject ``eqBandType`` (``off`` is a disabled band)."""

EQ_FROM = {v: k for k, v in EQ_TYPES.items()}
"""DAWproject ``eqBandType`` → our EQ band types."""

ONE_BAND = frozenset(EQ_TYPES)
"""Kinds that are one EQ band: written as an Equalizer with that one band."""

DROPPED_PARAMS = {"compressor": ("knee_db",), "limiter": ("true_peak",)}


def insert_rule(slot: EffectSlot) -> tuple[EffectSlot, list[tuple[str, str]]]:
    """How DAWproject holds one of our inserts (``carry.InsertRule``)."""
    losses: list[tuple[str, str]] = []
    if slot.kind == "eq" or slot.kind in ONE_BAND or slot.kind in DEVICES:
        params = dict(slot.params)
        for name in DROPPED_PARAMS.get(slot.kind, ()):
            value = params.pop(name, None)
            if value not in (None, 0, 0.0, False):
                element = DEVICES[slot.kind][0]
                losses.append((f"{name} = {value}", f"DAWproject's {element} has no {name}"))
        if slot.sidechain:
            losses.append(
                (f"sidechain from {slot.sidechain}", "DAWproject devices have no sidechain input")
            )
        return replace(slot, params=params, sidechain=""), losses
    return replace(slot, params={}, bypass=True, sidechain=""), [
        (
            "",
            f"DAWproject has no standard {slot.kind} device: written as a disabled placeholder "
            "without its parameters",
        )
    ]


CARRIES = Carries(
    name="DAWproject",
    fades=True,
    track_gain=True,
    track_pan=True,
    mute=True,
    solo=True,
    buses=True,
    sends=True,
    pre_fader_sends=True,
    master=True,
    automation=frozenset({"gain_db", "pan", "mute", "sends", "fx"}),
    step_automation=True,
    markers=True,
    sections_as_markers=True,
    tempo=True,
    tempo_changes=True,
    time_signature=True,
    midi=True,
    metadata=frozenset({"title", "songwriter"}),
    inserts=insert_rule,
    why={
        "clip_gain": "DAWproject 1.0 has no clip gain (bitwig/dawproject PR #105 proposes one)",
        "sections": "DAWproject markers are points: written as a marker at the section's start",
        "instrument": "DAWproject names no General MIDI program (read back as the GM piano)",
        "polarity": "DAWproject channels have no polarity switch",
    },
)


__all__ = [
    "CARRIES",
    "DEVICES",
    "DROPPED_PARAMS",
    "EQ_FROM",
    "EQ_TYPES",
    "ONE_BAND",
    "DeviceParam",
    "insert_rule",
]
