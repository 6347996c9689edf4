"""DAWproject in: a ``.dawproject`` (or a bare ``project.xml``) as a song.

The reader follows the DAWproject 1.0 reference (``Reference.html``): every timeline has a
time unit (beats unless a scope says seconds), a clip shows its content from ``playStart``,
looping ``[loopStart, loopEnd)`` until its ``duration`` is filled, ``Warps`` map a clip's beats
to the seconds of its audio. Looped clips are unrolled into one clip per pass; audio plays at
its own speed (warping that stretches it is reported); note clips become MIDI parts (the
workflow renders them with the SoundFont); automation ``Points`` become automation lanes, in
our units (``curves`` converts linear volume points into dB lanes). Whatever has no place in a
producer song is a ``Lost`` line: plug-ins, instrument devices, clip launcher scenes, send pan,
EQ band types we lack, metadata fields a song does not hold.
"""

from __future__ import annotations

import itertools
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from lxml import etree

from producer.errors import FormatError
from producer.interchange.curves import gain_lane_to_db, semitones_to_hz, to_db
from producer.interchange.dawproject import DEVICES, EQ_TYPES
from producer.interchange.session import Builder, ImportedSession, feeds, find_media
from producer.model import (
    MASTER,
    AutomationLane,
    AutomationPoint,
    EffectSlot,
    Interpolation,
    MidiClip,
    Note,
    Send,
    TempoChange,
    TimeSignature,
    TrackKind,
    timing,
)
from producer.model import edit as ed

FORMAT = "DAWproject"
_SAFE = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
EQ_FROM = {v: k for k, v in EQ_TYPES.items()}


def parse_xml(data: bytes, where: str) -> etree._Element:
    try:
        return etree.fromstring(data, parser=_SAFE)
    except etree.XMLSyntaxError as exc:
        raise FormatError(f"{where}: not well-formed XML ({exc})") from None


def _f(el: etree._Element, name: str, default: float | None = None) -> float | None:
    text = el.get(name)
    if text is None:
        return default
    try:
        return float(text)
    except ValueError:
        raise FormatError(f"<{el.tag!s}> {name}={text!r} is not a number") from None


def _req(el: etree._Element, name: str) -> float:
    v = _f(el, name)
    if v is None:
        raise FormatError(f"<{el.tag!s}> has no {name}")
    return v


@dataclass
class _Param:
    strip: str
    target: str
    """``gain_db``, ``pan``, ``mute``, ``sends.<bus>.level_db``, ``fx.<n>.<param>``, ``tempo``."""
    convert: Callable[[float], float]
    kind: str = "real"
    """``gain``: linear amplitudes; ``hz``: semitones to Hz; ``real``; ``bool``."""


@dataclass
class _Piece:
    start: float
    source: float
    length: float
    media: str
    name: str
    fade_in: float = 0.0
    fade_out: float = 0.0


@dataclass(frozen=True)
class _Scope:
    unit: str
    to_song: Callable[[float], float]
    """Local time → song seconds."""


