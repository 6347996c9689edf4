"""What a reader of another DAW's session hands back, and the helpers every reader shares.

A reader turns a file into an ``ImportedSession``: a ``Song`` at the project's sample rate
whose clips name their audio by a *key* (the path as the session wrote it) in a placeholder
``MediaRef`` (``path`` = key, ``sha256`` = ""), the table of those media files (found on disk
or not), the loss report, and for each clip the element it came from (for error messages). The
workflow then copies the media it found into the pool, makes the rest offline, and stores the
song — interchange itself never touches a project (layer 4, like storage).

Times are converted once, here, from seconds (or samples at the session's rate) to frames at
the project rate: ``Builder.frames``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import unquote, urlparse

from producer import audio
from producer.errors import FormatError, UserError
from producer.interchange.report import LossReport
from producer.model import (
    MASTER,
    Bus,
    Clip,
    Fade,
    FadeShape,
    Lane,
    Marker,
    MediaRef,
    MidiClip,
    Song,
    Track,
    TrackKind,
)
from producer.model import edit as ed

MediaLookup = Callable[[MediaRef], Path | None]
"""Where a clip's audio file is, for a writer (None: offline or missing)."""


@dataclass
class MediaFile:
    """An audio file a session names. ``path`` is where it was found (None: absent)."""

    key: str
    name: str
    path: Path | None = None
    channels: int = 0
    sample_rate: int = 0
    frames: int = 0
    """At its own sample rate; 0 when unknown (absent and the session does not say)."""

    @property
    def seconds(self) -> float:
        return self.frames / self.sample_rate if self.sample_rate and self.frames else 0.0


@dataclass
class ImportedSession:
    song: Song
    media: dict[str, MediaFile]
    report: LossReport
    elements: dict[str, str] = field(default_factory=dict)
    """Clip id → the element of the session file it came from, for messages."""
    metadata: dict[str, str] = field(default_factory=dict)
    """Album-level facts the session names (``artist``, ``album``, ``year``)."""
    source: Path = Path()


def probe(path: Path) -> tuple[int, int, int] | None:
    """(channels, sample rate, frames) of an audio file, or None when it is not readable."""
    try:
        head = audio.info(path)
    except UserError:
        return None
    return head.channels, head.sample_rate, head.frames


def url_to_path(url: str) -> str:
    """A ``file://`` URL (or a plain path) as a local path string; Windows drive letters and
    percent-escapes are undone (``file://localhost/D%3a/x.wav`` → ``D:/x.wav``)."""
    if "://" not in url:
        return url
    parsed = urlparse(url)
    path = unquote(parsed.path)
    if len(path) > 2 and path[0] == "/" and path[2] == ":":
        path = path[1:]
    return path


def find_media(name: str, base: Path, media_dirs: tuple[Path, ...]) -> Path | None:
    """Where the file a session names is: as written (absolute, or relative to the session's
    folder), else by its file name in one of ``media_dirs`` (searched recursively)."""
    local = url_to_path(name)
    candidate = Path(local)
    tries = [candidate] if candidate.is_absolute() else [base / candidate]
    for p in tries:
        if p.is_file():
            return p
    base_name = local.replace("\\", "/").rsplit("/", 1)[-1]
    for folder in media_dirs:
        direct = folder / base_name
        if direct.is_file():
            return direct
        for root, _dirs, files in os.walk(folder):
            if base_name in files:
                return Path(root) / base_name
    return None


