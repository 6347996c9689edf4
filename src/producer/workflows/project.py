"""Use cases of the project: create, songs, import, tracks, clips, history, snapshots, show.

Each function takes the project folder and plain values (seconds, dB, names) as the shells
get them, does one thing through ``producer.storage.Project`` and returns plain results.
Times given in seconds become integer frames at the project rate (rounded to nearest).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from producer.errors import NotFoundError, ValidationError
from producer.model import (
    Album,
    Clip,
    FadeShape,
    MediaRef,
    Song,
    TimeSignature,
    Track,
    ranges,
    validate_album,
)
from producer.model import edit as ed
from producer.model.studio import normalise_isrc_prefix
from producer.storage import HistoryEntry, Project, Restored
from producer.workflows.progress import report as progress


def open_project(root: Path) -> Project:
    return Project.open(root)


def seconds_to_frames(seconds: float, sample_rate: int, what: str) -> int:
    """``seconds`` as whole frames at ``sample_rate``; ValidationError naming ``what``."""
    if not math.isfinite(seconds) or seconds < 0:
        raise ValidationError(f"{what}: {seconds} is not a time of 0 seconds or more")
    return round(seconds * sample_rate)


def parse_time_signature(text: str) -> TimeSignature:
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not m:
        raise ValidationError(f"time signature {text!r}: write it as N/D, like 4/4 or 6/8")
    ranges.check_time_signature(int(m.group(1)), int(m.group(2)), "--time-signature")
    return TimeSignature(int(m.group(1)), int(m.group(2)))


# ---------------------------------------------------------------- project and songs


def new_project(root: Path, title: str, artist: str, sample_rate: int = 48000) -> Path:
    """Create a project folder; returns its path."""
    ranges.check_sample_rate(sample_rate, "--sample-rate")
    return Project.create(root, title, artist, sample_rate).root


def add_song(
    root: Path,
    title: str,
    tempo_bpm: float = 120.0,
    time_signature: str = "4/4",
    key: str = "",
) -> str:
    """Add a song at the end of the album; returns its slug ("First Song" → first-song)."""
    project = Project.open(root)
    slug = ed.slugify(title)
    ts = parse_time_signature(time_signature)
    ranges.check_tempo(tempo_bpm, "--tempo")
    key = ranges.parse_key(key)
    with project.transaction(f"add song {slug}") as tx:
        if slug in tx.album.songs:
            raise ValidationError(f"song {slug!r} exists already (title {title!r})")
        tx.put_song(
            Song(
                title=title,
                slug=slug,
                sample_rate=tx.album.sample_rate,
                tempo_bpm=tempo_bpm,
                time_signature=ts,
                key=key,
            )
        )
    return slug


def album_set(
    root: Path,
    title: str | None = None,
    artist: str | None = None,
    upc: str | None = None,
    year: int | None = None,
    currency: str | None = None,
    timezone: str | None = None,
    require_approval: str | None = None,
    isrc_prefix: str | None = None,
) -> Album:
    """Change the album's title, artist, UPC/EAN (CD CATALOG), year, currency (ISO 4217), time
    zone (IANA, for bookings), the roles whose approval mastering requires (``"artist,producer"``;
    "" = none) or the ISRC prefix: one undoable step."""
    project = Project.open(root)
    changes: dict[str, object] = {
        k: v
        for k, v in (
            ("title", title),
            ("artist", artist),
            ("upc", upc),
            ("year", year),
            ("currency", currency),
            ("timezone", timezone),
        )
        if v is not None
    }
    if require_approval is not None:
        roles = [r.strip() for r in require_approval.split(",") if r.strip()]
        changes["require_approval"] = tuple(dict.fromkeys(roles))
    if isrc_prefix is not None:
        changes["isrc_prefix"] = normalise_isrc_prefix(isrc_prefix)
    if not changes:
        raise ValidationError(
            "album set: give --title, --artist, --upc, --year, --currency, --timezone, "
            "--require-approval or --isrc-prefix"
        )
    if upc:
        changes["upc"] = upc.replace("-", "").replace(" ", "")
    if currency is not None:
        from producer.office.money import check_currency

        changes["currency"] = check_currency(currency)
    if timezone is not None:
        from producer.office.schedule import zone

        changes["timezone"] = zone(timezone.strip()).key
    with project.transaction("set album " + ", ".join(sorted(changes))) as tx:
        album = replace(tx.album, **changes)  # type: ignore[arg-type]
        problems = validate_album(album)
        if problems:
            raise ValidationError(f"album.json: {problems[0]}", problems)
        tx.put_album(album)
    return album


def list_songs(root: Path) -> list[Song]:
    return Project.open(root).songs()


def get_song(root: Path, slug: str) -> Song:
    return Project.open(root).song(slug)


def song_document(root: Path, slug: str | None = None) -> str:
    """The document text as stored (``album.json`` when ``slug`` is None)."""
    return Project.open(root).document_text(slug)


@dataclass(frozen=True)
class Overview:
    title: str
    artist: str
    sample_rate: int
    songs: tuple[Song, ...]


def overview(root: Path) -> Overview:
    p = Project.open(root)
    return Overview(p.album.title, p.album.artist, p.album.sample_rate, tuple(p.songs()))


def validate(root: Path) -> list[str]:
    """Every problem of the project (empty when it is sound): documents, media, and what a
    render of each song would refuse (``producer.workflows.inspection``)."""
    from producer.workflows import inspection  # the effect catalog: only when validating

    return inspection.validate(root)


# ---------------------------------------------------------------- import


@dataclass(frozen=True)
class Placed:
    """Where an imported file landed."""

    file: Path
    track: str
    clip_id: str
    media: MediaRef
    note: str = ""
    """What the user should know about how it plays (a multichannel fold-down), or ""."""


def layout_note(ref: MediaRef) -> str:
    """How multichannel media plays, in words ("" for mono and stereo)."""
    if not ref.layout:
        return ""
    from producer.dsp import downmix  # the dsp package imports scipy: only when needed

    return (
        f"{ref.channels} channels, {downmix.describe(ref.layout)}: folded down to stereo "
        f"when mixed, {downmix.STANDARD}"
    )


def _free_track_name(song: Song, base: str) -> str:
    base = base.strip() or "Audio"
    name, n = base, 1
    while song.track(name) is not None:
        n += 1
        name = f"{base} {n}"
    return name


def import_audio(
    root: Path,
    slug: str,
    files: Sequence[Path],
    track: str | None = None,
    at_seconds: float = 0.0,
) -> list[Placed]:
    """Import ``files`` into the media pool and place each as a clip in song ``slug``.

    With ``track`` all files go on that track (made if missing) one after another from
    ``at_seconds``; without it each file gets a new track named after the file, at
    ``at_seconds``. The sources are only read.
    """
    project = Project.open(root)
    start = seconds_to_frames(at_seconds, project.song(slug).sample_rate, "--at")
    refs = []
    for i, f in enumerate(files):
        progress(f"copying {Path(f).name} into media/", i, len(files))
        refs.append((Path(f), project.import_media(Path(f))))
    placed: list[Placed] = []
    with project.transaction(f"import {', '.join(f.name for f, _ in refs)} into {slug}") as tx:
        song = tx.song(slug)
        for f, ref in refs:
            name = track if track is not None else _free_track_name(song, Path(f).stem)
            existing = song.track(name)
            if existing is None:
                song = ed.add_track(song, Track(name=name))
            elif existing.kind != "audio":
                raise ValidationError(f"track {name!r} is a {existing.kind} track, not audio")
            clip_id = ed.new_id(ed.all_clip_ids(song), "c")
            clip = Clip(
                id=clip_id,
                media=ref,
                start_frame=start,
                source_start_frame=0,
                length_frames=ref.frames,
                name=Path(f).stem,
            )
            song = ed.add_clip(song, name, clip)
            placed.append(Placed(f, name, clip_id, ref, layout_note(ref)))
            if track is not None:
                start += ref.frames
        tx.put_song(song)
    return placed


# ---------------------------------------------------------------- tracks


@dataclass(frozen=True)
class TrackSettings:
    """Channel-strip values to set; None leaves a value as it is."""

    gain_db: float | None = None
    pan: float | None = None
    mute: bool | None = None
    solo: bool | None = None
    polarity_inverted: bool | None = None
    output: str | None = None

    def changes(self) -> dict[str, Any]:
        """The values to set, checked against their sane ranges (ValidationError)."""
        if self.gain_db is not None:
            ranges.check_gain_db(self.gain_db, "--gain-db")
        if self.pan is not None:
            ranges.check_pan(self.pan, "--pan")
        return {k: v for k, v in self.__dict__.items() if v is not None}


def track_add(root: Path, slug: str, name: str, settings: TrackSettings = TrackSettings()) -> None:
    project = Project.open(root)
    with project.transaction(f"add track {name} to {slug}") as tx:
        if not name.strip():
            raise ValidationError("track name: is empty")
        song = ed.add_track(tx.song(slug), replace(Track(name=name), **settings.changes()))
        tx.put_song(song)


def track_set(root: Path, slug: str, name: str, settings: TrackSettings) -> Track:
    changes = settings.changes()
    if not changes:
        raise ValidationError("track set: give at least one setting (see --help)")
    project = Project.open(root)
    label = ", ".join(f"{k}={v}" for k, v in changes.items())
    with project.transaction(f"set {slug}/{name} {label}") as tx:
        before = ed.get_track(tx.song(slug), name)
        pan_lane = next((a for a in before.automation if a.target == "pan" and a.points), None)
        if "pan" in changes and pan_lane is not None:
            # A static pan under a pan lane would have no effect: refuse rather than ignore.
            values = [p.value for p in pan_lane.points]
            raise ValidationError(
                f"{name}.pan is automated ({len(values)} points, {min(values):+.2f} .. "
                f"{max(values):+.2f}): a fixed pan would have no effect; change the lane "
                f"(producer automate {slug} {name}.pan --points ...) or remove it "
                f"(producer automate {slug} {name}.pan --clear)"
            )
        song = ed.update_track(tx.song(slug), name, **changes)
        if "output" in changes:  # a new route can close a loop through a sidechain key
            from producer.workflows.inspection import refuse_new_problems

            refuse_new_problems(project.root, tx.song(slug), song)
        tx.put_song(song)
    return ed.get_track(song, name)


def track_remove(root: Path, slug: str, name: str) -> None:
    project = Project.open(root)
    with project.transaction(f"remove track {name} from {slug}") as tx:
        tx.put_song(ed.remove_track(tx.song(slug), name))


# ---------------------------------------------------------------- clips


def _clip_on_track(song: Song, track: str, clip_id: str) -> Clip:
    ed.get_track(song, track)
    t, _, clip = ed.find_clip(song, clip_id)
    if t.name != track:
        raise NotFoundError(f"song {song.slug!r}: clip {clip_id!r} is on track {t.name!r}")
    return clip


def _clip_edit(
    root: Path, slug: str, track: str, clip_id: str, label: str, fn: Callable[[Song, Clip], Song]
) -> Song:
    project = Project.open(root)
    with project.transaction(f"{label} {slug}/{track}/{clip_id}") as tx:
        song = tx.song(slug)
        clip = _clip_on_track(song, track, clip_id)
        song = fn(song, clip)
        tx.put_song(song)
    return song


def clip_move(root: Path, slug: str, track: str, clip_id: str, to_seconds: float) -> None:
    def fn(song: Song, clip: Clip) -> Song:
        return ed.move_clip(song, clip.id, seconds_to_frames(to_seconds, song.sample_rate, "--to"))

    _clip_edit(root, slug, track, clip_id, "move", fn)


def clip_trim(
    root: Path,
    slug: str,
    track: str,
    clip_id: str,
    start_seconds: float | None = None,
    end_seconds: float | None = None,
) -> None:
    """Move the clip's left/right edge to a timeline time (the audio stays in place)."""
    if start_seconds is None and end_seconds is None:
        raise ValidationError("clip trim: give --start and/or --end")

    def fn(song: Song, clip: Clip) -> Song:
        rate = song.sample_rate
        start = None if start_seconds is None else seconds_to_frames(start_seconds, rate, "--start")
        end = None if end_seconds is None else seconds_to_frames(end_seconds, rate, "--end")
        return ed.trim_clip(song, clip.id, start, end)

    _clip_edit(root, slug, track, clip_id, "trim", fn)