class _Reader:
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
        self.params: dict[str, _Param] = {}
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

    # ---------------------------------------------------------------- transport

    def transport(self, root: etree._Element) -> None:
        tr = root.find("Transport")
        song = self.b.song
        if tr is not None:
            tempo = tr.find("Tempo")
            if tempo is not None:
                bpm = _f(tempo, "value", 120.0) or 120.0
                song = replace(song, tempo_bpm=bpm)
                self.tempo_id = tempo.get("id", "")
                self.carry("tempo")
            ts = tr.find("TimeSignature")
            if ts is not None:
                song = replace(
                    song,
                    time_signature=TimeSignature(
                        int(_req(ts, "numerator")), int(_req(ts, "denominator"))
                    ),
                )
                self.carry("time signature")
        self.b.song = song
        arr = root.find("Arrangement")
        if arr is None:
            return
        ta = arr.find("TempoAutomation")
        if ta is not None:
            top = arr.find("Lanes")
            unit = (
                ta.get("timeUnit") or (top.get("timeUnit") if top is not None else None) or "beats"
            )
            changes: list[TempoChange] = []
            pts = ta.findall("RealPoint")
            for i, p in enumerate(pts):
                t, bpm = _req(p, "time"), _req(p, "value")
                beat = t if unit == "beats" else self.s_to_beat(t)
                if beat <= 0:
                    self.b.song = replace(self.b.song, tempo_bpm=bpm)
                else:
                    changes.append(TempoChange(beat, bpm))
                self.b.song = replace(self.b.song, tempo_changes=tuple(changes))
                if (
                    p.get("interpolation") == "linear"
                    and i + 1 < len(pts)
                    and _req(pts[i + 1], "value") != bpm
                ):
                    self.lose(
                        "tempo ramp",
                        f"TempoAutomation at {t:g} {unit}",
                        "producer tempo changes are steps",
                    )
            if changes:
                self.carry("tempo changes")
        tsa = arr.find("TimeSignatureAutomation")
        if tsa is not None and len(tsa.findall("TimeSignaturePoint")) > 1:
            self.lose(
                "time signature changes",
                "TimeSignatureAutomation",
                "a producer song has one time signature",
            )

    # ---------------------------------------------------------------- structure

    def structure(self, root: etree._Element) -> None:
        st = root.find("Structure")
        if st is None:
            return
        for el in st:
            if el.tag == "Track":
                self.track(el, None)
            elif el.tag == "Channel":
                self.channel(el, el.get("name") or "Bus", None, as_bus=True)
        for name, dest, group in self.pending_outputs:
            out = self.channels.get(dest or "") or group or MASTER
            if out != MASTER and self.b.song.bus(out) is None:
                out = MASTER
            if out == name:
                continue
            self._set(name, output=out)
            if out != MASTER:
                self.carry("routing to buses")
        for name, send_el in self.pending_sends:
            self.send(name, send_el)

    def track(self, el: etree._Element, group: str | None) -> None:
        name = el.get("name") or "Track"
        ch = el.find("Channel")
        children = el.findall("Track")
        role = ch.get("role") if ch is not None else None
        content = (el.get("contentType") or "").split()
        strip: str | None = None
        if ch is not None:
            if role == "master":
                if MASTER in self.channels.values():
                    self.lose("a second master channel", f"track {name!r}", "a song has one master")
                else:
                    strip = self.channel(ch, MASTER, group, as_bus=True)
            elif role in ("effect", "submix", "vca") or children:
                if role == "vca":
                    self.lose(
                        "VCA fader", f"track {name!r}", "producer has no VCA: imported as a bus"
                    )
                strip = self.channel(ch, name, group, as_bus=True)
            else:
                midi = "notes" in content and "audio" not in content
                strip = self.channel(ch, name, group, as_bus=False, midi=midi)
        elif not children:
            midi = "notes" in content and "audio" not in content
            strip = self.b.track(name, TrackKind.MIDI if midi else TrackKind.AUDIO)
            self.kinds[strip] = TrackKind.MIDI if midi else TrackKind.AUDIO
            self.pending_outputs.append((strip, None, group))
        if strip is not None and el.get("id"):
            self.strip_of_track[el.get("id", "")] = strip
        for child in children:
            self.track(
                child, strip if strip and strip != MASTER and self.b.song.bus(strip) else group
            )

    def channel(
        self, ch: etree._Element, name: str, group: str | None, as_bus: bool, midi: bool = False
    ) -> str:
        if name == MASTER:
            strip = MASTER
        elif as_bus:
            strip = self.b.bus(name)
            self.carry("buses")
        else:
            kind = TrackKind.MIDI if midi else TrackKind.AUDIO
            strip = self.b.track(name, kind)
            self.kinds[strip] = kind
        if ch.get("id"):
            self.channels[ch.get("id", "")] = strip
        where = f"channel of {name!r}"
        changes: dict[str, object] = {}
        vol = ch.find("Volume")
        if vol is not None:
            conv = self.level_converter(vol, where)
            if conv is not None:
                changes["gain_db"] = conv[0](
                    _f(vol, "value", 1.0 if conv[1] == "gain" else 0.0) or 0.0
                )
                self.register(vol, strip, "gain_db", *conv)
                self.carry("fader levels")
        pan = ch.find("Pan")
        if pan is not None:
            conv_pan = self.pan_converter(pan)
            changes["pan"] = max(-1.0, min(1.0, conv_pan(_f(pan, "value", 0.5) or 0.0)))
            self.register(pan, strip, "pan", conv_pan)
            self.carry("pan")
        mute = ch.find("Mute")
        if mute is not None:
            changes["mute"] = mute.get("value") == "true"
            self.register(mute, strip, "mute", float, "bool")
        if ch.get("solo") == "true":
            changes["solo"] = True
            self.carry("solo")
        inserts = self.devices(ch, strip, name)
        if inserts:
            changes["inserts"] = tuple(inserts)
        self._set(strip, **changes)
        if strip != MASTER:
            self.pending_outputs.append((strip, ch.get("destination"), group))
        sends = ch.find("Sends")
        if sends is not None:
            for s in sends.findall("Send"):
                self.pending_sends.append((strip, s))
        return strip

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
            self.params[el.get("id", "")] = _Param(strip, target, convert, kind)

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
        lo, hi = _f(el, "min"), _f(el, "max")
        if lo is None or hi is None or hi <= lo:
            lo, hi = (0.0, 1.0) if el.get("unit") == "normalized" else (-1.0, 1.0)
        return lambda v: 2.0 * (v - lo) / (hi - lo) - 1.0

    def send(self, strip: str, el: etree._Element) -> None:
        where = f"send of {strip!r}"
        dest = self.channels.get(el.get("destination") or "")
        enable = el.find("Enable")
        vol = el.find("Volume")
        if dest is None or dest == MASTER or self.b.song.bus(dest) is None:
            self.lose("send", where, "its destination is not a bus of the session")
            return
        if feeds(self.b.song, dest, strip):
            self.lose(f"send to {dest}", where, "it would close a routing cycle")
            return
        if enable is not None and enable.get("value") == "false":
            self.lose(
                f"disabled send to {dest}", where, "producer sends are always on: not imported"
            )
            return
        level = 0.0
        if vol is not None:
            conv = self.level_converter(vol, where)
            if conv is not None:
                level = conv[0](_f(vol, "value", 1.0) or 0.0)
                self.register(vol, strip, f"sends.{dest}.level_db", *conv)
        pan = el.find("Pan")
        if pan is not None and abs(self.pan_converter(pan)(_f(pan, "value", 0.5) or 0.5)) > 1e-6:
            self.lose("send pan", where, "producer sends have no pan")
        strip_obj = self._strip(strip)
        sends = (
            *getattr(strip_obj, "sends", ()),
            Send(bus=dest, level_db=level, pre_fader=el.get("type") == "pre"),
        )
        self._set(strip, sends=sends)
        self.carry("sends")

    # ---------------------------------------------------------------- devices

    def devices(self, ch: etree._Element, strip: str, name: str) -> list[EffectSlot]:
        devs = ch.find("Devices")
        slots: list[EffectSlot] = []
        if devs is None:
            return slots
        for d in devs:
            label = d.get("deviceName") or d.get("name") or str(d.tag)
            where = f"{d.tag!s} {label!r} on {name!r}"
            enabled = d.find("Enabled")
            bypass = enabled is not None and enabled.get("value") == "false"
            if d.tag in ("Compressor", "NoiseGate", "Limiter"):
                slots += self.dynamics(d, strip, bypass, len(slots), where)
            elif d.tag == "Equalizer":
                slots += self.equalizer(d, strip, bypass, len(slots), where)
            elif d.get("deviceRole") == "instrument":
                self.lose(
                    "instrument", where, "producer plays MIDI parts with the SoundFont's GM piano"
                )
            else:
                self.lose(
                    "device",
                    where,
                    "not a DAWproject standard device (plug-in state cannot be played here)",
                )
        if slots:
            self.carry("effects (DAWproject standard devices)")
        return slots

    def _gain_slot(
        self, d: etree._Element, tag: str, slots_before: int, strip: str, where: str
    ) -> EffectSlot | None:
        el = d.find(tag)
        if el is None:
            return None
        value = _f(el, "value", 0.0) or 0.0
        if el.get("unit") == "linear":
            value = to_db(value)
        if abs(value) < 1e-9:
            return None
        if el.get("id"):
            self.lose(
                f"{tag} automation", where, "an input/output gain is imported as a fixed gain"
            )
        return EffectSlot(kind="gain", params={"gain_db": value}, name=tag)

    def dynamics(
        self, d: etree._Element, strip: str, bypass: bool, before: int, where: str
    ) -> list[EffectSlot]:
        kind = {"Compressor": "compressor", "NoiseGate": "gate", "Limiter": "limiter"}[str(d.tag)]
        n = before + 1
        out: list[EffectSlot] = []
        pre = self._gain_slot(d, "InputGain", before, strip, where)
        if pre is not None:
            out.append(pre)
            n += 1
        params: dict[str, float] = {}
        for p in DEVICES[kind][1]:
            el = d.find(p.element)
            if el is None:
                continue
            raw = _f(el, "value")
            if raw is None:
                continue
            unit = el.get("unit")
            scale = p.scale
            if p.unit == "seconds" and unit == "percent":  # not a time: skip it
                continue
            value = raw / scale if scale != -1.0 else abs(raw)
            params[p.ours] = value
            conv: Callable[[float], float] = _divide_by(scale) if scale != -1.0 else abs
            self.register(el, strip, f"fx.{n}.{p.ours}", conv)
        if kind == "compressor":
            if d.tag == "Compressor" and d.find("OutputGain") is None:
                params.setdefault("makeup_db", 0.0)
            am = d.find("AutoMakeup")
            if am is not None and am.get("value") == "true":
                self.lose(
                    "automatic make-up gain",
                    where,
                    "producer's compressor has a fixed make-up gain",
                )
        if kind == "limiter":
            post = self._gain_slot(d, "OutputGain", before, strip, where)
        else:
            post = None
        from producer.dsp import catalog

        clean = {k: v for k, v in params.items() if not catalog.check_params(kind, {k: v})}
        for k in params.keys() - clean.keys():
            self.lose(
                f"{k} = {params[k]:g}", where, f"outside producer's {kind} range: default used"
            )
        out.append(EffectSlot(kind=kind, params=clean, bypass=bypass, name=d.get("name") or ""))
        if post is not None:
            out.append(post)
        return out

    def equalizer(
        self, d: etree._Element, strip: str, bypass: bool, before: int, where: str
    ) -> list[EffectSlot]:
        bands: list[tuple[str, etree._Element]] = []
        for band in d.findall("Band"):
            btype = band.get("type") or ""
            en = band.find("Enabled")
            if en is not None and en.get("value") == "false":
                continue
            ours = EQ_FROM.get(btype)
            if ours is None:
                self.lose(f"{btype} band", where, "producer's EQ has no such band type")
                continue
            order = band.get("order")
            if ours in ("highpass", "lowpass") and order not in (None, "2"):
                self.lose(
                    f"{btype} band of order {order}",
                    where,
                    "producer's EQ bands are 2nd order (12 dB/octave)",
                )
            bands.append((ours, band))
        out: list[EffectSlot] = []
        pre = self._gain_slot(d, "InputGain", before, strip, where)
        if pre is not None:
            out.append(pre)
        for i in range(0, max(len(bands), 1), 4):
            chunk = bands[i : i + 4]
            n = before + len(out) + 1
            params: dict[str, float | str] = {}
            for j in range(1, 5):
                if j > len(chunk):
                    params[f"band{j}_type"] = "off"
                    continue
                ours, band = chunk[j - 1]
                params[f"band{j}_type"] = ours
                for tag, suffix in (("Freq", "frequency_hz"), ("Gain", "gain_db"), ("Q", "q")):
                    el = band.find(tag)
                    if el is None:
                        continue
                    raw = _f(el, "value")
                    if raw is None:
                        continue
                    conv: Callable[[float], float] = float
                    kind = "real"
                    if tag == "Freq" and el.get("unit") == "semitones":
                        conv, kind = semitones_to_hz, "hz"
                    params[f"band{j}_{suffix}"] = conv(raw)
                    self.register(el, strip, f"fx.{n}.band{j}_{suffix}", conv, kind)
            from producer.dsp import catalog

            problems = catalog.check_params("eq", params)
            for prob in problems:
                self.lose("EQ band setting", where, f"{prob}: default used")
            clean = {k: v for k, v in params.items() if not catalog.check_params("eq", {k: v})}
            out.append(EffectSlot(kind="eq", params=clean, bypass=bypass, name=d.get("name") or ""))
        post = self._gain_slot(d, "OutputGain", before, strip, where)
        if post is not None:
            out.append(post)
        return out

    # ---------------------------------------------------------------- arrangement

    def arrangement(self, root: etree._Element) -> None:
        arr = root.find("Arrangement")
        if arr is None:
            return
        lanes = arr.find("Lanes")
        unit = (lanes.get("timeUnit") if lanes is not None else None) or "beats"
        scope = self.root_scope(unit)
        if lanes is not None:
            self.lanes(lanes, scope, None)
        for tag in ("Markers", "markers"):
            for mk in arr.findall(tag):
                self.markers(mk, self.root_scope(mk.get("timeUnit") or unit))

    def root_scope(self, unit: str) -> _Scope:
        return _Scope(unit, (lambda t: t) if unit == "seconds" else self.beat_to_s)

    def lanes(self, el: etree._Element, scope: _Scope, strip: str | None) -> None:
        strip = self.strip_of_track.get(el.get("track") or "", strip)
        if el.get("timeUnit") and el.get("timeUnit") != scope.unit:
            scope = self.root_scope(el.get("timeUnit", "beats"))
        for child in el:
            tag = str(child.tag)
            local = scope
            if child.get("timeUnit") and child.get("timeUnit") != scope.unit:
                local = self.root_scope(child.get("timeUnit", "beats"))
            if tag == "Lanes":
                self.lanes(child, local, strip)
            elif tag == "Clips":
                if strip is None:
                    self.lose("clips", "a lane of no track", "not placed on any track")
                    continue
                for clip in child.findall("Clip"):
                    self.top_clip(clip, local, strip)
            elif tag == "Points":
                self.points(child, local)
            elif tag in ("Markers", "markers"):
                self.markers(child, local)
            else:
                self.lose(f"<{tag}> on a track lane", f"track {strip!r}", "not understood here")

    def markers(self, el: etree._Element, scope: _Scope) -> None:
        for m in el.findall("Marker"):
            self.b.marker(m.get("name") or "", scope.to_song(_req(m, "time")))
            self.carry("markers")

    def top_clip(self, clip: etree._Element, scope: _Scope, strip: str) -> None:
        kind = self.kinds.get(strip, TrackKind.AUDIO)
        name = clip.get("name") or ""
        where = (
            f"Clip {name!r} on track {strip!r}"
            if name
            else f"Clip at {clip.get('time')} on track {strip!r}"
        )
        if clip.get("enable") == "false":
            self.lose("disabled clip", where, "not imported")
            return
        pieces: list[_Piece] = []
        notes: list[tuple[float, float, int, int]] = []
        start_s, end_s = self.clip(clip, scope, pieces, notes, where, top=True)
        if pieces:
            if kind == TrackKind.MIDI:
                self.lose(
                    "audio clip on a note track", where, "a MIDI track of producer holds notes only"
                )
                return
            for p in pieces:
                mf = self.b.media[p.media]
                self.b.clip(
                    strip,
                    mf,
                    p.start,
                    p.source,
                    p.length,
                    where,
                    fade_in_s=p.fade_in,
                    fade_out_s=p.fade_out,
                    name=p.name or name,
                )
            self.carry("audio clips (position, length, source offset)")
        if notes or (kind == TrackKind.MIDI and clip.find("Notes") is not None):
            if kind != TrackKind.MIDI:
                self.lose(
                    "note clip on an audio track", where, "a producer audio track holds audio only"
                )
                return
            b0 = self.s_to_beat(start_s)
            b1 = self.s_to_beat(end_s)
            mc = MidiClip(
                id="m",
                start_beat=b0,
                length_beats=b1 - b0,
                notes=tuple(
                    sorted(
                        (Note(k, v, s - b0, d) for s, d, k, v in notes),
                        key=lambda n: (n.start_beat, n.pitch),
                    )
                ),
                name=name,
            )
            self.b.midi_clip(strip, mc)
            self.carry("MIDI notes")

    def clip(
        self,
        clip: etree._Element,
        scope: _Scope,
        pieces: list[_Piece],
        notes: list[tuple[float, float, int, int]],
        where: str,
        top: bool = False,
    ) -> tuple[float, float]:
        """Unroll ``clip`` into audio pieces and notes (song seconds / song beats); returns its
        song-time extent in seconds."""
        time = _req(clip, "time")
        cu = clip.get("contentTimeUnit") or scope.unit
        play_start = _f(clip, "playStart", 0.0) or 0.0
        play_stop = _f(clip, "playStop")
        duration = _f(clip, "duration")
        start_s = scope.to_song(time)
        if duration is None:
            if play_stop is None:
                raise FormatError(f"{where}: has neither duration nor playStop")
            span = play_stop - play_start
            end_s = (
                start_s + span
                if cu == "seconds"
                else self.beat_to_s(self.s_to_beat(start_s) + span)
            )
        else:
            end_s = scope.to_song(time + duration)
        # Content length in content units.
        if cu == "seconds":
            total = end_s - start_s
            base = start_s

            def content_song(x: float) -> float:
                return base + x
        else:
            b0 = self.s_to_beat(start_s)
            total = self.s_to_beat(end_s) - b0

            def content_song(x: float) -> float:
                return self.beat_to_s(b0 + x)

        loop_start, loop_end = _f(clip, "loopStart"), _f(clip, "loopEnd")
        segments: list[tuple[float, float, float]] = []  # (content a, content b, elapsed)
        if loop_start is not None and loop_end is not None and loop_end > loop_start:
            a, elapsed = play_start, 0.0
            while elapsed < total - 1e-9 and len(segments) < 10000:
                b = min(loop_end, a + (total - elapsed))
                if b <= a:
                    a = loop_start
                    continue
                segments.append((a, b, elapsed))
                elapsed += b - a
                a = loop_start
            if len(segments) > 1:
                self.carry("looped clips (unrolled)")
        else:
            stop = play_stop if play_stop is not None else play_start + total
            segments.append((play_start, min(stop, play_start + total), 0.0))
        first_piece = len(pieces)
        for a, b, elapsed in segments:
            sub = _Scope(cu, _shifted(content_song, a, elapsed))
            window = (sub.to_song(a), sub.to_song(b))
            self.content(clip, sub, (a, b), window, pieces, notes, where)
        # Fades (on the whole clip: the first and the last piece).
        fu = clip.get("fadeTimeUnit") or scope.unit
        fin, fout = _f(clip, "fadeInTime", 0.0) or 0.0, _f(clip, "fadeOutTime", 0.0) or 0.0
        if fin < 0:
            self.lose(
                "crossfade by a negative fadeInTime", where, "read as a fade-in of that length"
            )
            fin = -fin

        def seconds_of(x: float, at: float) -> float:
            return x if fu == "seconds" else self.beat_to_s(self.s_to_beat(at) + x) - at

        mine = pieces[first_piece:]
        if mine and (fin or fout):
            first = min(mine, key=lambda p: p.start)
            last = max(mine, key=lambda p: p.start + p.length)
            first.fade_in = max(first.fade_in, seconds_of(fin, start_s))
            last.fade_out = max(
                last.fade_out, seconds_of(fout, end_s - (fout if fu == "seconds" else 0))
            )
            self.carry("fades")
        return start_s, end_s

    def content(
        self,
        clip: etree._Element,
        sub: _Scope,
        span: tuple[float, float],
        window: tuple[float, float],
        pieces: list[_Piece],
        notes: list[tuple[float, float, int, int]],
        where: str,
    ) -> None:
        a, b = span
        for child in clip:
            tag = str(child.tag)
            if tag == "Audio":
                key = self.audio_file(child, where)
                if key is not None:
                    pieces.append(_Piece(sub.to_song(a), a, b - a, key, clip.get("name") or ""))
            elif tag == "Warps":
                self.warps(child, sub, span, pieces, where, clip.get("name") or "")
            elif tag == "Clips":
                inner: list[_Piece] = []
                inner_notes: list[tuple[float, float, int, int]] = []
                for c in child.findall("Clip"):
                    if c.get("enable") == "false":
                        self.lose("disabled clip", where, "not imported")
                        continue
                    self.clip(c, sub, inner, inner_notes, where)
                pieces += _cut(inner, window)
                w0, w1 = self.s_to_beat(window[0]), self.s_to_beat(window[1])
                for s, d, k, v in inner_notes:
                    if w0 - 1e-9 <= s < w1 - 1e-9:
                        notes.append((s, min(d, w1 - s), k, v))
            elif tag == "Notes":
                for n in child.findall("Note"):
                    t = _req(n, "time")
                    if not a - 1e-9 <= t < b - 1e-9:
                        continue
                    d = min(_req(n, "duration"), b - t)
                    s_beat = self.s_to_beat(sub.to_song(t))
                    e_beat = self.s_to_beat(sub.to_song(t + d))
                    vel = _f(n, "vel", 0.8) or 0.0
                    notes.append(
                        (
                            s_beat,
                            e_beat - s_beat,
                            int(_req(n, "key")),
                            max(1, min(127, round(vel * 127))),
                        )
                    )
            elif tag == "Points":
                self.lose("clip automation", where, "producer automation lives on tracks")
            else:
                self.lose(f"<{tag}> in a clip", where, "not understood here")

    def warps(
        self,
        w: etree._Element,
        sub: _Scope,
        span: tuple[float, float],
        pieces: list[_Piece],
        where: str,
        name: str,
    ) -> None:
        pts = sorted((_req(p, "time"), _req(p, "contentTime")) for p in w.findall("Warp"))
        if len(pts) < 2:
            raise FormatError(f"{where}: <Warps> needs at least two <Warp> points")
        if w.get("contentTimeUnit") != "seconds":
            self.lose("warped content in beats", where, "not understood here")
            return

        def to_content(t: float) -> float:
            for (t0, c0), (t1, c1) in itertools.pairwise(pts):
                if t <= t1 or (t1, c1) == pts[-1]:
                    return c0 + (t - t0) * (c1 - c0) / (t1 - t0) if t1 != t0 else c0
            return pts[-1][1]

        a, b = span
        ca, cb = to_content(a), to_content(b)
        song_span = sub.to_song(b) - sub.to_song(a)
        if cb > ca and abs(song_span / (cb - ca) - 1.0) > 1e-3:
            self.lose(
                "time-stretched audio (warps)",
                where,
                "producer plays audio at its own speed: placed unstretched",
            )
        audio = w.find("Audio")
        if audio is None:
            self.lose("warped content other than audio", where, "not understood here")
            return
        key = self.audio_file(audio, where)
        if key is not None:
            pieces.append(_Piece(sub.to_song(a), ca, cb - ca, key, name))

    def audio_file(self, audio: etree._Element, where: str) -> str | None:
        f = audio.find("File")
        if f is None:
            raise FormatError(f"{where}: <Audio> has no <File>")
        path = f.get("path") or ""
        if not path:
            raise FormatError(f"{where}: <File> has no path")
        key = path
        if key in self.b.media:
            return key
        found: Path | None = None
        if f.get("external") != "true" and self.archive is not None:
            found = self.extract(path, where)
        if found is None:
            found = find_media(path, self.source.parent, self.media_dirs)
        dur = _f(audio, "duration", 0.0) or 0.0
        rate = int(_f(audio, "sampleRate", 0.0) or 0)
        self.b.media_file(key, found, int(_f(audio, "channels", 0.0) or 0), rate, round(dur * rate))
        return key

    def extract(self, member: str, where: str) -> Path | None:
        assert self.archive is not None
        try:
            info = self.archive.getinfo(member)
        except KeyError:
            return None
        safe = re.sub(r"[^\w.+-]+", "_", member)
        dst = self.workdir / safe
        try:
            with self.archive.open(info) as src, open(dst, "wb") as out:
                while chunk := src.read(1 << 20):
                    out.write(chunk)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise FormatError(
                f"{self.source}: {member}: cannot be read from the archive ({exc})"
            ) from None
        return dst

    # ---------------------------------------------------------------- automation

    def points(self, el: etree._Element, scope: _Scope) -> None:
        target = el.find("Target")
        pid = target.get("parameter") if target is not None else None
        if pid is None:
            what = target.get("expression") if target is not None else "?"
            self.lose(
                f"{what} expression automation",
                "a Points lane",
                "producer automates mixer and effect parameters",
            )
            return
        if pid == self.tempo_id:
            self.lose(
                "tempo automation as Points", "a Points lane", "read from TempoAutomation only"
            )
            return
        param = self.params.get(pid)
        if param is None:
            self.lose(
                "automation of an unknown parameter",
                f"Points {el.get('id') or ''}".strip(),
                "its parameter is not one producer imports",
            )
            return
        raw: list[tuple[float, float, str]] = []
        for p in el:
            if p.tag == "BoolPoint":
                raw.append(
                    (
                        scope.to_song(_req(p, "time")),
                        1.0 if p.get("value") == "true" else 0.0,
                        "hold",
                    )
                )
            elif p.tag == "RealPoint":
                raw.append(
                    (
                        scope.to_song(_req(p, "time")),
                        _req(p, "value"),
                        p.get("interpolation") or "linear",
                    )
                )
            elif p.tag != "Target":
                self.lose(f"<{p.tag!s}> automation point", param.strip, "not understood here")
        if not raw:
            return
        raw.sort(key=lambda x: x[0])
        rate = self.b.rate
        step = param.kind == "bool" or all(x[2] == "hold" for x in raw)
        pts: list[tuple[float, float]] = []
        for i, (t, v, interp) in enumerate(raw):
            pts.append((max(t, 0.0), v))
            if (
                not step
                and interp == "hold"
                and i + 1 < len(raw)
                and raw[i + 1][0] - t > 1.0 / rate
            ):
                pts.append((raw[i + 1][0] - 1.0 / rate, v))  # a hold in a linear lane
        if param.kind == "gain" and not step:
            conv = gain_lane_to_db(pts, 1.0 / rate)
        elif param.kind == "hz" and not step:
            from producer.interchange.curves import convert_lane

            conv = convert_lane(
                pts, semitones_to_hz, lambda x, y: abs(x - y) <= 1e-4 * max(x, y), 1.0 / rate
            )
        else:
            conv = [(t, param.convert(v)) for t, v in pts]
        points = tuple(AutomationPoint(self.b.frames(t), v) for t, v in conv)
        lane = AutomationLane(
            param.target, points, Interpolation.STEP if step else Interpolation.LINEAR
        )
        strip = self._strip(param.strip)
        lanes = tuple(x for x in getattr(strip, "automation", ()) if x.target != param.target)
        self._set(param.strip, automation=(*lanes, lane))
        self.carry("automation")


