"""Automation lanes (``producer automate``): the points, the strip and parameter a target
names, and how a lane combines with the strip's fixed value."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from producer.dsp import catalog
from producer.errors import NotFoundError, UserError, ValidationError
from producer.model import MASTER, AutomationLane, AutomationPoint, Bus, Song, Track, ranges
from producer.storage import Project
from producer.workflows.inspection import refuse_new_problems
from producer.workflows.mix.edit import _put_strip, _strip


def parse_points(text: str, rate: int) -> tuple[AutomationPoint, ...]:
    """``"0:-20,2:0"`` (seconds:value, comma-separated) → points at frames of ``rate``."""
    points = []
    for item in text.split(","):
        t, sep, v = item.strip().partition(":")
        try:
            seconds, value = float(t), float(v)
        except ValueError:
            seconds = value = math.nan
        if not sep or not math.isfinite(seconds) or not math.isfinite(value) or seconds < 0:
            raise UserError(f"--points: {item.strip()!r} is not seconds:value (like 2.5:-6)")
        points.append(AutomationPoint(round(seconds * rate), value))
    frames = [p.frame for p in points]
    if frames != sorted(frames):
        raise UserError("--points: times must not go backwards")
    return tuple(points)


def _split_target(song: Song, target: str) -> tuple[Track | Bus, str]:
    """``"Vox.fx.1.threshold_db"`` → (the strip Vox, ``"fx.1.threshold_db"``)."""
    names = [t.name for t in song.tracks] + [b.name for b in song.buses] + [MASTER]
    for name in sorted(names, key=len, reverse=True):  # longest first: names may hold dots
        if target.startswith(name + "."):
            return _strip(song, name), target[len(name) + 1 :]
    raise NotFoundError(
        f"automation target {target!r}: starts with no track or bus (strips: {', '.join(names)})"
    )


def _check_lane(strip: Track | Bus, param: str, points: tuple[AutomationPoint, ...]) -> None:
    parts = param.split(".")
    where = f"{strip.name}.{param}"
    values = [p.value for p in points]
    if param == "gain_db" or (len(parts) == 3 and parts[0] == "sends" and parts[2] == "level_db"):
        for v in values:
            ranges.check_gain_db(v, f"{where} --points")
    if param == "gain_db":
        return
    if param == "mute":
        if any(v not in (0.0, 1.0) for v in values):
            raise ValidationError(f"{where}: values must be 0 (playing) or 1 (muted)")
        return
    if param == "pan":
        if any(not -1.0 <= v <= 1.0 for v in values):
            raise ValidationError(f"{where}: values must lie in -1..+1")
        return
    if len(parts) == 3 and parts[0] == "sends" and parts[2] == "level_db":
        if not any(s.bus == parts[1] for s in strip.sends):
            raise NotFoundError(f"{where}: {strip.name} has no send to {parts[1]!r}")
        return
    if len(parts) == 3 and parts[0] == "fx" and parts[1].isdigit():
        n = int(parts[1])
        if not 1 <= n <= len(strip.inserts):
            raise NotFoundError(f"{where}: {strip.name} has {len(strip.inserts)} insert(s)")
        kind = strip.inserts[n - 1].kind
        spec = catalog.KINDS.get(kind)
        p = spec.params.get(parts[2]) if spec else None
        if spec is None or p is None:
            valid = ", ".join(spec.params) if spec else "none"
            raise NotFoundError(f"{where}: {kind} has no parameter {parts[2]!r} (valid: {valid})")
        if not p.automatable:
            raise ValidationError(f"{where}: {kind}.{parts[2]} cannot be automated")
        for v in values:
            problems = catalog.check_params(kind, {parts[2]: v})
            if problems:
                raise ValidationError(f"{where}: {problems[0]}", problems)
        return
    raise ValidationError(
        f"automation target {where!r}: use gain_db, pan, mute, sends.<bus>.level_db or "
        "fx.<n>.<param>"
    )


@dataclass(frozen=True)
class Automated:
    """What ``automate`` did: the lane's points, and what it does to the fixed value."""

    target: str
    points: int
    note: str
    """How the lane and the strip's fixed value combine ("" when there is nothing to say)."""


def _lane_note(strip: Track | Bus, param: str, lane: AutomationLane | None) -> str:
    """How a lane of ``param`` and the fixed value combine, in words (for the shells)."""
    if lane is None:
        return ""
    values = [p.value for p in lane.points]
    lo, hi = min(values), max(values)
    parts = param.split(".")
    if param == "gain_db":
        g = strip.gain_db
        return f"the fader ({g:+.1f} dB) trims it: {lo + g:+.1f} .. {hi + g:+.1f} dB in the mix"
    if len(parts) == 3 and parts[0] == "sends":
        send = next((x for x in strip.sends if x.bus == parts[1]), None)
        level = send.level_db if send else 0.0
        return (
            f"the send level ({level:+.1f} dB) trims it: {lo + level:+.1f} .. "
            f"{hi + level:+.1f} dB in the mix"
        )
    if param == "pan":
        return f"it replaces the fixed pan ({strip.pan:+.2f}) while it exists"
    if param == "mute":
        return "the fixed mute, when on, silences the strip whatever the lane says"
    if len(parts) == 3 and parts[0] == "fx":
        slot = strip.inserts[int(parts[1]) - 1]
        fixed = slot.params.get(parts[2])
        if fixed is None:
            spec = catalog.KINDS.get(slot.kind)
            fixed = spec.params[parts[2]].default if spec and parts[2] in spec.params else "?"
        return f"it replaces the fixed {slot.kind}.{parts[2]} ({fixed}) while it exists"
    return ""


def automate(
    root: Path, slug: str, target: str, points_text: str | None, clear: bool = False
) -> Automated:
    """Set the automation lane ``target`` (``Vox.gain_db``) to the points, or remove it
    (``clear``). The fader and send levels trim their lanes; a pan or effect-parameter lane
    replaces the fixed value while it exists (the result's ``note`` says which)."""
    if clear == (points_text is not None):
        raise UserError("automate: give --points or --clear (not both)")
    project = Project.open(root)
    with project.transaction(f"{'clear' if clear else 'automate'} {target}") as tx:
        song = tx.song(slug)
        strip, param = _split_target(song, target)
        lanes = tuple(lane for lane in strip.automation if lane.target != param)
        if clear:
            if len(lanes) == len(strip.automation):
                listed = ", ".join(f"{strip.name}.{lane.target}" for lane in strip.automation)
                raise NotFoundError(f"{target}: no automation lane (lanes: {listed or 'none'})")
            tx.put_song(_put_strip(song, strip, automation=lanes))
            return Automated(target, 0, "")
        assert points_text is not None
        points = parse_points(points_text, song.sample_rate)
        _check_lane(strip, param, points)
        new = AutomationLane(target=param, points=points)
        after = _put_strip(song, strip, automation=(*lanes, new))
        refuse_new_problems(project.root, song, after)
        tx.put_song(after)
        return Automated(target, len(points), _lane_note(strip, param, new))
