"""DAWproject out: the song as a ``.dawproject`` ZIP (Bitwig, Studio One, Cubase, ...).

A ``.dawproject`` is a ZIP of ``project.xml`` and ``metadata.xml`` (schemas ``Project.xsd`` and
``MetaData.xsd`` of bitwig/dawproject 1.0, which our tests validate against with lxml) and the
audio. What we write, and why so:

* **Times.** Audio tracks' lanes are in seconds (sample-exact: ``frames / rate`` printed with
  Python's shortest round-trip float), MIDI tracks' lanes in beats (notes live on the grid);
  the tempo map is the Transport tempo plus ``TempoAutomation`` (hold points at beats).
* **Levels.** Volumes are ``unit="linear"`` amplitudes and pans ``normalized`` 0..1 (0.5
  centre), as Bitwig writes them. A producer gain lane is linear in dB, a linear volume lane
  linear in amplitude: ``curves.db_lane_to_gains`` adds points until the two agree within
  1e-5. Mute lanes are ``BoolPoint``s.
* **Buses** are tracks whose channel has role ``effect`` (fed by sends) or ``submix`` (tracks
  output to it, through ``destination``); the master is the channel with role ``master``.
* **Effects.** DAWproject's four standard devices hold our EQs and dynamics with their
  parameters (``mapping.DEVICES``); one-band kinds (``highpass``, ``peak``...) are an Equalizer of one
  band. Other kinds are written as a disabled placeholder ``BuiltinDevice`` named after the
  kind, without parameters, and reported lost.
* **Not in DAWproject 1.0** (reported by ``carry.reduce`` through ``mapping.CARRIES``): clip gain (an
  optional ``Clip/Gain`` is only proposed, bitwig/dawproject PR #105), fade shapes (fades are
  lengths), polarity, section ranges (markers are points: a section is written as a marker at
  its start), the song's key, ISRC, a compressor's knee, sidechains, a limiter's true-peak mode.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from lxml import etree

from producer.fileio import atomic_output
from producer.interchange.carry import playing_clips
from producer.interchange.curves import db_lane_to_gains, to_gain
from producer.interchange.dawproject.mapping import DEVICES, EQ_TYPES, ONE_BAND
from producer.interchange.session import MediaLookup
from producer.model import (
    MASTER,
    Album,
    AutomationLane,
    Bus,
    EffectSlot,
    Interpolation,
    MediaRef,
    Song,
    Track,
    TrackKind,
)

APPLICATION = ("producer", "0.1.0")


def _num(x: float) -> str:
    """Shortest text that reads back as the same double."""
    return repr(float(x))


class _Ids:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return f"id{self.n}"


class _Writer:
    def __init__(self, song: Song, media: MediaLookup) -> None:
        self.song = song
        self.rate = song.sample_rate
        self.media = media
        self.ids = _Ids()
        self.channel_ids: dict[str, str] = {}
        self.params: dict[tuple[str, str], tuple[str, str]] = {}
        """(strip name, automation target) → (parameter id, unit)."""
        self.files: dict[str, Path] = {}
        self.names: dict[str, str] = {}
        self.tempo_id = ""

    # ---------------------------------------------------------------- parameters

    def real(
        self,
        parent: etree._Element,
        tag: str,
        value: float,
        unit: str,
        name: str = "",
        lo: float | None = None,
        hi: float | None = None,
    ) -> etree._Element:
        e = etree.SubElement(parent, tag)
        if hi is not None:
            e.set("max", _num(hi))
        if lo is not None:
            e.set("min", _num(lo))
        e.set("unit", unit)
        e.set("value", _num(value))
        e.set("id", self.ids())
        if name:
            e.set("name", name)
        return e

    def boolean(
        self, parent: etree._Element, tag: str, value: bool, name: str = ""
    ) -> etree._Element:
        e = etree.SubElement(parent, tag, value="true" if value else "false", id=self.ids())
        if name:
            e.set("name", name)
        return e

    # ---------------------------------------------------------------- devices

    def devices(self, channel: etree._Element, strip: Track | Bus) -> None:
        if not strip.inserts:
            return
        devs = etree.SubElement(channel, "Devices")
        for n, slot in enumerate(strip.inserts, start=1):
            self.device(devs, strip.name, n, slot)

    def device(self, devs: etree._Element, strip: str, n: int, slot: EffectSlot) -> None:
        from producer.dsp import catalog

        known = slot.kind in DEVICES or slot.kind == "eq" or slot.kind in ONE_BAND
        values = catalog.resolve_params(slot.kind, slot.params) if known else {}
        if slot.kind in DEVICES:
            element, params = DEVICES[slot.kind]
            d = self._device_head(devs, element, slot)
            for p in params:
                e = self.real(d, p.element, float(values[p.ours]) * p.scale, p.unit, p.element)
                self.params[(strip, f"fx.{n}.{p.ours}")] = (e.get("id", ""), p.unit)
            return
        if slot.kind == "eq" or slot.kind in ONE_BAND:
            d = self._device_head(devs, "Equalizer", slot)
            bands = (
                [(str(i), f"band{i}_") for i in range(1, 5)] if slot.kind == "eq" else [("1", "")]
            )
            for label, prefix in bands:
                kind = str(values[f"{prefix}type"]) if slot.kind == "eq" else slot.kind
                band = etree.SubElement(d, "Band", type=EQ_TYPES.get(kind, "bell"))
                if kind in ("highpass", "lowpass"):
                    band.set("order", str(values.get("order", 2)))
                freq = f"{prefix}frequency_hz" if prefix else "cutoff_frequency_hz"
                e = self.real(band, "Freq", float(values[freq]), "hertz", f"Band {label} Frequency")
                self.params[(strip, f"fx.{n}.{freq}")] = (e.get("id", ""), "hertz")
                gain = f"{prefix}gain_db"
                if gain in values:
                    e = self.real(
                        band, "Gain", float(values[gain]), "decibel", f"Band {label} Gain"
                    )
                    self.params[(strip, f"fx.{n}.{gain}")] = (e.get("id", ""), "decibel")
                q = f"{prefix}q"
                e = self.real(band, "Q", float(values[q]), "linear", f"Band {label} Q")
                self.params[(strip, f"fx.{n}.{q}")] = (e.get("id", ""), "linear")
                self.boolean(band, "Enabled", kind != "off", f"Band {label} On")
            return
        # No standard device: a disabled placeholder (carry.reduce reported it).
        d = etree.SubElement(
            devs,
            "BuiltinDevice",
            deviceName=f"producer {slot.kind}",
            deviceRole="audioFX",
            deviceVendor="producer",
            loaded="false",
            id=self.ids(),
            name=slot.name or slot.kind,
        )
        self.boolean(d, "Enabled", False, "On/Off")

    def _device_head(self, devs: etree._Element, element: str, slot: EffectSlot) -> etree._Element:
        d = etree.SubElement(
            devs,
            element,
            deviceName=slot.name or element,
            deviceRole="audioFX",
            deviceVendor="producer",
            loaded="true",
            id=self.ids(),
            name=slot.name or slot.kind,
        )
        self.boolean(d, "Enabled", not slot.bypass, "On/Off")
        return d

    # ---------------------------------------------------------------- structure

    def channel(
        self, track_el: etree._Element, strip: Track | Bus, role: str, channels: int
    ) -> None:
        cid = self.channel_ids[strip.name]
        ch = etree.SubElement(track_el, "Channel", audioChannels=str(channels))
        if strip.name != MASTER:
            ch.set("destination", self.channel_ids[strip.output])
        ch.set("role", role)
        ch.set("solo", "true" if strip.solo else "false")
        ch.set("id", cid)
        self.devices(ch, strip)
        mute = self.boolean(ch, "Mute", strip.mute, "Mute")
        self.params[(strip.name, "mute")] = (mute.get("id", ""), "bool")
        pan = self.real(ch, "Pan", (strip.pan + 1.0) / 2.0, "normalized", "Pan", 0.0, 1.0)
        self.params[(strip.name, "pan")] = (pan.get("id", ""), "normalized")
        if strip.sends:
            sends = etree.SubElement(ch, "Sends")
            for s in strip.sends:
                send = etree.SubElement(
                    sends,
                    "Send",
                    destination=self.channel_ids[s.bus],
                    type="pre" if s.pre_fader else "post",
                    id=self.ids(),
                )
                self.boolean(send, "Enable", True)
                level = to_gain(s.level_db)
                v = self.real(send, "Volume", level, "linear", "Send", 0.0, max(2.0, level))
                self.params[(strip.name, f"sends.{s.bus}.level_db")] = (v.get("id", ""), "linear")
        gain = to_gain(strip.gain_db)
        vol = self.real(ch, "Volume", gain, "linear", "Volume", 0.0, max(2.0, gain))
        self.params[(strip.name, "gain_db")] = (vol.get("id", ""), "linear")

    def structure(self, root: etree._Element) -> dict[str, str]:
        """Tracks, buses, master; returns strip name → track element id."""
        song = self.song
        track_ids: dict[str, str] = {}
        for name in [t.name for t in song.tracks] + [b.name for b in song.buses] + [MASTER]:
            track_ids[name] = self.ids()
            self.channel_ids[name] = self.ids()
        structure = etree.SubElement(root, "Structure")
        fed_by_output = {t.output for t in song.tracks} | {b.output for b in song.buses}
        for t in song.tracks:
            midi = t.kind == TrackKind.MIDI
            el = etree.SubElement(
                structure,
                "Track",
                contentType="notes" if midi else "audio",
                loaded="true",
                id=track_ids[t.name],
                name=t.name,
            )
            clips = playing_clips(t)
            mono = bool(clips) and all(c.media.channels == 1 for c in clips) and not midi
            self.channel(el, t, "regular", 1 if mono else 2)
        for b in song.buses:
            el = etree.SubElement(
                structure,
                "Track",
                contentType="audio",
                loaded="true",
                id=track_ids[b.name],
                name=b.name,
            )
            self.channel(el, b, "submix" if b.name in fed_by_output else "effect", 2)
        el = etree.SubElement(
            structure,
            "Track",
            contentType="audio notes",
            loaded="true",
            id=track_ids[MASTER],
            name="Master",
        )
        self.channel(el, song.master, "master", 2)
        return track_ids

    # ---------------------------------------------------------------- arrangement

    def seconds(self, frames: int) -> str:
        return _num(frames / self.rate)

    def audio_name(self, ref: MediaRef) -> str:
        if ref.path in self.names:
            return self.names[ref.path]
        base = (ref.source_name or Path(ref.path).name or "audio").replace("/", "_")
        ext = Path(ref.path).suffix or Path(base).suffix or ".wav"
        stem = Path(base).stem
        name, k = f"audio/{stem}{ext}", 1
        while name in self.files:
            k += 1
            name = f"audio/{stem}-{k}{ext}"
        self.names[ref.path] = name
        found = self.media(ref)
        if found is not None:
            self.files[name] = found
        return name

    def audio_lane(self, lanes: etree._Element, t: Track) -> None:
        clips_el = etree.SubElement(lanes, "Clips", id=self.ids())
        for c in playing_clips(t):
            clip = etree.SubElement(
                clips_el,
                "Clip",
                time=self.seconds(c.start_frame),
                duration=self.seconds(c.length_frames),
                contentTimeUnit="seconds",
                playStart=self.seconds(c.source_start_frame),
                fadeTimeUnit="seconds",
                fadeInTime=self.seconds(c.fade_in.length_frames),
                fadeOutTime=self.seconds(c.fade_out.length_frames),
                enable="true",
                name=c.name or c.media.source_name or c.id,
            )
            audio = etree.SubElement(
                clip,
                "Audio",
                channels=str(c.media.channels),
                sampleRate=str(c.media.sample_rate),
                duration=_num(c.media.frames / c.media.sample_rate),
                id=self.ids(),
            )
            name = self.audio_name(c.media)
            f = etree.SubElement(audio, "File", path=name)
            if name not in self.files:
                f.set("external", "true")
                f.set("path", c.media.source_name or name)

    def midi_lane(self, lanes: etree._Element, t: Track) -> None:
        clips_el = etree.SubElement(lanes, "Clips", id=self.ids())
        for mc in t.midi_clips:
            clip = etree.SubElement(
                clips_el,
                "Clip",
                time=_num(mc.start_beat),
                duration=_num(mc.length_beats),
                playStart="0.0",
                enable="true",
                name=mc.name or mc.id,
            )
            notes = etree.SubElement(clip, "Notes", id=self.ids())
            for note in mc.notes:
                etree.SubElement(
                    notes,
                    "Note",
                    time=_num(note.start_beat),
                    duration=_num(note.length_beats),
                    channel="0",
                    key=str(note.pitch),
                    vel=_num(note.velocity / 127.0),
                    rel=_num(note.velocity / 127.0),
                )

    def automation(self, lanes: etree._Element, strip: Track | Bus) -> None:
        for lane in strip.automation:
            pid, unit = self.params[(strip.name, lane.target)]
            pts = etree.SubElement(lanes, "Points", timeUnit="seconds", id=self.ids())
            if unit != "bool":
                pts.set("unit", unit)
            etree.SubElement(pts, "Target", parameter=pid)
            interp = "hold" if lane.interpolation == Interpolation.STEP else "linear"
            for t, v in self.lane_points(strip, lane, unit):
                if unit == "bool":
                    etree.SubElement(
                        pts, "BoolPoint", time=_num(t), value="true" if v >= 0.5 else "false"
                    )
                else:
                    etree.SubElement(
                        pts, "RealPoint", time=_num(t), value=_num(v), interpolation=interp
                    )

    def lane_points(
        self, strip: Track | Bus, lane: AutomationLane, unit: str
    ) -> list[tuple[float, float]]:
        """(seconds, value in the parameter's DAWproject unit) of a lane."""
        raw = [(p.frame / self.rate, p.value) for p in lane.points]
        target = lane.target
        if target == "gain_db" or target.endswith(".level_db"):
            if lane.interpolation == Interpolation.STEP:
                return [(t, to_gain(v)) for t, v in raw]
            return db_lane_to_gains(raw, 1.0 / self.rate)
        if target == "pan":
            return [(t, (v + 1.0) / 2.0) for t, v in raw]
        if target.startswith("fx."):
            _, n, param = target.split(".")
            slot = strip.inserts[int(n) - 1]
            scale = next(
                (p.scale for p in DEVICES.get(slot.kind, ("", ()))[1] if p.ours == param), 1.0
            )
            return [(t, v * scale) for t, v in raw]
        return raw

    def arrangement(self, root: etree._Element, track_ids: dict[str, str]) -> None:
        song = self.song
        arr = etree.SubElement(root, "Arrangement", id=self.ids())
        lanes = etree.SubElement(arr, "Lanes", timeUnit="seconds", id=self.ids())
        for t in song.tracks:
            midi = t.kind == TrackKind.MIDI
            tl = etree.SubElement(lanes, "Lanes", track=track_ids[t.name], id=self.ids())
            if midi:
                tl.set("timeUnit", "beats")
                self.midi_lane(tl, t)
            else:
                self.audio_lane(tl, t)
            self.automation(tl, t)
        for b in [*song.buses, song.master]:
            if b.automation:
                tl = etree.SubElement(lanes, "Lanes", track=track_ids[b.name], id=self.ids())
                self.automation(tl, b)
        points = [(m.frame, m.name) for m in song.markers]
        if points:
            markers = etree.SubElement(arr, "Markers", timeUnit="seconds", id=self.ids())
            for frame, name in sorted(points):
                etree.SubElement(markers, "Marker", time=self.seconds(frame), name=name)
        if song.tempo_changes:
            tempo = etree.SubElement(
                arr, "TempoAutomation", timeUnit="beats", unit="bpm", id=self.ids()
            )
            etree.SubElement(tempo, "Target", parameter=self.tempo_id)
            etree.SubElement(
                tempo, "RealPoint", time="0.0", value=_num(song.tempo_bpm), interpolation="hold"
            )
            for c in sorted(song.tempo_changes, key=lambda c: c.beat):
                etree.SubElement(
                    tempo, "RealPoint", time=_num(c.beat), value=_num(c.bpm), interpolation="hold"
                )

    def project(self) -> bytes:
        song = self.song
        root = etree.Element("Project", version="1.0")
        etree.SubElement(root, "Application", name=APPLICATION[0], version=APPLICATION[1])
        transport = etree.SubElement(root, "Transport")
        tempo = self.real(transport, "Tempo", song.tempo_bpm, "bpm", "Tempo", 20.0, 999.0)
        self.tempo_id = tempo.get("id", "")
        etree.SubElement(
            transport,
            "TimeSignature",
            denominator=str(song.time_signature.denominator),
            numerator=str(song.time_signature.numerator),
            id=self.ids(),
        )
        track_ids = self.structure(root)
        self.arrangement(root, track_ids)
        return bytes(
            etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
        )


def metadata_xml(song: Song, album: Album) -> bytes:
    root = etree.Element("MetaData")
    for tag, value in (
        ("Title", song.title),
        ("Artist", album.artist),
        ("Album", album.title),
        ("Songwriter", song.songwriter),
        ("Year", str(album.year) if album.year else ""),
    ):
        if value:
            etree.SubElement(root, tag).text = value
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def write(song: Song, album: Album, out: Path, media: MediaLookup) -> None:
    """Write ``song`` (already reduced by ``carry.reduce`` with ``CARRIES``) to ``out``."""
    w = _Writer(song, media)
    project = w.project()
    with atomic_output(out) as tmp, zipfile.ZipFile(tmp, "w") as z:
        z.writestr("project.xml", project, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("metadata.xml", metadata_xml(song, album), compress_type=zipfile.ZIP_DEFLATED)
        for name, path in w.files.items():
            z.write(path, name, compress_type=zipfile.ZIP_STORED)


__all__ = ["metadata_xml", "write"]
