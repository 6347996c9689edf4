"""Ardour sessions in (``.ardour`` XML of Ardour 2, 3 and 6+; import only).

What is read, by generation (the tags and attributes as the sessions in testdata write them):

* **Sources** ``<Source name id type>``: file names, looked for under the session folder
  (``interchange/<name>/audiofiles``, ``sounds``), beside it, and in ``--media-dir``; MIDI sources
  (``.mid``) are read with mido into MIDI parts.
* **Playlists and regions**: a route's playlist is ``diskstream-id`` → ``<AudioDiskstream
  playlist=name>`` (Ardour 2), ``<Diskstream playlist=name>`` in the route (Ardour 3), or
  ``audio-playlist``/``midi-playlist`` = playlist id (Ardour 6). A ``<Region>``'s ``position``,
  ``start`` and ``length`` are samples at the session rate, or ``a<superclock>`` (Ardour 7,
  ``superclocks-per-second`` from the tempo map, 282 240 000 when absent); ``scale-gain`` /
  ``scale-amplitude`` is the clip gain; active fades keep their length (the curve is not kept).
* **Routes**: gain (``IO gain`` in Ardour 2, the ``amp`` processor's ``gaincontrol`` later), pan
  (``StreamPanner x`` / ``pan-azimuth``, 0 = left, 1 = right; unverified against Ardour itself),
  mute, solo, phase invert, and the output: a route connected to a bus route goes to that bus.
* **Tempo and meter** (``<TempoMap>``), markers (``<Location flags="IsMark">``).

Plug-ins, sends, automation, crossfade curves and layering are reported, not imported.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from lxml import etree

from producer.errors import FormatError
from producer.interchange.curves import to_db
from producer.interchange.session import Builder, ImportedSession, find_media
from producer.model import (
    MASTER,
    MidiClip,
    Note,
    TimeSignature,
    TrackKind,
    timing,
)
from producer.model import edit as ed

FORMAT = "Ardour"
DEFAULT_SUPERCLOCK = 282_240_000
_SAFE = etree.XMLParser(resolve_entities=False, no_network=True)


def _yes(v: str | None) -> bool:
    return (v or "").lower() in ("yes", "1", "true")


class _Reader:
    def __init__(
        self, b: Builder, root: etree._Element, path: Path, media_dirs: tuple[Path, ...]
    ) -> None:
        self.b = b
        self.root = root
        self.path = path
        self.session_rate = int(root.get("sample-rate") or 0) or b.rate
        tm = root.find("TempoMap")
        sc = tm.get("superclocks-per-second") if tm is not None else None
        self.superclock = int(sc) if sc and sc.isdigit() else DEFAULT_SUPERCLOCK
        base = path.parent
        self.media_dirs = (*media_dirs, base / "interchange", base / "sounds", base)
        self.sources = {s.get("id", ""): s for s in root.iter("Source")}
        self.r = b.report

    def seconds(self, text: str | None, where: str) -> float:
        """Samples at the session rate, or ``a<superclock>``, as seconds."""
        t = (text or "0").strip()
        try:
            if t.startswith("a"):
                return int(t[1:]) / self.superclock
            if t.startswith("b"):
                raise FormatError(f"{where}: a position in beats ({t}) is not read here")
            return int(float(t)) / self.session_rate
        except ValueError:
            raise FormatError(f"{where}: {t!r} is not a position") from None

    def tempo(self) -> None:
        tm = self.root.find("TempoMap")
        if tm is None:
            return
        tempos = tm.findall("Tempo")
        if tempos:
            t = tempos[0]
            bpm = float(t.get("beats-per-minute") or t.get("npm") or 120)
            note = float(t.get("note-type") or 4)
            self.b.song = replace(self.b.song, tempo_bpm=bpm * 4.0 / note)
            self.r.carry("tempo")
            if len(tempos) > 1:
                self.r.lose(
                    f"{len(tempos) - 1} tempo change(s)",
                    "TempoMap",
                    "read as the first tempo (later tempos are not placed)",
                )
        meters = tm.findall("Meter")
        if meters:
            m = meters[0]
            num = float(m.get("divisions-per-bar") or m.get("beats-per-bar") or 4)
            den = int(float(m.get("note-type") or 4))
            self.b.song = replace(self.b.song, time_signature=TimeSignature(int(num), den))
            self.r.carry("time signature")

    def markers(self) -> None:
        locs = self.root.find("Locations")
        if locs is None:
            return
        for loc in locs.findall("Location"):
            flags = loc.get("flags") or ""
            where = f"Location {loc.get('name')!r}"
            if "IsMark" in flags:
                self.b.marker(loc.get("name") or "", self.seconds(loc.get("start"), where))
                self.r.carry("markers")
            elif "IsRangeMarker" in flags:
                self.b.marker(loc.get("name") or "", self.seconds(loc.get("start"), where))
                self.r.lose(
                    f"end of range {loc.get('name')!r}", where, "read as a marker at its start"
                )

    def playlists(self) -> dict[str, etree._Element]:
        out: dict[str, etree._Element] = {}
        for pl in self.root.iter("Playlist"):
            parent = pl.getparent()
            if parent is not None and parent.tag == "UnusedPlaylists":
                continue
            out[pl.get("id", "") or pl.get("name", "")] = pl
            out.setdefault(pl.get("name", ""), pl)
        return out

    def route_name(self, route: etree._Element) -> str:
        if route.get("name"):
            return route.get("name", "")
        io = route.find("IO")
        return io.get("name", "Route") if io is not None else "Route"

    def playlist_of(
        self, route: etree._Element, playlists: dict[str, etree._Element]
    ) -> etree._Element | None:
        for attr in ("audio-playlist", "midi-playlist"):
            if route.get(attr):
                return playlists.get(route.get(attr, ""))
        ds = route.find("Diskstream")
        if ds is not None and ds.get("playlist"):
            return playlists.get(ds.get("playlist", ""))
        dsid = route.get("diskstream-id")
        if dsid:
            for d in self.root.iter("AudioDiskstream", "MidiDiskstream", "Diskstream"):
                if d.get("id") == dsid:
                    return playlists.get(d.get("playlist", ""))
        return None

    def outputs(self, route: etree._Element) -> list[str]:
        """Names of the routes this route's outputs connect to."""
        names: list[str] = []
        for io in route.findall("IO"):
            if io.get("outputs"):  # Ardour 2
                names += re.findall(r"[{,]([^/{},]+)/in \d+", io.get("outputs", ""))
            if io.get("direction") == "Output":
                for c in io.iter("Connection"):
                    other = c.get("other", "")
                    if "/" in other:
                        names.append(other.split("/", 1)[0])
        seen: list[str] = []
        for n in names:
            if n not in seen:
                seen.append(n)
        return seen

    def strip_settings(self, route: etree._Element, strip: str, is_track: bool) -> None:
        where = f"route {strip!r}"
        changes: dict[str, object] = {}
        gain = None
        io = route.find("IO")
        if io is not None and io.get("gain"):
            gain = float(io.get("gain", "1"))
        for proc in route.findall("Processor"):
            if proc.get("type") == "amp":
                for c in proc.findall("Controllable"):
                    if c.get("name") == "gaincontrol" and c.get("value"):
                        gain = float(c.get("value", "1"))
        if gain is not None:
            changes["gain_db"] = to_db(gain)
            if gain != 1.0:
                self.r.carry("fader levels")
        pan = None
        for sp in route.iter("StreamPanner"):
            pan = float(sp.get("x", "0.5"))
            break
        for c in route.iter("Controllable"):
            if c.get("name") == "pan-azimuth" and c.get("value"):
                pan = float(c.get("value", "0.5"))
        if pan is not None:
            changes["pan"] = max(-1.0, min(1.0, 2.0 * pan - 1.0))
            if pan != 0.5:
                self.r.carry("pan")
        muted = _yes(route.get("muted"))
        mm = route.find("MuteMaster")
        if mm is not None:
            muted = muted or _yes(mm.get("muted"))
        for c in route.findall("Controllable"):
            if c.get("name") == "mute" and c.get("value") and float(c.get("value", "0")) > 0:
                muted = True
            if c.get("name") == "solo" and c.get("value") and float(c.get("value", "0")) > 0:
                changes["solo"] = True
        changes["mute"] = muted
        if _yes(route.get("soloed")) or _yes(route.get("self-solo")):
            changes["solo"] = True
        phase = route.get("phase-invert") or ""
        if is_track and ("1" in phase or _yes(phase)):
            changes["polarity_inverted"] = True
            self.r.carry("polarity")
        if muted:
            self.r.carry("mute")
        if strip == MASTER:
            self.b.song = replace(self.b.song, master=replace(self.b.song.master, **changes))  # type: ignore[arg-type]
        elif is_track:
            self.b.song = ed.update_track(self.b.song, strip, **changes)
        else:
            self.b.song = ed.update_bus(self.b.song, strip, **changes)
        for tag in ("Insert", "Processor"):
            for p in route.findall(tag):
                kind = p.get("type") or ""
                if kind in (
                    "amp",
                    "meter",
                    "main-outs",
                    "trim",
                    "polarity",
                    "diskreader",
                    "diskwriter",
                    "monitor",
                    "intreturn",
                ):
                    continue
                label = p.get("name") or kind
                if kind in ("intsend", "send", "extsend", "port"):
                    self.r.lose(f"send {label!r}", where, "Ardour sends are not imported")
                else:
                    self.r.lose(
                        f"plug-in {label!r} ({kind})", where, "Ardour plug-ins are not imported"
                    )
        for al in route.iter("AutomationList"):
            ev = al.find("events")
            if ev is not None and (ev.text or "").strip():
                self.r.lose("automation", where, "Ardour automation is not imported")
                break

    def region(self, reg: etree._Element, strip: str, kind: TrackKind, where_pl: str) -> None:
        name = reg.get("name") or reg.get("id") or "region"
        where = f"Region {name!r} on {where_pl}"
        if _yes(reg.get("muted")) or "Muted" in (reg.get("flags") or ""):
            self.r.lose("muted region", where, "not imported")
            return
        pos = self.seconds(reg.get("position"), where)
        start = self.seconds(reg.get("start"), where)
        length = self.seconds(reg.get("length"), where)
        src = self.sources.get(reg.get("source-0") or "")
        if src is None:
            raise FormatError(
                f"{self.path}: {where}: source-0 {reg.get('source-0')!r} is not among <Sources>"
            )
        if reg.get("source-1"):
            self.r.lose(
                "channels after the first",
                where,
                "a region of several mono files: the first file is used",
            )
        fname = src.get("name") or ""
        if kind == TrackKind.MIDI or src.get("type") == "midi":
            self.midi_region(fname, strip, pos, start, length, name, where)
            return
        flags = reg.get("flags") or ""
        gain = float(reg.get("scale-amplitude") or reg.get("scale-gain") or 1.0)
        fin = self.fade(reg, "FadeIn", "FadeIn" in flags or _yes(reg.get("fade-in-active")))
        fout = self.fade(reg, "FadeOut", "FadeOut" in flags or _yes(reg.get("fade-out-active")))
        env = reg.find("Envelope")
        if env is not None and not _yes(env.get("default")) and _yes(reg.get("envelope-active")):
            self.r.lose("region gain envelope", where, "not imported")
        mf = self.b.media.get(fname) or self.b.media_file(
            fname, find_media(fname, self.path.parent, self.media_dirs)
        )
        if self.b.clip(
            strip,
            mf,
            pos,
            start,
            length,
            where,
            gain_db=to_db(gain),
            fade_in_s=fin,
            fade_out_s=fout,
            name=name,
        ):
            self.r.carry("regions (position, length, source offset)")
            if gain != 1.0:
                self.r.carry("region gain")

    def fade(self, reg: etree._Element, tag: str, active: bool) -> float:
        if not active:
            return 0.0
        el = reg.find(tag)
        xs: list[float] = []
        if el is not None:
            for ev in el.iter("events"):
                for line in (ev.text or "").strip().splitlines():
                    parts = line.split()
                    if parts:
                        xs.append(float(parts[0]))
            for pt in el.iter("point"):
                xs.append(float(pt.get("x", "0")))
        length = max(xs) / self.session_rate if xs else 64 / self.session_rate
        return length

    def midi_region(
        self, fname: str, strip: str, pos: float, start: float, length: float, name: str, where: str
    ) -> None:
        found = find_media(fname, self.path.parent, self.media_dirs)
        if found is None:
            self.r.lose(f"MIDI file {fname!r}", where, "not found: the part is empty")
            notes: tuple[Note, ...] = ()
        else:
            notes = _midi_notes(found, where)
        b0 = float(timing.seconds_to_beat(self.b.song, pos))
        b1 = float(timing.seconds_to_beat(self.b.song, pos + length))
        skip = float(timing.seconds_to_beat(self.b.song, start))
        kept = tuple(
            replace(n, start_beat=n.start_beat - skip)
            for n in notes
            if skip <= n.start_beat < skip + (b1 - b0)
        )
        self.b.midi_clip(
            strip, MidiClip(id="m", start_beat=b0, length_beats=b1 - b0, notes=kept, name=name)
        )
        self.r.carry("MIDI regions as parts")

    def routes(self) -> None:
        playlists = self.playlists()
        routes = list(self.root.iter("Route"))
        names: dict[int, str] = {}
        kinds: dict[int, str] = {}
        for i, route in enumerate(routes):
            rname = self.route_name(route)
            if "MasterOut" in (route.get("flags") or "") or rname == "master":
                names[i], kinds[i] = MASTER, "master"
                continue
            if "MonitorOut" in (route.get("flags") or ""):
                continue
            pl = self.playlist_of(route, playlists)
            is_track = (
                pl is not None
                or route.get("diskstream-id") is not None
                or route.find("Diskstream") is not None
            )
            if is_track:
                midi = route.get("default-type") == "midi"
                names[i] = self.b.track(rname, TrackKind.MIDI if midi else TrackKind.AUDIO)
                kinds[i] = "track"
            else:
                names[i], kinds[i] = self.b.bus(rname), "bus"
                self.r.carry("buses")
        by_route = {self.route_name(r): names[i] for i, r in enumerate(routes) if i in names}
        for i, route in enumerate(routes):
            if i not in names:
                continue
            strip = names[i]
            self.strip_settings(route, strip, kinds[i] == "track")
            if strip != MASTER:
                outs = [by_route.get(o) for o in self.outputs(route)]
                buses = [
                    o
                    for o in outs
                    if o is not None and o != MASTER and self.b.song.bus(o) is not None
                ]
                if buses:
                    target = buses[0]
                    if kinds[i] == "bus" and target == strip:
                        target = MASTER
                    if target != MASTER:
                        if kinds[i] == "track":
                            self.b.song = ed.update_track(self.b.song, strip, output=target)
                        else:
                            self.b.song = ed.update_bus(self.b.song, strip, output=target)
                        self.r.carry("routing to buses")
                    if len(buses) > 1 or MASTER in outs:
                        self.r.lose(
                            "connections to more than one bus",
                            f"route {strip!r}",
                            f"a producer strip has one output: {target}",
                        )
            if kinds[i] == "track":
                pl = self.playlist_of(route, playlists)
                if pl is None:
                    continue
                kind = self.b.song.track(strip).kind  # type: ignore[union-attr]
                regions = pl.findall("Region")
                if any(r.get("layer") not in (None, "0") for r in regions):
                    self.r.lose(
                        "layered regions",
                        f"playlist {pl.get('name')!r}",
                        "producer crossfades overlaps where Ardour plays the top layer",
                    )
                for reg in sorted(regions, key=lambda r: self.seconds(r.get("position"), "Region")):
                    self.region(reg, strip, kind, f"playlist {pl.get('name')!r}")
        if self.root.find("Crossfades") is not None or any(
            True for _ in self.root.iter("Crossfade")
        ):
            self.r.lose(
                "crossfades",
                "Playlists",
                "producer crossfades overlaps with its own equal-power rule",
            )