def _divide_by(scale: float) -> Callable[[float], float]:
    return lambda v: v / scale


def _shifted(f: Callable[[float], float], a: float, elapsed: float) -> Callable[[float], float]:
    """Content time of a loop pass starting at content ``a`` after ``elapsed`` → song time."""
    return lambda c: f(elapsed + (c - a))


def _cut(pieces: list[_Piece], window: tuple[float, float]) -> list[_Piece]:
    w0, w1 = window
    out = []
    for p in pieces:
        a, b = max(p.start, w0), min(p.start + p.length, w1)
        if b - a <= 1e-9:
            continue
        out.append(
            replace(
                p,
                start=a,
                source=p.source + (a - p.start),
                length=b - a,
                fade_in=p.fade_in if a == p.start else 0.0,
                fade_out=p.fade_out if b == p.start + p.length else 0.0,
            )
        )
    return out


def _metadata(data: bytes | None, b: Builder, where: str) -> dict[str, str]:
    if data is None:
        return {}
    root = parse_xml(data, where)
    if root.tag != "MetaData":
        raise FormatError(f"{where}: root element <{root.tag!s}> is not a DAWproject <MetaData>")
    out: dict[str, str] = {}
    for el in root:
        text = (el.text or "").strip()
        if not text:
            continue
        if el.tag == "Title":
            out["title"] = text
        elif el.tag in ("Songwriter", "Composer") and "songwriter" not in out:
            out["songwriter"] = text
            b.song = replace(b.song, songwriter=text)
            b.report.carry("songwriter")
        elif el.tag == "Artist":
            out["artist"] = text
        elif el.tag == "Album":
            out["album"] = text
        elif el.tag == "Year":
            out["year"] = text
        else:
            b.report.lose(
                f"{el.tag!s} {text!r}", "metadata.xml", "a producer song has no such field"
            )
    return out


