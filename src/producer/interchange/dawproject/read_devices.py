"""DAWproject in, the devices: the four standard devices as our effect slots.

``Compressor``, ``NoiseGate`` and ``Limiter`` become our dynamics (``mapping.DEVICES`` gives
each parameter's element and scale), ``Equalizer`` bands become EQs of four bands each, an
input or output gain a ``gain`` slot. Values outside our ranges fall back to the default and
are reported; instruments and plug-ins (state only their DAW can play) are reported lost.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from producer.interchange.curves import semitones_to_hz, to_db
from producer.interchange.dawproject.mapping import DEVICES, EQ_FROM
from producer.interchange.dawproject.read_state import ReaderState, float_attr
from producer.model import EffectSlot


class DeviceReader(ReaderState):
    """Reads a channel's ``<Devices>`` into insert slots (their parameters registered for
    automation)."""

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
        value = float_attr(el, "value", 0.0) or 0.0
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
            raw = float_attr(el, "value")
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
                    raw = float_attr(el, "value")
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


def _divide_by(scale: float) -> Callable[[float], float]:
    return lambda v: v / scale


__all__ = ["DeviceReader"]
