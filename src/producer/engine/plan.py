"""Compile a Song into a render plan: what plays, through which processors, in which order.

The plan holds, for every track and bus (a *strip*):

* the clips that play: the active take lane, or the comp's segments of several lanes;
* the insert processors, created from the effect catalog (``producer.dsp.catalog``);
* its routing: main output and sends, the order of strips from the routing graph
  (topological; a cycle is refused naming the strips on it) and sidechain keys;
* the latency of every path and the delay that compensates it.

Rules the engine follows (the user guide repeats them):

* **Automatic crossfade.** On one lane, where a clip B starts before the clip A before it ends
  and B ends after A (a partial overlap), the overlap is an equal-power crossfade: A fades out
  and B fades in over the whole overlap, unless the clip's own fade there is longer already.
  A clip lying wholly inside another is simply summed with it.
* **Comp seams.** Segments meet at their boundary frame ``s``; a crossfade of
  ``Comp.crossfade_frames`` = n frames, centred on the seam, covers ``[s - n//2, s - n//2 + n)``
  with equal-power curves (out: the fade-in reversed). The first segment starts and the last
  ends hard.
* **Mono or stereo.** A track is mono when all its sources are mono, else stereo (a mono clip
  on a stereo track feeds both channels; media of 3 to 8 channels is folded down to stereo
  with ITU-R BS.775 coefficients, ``producer.dsp.downmix``). Buses and the master are stereo.
* **Latency compensation.** A strip's output latency is the largest input latency among what
  feeds it plus its inserts' latency; every feed into a bus is delayed by the difference
  between the bus's input latency and the feeder's output latency, so parallel paths line up.
  The render starts early by the master's output latency, so the result sits on the timeline.
  Sidechain keys are not delayed.
* **Mute and solo.** A muted strip is silent at its output and at its sends. When anything is
  soloed, a strip plays when it is soloed, feeds (directly or through buses) a soloed strip,
  or is fed by one (soloing a track keeps the buses it feeds audible). The master always plays
  unless muted.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from producer.dsp import catalog, downmix, fades
from producer.dsp.processor import Processor
from producer.errors import NotFoundError, ValidationError
from producer.model import (
    COMP,
    MASTER,
    AutomationLane,
    Bus,
    Clip,
    EffectSlot,
    FadeShape,
    ParamValue,
    Song,
    Track,
    validate_song,
)
from producer.units import db_to_gain

Gains = npt.NDArray[np.float32]
"""float32 gains, shape (frames,)."""

FadeCurve = Callable[[str, int], Gains]
"""``fade_in_curve(shape, n)``: n gains rising 0 → 1 (``producer.dsp.fades``)."""


class Effects(Protocol):
    """The effect catalog as the engine uses it (``producer.dsp.catalog``; tests hand in others)."""

    def create(
        self,
        kind: str,
        params: Mapping[str, ParamValue],
        sample_rate: int,
        channels: int,
        max_block_frames: int,
    ) -> Processor:
        """A prepared processor of ``kind``; raises UserError on bad params."""
        ...

    def check_params(self, kind: str, params: Mapping[str, ParamValue]) -> list[str]:
        """Every problem with ``params`` of ``kind`` (unknown kind or param, out of range)."""
        ...


class CatalogEffects:
    """``Effects`` backed by ``producer.dsp.catalog``; ``base_dir`` resolves file parameters
    (a convolution's impulse response) relative to the project folder."""

    def __init__(self, base_dir: Path | None = None) -> None:
        self.base_dir = base_dir

    def create(
        self,
        kind: str,
        params: Mapping[str, ParamValue],
        sample_rate: int,
        channels: int,
        max_block_frames: int,
    ) -> Processor:
        return catalog.create(
            kind, params, sample_rate, channels, max_block_frames, base_dir=self.base_dir
        )

    def check_params(self, kind: str, params: Mapping[str, ParamValue]) -> list[str]:
        return catalog.check_params(kind, params)


def catalog_fade_curve(shape: str, n: int) -> Gains:
    """``producer.dsp.fades.fade_in_curve``: float32 gains (n,) rising 0 → 1."""
    return fades.fade_in_curve(shape, n)


@dataclass
class ClipPlan:
    """A clip with its effective fades (own fades, or the automatic crossfade)."""

    clip: Clip
    gain: float
    fade_in: Gains | None
    fade_out: Gains | None
    downmix: npt.NDArray[np.float32] | None = None
    """(2, channels) fold-down of multichannel media (``producer.dsp.downmix``), or None."""


@dataclass
class Region:
    """Clips of one lane that play inside the timeline window ``[play_start, play_end)``.

    ``in_curve`` rises over ``[play_start, play_start + len)``, ``out_curve`` falls over
    ``[play_end - len, play_end)``: the comp's seam crossfades. A plain lane has no window.
    """

    clips: list[ClipPlan]
    play_start: int = 0
    play_end: int | None = None
    in_curve: Gains | None = None
    out_curve: Gains | None = None


@dataclass
class InsertPlan:
    """An insert slot: its processor (None when bypassed) and automated params."""

    index: int
    slot: EffectSlot
    proc: Processor | None
    automation: list[tuple[str, AutomationLane]] = field(default_factory=list)
    sidechain: str = ""
    """Strip id of the sidechain key, or ''."""


@dataclass
class SendPlan:
    dest: str
    level_db: float
    pre_fader: bool
    level_lane: AutomationLane | None = None


@dataclass
class StripPlan:
    """A track or bus as the block loop runs it."""

    id: str
    name: str
    is_track: bool
    channels: int
    regions: list[Region]
    polarity_inverted: bool
    inserts: list[InsertPlan]
    gain_db: float
    pan: float
    audible: bool
    output: str
    """Strip id of the main output ('' for the master)."""
    sends: list[SendPlan]
    gain_lane: AutomationLane | None = None
    pan_lane: AutomationLane | None = None
    mute_lane: AutomationLane | None = None
    latency_frames: int = 0
    in_latency_frames: int = 0
    deps: set[str] = field(default_factory=set)

    @property
    def out_latency_frames(self) -> int:
        return self.in_latency_frames + self.latency_frames

    @property
    def fx_automated(self) -> bool:
        return any(ins.automation for ins in self.inserts)


@dataclass
class Plan:
    """The compiled song: strips in processing waves, feed delays, the song's last frame."""

    sample_rate: int
    strips: dict[str, StripPlan]
    waves: list[list[str]]
    feed_delays: dict[tuple[str, str], int]
    """(source strip id, destination strip id) → delay in frames compensating latency."""
    stem_delays: dict[str, int]
    """Strip id → delay putting its stem on the timeline with the mix."""
    latency_frames: int
    """Output latency of the master: the render's pre-roll."""
    end_frame: int
    """First frame after the last playing clip."""
    block_frames: int


MASTER_ID = "bus:" + MASTER

#: Frames per block of an offline render (2.7 s at 48 kHz): the engine's Python and thread
#: hand-offs are paid per block, so long blocks cost less (measured on 16 tracks with a strip
#: each: 32768 frames 1.10 s, 65536 0.85 s, 131072 0.78 s, 262144 0.79 s), while memory stays
#: a few blocks per strip. A real-time driver compiles with short blocks instead.
DEFAULT_BLOCK_FRAMES = 131072


def track_id(name: str) -> str:
    return "track:" + name


def bus_id(name: str) -> str:
    return "bus:" + name


def _strip_name(sid: str) -> str:
    return sid.split(":", 1)[1]


def _effective_clips(clips: tuple[Clip, ...], curve: FadeCurve) -> list[ClipPlan]:
    """Clips with their fades, applying the automatic crossfade rule (module docstring)."""
    ordered = sorted(clips, key=lambda c: (c.start_frame, c.id))
    fin: dict[str, tuple[int, str]] = {
        c.id: (c.fade_in.length_frames, str(c.fade_in.shape)) for c in ordered
    }
    fout: dict[str, tuple[int, str]] = {
        c.id: (c.fade_out.length_frames, str(c.fade_out.shape)) for c in ordered
    }
    for a, b in itertools.pairwise(ordered):
        overlap = a.end_frame - b.start_frame
        if overlap > 0 and b.end_frame >= a.end_frame:
            if fout[a.id][0] < overlap:
                fout[a.id] = (overlap, str(FadeShape.EQUAL_POWER))
            if fin[b.id][0] < overlap:
                fin[b.id] = (overlap, str(FadeShape.EQUAL_POWER))
    plans = []
    for c in ordered:
        n_in, shape_in = fin[c.id]
        n_out, shape_out = fout[c.id]
        # A crossfade may not reach past the clip's other fade: shrink the other one.
        n_in = min(n_in, c.length_frames)
        n_out = min(n_out, c.length_frames)
        plans.append(
            ClipPlan(
                clip=c,
                gain=db_to_gain(c.gain_db),
                fade_in=curve(shape_in, n_in) if n_in > 0 else None,
                fade_out=curve(shape_out, n_out)[::-1].copy() if n_out > 0 else None,
                downmix=downmix.stereo_matrix(c.media.layout) if c.media.channels > 2 else None,
            )
        )
    return plans


def _regions(track: Track, curve: FadeCurve) -> list[Region]:
    if track.active == COMP and track.comp is not None:
        lanes = {lane.id: lane for lane in track.lanes}
        segs = track.comp.segments
        n = track.comp.crossfade_frames
        regions = []
        for i, seg in enumerate(segs):
            lane = lanes[seg.lane]
            start, end = seg.start_frame, seg.end_frame
            in_curve = out_curve = None
            if i > 0 and n > 0:
                start = seg.start_frame - n // 2
                in_curve = curve(str(FadeShape.EQUAL_POWER), n)
            if i + 1 < len(segs) and n > 0:
                end = seg.end_frame - n // 2 + n
                out_curve = curve(str(FadeShape.EQUAL_POWER), n)[::-1].copy()
            regions.append(
                Region(_effective_clips(lane.clips, curve), start, end, in_curve, out_curve)
            )
        return regions
    active = track.active_lane()
    if active is None:
        return []
    return [Region(_effective_clips(active.clips, curve))]


def _parse_automation(
    where: str, lanes: tuple[AutomationLane, ...], inserts: list[InsertPlan], sends: list[SendPlan]
) -> dict[str, AutomationLane]:
    """Attach fx and send lanes; return the strip-level ones (gain_db, pan, mute)."""
    strip_lanes: dict[str, AutomationLane] = {}
    for lane in lanes:
        parts = lane.target.split(".")
        if not lane.points:
            continue
        if lane.target in ("gain_db", "pan", "mute"):
            strip_lanes[lane.target] = lane
        elif len(parts) == 3 and parts[0] == "sends" and parts[2] == "level_db":
            send = next((s for s in sends if _strip_name(s.dest) == parts[1]), None)
            if send is None:
                raise ValidationError(f"{where}: automation {lane.target!r}: no send to that bus")
            send.level_lane = lane
        elif len(parts) == 3 and parts[0] == "fx" and parts[1].isdigit():
            n = int(parts[1])
            if not 1 <= n <= len(inserts):
                raise ValidationError(
                    f"{where}: automation {lane.target!r}: there are {len(inserts)} inserts"
                )
            inserts[n - 1].automation.append((parts[2], lane))
        else:
            raise ValidationError(
                f"{where}: automation target {lane.target!r} is not gain_db, pan, mute, "
                "sends.<bus>.level_db or fx.<n>.<param>"
            )
    return strip_lanes


def _inserts(
    where: str,
    slots: tuple[EffectSlot, ...],
    song: Song,
    effects: Effects,
    sample_rate: int,
    channels: int,
    block_frames: int,
) -> list[InsertPlan]:
    plans = []
    for i, slot in enumerate(slots, start=1):
        problems = effects.check_params(slot.kind, slot.params)
        if problems:
            raise ValidationError(f"{where}.inserts[{i}] ({slot.kind}): {problems[0]}", problems)
        side = ""
        spec = catalog.KINDS.get(slot.kind)
        if slot.sidechain and spec is not None and not spec.accepts_sidechain:
            raise ValidationError(f"{where}.inserts[{i}] ({slot.kind}): takes no sidechain input")
        if slot.sidechain:
            if song.track(slot.sidechain) is not None:
                side = track_id(slot.sidechain)
            elif song.bus(slot.sidechain) is not None:
                side = bus_id(slot.sidechain)
            else:
                raise NotFoundError(
                    f"{where}.inserts[{i}].sidechain: {slot.sidechain!r} is no track or bus"
                )
        proc = (
            None
            if slot.bypass
            else effects.create(slot.kind, slot.params, sample_rate, channels, block_frames)
        )
        plans.append(InsertPlan(i, slot, proc, sidechain=side))
    return plans


def _check_automation_values(where: str, inserts: list[InsertPlan], effects: Effects) -> None:
    for ins in inserts:
        for param, lane in ins.automation:
            spec = catalog.KINDS.get(ins.slot.kind)
            known = spec.params.get(param) if spec is not None else None
            if known is not None and not known.automatable:  # e.g. a look-ahead (its latency)
                raise ValidationError(
                    f"{where}: automation fx.{ins.index}.{param}: "
                    f"{ins.slot.kind}.{param} cannot be automated"
                )
            for point in lane.points:
                problems = effects.check_params(ins.slot.kind, {param: point.value})
                if problems:
                    raise ValidationError(
                        f"{where}: automation fx.{ins.index}.{param}: {problems[0]}", problems
                    )


def _strip(
    sid: str,
    strip: Track | Bus,
    song: Song,
    effects: Effects,
    curve: FadeCurve,
    block_frames: int,
) -> StripPlan:
    is_track = isinstance(strip, Track)
    where = f"tracks[{strip.name}]" if is_track else f"buses[{strip.name}]"
    regions: list[Region] = []
    channels = 2
    if isinstance(strip, Track):
        regions = _regions(strip, curve)
        clips = [cp.clip for r in regions for cp in r.clips]
        # Media of more than two channels is folded down to stereo as it is read.
        channels = 1 if clips and all(c.media.channels == 1 for c in clips) else 2
    inserts = _inserts(
        where, strip.inserts, song, effects, song.sample_rate, channels, block_frames
    )
    sends = []
    for s in strip.sends:
        if song.bus(s.bus) is None or s.bus == MASTER:
            raise NotFoundError(f"{where}.sends: bus {s.bus!r} does not exist")
        sends.append(SendPlan(bus_id(s.bus), s.level_db, s.pre_fader))
    lanes = _parse_automation(where, strip.automation, inserts, sends)
    _check_automation_values(where, inserts, effects)
    output = ""
    if sid != MASTER_ID:
        if song.bus(strip.output) is None:
            raise NotFoundError(f"{where}.output: bus {strip.output!r} does not exist")
        output = bus_id(strip.output)
    latency = sum(ins.proc.latency_frames for ins in inserts if ins.proc is not None)
    return StripPlan(
        id=sid,
        name=strip.name,
        is_track=is_track,
        channels=channels,
        regions=regions,
        polarity_inverted=isinstance(strip, Track) and strip.polarity_inverted,
        inserts=inserts,
        gain_db=strip.gain_db,
        pan=strip.pan,
        audible=not strip.mute,
        output=output,
        sends=sends,
        gain_lane=lanes.get("gain_db"),
        pan_lane=lanes.get("pan"),
        mute_lane=lanes.get("mute"),
        latency_frames=latency,
    )


def _order(strips: dict[str, StripPlan]) -> list[list[str]]:
    """Waves of strips: each wave depends only on earlier ones. Refuses cycles, naming them."""
    level: dict[str, int] = {}
    state: dict[str, int] = {}

    def visit(sid: str, path: list[str]) -> int:
        if state.get(sid) == 2:
            return level[sid]
        if state.get(sid) == 1:
            cycle = [_strip_name(s) for s in [*path[path.index(sid) :], sid]]
            raise ValidationError(f"routing cycle: {' -> '.join(cycle)}")
        state[sid] = 1
        lv = 0
        for dep in sorted(strips[sid].deps):
            lv = max(lv, visit(dep, [*path, sid]) + 1)
        state[sid] = 2
        level[sid] = lv
        return lv

    for sid in strips:
        visit(sid, [])
    waves: list[list[str]] = [[] for _ in range(max(level.values(), default=-1) + 1)]
    for sid in strips:  # keeps the song's order inside a wave: deterministic sums
        waves[level[sid]].append(sid)
    return waves


def _solo(strips: dict[str, StripPlan], song: Song) -> None:
    soloed = {track_id(t.name) for t in song.tracks if t.solo}
    soloed |= {bus_id(b.name) for b in song.buses if b.solo}
    if not soloed:
        return
    downstream: dict[str, set[str]] = {sid: set() for sid in strips}
    for sid, s in strips.items():
        if s.output:
            downstream[sid].add(s.output)
        downstream[sid] |= {send.dest for send in s.sends}
    upstream: dict[str, set[str]] = {sid: set() for sid in strips}
    for sid, outs in downstream.items():
        for o in outs:
            upstream[o].add(sid)

    def reach(start: set[str], graph: dict[str, set[str]]) -> set[str]:
        seen, todo = set(start), list(start)
        while todo:
            for nxt in graph[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    keep = reach(soloed, downstream) | reach(soloed, upstream) | {MASTER_ID}
    for sid, s in strips.items():
        if sid not in keep:
            s.audible = False


def compile_song(
    song: Song,
    effects: Effects | None = None,
    *,
    fade_curve: FadeCurve | None = None,
    block_frames: int = DEFAULT_BLOCK_FRAMES,
) -> Plan:
    """Compile ``song`` into a ``Plan``; raises ValidationError/NotFoundError naming the item."""
    problems = validate_song(song)
    if problems:
        raise ValidationError(f"song {song.slug!r}: {problems[0]}", problems)
    effects = effects or CatalogEffects()
    curve = fade_curve or catalog_fade_curve
    strips: dict[str, StripPlan] = {}
    for t in song.tracks:
        strips[track_id(t.name)] = _strip(track_id(t.name), t, song, effects, curve, block_frames)
    for b in song.buses:
        strips[bus_id(b.name)] = _strip(bus_id(b.name), b, song, effects, curve, block_frames)
    strips[MASTER_ID] = _strip(MASTER_ID, song.master, song, effects, curve, block_frames)
    for sid, s in strips.items():
        for dest in [s.output, *(send.dest for send in s.sends)]:
            if dest:
                strips[dest].deps.add(sid)
        for ins in s.inserts:
            if ins.sidechain:
                s.deps.add(ins.sidechain)
    waves = _order(strips)
    _solo(strips, song)
    # Latency: each strip's input latency is the largest output latency feeding it.
    for wave in waves:
        for sid in wave:
            s = strips[sid]
            feeders = [
                strips[f]
                for f in s.deps
                if strips[f].output == sid or any(x.dest == sid for x in strips[f].sends)
            ]
            s.in_latency_frames = max((f.out_latency_frames for f in feeders), default=0)
    feed_delays: dict[tuple[str, str], int] = {}
    for sid, s in strips.items():
        for dest in [s.output, *(send.dest for send in s.sends)]:
            if dest:
                feed_delays[(sid, dest)] = strips[dest].in_latency_frames - s.out_latency_frames
    total = strips[MASTER_ID].out_latency_frames
    stem_delays = {sid: total - s.out_latency_frames for sid, s in strips.items()}
    # The song ends with the last playing clip (a comp region ends at its window's end).
    end = 0
    for s in strips.values():
        for r in s.regions:
            last = max((cp.clip.end_frame for cp in r.clips), default=0)
            end = max(end, last if r.play_end is None else min(last, r.play_end))
    return Plan(
        sample_rate=song.sample_rate,
        strips=strips,
        waves=waves,
        feed_delays=feed_delays,
        stem_delays=stem_delays,
        latency_frames=total,
        end_frame=end,
        block_frames=block_frames,
    )


__all__ = [
    "DEFAULT_BLOCK_FRAMES",
    "MASTER_ID",
    "CatalogEffects",
    "ClipPlan",
    "Effects",
    "FadeCurve",
    "InsertPlan",
    "Plan",
    "Region",
    "SendPlan",
    "StripPlan",
    "bus_id",
    "catalog_fade_curve",
    "compile_song",
    "track_id",
]