def read(
    path: Path, title: str, rate: int, workdir: Path, media_dirs: tuple[Path, ...]
) -> ImportedSession:
    """Read ``path`` (a ``.dawproject`` ZIP or a bare ``project.xml``); FormatError naming the
    file and element on anything malformed."""
    archive: zipfile.ZipFile | None = None
    meta_data: bytes | None = None
    head = path.read_bytes()[:4]
    if head.startswith(b"PK"):
        try:
            archive = zipfile.ZipFile(path)
            names = archive.namelist()
            if "project.xml" not in names:
                raise FormatError(f"{path}: not a DAWproject: the archive holds no project.xml")
            data = archive.read("project.xml")
            meta_data = archive.read("metadata.xml") if "metadata.xml" in names else None
        except (zipfile.BadZipFile, EOFError, OSError) as exc:
            raise FormatError(
                f"{path}: not a readable DAWproject archive (a damaged or truncated ZIP: {exc})"
            ) from None
        where = f"{path}: project.xml"
    else:
        data = path.read_bytes()
        where = str(path)
    root = parse_xml(data, where)
    if root.tag != "Project":
        raise FormatError(f"{where}: root element <{root.tag!s}> is not a DAWproject <Project>")
    if root.find("Application") is None:
        raise FormatError(f"{where}: <Project> has no <Application> (not a DAWproject)")
    b = Builder(title, rate, path, FORMAT)
    meta = _metadata(meta_data, b, f"{path}: metadata.xml")
    r = _Reader(b, path, archive, workdir, media_dirs)
    try:
        r.transport(root)
        r.structure(root)
        r.arrangement(root)
    except FormatError as exc:
        msg = exc.message
        raise FormatError(msg if msg.startswith(str(path)) else f"{where}: {msg}") from None
    scenes = root.find("Scenes")
    if scenes is not None and any(cs.find("Clip") is not None for cs in scenes.iter("ClipSlot")):
        b.report.lose("clip launcher scenes", "Scenes", "producer songs are one timeline")
    app = root.find("Application")
    if app is not None:
        b.report.carry(f"from {app.get('name', '?')} {app.get('version', '')}".strip())
    if archive is not None:
        archive.close()
    return b.finish(meta)


__all__ = ["read"]
