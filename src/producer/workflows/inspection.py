"""The whole session, seen and checked: what `producer show` prints and what `mix` will accept.

``session_view`` gathers what a person needs to see a song without ``--json``: every strip's
inserts with their parameters (value, unit, default or not, automated or not), sends, buses,
automation lanes (target, points, time span, value range), missing media. ``mix_problems``
lists every reason a render of the song would be refused beyond the document's own rules
(``producer.model.validate``): effect parameters, impulse-response files, frequencies above
Nyquist, automation of parameters that cannot move. Edits call it (``refuse_new_problems``) and
``validate`` lists it, so that what an edit accepts and ``validate`` passes, ``mix`` renders.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from producer.dsp import catalog
from producer.errors import ProducerError, ValidationError
from producer.model import MASTER, AutomationLane, Bus, ParamValue, Song, Track
from producer.storage import Project, parts
from producer.storage.project import offline_media, song_file


def strips(song: Song) -> Iterator[tuple[str, Track | Bus]]:
    """(where, strip) of every track, bus and the master, in document order."""
    for t in song.tracks:
        yield f"tracks[{t.name}]", t
    for b in song.buses:
        yield f"buses[{b.name}]", b
    yield "master", song.master


def lane_of(strip: Track | Bus, target: str) -> AutomationLane | None:
    """The lane automating ``target`` (with points), or None."""
    for lane in strip.automation:
        if lane.target == target and lane.points:
            return lane
    return None


# ---------------------------------------------------------------- what mix accepts


def _lane_problems(where: str, strip: Track | Bus, lane: AutomationLane) -> list[str]:
    parts = lane.target.split(".")
    if not (len(parts) == 3 and parts[0] == "fx" and parts[1].isdigit()):
        return []  # strip lanes and send lanes: the document's rules (model.validate)
    n = int(parts[1])
    if not 1 <= n <= len(strip.inserts):
        return []  # reported by model.validate
    kind = strip.inserts[n - 1].kind
    spec = catalog.KINDS.get(kind)
    if spec is None:
        return []  # the insert itself is reported
    w = f"{where}.automation[{lane.target}]"
    param = spec.params.get(parts[2])
    if param is None:
        return [f"{w}: {kind} has no parameter {parts[2]!r} (valid: {', '.join(spec.params)})"]
    if not param.automatable:
        return [f"{w}: {kind}.{parts[2]} cannot be automated"]
    for point in lane.points:
        problems = catalog.check_params(kind, {parts[2]: point.value})
        if problems:
            return [f"{w}: {problems[0]}"]
    return []


def mix_problems(root: Path, song: Song) -> list[str]:
    """Every reason a render of ``song`` would refuse it beyond ``validate_song``'s rules,
    each naming the document and the field (``songs/x.json: tracks[Vox].inserts[1] ...``)."""
    name = song_file(song.slug)
    out: list[str] = []
    for where, strip in strips(song):
        for i, slot in enumerate(strip.inserts, start=1):
            if slot.bypass:  # a bypassed insert is not made: only its parameters must read
                found = catalog.check_params(slot.kind, slot.params)
            else:
                found = catalog.slot_problems(
                    slot.kind,
                    slot.params,
                    song.sample_rate,
                    sidechain=slot.sidechain,
                    base_dir=root,
                )
            out += [f"{name}: {where}.inserts[{i}] ({slot.kind}): {p}" for p in found]
        for lane in strip.automation:
            if lane.points:
                out += [f"{name}: {p}" for p in _lane_problems(where, strip, lane)]
    return out


def _compile_error(root: Path, song: Song) -> str | None:
    """Why the engine refuses to compile ``song`` (what ``mix`` would say), or None."""
    from producer.engine import CatalogEffects, compile_song

    try:
        compile_song(song, CatalogEffects(root))
    except ProducerError as exc:
        return exc.message
    return None


def refuse_new_problems(root: Path, before: Song | None, after: Song) -> None:
    """Raise ValidationError when an edit turning ``before`` into ``after`` brings in a problem
    that would make ``mix`` refuse the song (problems it had already are not this edit's).

    The listed checks first (every problem, each naming its field), then the engine itself
    compiles the song as ``mix`` does (a routing cycle through a sidechain, say), so that
    what an edit accepts, ``mix`` renders.
    """
    old = set(mix_problems(root, before)) if before is not None else set()
    found = mix_problems(root, after)
    new = [p for p in found if p not in old]
    if new:
        raise ValidationError(new[0], new)
    if found:
        return  # the song is refused for older reasons already; nothing new to learn
    why = _compile_error(root, after)
    if why is not None and (before is None or why != _compile_error(root, before)):
        raise ValidationError(f"{song_file(after.slug)}: {why}")


def validate(root: Path) -> list[str]:
    """Every problem of the project: documents, media, and what a render of each song would
    refuse (a song that passes is compiled by the engine as ``mix`` does, to be sure)."""
    project = Project.open(root)
    problems = project.problems
    for song in project.songs():
        found = mix_problems(project.root, song)
        problems += found
        if found or project.song_problems(song.slug):
            continue
        why = _compile_error(project.root, song)
        if why is not None:
            problems.append(f"{song_file(song.slug)}: {why}")
    return problems


# ---------------------------------------------------------------- what show prints


@dataclass(frozen=True)
class LaneView:
    target: str
    points: int
    first_s: float
    last_s: float
    low: float
    high: float
    unit: str
    interpolation: str


@dataclass(frozen=True)
class ParamView:
    name: str
    value: ParamValue
    unit: str
    is_default: bool
    lane: LaneView | None
    """The automation lane moving this parameter (its value then is the lane's), or None."""


@dataclass(frozen=True)
class InsertView:
    index: int
    kind: str
    name: str
    bypass: bool
    sidechain: str
    params: tuple[ParamView, ...]


@dataclass(frozen=True)
class StripView:
    """A track, bus or the master as `show` prints it."""

    where: str
    name: str
    inserts: tuple[InsertView, ...]
    lanes: tuple[LaneView, ...]
    gain_lane: LaneView | None
    pan_lane: LaneView | None
    mute_lane: LaneView | None
    send_lanes: dict[str, LaneView]


@dataclass(frozen=True)
class SessionView:
    song: Song
    strips: dict[str, StripView]
    """Strip name (the master: ``"master"``) → its view."""
    missing_media: frozenset[str]
    layouts: dict[str, str]
    """Media path → how it plays, for multichannel media."""
    problems: tuple[str, ...]


def _unit_of(strip: Track | Bus, target: str) -> str:
    parts = target.split(".")
    if target == "gain_db" or (parts[0] == "sends" and parts[-1] == "level_db"):
        return "dB"
    if len(parts) == 3 and parts[0] == "fx" and parts[1].isdigit():
        n = int(parts[1])
        if 1 <= n <= len(strip.inserts):
            spec = catalog.KINDS.get(strip.inserts[n - 1].kind)
            param = spec.params.get(parts[2]) if spec else None
            return param.unit if param else ""
    return ""


def _lane_view(strip: Track | Bus, lane: AutomationLane, rate: int) -> LaneView:
    values = [p.value for p in lane.points]
    return LaneView(
        target=lane.target,
        points=len(lane.points),
        first_s=lane.points[0].frame / rate,
        last_s=lane.points[-1].frame / rate,
        low=min(values),
        high=max(values),
        unit=_unit_of(strip, lane.target),
        interpolation=str(lane.interpolation),
    )


def _strip_view(where: str, strip: Track | Bus, rate: int) -> StripView:
    lanes = {lane.target: _lane_view(strip, lane, rate) for lane in strip.automation if lane.points}
    inserts = []
    for i, slot in enumerate(strip.inserts, start=1):
        spec = catalog.KINDS.get(slot.kind)
        params: list[ParamView] = []
        if spec is not None:
            for p in spec.params.values():
                given = p.name in slot.params
                value = slot.params[p.name] if given else p.default
                params.append(
                    ParamView(p.name, value, p.unit, not given, lanes.get(f"fx.{i}.{p.name}"))
                )
        # Parameters the catalog does not know are shown as they are (validate names them).
        params += [
            ParamView(k, v, "", False, None)
            for k, v in slot.params.items()
            if spec is None or k not in spec.params
        ]
        inserts.append(
            InsertView(i, slot.kind, slot.name, slot.bypass, slot.sidechain, tuple(params))
        )
    return StripView(
        where=where,
        name=strip.name,
        inserts=tuple(inserts),
        lanes=tuple(lanes.values()),
        gain_lane=lanes.get("gain_db"),
        pan_lane=lanes.get("pan"),
        mute_lane=lanes.get("mute"),
        send_lanes={
            s.bus: lanes[f"sends.{s.bus}.level_db"]
            for s in strip.sends
            if f"sends.{s.bus}.level_db" in lanes
        },
    )


def view_of(project: Project, song: Song) -> SessionView:
    """The session view of ``song`` of an open project."""
    from producer.workflows.project import layout_note

    views = {
        (MASTER if where == "master" else strip.name): _strip_view(where, strip, song.sample_rate)
        for where, strip in strips(song)
    }
    missing: set[str] = set()
    layouts: dict[str, str] = {}
    for t in song.tracks:
        for c in t.all_clips():
            # A rendered part missing from its cache is not missing media: it renders again.
            part = parts.is_part(c.media.path)
            if not c.media.offline and not part and not (project.root / c.media.path).is_file():
                missing.add(c.media.path)
            if c.media.layout:
                layouts[c.media.path] = layout_note(c.media)
    problems = project.song_problems(song.slug) + mix_problems(project.root, song)
    problems += offline_media(song, song_file(song.slug))
    return SessionView(song, views, frozenset(missing), layouts, tuple(problems))


def session_view(root: Path, slug: str) -> SessionView:
    """Everything `producer show SONG` prints (works with media missing)."""
    project = Project.open(root)
    return view_of(project, project.song(slug))


@dataclass(frozen=True)
class AlbumView:
    title: str
    artist: str
    sample_rate: int
    songs: tuple[SessionView, ...]
    damaged: dict[str, str]
    """Documents that cannot be read: path → why (and the way back)."""


def album_view(root: Path) -> AlbumView:
    """`producer show` without a song: every song, and the documents that cannot be read."""
    project = Project.open(root)
    damaged = project.damaged()
    album = project.album  # an album.json that cannot be read: its error, with the way back
    return AlbumView(
        album.title,
        album.artist,
        album.sample_rate,
        tuple(view_of(project, s) for s in project.songs()),
        damaged,
    )


__all__ = [
    "AlbumView",
    "InsertView",
    "LaneView",
    "ParamView",
    "SessionView",
    "StripView",
    "album_view",
    "lane_of",
    "mix_problems",
    "refuse_new_problems",
    "session_view",
    "strips",
    "validate",
    "view_of",
]
