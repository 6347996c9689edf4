"""DAWproject in, the arrangement: lanes, clips, notes, audio files and markers.

A clip shows its content from ``playStart``, looping ``[loopStart, loopEnd)`` until its
``duration`` is filled: looped clips are unrolled into one clip per pass; nested clips are cut
to the window of the pass that shows them; ``Warps`` map a clip's time to the seconds of its
audio (audio plays at its own speed: warping that stretches it is reported). Note clips become
MIDI parts. Audio files are taken from the archive, else found beside the file or in the
``--media-dir`` folders.
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
from producer.interchange.dawproject.read_automation import AutomationReader
from producer.interchange.dawproject.read_state import Scope, float_attr, required_float_attr
from producer.interchange.session import find_media
from producer.model import MidiClip, Note, TrackKind


@dataclass
class _Piece:
    """Audio of one clip pass in song seconds: at ``start``, from ``source`` in its media."""

    start: float
    source: float
    length: float
    media: str
    name: str
    fade_in: float = 0.0
    fade_out: float = 0.0


class ClipReader(AutomationReader):
    """Reads ``<Arrangement>``: its lanes hold clips, markers and automation ``Points``."""

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

    def lanes(self, el: etree._Element, scope: Scope, strip: str | None) -> None:
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

    def markers(self, el: etree._Element, scope: Scope) -> None:
        for m in el.findall("Marker"):
            self.b.marker(m.get("name") or "", scope.to_song(required_float_attr(m, "time")))
            self.carry("markers")

    def top_clip(self, clip: etree._Element, scope: Scope, strip: str) -> None:
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
        scope: Scope,
        pieces: list[_Piece],
        notes: list[tuple[float, float, int, int]],
        where: str,
        top: bool = False,
    ) -> tuple[float, float]:
        """Unroll ``clip`` into audio pieces and notes (song seconds / song beats); returns its
        song-time extent in seconds."""
        time = required_float_attr(clip, "time")
        cu = clip.get("contentTimeUnit") or scope.unit
        play_start = float_attr(clip, "playStart", 0.0) or 0.0
        play_stop = float_attr(clip, "playStop")
        duration = float_attr(clip, "duration")
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

        loop_start, loop_end = float_attr(clip, "loopStart"), float_attr(clip, "loopEnd")
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
            sub = Scope(cu, _shifted(content_song, a, elapsed))
            window = (sub.to_song(a), sub.to_song(b))
            self.content(clip, sub, (a, b), window, pieces, notes, where)
        # Fades (on the whole clip: the first and the last piece).
        fu = clip.get("fadeTimeUnit") or scope.unit
        fin, fout = (
            float_attr(clip, "fadeInTime", 0.0) or 0.0,
            float_attr(clip, "fadeOutTime", 0.0) or 0.0,
        )
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
        sub: Scope,
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
                    t = required_float_attr(n, "time")
                    if not a - 1e-9 <= t < b - 1e-9:
                        continue
                    d = min(required_float_attr(n, "duration"), b - t)
                    s_beat = self.s_to_beat(sub.to_song(t))
                    e_beat = self.s_to_beat(sub.to_song(t + d))
                    vel = float_attr(n, "vel", 0.8) or 0.0
                    notes.append(
                        (
                            s_beat,
                            e_beat - s_beat,
                            int(required_float_attr(n, "key")),
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
        sub: Scope,
        span: tuple[float, float],
        pieces: list[_Piece],
        where: str,
        name: str,
    ) -> None:
        pts = sorted(
            (required_float_attr(p, "time"), required_float_attr(p, "contentTime"))
            for p in w.findall("Warp")
        )
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
        dur = float_attr(audio, "duration", 0.0) or 0.0
        rate = int(float_attr(audio, "sampleRate", 0.0) or 0)
        self.b.media_file(
            key, found, int(float_attr(audio, "channels", 0.0) or 0), rate, round(dur * rate)
        )
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


__all__ = ["ClipReader"]
