"""What the parts of the DAWproject reader share: the state of one read and its helpers.

``ReaderState`` holds the song being built (``Builder``), the ids the file gives channels,
tracks and parameters (automation ``Points`` name their parameter by id, so every parameter
the reader imports is registered with the strip, target and conversion it stands for), and the
routing and sends that wait until every channel is known. ``Scope`` is a timeline's time unit
and its map to song seconds. ``float_attr`` reads a number attribute, naming the element when
it is not one.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from lxml import etree

from producer.errors import FormatError
from producer.interchange.curves import to_db
from producer.interchange.session import Builder
from producer.model import MASTER, TrackKind, timing
from producer.model import edit as ed

_SAFE = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def parse_xml(data: bytes, where: str) -> etree._Element:
    """``data`` as XML, entities unresolved and no network; FormatError naming ``where``."""
    try:
        return etree.fromstring(data, parser=_SAFE)
    except etree.XMLSyntaxError as exc:
        raise FormatError(f"{where}: not well-formed XML ({exc})") from None


def float_attr(el: etree._Element, name: str, default: float | None = None) -> float | None:
    """Attribute ``name`` of ``el`` as a number (``default`` when absent); FormatError naming
    the element when it is not a number."""
    text = el.get(name)
    if text is None:
        return default
    try:
        return float(text)
    except ValueError:
        raise FormatError(f"<{el.tag!s}> {name}={text!r} is not a number") from None


def required_float_attr(el: etree._Element, name: str) -> float:
    """Attribute ``name`` of ``el`` as a number; FormatError naming the element when absent."""
    v = float_attr(el, name)
    if v is None:
        raise FormatError(f"<{el.tag!s}> has no {name}")
    return v


@dataclass
class Param:
    """A parameter of the file (by id) as one of ours: automation ``Points`` name it."""

    strip: str
    target: str
    """``gain_db``, ``pan``, ``mute``, ``sends.<bus>.level_db``, ``fx.<n>.<param>``, ``tempo``."""
    convert: Callable[[float], float]
    kind: str = "real"
    """``gain``: linear amplitudes; ``hz``: semitones to Hz; ``real``; ``bool``."""


@dataclass(frozen=True)
class Scope:
    """A timeline's time unit (``beats`` or ``seconds``) and its map to song seconds."""

    unit: str
    to_song: Callable[[float], float]
    """Local time → song seconds."""


class ReaderState:
    """The state of one read (see the module docstring); the readers of each concern extend it."""

    def __init__(
        self,
        b: Builder,
        source: Path,
        archive: zipfile.ZipFile | None,
        workdir: Path,
        media_dirs: tuple[Path, ...],
    ) -> None:
        self.b = b
        self.source = source
        self.archive = archive
        self.workdir = workdir
        self.media_dirs = media_dirs
        self.params: dict[str, Param] = {}
        self.channels: dict[str, str] = {}
        """Channel id → strip name (MASTER for the master)."""
        self.strip_of_track: dict[str, str] = {}
        self.kinds: dict[str, TrackKind] = {}
        self.pending_sends: list[tuple[str, etree._Element]] = []
        self.pending_outputs: list[tuple[str, str | None, str | None]] = []
        self.tempo_id = ""
        self.lose = b.report.lose
        self.carry = b.report.carry

    # ---------------------------------------------------------------- time

    def beat_to_s(self, beat: float) -> float:
        return timing.beat_to_seconds(self.b.song, beat)

    def s_to_beat(self, seconds: float) -> float:
        return float(timing.seconds_to_beat(self.b.song, seconds))

    def root_scope(self, unit: str) -> Scope:
        return Scope(unit, (lambda t: t) if unit == "seconds" else self.beat_to_s)

    # ---------------------------------------------------------------- strips and parameters

    def _set(self, strip: str, **changes: object) -> None:
        song = self.b.song
        if not changes:
            return
        if strip == MASTER:
            self.b.song = replace(song, master=replace(song.master, **changes))  # type: ignore[arg-type]
        elif song.bus(strip) is not None:
            self.b.song = ed.update_bus(song, strip, **changes)
        else:
            self.b.song = ed.update_track(song, strip, **changes)

    def _strip(self, strip: str) -> object:
        song = self.b.song
        return song.master if strip == MASTER else song.bus(strip) or song.track(strip)

    def register(
        self,
        el: etree._Element,
        strip: str,
        target: str,
        convert: Callable[[float], float],
        kind: str = "real",
    ) -> None:
        if el.get("id"):
            self.params[el.get("id", "")] = Param(strip, target, convert, kind)

    def level_converter(
        self, el: etree._Element, where: str
    ) -> tuple[Callable[[float], float], str] | None:
        unit = el.get("unit")
        if unit == "linear":
            return to_db, "gain"
        if unit == "decibel":
            return float, "real"
        self.lose(
            f"level in unit {unit!r}",
            where,
            "only linear and decibel levels are understood (0 dB used)",
        )
        return None

    @staticmethod
    def pan_converter(el: etree._Element) -> Callable[[float], float]:
        lo, hi = float_attr(el, "min"), float_attr(el, "max")
        if lo is None or hi is None or hi <= lo:
            lo, hi = (0.0, 1.0) if el.get("unit") == "normalized" else (-1.0, 1.0)
        return lambda v: 2.0 * (v - lo) / (hi - lo) - 1.0


__all__ = ["Param", "ReaderState", "Scope", "float_attr", "parse_xml", "required_float_attr"]