def clip_split(root: Path, slug: str, track: str, clip_id: str, at_seconds: float) -> str:
    """Cut the clip at a timeline time; returns the id of the new right-hand clip."""
    new: list[str] = []

    def fn(song: Song, clip: Clip) -> Song:
        out, right = ed.split_clip(
            song, clip.id, seconds_to_frames(at_seconds, song.sample_rate, "--at")
        )
        new.append(right)
        return out

    _clip_edit(root, slug, track, clip_id, "split", fn)
    return new[0]


def clip_fade(
    root: Path,
    slug: str,
    track: str,
    clip_id: str,
    in_seconds: float | None = None,
    out_seconds: float | None = None,
    shape: str | None = None,
) -> None:
    if in_seconds is None and out_seconds is None and shape is None:
        raise ValidationError("clip fade: give --in, --out and/or --shape")
    try:
        fade_shape = None if shape is None else FadeShape(shape)
    except ValueError:
        allowed = ", ".join(s.value for s in FadeShape)
        raise ValidationError(f"--shape: {shape!r} is not one of {allowed}") from None

    def fn(song: Song, clip: Clip) -> Song:
        rate = song.sample_rate
        fin, fout = clip.fade_in, clip.fade_out
        if in_seconds is not None:
            fin = replace(fin, length_frames=seconds_to_frames(in_seconds, rate, "--in"))
        if out_seconds is not None:
            fout = replace(fout, length_frames=seconds_to_frames(out_seconds, rate, "--out"))
        if fade_shape is not None:
            fin, fout = replace(fin, shape=fade_shape), replace(fout, shape=fade_shape)
        return ed.update_clip(song, clip.id, fade_in=fin, fade_out=fout)

    _clip_edit(root, slug, track, clip_id, "fade", fn)