class Builder:
    """Builds the song of an import: tracks, clips at frames of ``rate``, the media table."""

    def __init__(self, title: str, rate: int, source: Path, fmt: str) -> None:
        self.rate = rate
        self.source = source
        self.song = Song(title=title, slug=_slug(title), sample_rate=rate)
        self.media: dict[str, MediaFile] = {}
        self.elements: dict[str, str] = {}
        self.report = LossReport(fmt, "import")
        self._next_clip = 0

    def frames(self, seconds: float) -> int:
        return round(seconds * self.rate)

    def media_file(
        self,
        key: str,
        found: Path | None,
        channels: int = 0,
        sample_rate: int = 0,
        frames: int = 0,
    ) -> MediaFile:
        """Register the file ``key`` (once); a found file's header wins over the session's."""
        if key in self.media:
            return self.media[key]
        name = url_to_path(key).replace("\\", "/").rsplit("/", 1)[-1] or key
        mf = MediaFile(key, name, found, channels, sample_rate, frames)
        if found is not None:
            head = probe(found)
            if head is None:
                raise FormatError(f"{self.source}: media {name!r} ({found}) is not readable audio")
            mf.channels, mf.sample_rate, mf.frames = head
        self.media[key] = mf
        return mf

    def unique_name(self, base: str) -> str:
        """``base``, else ``base 2``, ``base 3``...: a name no track or bus has (nor the
        master's): sessions may give two strips one name, a producer song may not."""
        taken = {t.name for t in self.song.tracks} | {b.name for b in self.song.buses}
        unique, n = base, 1
        while unique in taken or unique == MASTER:
            n += 1
            unique = f"{base} {n}"
        return unique

    def track(self, name: str, kind: TrackKind = TrackKind.AUDIO) -> str:
        """Add a track (a unique name derived from ``name``); returns its name."""
        unique = self.unique_name(name.strip() or "Track")
        lane = Lane(id=ed.new_id(ed.all_lane_ids(self.song), "take"), name="import")
        track = Track(name=unique, kind=kind, lanes=(lane,), active=lane.id)
        self.song = ed.add_track(self.song, track)
        return unique

    def bus(self, name: str) -> str:
        """Add a bus (a unique name derived from ``name``); returns its name."""
        unique = self.unique_name(name)
        self.song = ed.add_bus(self.song, Bus(name=unique))
        return unique

    def marker(self, name: str, seconds: float) -> None:
        """Add a marker at ``seconds``, keeping the song's markers in time order (one at the
        time of another goes after it)."""
        marker = Marker(name, self.frames(seconds))
        markers = sorted((*self.song.markers, marker), key=lambda m: m.frame)
        self.song = replace(self.song, markers=tuple(markers))

    def clip(
        self,
        track: str,
        media: MediaFile,
        start_s: float,
        source_s: float,
        length_s: float,
        element: str,
        gain_db: float = 0.0,
        fade_in_s: float = 0.0,
        fade_out_s: float = 0.0,
        fade_in_shape: FadeShape = FadeShape.LINEAR,
        fade_out_shape: FadeShape = FadeShape.LINEAR,
        name: str = "",
    ) -> str | None:
        """Place ``media`` [source_s, source_s + length_s) at ``start_s`` on ``track``.

        A clip before the song start is cut at 0 (and said); an empty one is skipped.
        Returns the clip id, or None when nothing is left.
        """
        if start_s < 0:
            self.report.lose(
                f"{-start_s:.3f} s before the song start", element, "producer songs start at 0 s"
            )
            source_s -= start_s
            length_s += start_s
            start_s = 0.0
        start, src, length = self.frames(start_s), self.frames(source_s), self.frames(length_s)
        if length <= 0:
            return None
        if src < 0:
            raise FormatError(
                f"{self.source}: {element}: starts {-source_s:.3f} s before the start of "
                f"{media.name} (clip outside its media)"
            )
        fin = min(self.frames(fade_in_s), length)
        fout = min(self.frames(fade_out_s), length - fin)
        self._next_clip += 1
        clip_id = f"c{self._next_clip}"
        ref = MediaRef(
            path=media.key,
            sha256="",
            sample_rate=self.rate,
            channels=max(media.channels, 1) if media.channels <= 2 else media.channels,
            frames=src + length,
            source_name=media.name,
        )
        clip = Clip(
            id=clip_id,
            media=ref,
            start_frame=start,
            source_start_frame=src,
            length_frames=length,
            gain_db=gain_db,
            fade_in=Fade(fin, fade_in_shape),
            fade_out=Fade(fout, fade_out_shape),
            name=name,
        )
        self.song = ed.add_clip(self.song, track, clip)
        self.elements[clip_id] = element
        return clip_id

    def midi_clip(self, track: str, clip: MidiClip) -> None:
        t = ed.get_track(self.song, track)
        self._next_clip += 1
        mc = replace(clip, id=f"m{self._next_clip}")
        self.song = ed.replace_track(self.song, replace(t, midi_clips=(*t.midi_clips, mc)))

    def finish(self, metadata: dict[str, str] | None = None) -> ImportedSession:
        """The session; tracks of a MIDI kind lose their empty import lane."""
        tracks = []
        for t in self.song.tracks:
            if t.kind == TrackKind.MIDI and not any(lane.clips for lane in t.lanes):
                t = replace(t, lanes=(), active="")
            tracks.append(t)
        song = replace(self.song, tracks=tuple(tracks))
        return ImportedSession(
            song, self.media, self.report, self.elements, metadata or {}, self.source
        )


def _slug(title: str) -> str:
    try:
        return ed.slugify(title)
    except Exception:
        return "imported"


def feeds(song: Song, a: str, b: str) -> bool:
    """Whether strip ``a`` reaches strip ``b`` through outputs and sends (a send from ``b`` to
    ``a`` would then close a routing cycle)."""
    edges: dict[str, set[str]] = {}
    strips: list[Track | Bus] = [*song.tracks, *song.buses]
    for s in strips:
        edges.setdefault(s.name, set()).update({s.output, *(x.bus for x in s.sends)})
    seen: set[str] = set()
    todo = [a]
    while todo:
        x = todo.pop()
        if x == b:
            return True
        if x in seen:
            continue
        seen.add(x)
        todo += edges.get(x, ())
    return False


def check_media_bounds(session: ImportedSession) -> None:
    """FormatError naming the file and element of the first clip that reaches past its media
    (by the found file's header, or the length the session gave for absent media)."""
    rate = session.song.sample_rate
    for t in session.song.tracks:
        for lane in t.lanes:
            for c in lane.clips:
                mf = session.media.get(c.media.path)
                if mf is None or not mf.frames or not mf.sample_rate:
                    continue
                have = mf.frames * rate / mf.sample_rate
                need = c.source_start_frame + c.length_frames
                if need > have + 1:  # a frame of rounding from another rate
                    element = session.elements.get(c.id, f"clip {c.id}")
                    raise FormatError(
                        f"{session.source}: {element}: plays {need / rate:.3f} s into "
                        f"{mf.name}, which is {mf.seconds:.3f} s long (clip outside its media)"
                    )


__all__ = [
    "Builder",
    "ImportedSession",
    "MediaFile",
    "MediaLookup",
    "check_media_bounds",
    "feeds",
    "find_media",
    "probe",
    "url_to_path",
]