def _midi_notes(path: Path, where: str) -> tuple[Note, ...]:
    import mido

    try:
        mid = mido.MidiFile(str(path))
    except Exception as exc:
        raise FormatError(f"{path}: not a readable MIDI file ({exc})") from None
    tpb = mid.ticks_per_beat or 480
    notes: list[Note] = []
    for track in mid.tracks:
        t = 0
        on: dict[tuple[int, int], tuple[int, int]] = {}
        for msg in track:
            t += msg.time
            if msg.type == "note_on" and msg.velocity > 0:
                on[(msg.channel, msg.note)] = (t, msg.velocity)
            elif msg.type in ("note_off", "note_on") and (msg.channel, msg.note) in on:
                t0, vel = on.pop((msg.channel, msg.note))
                notes.append(Note(msg.note, vel, t0 / tpb, (t - t0) / tpb))
    return tuple(sorted(notes, key=lambda n: (n.start_beat, n.pitch)))


def read(path: Path, title: str, rate: int, media_dirs: tuple[Path, ...]) -> ImportedSession:
    try:
        root = etree.parse(str(path), parser=_SAFE).getroot()
    except etree.XMLSyntaxError as exc:
        raise FormatError(f"{path}: not well-formed XML ({exc})") from None
    except OSError as exc:
        raise FormatError(f"{path}: cannot be read ({exc})") from None
    if root.tag != "Session":
        raise FormatError(f"{path}: root element <{root.tag!s}> is not an Ardour <Session>")
    b = Builder(title, rate, path, FORMAT)
    version = root.get("version") or "?"
    b.report.carry(f"Ardour session format {version}")
    r = _Reader(b, root, path, media_dirs)
    try:
        r.tempo()
        r.markers()
        r.routes()
    except FormatError as exc:
        raise FormatError(
            exc.message if exc.message.startswith(str(path)) else f"{path}: {exc.message}"
        ) from None
    meta = {"title": root.get("name", "")} if root.get("name") else {}
    return b.finish(meta)


__all__ = ["read"]
