"""The mixer side of a song: effect slots, sends, buses, automation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

ParamValue = float | int | str | bool

MASTER = "master"
"""Name of the master bus, the default output of every track and bus."""


@dataclass(frozen=True)
class EffectSlot:
    """One effect in an insert chain: a catalog kind (``producer.dsp.catalog``) and its params.

    Parameter names carry units (``cutoff_frequency_hz``, ``threshold_db``); a parameter not
    given takes the catalog default.
    """

    kind: str
    params: Mapping[str, ParamValue] = field(default_factory=dict)
    bypass: bool = False
    name: str = ""
    sidechain: str = ""
    """Track or bus whose signal drives this effect's detector (a ducking compressor)."""


@dataclass(frozen=True)
class Send:
    """A feed from a track or bus into a bus, before or after the fader."""

    bus: str
    level_db: float = 0.0
    pre_fader: bool = False


class Interpolation(StrEnum):
    LINEAR = "linear"
    STEP = "step"


@dataclass(frozen=True)
class AutomationPoint:
    frame: int
    value: float


@dataclass(frozen=True)
class AutomationLane:
    """Values of one parameter over time, relative to the strip that owns the lane.

    ``target`` names the parameter: ``gain_db``, ``pan``, ``mute``, ``sends.<bus>.level_db``,
    ``fx.<n>.<param>`` (n counts inserts from 1). Linear interpolation is in the parameter's own
    unit (dB for gains); before the first point the first value holds, after the last the last.
    """

    target: str
    points: tuple[AutomationPoint, ...] = ()
    interpolation: Interpolation = Interpolation.LINEAR


@dataclass(frozen=True)
class Bus:
    """A mix bus (or the master): inserts, fader, pan, sends, output."""

    name: str
    gain_db: float = 0.0
    pan: float = 0.0
    mute: bool = False
    solo: bool = False
    inserts: tuple[EffectSlot, ...] = ()
    sends: tuple[Send, ...] = ()
    output: str = MASTER
    automation: tuple[AutomationLane, ...] = ()
