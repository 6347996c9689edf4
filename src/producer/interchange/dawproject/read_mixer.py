"""DAWproject in, the mixer: tracks, channels, buses, the master, routing and sends.

A track with a channel becomes a producer track (audio, or MIDI when its content is notes
only); an ``effect``, ``submix`` or ``vca`` channel, or a track holding tracks (a folder),
becomes a bus; the ``master`` channel is the master. Outputs (``destination``, else the folder)
and sends are resolved once every channel is known; a send that would close a routing cycle,
a disabled one and a send's pan are reported lost.
"""

from __future__ import annotations

from lxml import etree

from producer.interchange.dawproject.read_devices import DeviceReader
from producer.interchange.dawproject.read_state import float_attr
from producer.interchange.session import feeds
from producer.model import MASTER, Send, TrackKind


class MixerReader(DeviceReader):
    """Reads ``<Structure>``: the strips, their settings, devices, outputs and sends."""

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
                    float_attr(vol, "value", 1.0 if conv[1] == "gain" else 0.0) or 0.0
                )
                self.register(vol, strip, "gain_db", *conv)
                self.carry("fader levels")
        pan = ch.find("Pan")
        if pan is not None:
            conv_pan = self.pan_converter(pan)
            changes["pan"] = max(-1.0, min(1.0, conv_pan(float_attr(pan, "value", 0.5) or 0.0)))
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
                level = conv[0](float_attr(vol, "value", 1.0) or 0.0)
                self.register(vol, strip, f"sends.{dest}.level_db", *conv)
        pan = el.find("Pan")
        if (
            pan is not None
            and abs(self.pan_converter(pan)(float_attr(pan, "value", 0.5) or 0.5)) > 1e-6
        ):
            self.lose("send pan", where, "producer sends have no pan")
        strip_obj = self._strip(strip)
        sends = (
            *getattr(strip_obj, "sends", ()),
            Send(bus=dest, level_db=level, pre_fader=el.get("type") == "pre"),
        )
        self._set(strip, sends=sends)
        self.carry("sends")


__all__ = ["MixerReader"]
