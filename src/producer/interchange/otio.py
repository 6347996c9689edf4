"""OpenTimelineIO (``.otio``) and AAF (``.aaf``), both through OpenTimelineIO.

OTIO is an editorial format: tracks of clips (a source range of a media file), gaps and
transitions, markers. AAF is written and read by the ``otio-aaf-adapter`` (on pyaaf2), the
adapter Resolve, Media Composer and Pro Tools exchanges are tested with. What we map:

* Every producer track is an audio track; its clips (what plays) are OTIO clips at sample
  rate (``RationalTime`` at the song's rate: sample-exact). Audio is linked where it lies in
  the project's media pool (``file://`` URLs), not copied.
* Two clips that overlap are a ``Transition`` (a dissolve: ``in_offset`` before the cut,
  ``out_offset`` after); read back as the overlap, which producer crossfades (equal power).
* A fade on a clip edge that touches silence is a dissolve from or to the ``Gap`` there (Avid
  writes fades so); read back as a linear fade of that length. Fade shapes are not carried.
* Markers ride on the timeline's stack; a muted track is a disabled OTIO track. The AAF adapter
  writes neither (nor do its markers come back): AAF carries less.
* Not carried (reported): clip gain, faders, pan, automation, buses, sends, effects, tempo,
  MIDI (a MIDI part is exported as its SoundFont render). OTIO keeps these only as free-form
  metadata no DAW reads, so we do not pretend.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
from pathlib import Path
from typing import Any

from producer.errors import FormatError
from producer.fileio import atomic_output
from producer.interchange.carry import Carries, playing_clips
from producer.interchange.report import LossReport
from producer.interchange.session import (
    Builder,
    ImportedSession,
    MediaLookup,
    find_media,
    url_to_path,
)
from producer.model import Album, Clip, FadeShape, Song

_WHY = {
    "clip_gain": "{fmt} (through OpenTimelineIO) carries no clip gain",
    "fades": "{fmt} carries a fade only as a dissolve from or to silence",
    "fade_shapes": "{fmt} dissolves have no curve (read back as linear)",
    "track_gain": "{fmt} (through OpenTimelineIO) carries no fader",
    "track_pan": "{fmt} (through OpenTimelineIO) carries no pan",
    "mute": "{fmt} has no mute",
    "solo": "{fmt} has no solo",
    "buses": "{fmt} has no buses: the strip goes to the master",
    "sends": "{fmt} has no sends",
    "inserts": "{fmt} carries no effects",
    "midi": "{fmt} carries audio only",
    "tempo": "{fmt} has no tempo map",
    "tempo_changes": "{fmt} has no tempo map",
    "time_signature": "{fmt} has no time signature",
    "master": "{fmt} has no master bus",
    "polarity": "{fmt} has no polarity switch",
    "sections": "{fmt} has no ranges: not written",
    "overlaps_nested": "{fmt} tracks hold one clip at a time (a dissolve joins two): not written",
}


def _caps(name: str, **extra: Any) -> Carries:
    why = {k: v.format(fmt=name) for k, v in _WHY.items()}
    why.update(extra.pop("why", {}))
    return Carries(
        name=name,
        fades=True,
        fades_at_gaps_only=True,
        overlaps_nested=False,
        metadata=frozenset({"title"}),
        why=why,
        **extra,
    )


CARRIES = {
    "otio": _caps("OTIO", markers=True, mute=True),
    "aaf": _caps(
        "AAF",
        why={
            "markers": "the AAF adapter of OpenTimelineIO writes no markers",
            "mute": "the AAF adapter of OpenTimelineIO writes no track mute",
        },
    ),
}

AUDIO_DISSOLVE = {
    "Name": "Audio Dissolve",
    "Description": "",
    "Identification": "0c3bea41-fc05-11d2-8a29-0050040ef7d2",
    "IsTimeWarp": False,
    "Bypass": 1,
    "NumberInputs": 2,
    "OperationCategory": "OperationCategory_Effect",
    "DataDefinition": {"Name": "Sound"},
}
"""The operation Media Composer writes for an audio dissolve (as the adapter reads it)."""


def _otio() -> Any:
    import opentimelineio as otio

    return otio


# ---------------------------------------------------------------- writing


def _timeline(song: Song, album: Album, fmt: str, media: MediaLookup) -> Any:
    otio = _otio()
    rate = song.sample_rate

    def rt(frames: int) -> Any:
        return otio.opentime.RationalTime(frames, rate)

    def tr(start: int, dur: int) -> Any:
        return otio.opentime.TimeRange(rt(start), rt(dur))

    def dissolve(before: int, after: int) -> Any:
        t = otio.schema.Transition(
            in_offset=rt(before),
            out_offset=rt(after),
            transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
        )
        if fmt == "aaf":
            t.metadata["AAF"] = {
                "PointList": [{"Time": 0.0, "Value": 0.0}, {"Time": 1.0, "Value": 1.0}],
                "CutPoint": before,
                "OperationGroup": {"Operation": dict(AUDIO_DISSOLVE)},
            }
        return t

    refs: dict[str, Any] = {}

    def reference(c: Clip) -> Any:
        ref = c.media
        path = media(ref)
        if path is None:
            r = otio.schema.MissingReference(name=ref.source_name)
        else:
            r = otio.schema.ExternalReference(
                target_url=path.resolve().as_uri(), available_range=tr(0, ref.frames)
            )
        r.name = ref.source_name or Path(ref.path).name
        if fmt == "aaf":
            digest = hashlib.sha256((ref.sha256 or ref.source_name).encode()).digest()
            refs.setdefault(ref.path, _mob_id(digest))
            r.metadata["AAF"] = {"MobID": refs[ref.path]}
        return r

    tl = otio.schema.Timeline(name=song.title)
    tl.global_start_time = rt(0)
    tl.metadata["producer"] = {"album": album.title, "artist": album.artist}
    for t in song.tracks:
        track = otio.schema.Track(name=t.name, kind=otio.schema.TrackKind.Audio)
        track.enabled = not t.mute
        clips = playing_clips(t)
        pos = 0
        lead_in_written = False  # the gap and fade-in before the next clip
        for i, c in enumerate(clips):
            prev = clips[i - 1] if i else None
            nxt = clips[i + 1] if i + 1 < len(clips) else None
            start, src, end = c.start_frame, c.source_start_frame, c.end_frame
            if prev is not None and prev.end_frame > c.start_frame:
                cut = c.start_frame + (prev.end_frame - c.start_frame) // 2
                src += cut - start
                start = cut  # the dissolve before this clip is written already
            elif not lead_in_written:
                if start > pos or c.fade_in.length_frames:
                    track.append(otio.schema.Gap(source_range=tr(0, start - pos)))
                if c.fade_in.length_frames:
                    track.append(dissolve(0, c.fade_in.length_frames))
            lead_in_written = False
            overlap = nxt is not None and nxt.start_frame < c.end_frame
            if overlap:
                assert nxt is not None
                end = nxt.start_frame + (c.end_frame - nxt.start_frame) // 2
            track.append(
                otio.schema.Clip(
                    name=c.name or c.id,
                    media_reference=reference(c),
                    source_range=tr(src, end - start),
                )
            )
            pos = end
            if overlap:
                assert nxt is not None
                track.append(dissolve(end - nxt.start_frame, c.end_frame - end))
            elif c.fade_out.length_frames:
                track.append(dissolve(c.fade_out.length_frames, 0))
                gap = nxt.start_frame - c.end_frame if nxt is not None else 0
                track.append(otio.schema.Gap(source_range=tr(0, gap)))
                pos += gap
                if nxt is not None and nxt.fade_in.length_frames:
                    track.append(dissolve(0, nxt.fade_in.length_frames))
                    lead_in_written = True
        tl.tracks.append(track)
    for m in song.markers:
        tl.tracks.markers.append(otio.schema.Marker(name=m.name, marked_range=tr(m.frame, 0)))
    return tl


def _mob_id(digest: bytes) -> str:
    import aaf2.mobid

    mob = aaf2.mobid.MobID.new()
    mob.material = __import__("uuid").UUID(bytes=digest[:16])
    return str(mob)


def write(
    song: Song, album: Album, fmt: str, out: Path, media: MediaLookup, report: LossReport
) -> None:
    """Write ``song`` (reduced with ``CARRIES[fmt]``) as OTIO JSON or AAF."""
    otio = _otio()
    tl = _timeline(song, album, fmt, media)
    report.carry("audio linked by path (the project's media pool)")
    with atomic_output(out) as tmp:
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # the adapter prints warnings
                otio.adapters.write_to_file(
                    tl, str(tmp), adapter_name="AAF" if fmt == "aaf" else "otio_json"
                )
        except Exception as exc:
            raise FormatError(f"{out}: {fmt.upper()} writer failed: {exc}") from None


# ---------------------------------------------------------------- reading


def read(
    path: Path, fmt: str, title: str, rate: int, media_dirs: tuple[Path, ...]
) -> ImportedSession:
    otio = _otio()
    if fmt == "aaf":
        with open(path, "rb") as f:
            magic = f.read(8)
        if magic != bytes.fromhex("d0cf11e0a1b11ae1"):
            raise FormatError(f"{path}: not an AAF file (no structured-storage header)")
    newer: list[str] = []
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            if fmt == "aaf":
                tl = otio.adapters.read_from_file(str(path), adapter_name="AAF")
            else:
                tl = otio.adapters.read_from_string(
                    _downgrade(path, newer), adapter_name="otio_json"
                )
    except FormatError:
        raise
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise FormatError(f"{path}: not a readable {fmt.upper()} file ({first})") from None
    if isinstance(tl, otio.schema.SerializableCollection):
        timelines = list(tl.find_children(descended_from_type=otio.schema.Timeline))
        if not timelines:
            raise FormatError(f"{path}: holds no timeline")
        tl = timelines[0]
    if not isinstance(tl, otio.schema.Timeline):
        raise FormatError(f"{path}: holds a {type(tl).__name__}, not a timeline")
    b = Builder(title, rate, path, "AAF" if fmt == "aaf" else "OTIO")
    for schema in newer:
        b.report.carry(f"{schema} objects of a newer OTIO (read as the version this OTIO knows)")
    meta = {"title": tl.name} if tl.name else {}
    _Reader(b, path, media_dirs, otio).stack(tl.tracks, 0.0, None, "")
    return b.finish(meta)


DOWNGRADES = {"Marker.3": "Marker.2"}
"""Schemas newer than the installed OpenTimelineIO that we read as the older version:
Marker.3 holds its colour as a Color object (Marker.2: a colour name)."""


def _downgrade(path: Path, newer: list[str]) -> str:
    """The OTIO JSON of ``path`` with the schemas of ``DOWNGRADES`` written as the older ones."""
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise FormatError(f"{path}: not an OTIO file (not JSON: {exc})") from None
    if not isinstance(data, dict) or "OTIO_SCHEMA" not in data:
        raise FormatError(f"{path}: not an OTIO file (no OTIO_SCHEMA at the top)")

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            schema = node.get("OTIO_SCHEMA")
            if schema in DOWNGRADES:
                if schema not in newer:
                    newer.append(schema)
                node = dict(node, OTIO_SCHEMA=DOWNGRADES[schema])
                color = node.get("color")
                if isinstance(color, dict):
                    node["color"] = str(color.get("name") or "RED").upper()
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return json.dumps(walk(data))


class _Reader:
    def __init__(self, b: Builder, path: Path, media_dirs: tuple[Path, ...], otio: Any) -> None:
        self.b = b
        self.path = path
        self.media_dirs = media_dirs
        self.otio = otio
        self.r = b.report

    def seconds(self, t: Any) -> float:
        return float(t.to_seconds())

    def markers(self, item: Any, offset: float) -> None:
        for m in item.markers:
            self.b.marker(m.name or "marker", offset + self.seconds(m.marked_range.start_time))
            self.r.carry("markers")

    def stack(
        self, stack: Any, offset: float, window: tuple[float, float] | None, prefix: str
    ) -> None:
        self.markers(stack, offset)
        n = 0
        for child in stack:
            if isinstance(child, self.otio.schema.Track):
                if child.kind != self.otio.schema.TrackKind.Audio:
                    self.r.lose(
                        f"{child.kind.lower()} track {child.name!r}",
                        "",
                        "producer takes the audio tracks",
                    )
                    continue
                n += 1
                name = child.name if child.name and child.name != "Sequence" else f"Audio {n}"
                self.track(child, offset, window, prefix + name)
            else:
                self.r.lose(f"{type(child).__name__} in a stack", "", "not understood here")

    def track(
        self, track: Any, offset: float, window: tuple[float, float] | None, name: str
    ) -> None:
        otio = self.otio
        strip = self.b.track(name)
        if not track.enabled:
            from producer.model import edit as ed

            self.b.song = ed.update_track(self.b.song, strip, mute=True)
            self.r.carry("mute")
        self.markers(track, offset)
        items = list(track)
        for i, item in enumerate(items):
            if isinstance(item, otio.schema.Clip):
                self.clip(item, items, i, track, strip, offset, window)
            elif isinstance(item, (otio.schema.Stack, otio.schema.Track)):
                rng = track.range_of_child_at_index(i)
                start = offset + self.seconds(rng.start_time)
                src = self.seconds(item.trimmed_range().start_time)
                win = (start, start + self.seconds(rng.duration))
                if window is not None:
                    win = (max(win[0], window[0]), min(win[1], window[1]))
                self.r.carry("nested compositions (as tracks)")
                inner = item if isinstance(item, otio.schema.Stack) else [item]
                for j, sub in enumerate(inner):
                    if isinstance(sub, otio.schema.Track):
                        self.track(sub, start - src, win, f"{strip} / {sub.name or j + 1}")
            elif isinstance(item, (otio.schema.Gap, otio.schema.Transition)):
                continue
            else:
                self.r.lose(f"{type(item).__name__}", f"track {strip!r}", "not understood here")

    def clip(
        self,
        clip: Any,
        items: list[Any],
        i: int,
        track: Any,
        strip: str,
        offset: float,
        window: tuple[float, float] | None,
    ) -> None:
        otio = self.otio
        where = f"clip {clip.name!r} on track {strip!r}"
        rng = track.range_of_child_at_index(i)
        start = offset + self.seconds(rng.start_time)
        length = self.seconds(rng.duration)
        sr = clip.source_range or clip.available_range()
        ref = clip.media_reference
        avail = getattr(ref, "available_range", None)
        base = self.seconds(avail.start_time) if avail is not None else 0.0
        source = self.seconds(sr.start_time) - base
        fin = fout = 0.0
        prev = items[i - 1] if i else None
        nxt = items[i + 1] if i + 1 < len(items) else None
        if isinstance(prev, otio.schema.Transition):
            before = items[i - 2] if i >= 2 else None
            grow = self.seconds(prev.in_offset)
            start -= grow
            source -= grow
            length += grow
            if not isinstance(before, otio.schema.Clip):
                fin = grow + self.seconds(prev.out_offset)
            self.r.carry("transitions (as overlaps and fades)")
        if isinstance(nxt, otio.schema.Transition):
            after = items[i + 2] if i + 2 < len(items) else None
            grow = self.seconds(nxt.out_offset)
            length += grow
            if not isinstance(after, otio.schema.Clip):
                fout = grow + self.seconds(nxt.in_offset)
        if window is not None:
            a, b = max(start, window[0]), min(start + length, window[1])
            if b <= a:
                return
            source += a - start
            start, length = a, b - a
        for fx in clip.effects:
            self.r.lose(
                f"effect {fx.effect_name or fx.name or type(fx).__name__}",
                where,
                "not carried into producer",
            )
        aaf = clip.metadata.get("AAF", {}) if hasattr(clip.metadata, "get") else {}
        if "Pan" in aaf or "Volume" in aaf:
            self.r.lose("clip pan/volume automation", where, "not read from AAF")
        _key, mf = self.media(ref, clip, where)
        if mf is None:
            return
        cid = self.b.clip(
            strip,
            mf,
            start,
            source,
            length,
            where,
            fade_in_s=fin,
            fade_out_s=fout,
            fade_in_shape=FadeShape.LINEAR,
            fade_out_shape=FadeShape.LINEAR,
            name=clip.name or "",
        )
        if cid is not None:
            self.r.carry("audio clips (position, length, source offset)")
            if fin or fout:
                self.r.carry("fades (dissolves from and to silence)")
        self.markers_of_clip(clip, start - source)

    def markers_of_clip(self, clip: Any, offset: float) -> None:
        for m in clip.markers:
            t = offset + self.seconds(m.marked_range.start_time)
            if t >= 0:
                self.b.marker(m.name or "marker", t)
                self.r.carry("markers")

    def media(self, ref: Any, clip: Any, where: str) -> tuple[str, Any]:
        otio = self.otio
        avail = getattr(ref, "available_range", None)
        dur = self.seconds(avail.duration) if avail is not None else 0.0
        if isinstance(ref, otio.schema.ExternalReference):
            key = ref.target_url
            found = find_media(key, self.path.parent, self.media_dirs)
        elif isinstance(ref, otio.schema.MissingReference):
            key = ref.name or clip.name or "missing media"
            found = find_media(key, self.path.parent, self.media_dirs) if ref.name else None
        else:
            self.r.lose(f"{type(ref).__name__} media", where, "producer clips play audio files")
            return "", None
        if key in self.b.media:
            return key, self.b.media[key]
        rate = self.b.rate
        name = url_to_path(key)
        mf = self.b.media_file(key, found, 0, rate, round(dur * rate))
        if found is not None and name.lower().endswith((".mov", ".mp4", ".mxf")):
            self.r.carry("audio of video files")
        return key, mf


__all__ = ["CARRIES", "read", "write"]