def clip_gain(root: Path, slug: str, track: str, clip_id: str, gain_db: float) -> None:
    ranges.check_gain_db(gain_db, "--gain-db")
    _clip_edit(
        root, slug, track, clip_id, "gain", lambda s, c: ed.update_clip(s, c.id, gain_db=gain_db)
    )


def clip_remove(root: Path, slug: str, track: str, clip_id: str) -> None:
    _clip_edit(root, slug, track, clip_id, "remove", lambda s, c: ed.remove_clip(s, c.id))


# ---------------------------------------------------------------- history and snapshots


def undo(root: Path) -> str:
    """Undo the last step; returns its label."""
    return Project.open(root).undo().label


def restore_damaged(root: Path) -> list[Restored]:
    """Put back, from the history, every document that cannot be read (``producer undo`` does
    this first: the damage is the last change)."""
    project = Project.open(root)
    return project.restore_damaged() if project.damaged() else []


def damaged(root: Path) -> dict[str, str]:
    """Documents that cannot be read: path → why (with the way back when there is one)."""
    return Project.open(root).damaged()


def redo(root: Path) -> str:
    return Project.open(root).redo().label


def history(root: Path) -> list[HistoryEntry]:
    return Project.open(root).history()


def snapshot_save(root: Path, name: str, replace: bool = False) -> bool:
    """Save the documents as snapshot ``name``; True when an older one was replaced."""
    project = Project.open(root)
    existed = name in project.snapshots()
    project.snapshot_save(name, replace)
    return existed


def snapshot_restore(root: Path, name: str) -> None:
    Project.open(root).snapshot_restore(name)


def snapshot_list(root: Path) -> list[str]:
    return Project.open(root).snapshots()


__all__ = [
    "Overview",
    "Placed",
    "TrackSettings",
    "add_song",
    "clip_fade",
    "clip_gain",
    "clip_move",
    "clip_remove",
    "clip_split",
    "clip_trim",
    "damaged",
    "get_song",
    "history",
    "import_audio",
    "layout_note",
    "list_songs",
    "new_project",
    "open_project",
    "overview",
    "parse_time_signature",
    "redo",
    "restore_damaged",
    "seconds_to_frames",
    "snapshot_list",
    "snapshot_restore",
    "snapshot_save",
    "song_document",
    "track_add",
    "track_remove",
    "track_set",
    "undo",
    "validate",
]
