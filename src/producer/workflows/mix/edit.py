"""Edit a song's mixer: buses, sends, and the inserts of a strip (``fx add|set|remove|bypass``)
with their parameters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from producer.dsp import catalog
from producer.errors import NotFoundError, UserError, ValidationError
from producer.model import (
    MASTER,
    AutomationLane,
    Bus,
    EffectSlot,
    ParamValue,
    Send,
    Song,
    Track,
    ranges,
    validate_song,
)
from producer.model import edit as ed
from producer.storage import Project
from producer.workflows.inspection import refuse_new_problems

# ---------------------------------------------------------------- buses and sends


def bus_add(root: Path, slug: str, name: str, output: str = MASTER) -> None:
    project = Project.open(root)
    with project.transaction(f"add bus {name}") as tx:
        song = tx.song(slug)
        if not name.strip():
            raise ValidationError("bus name: is empty")
        if song.track(name) is not None:
            raise ValidationError(f"song {slug!r}: {name!r} is a track's name")
        ed.get_bus(song, output)
        tx.put_song(ed.add_bus(song, Bus(name=name, output=output)))


def send_add(
    root: Path, slug: str, strip: str, bus: str, level_db: float = 0.0, pre_fader: bool = False
) -> None:
    """Add (or replace) a send from track or bus ``strip`` to ``bus``."""
    ranges.check_gain_db(level_db, "--level-db")
    project = Project.open(root)
    with project.transaction(f"send {strip} to {bus}") as tx:
        song = tx.song(slug)
        if bus == MASTER:
            raise ValidationError("a send goes to a bus; the master is every strip's output")
        _strip(song, strip)
        new = ed.add_send(song, strip, Send(bus=bus, level_db=level_db, pre_fader=pre_fader))
        _check_routing(new)
        refuse_new_problems(project.root, song, new)  # e.g. a loop through a sidechain key
        tx.put_song(new)


def _check_routing(song: Song) -> None:
    problems = [p for p in validate_song(song) if "cycle" in p]
    if problems:
        raise ValidationError(problems[0], problems)


# ---------------------------------------------------------------- inserts


def _strip(song: Song, name: str) -> Track | Bus:
    """The track, bus or master called ``name`` (tracks first)."""
    t = song.track(name)
    if t is not None:
        return t
    b = song.bus(name)
    if b is not None:
        return b
    known = ", ".join([*(t.name for t in song.tracks), *(b.name for b in song.buses), MASTER])
    raise NotFoundError(f"song {song.slug!r}: no track or bus {name!r} (strips: {known})")


def _put_strip(song: Song, old: Track | Bus, **changes: object) -> Song:
    if isinstance(old, Track):
        return ed.replace_track(song, replace(old, **changes))  # type: ignore[arg-type]
    return ed.update_bus(song, old.name, **changes)


def parse_params(kind: str, pairs: Sequence[str]) -> dict[str, ParamValue]:
    """``["threshold_db=-18", "ratio=4"]`` → typed values; UserError naming the bad item."""
    params: dict[str, ParamValue] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name:
            raise UserError(f"{pair!r}: write parameters as name=value")
        params[name.strip()] = catalog.parse_value(kind, name.strip(), text.strip())
    problems = catalog.check_params(kind, params)
    if problems:
        raise ValidationError(problems[0], problems)
    return params


def _slot_index(strip: Track | Bus, which: str) -> int:
    """0-based index of the insert named by a 1-based number or a kind (or slot name)."""
    inserts = strip.inserts
    if which.isdigit():
        n = int(which)
        if not 1 <= n <= len(inserts):
            raise NotFoundError(f"{strip.name}: no insert {n} (it has {len(inserts)})")
        return n - 1
    hits = [i for i, s in enumerate(inserts) if which in (s.kind, s.name)]
    if not hits:
        listed = ", ".join(f"{i}:{s.kind}" for i, s in enumerate(inserts, 1)) or "none"
        raise NotFoundError(f"{strip.name}: no insert {which!r} (inserts: {listed})")
    if len(hits) > 1:
        raise UserError(f"{strip.name}: {len(hits)} inserts are {which!r}; give its number")
    return hits[0]


def fx_add(
    root: Path, slug: str, strip_name: str, kind: str, pairs: Sequence[str], sidechain: str = ""
) -> int:
    """Append an insert; returns its 1-based position."""
    if kind not in catalog.KINDS:
        raise NotFoundError(f"unknown effect kind {kind!r} (kinds: {', '.join(catalog.KINDS)})")
    params = parse_params(kind, pairs)
    project = Project.open(root)
    with project.transaction(f"fx add {kind} on {strip_name}") as tx:
        song = tx.song(slug)
        strip = _strip(song, strip_name)
        if sidechain:
            if not catalog.KINDS[kind].accepts_sidechain:
                raise UserError(f"{kind}: takes no sidechain input")
            _strip(song, sidechain)
        slot = EffectSlot(kind=kind, params=params, sidechain=sidechain)
        after = _put_strip(song, strip, inserts=(*strip.inserts, slot))
        refuse_new_problems(project.root, song, after)  # e.g. an impulse response not there
        tx.put_song(after)
        return len(strip.inserts) + 1


def fx_set(root: Path, slug: str, strip_name: str, which: str, pairs: Sequence[str]) -> None:
    project = Project.open(root)
    with project.transaction(f"fx set {which} on {strip_name}") as tx:
        song = tx.song(slug)
        strip = _strip(song, strip_name)
        i = _slot_index(strip, which)
        slot = strip.inserts[i]
        given = parse_params(slot.kind, pairs)
        for name in given:
            target = f"fx.{i + 1}.{name}"
            if any(lane.target == target and lane.points for lane in strip.automation):
                # The lane sets this parameter while it exists: a fixed value would be dead.
                raise ValidationError(
                    f"{strip.name}.{target} is automated: a fixed {slot.kind}.{name} would "
                    f"have no effect; change the lane (producer automate {slug} "
                    f"{strip.name}.{target} --points ...) or remove it (... --clear)"
                )
        params = {**slot.params, **given}
        inserts = list(strip.inserts)
        inserts[i] = replace(slot, params=params)
        after = _put_strip(song, strip, inserts=tuple(inserts))
        refuse_new_problems(project.root, song, after)
        tx.put_song(after)


def fx_remove(root: Path, slug: str, strip_name: str, which: str) -> None:
    project = Project.open(root)
    with project.transaction(f"fx remove {which} on {strip_name}") as tx:
        song = tx.song(slug)
        strip = _strip(song, strip_name)
        i = _slot_index(strip, which)
        prefix = f"fx.{i + 1}."
        if any(lane.target.startswith(prefix) for lane in strip.automation):
            raise UserError(f"{strip.name}: insert {i + 1} is automated; remove its lanes first")
        inserts = strip.inserts[:i] + strip.inserts[i + 1 :]
        # Lanes of the inserts after it follow them: fx.3.x becomes fx.2.x.
        lanes = tuple(_renumbered(lane, i + 1) for lane in strip.automation)
        tx.put_song(_put_strip(song, strip, inserts=inserts, automation=lanes))


def _renumbered(lane: AutomationLane, removed: int) -> AutomationLane:
    """``lane`` after insert ``removed`` (1-based) was taken out of the chain."""
    parts = lane.target.split(".")
    if len(parts) == 3 and parts[0] == "fx" and parts[1].isdigit() and int(parts[1]) > removed:
        return replace(lane, target=f"fx.{int(parts[1]) - 1}.{parts[2]}")
    return lane


def fx_bypass(root: Path, slug: str, strip_name: str, which: str, bypass: bool = True) -> None:
    project = Project.open(root)
    with project.transaction(f"fx bypass {which} on {strip_name}") as tx:
        song = tx.song(slug)
        strip = _strip(song, strip_name)
        i = _slot_index(strip, which)
        inserts = list(strip.inserts)
        inserts[i] = replace(inserts[i], bypass=bypass)
        after = _put_strip(song, strip, inserts=tuple(inserts))
        refuse_new_problems(project.root, song, after)
        tx.put_song(after)


def fx_kinds() -> list[catalog.EffectSpec]:
    """Every effect kind with its parameters, units and ranges."""
    return list(catalog.KINDS.values())
