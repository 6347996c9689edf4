"""Rules of a well-formed album and song. ``validate_*`` return every problem, not the first.

A problem is one line naming the field by its path in the document (``tracks[Vox].pan``) and
what is wrong. Checks that need files (does the media exist, is its hash right) are storage's;
checks that need the effect catalog (kinds, parameter ranges) are the dsp catalog's.
"""

from __future__ import annotations

import itertools
import math
import re

from producer.model.album import Album
from producer.model.clip import Clip, MidiClip
from producer.model.media import SPEAKERS
from producer.model.mixer import MASTER, AutomationLane, Bus, Send
from producer.model.song import Song
from producer.model.studio import APPROVER_ROLES, ISRC_PREFIX_RE
from producer.model.track import COMP, Track


def _finite(value: float) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def _sec(frames: int, song: Song) -> str:
    """A time in frames as people read it (problems name times in seconds, not frames)."""
    return f"{frames / song.sample_rate:.3f} s" if song.sample_rate > 0 else f"frame {frames}"


CDTEXT_MAX_CHARS = 80
"""Longest CD-Text field a CUE sheet carries (CDRWIN; IEC 61866 packs allow no more)."""


def normalise_isrc(isrc: str) -> str:
    """Strip the display hyphens of an ISRC (``CC-XXX-YY-NNNNN`` → 12 characters), upper-case."""
    return isrc.replace("-", "").strip().upper()


def isrc_problem(isrc: str) -> str | None:
    """Why ``isrc`` is not a valid ISRC (ISO 3901: CC-XXX-YY-NNNNN), or None.

    ISO 3901: 2-letter country code, 3 alphanumeric registrant characters, 2 digits of the
    year of reference, 5 digits of designation; hyphens are display only.
    """
    code = normalise_isrc(isrc)
    if len(code) != 12:
        return f"ISRC {isrc!r} must have 12 characters (CC-XXX-YY-NNNNN), not {len(code)}"
    if not (
        code[:2].isascii()
        and code[:2].isalpha()
        and code[2:5].isascii()
        and code[2:5].isalnum()
        and code[5:].isascii()
        and code[5:].isdigit()
    ):
        return (
            f"ISRC {isrc!r} must be a 2-letter country code, 3 alphanumeric registrant "
            "characters, then 7 digits (CC-XXX-YY-NNNNN)"
        )
    return None


def upc_problem(upc: str) -> str | None:
    """Why ``upc`` is not a valid UPC/EAN-13 disc catalog number (13 digits, check digit)."""
    code = upc.strip()
    if len(code) == 12 and code.isdigit():
        code = "0" + code  # a UPC-A is an EAN-13 with a leading zero
    if len(code) != 13 or not code.isdigit():
        return f"UPC/EAN {upc!r} must be 13 digits"
    digits = [int(c) for c in code]
    # EAN-13 check digit: weights 1,3,1,3,... over the first 12 digits (GS1 General Specs §7.9).
    total = sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits[:12]))
    check = (10 - total % 10) % 10
    if check != digits[12]:
        return f"UPC/EAN {upc!r} has a wrong check digit (expected {check})"
    return None


def _delivery_problems(song: Song) -> list[str]:
    """Album-mode delivery metadata: ISRC, CD-Text songwriter, gap, crossfade."""
    p: list[str] = []
    if song.isrc and (why := isrc_problem(song.isrc)):
        p.append(f"isrc: {why}")
    if '"' in song.songwriter or "\n" in song.songwriter or "\r" in song.songwriter:
        p.append("songwriter: may not contain double quotes or line breaks (CD-Text)")
    if len(song.songwriter) > CDTEXT_MAX_CHARS:
        p.append(f"songwriter: longer than {CDTEXT_MAX_CHARS} characters (CD-Text)")
    gap = song.gap_before_s
    if gap is not None and (not _finite(gap) or gap < 0):
        p.append(f"gap_before_s: {gap} is not a non-negative number of seconds")
    if not _finite(song.crossfade_s) or song.crossfade_s < 0:
        p.append(f"crossfade_s: {song.crossfade_s} is not a non-negative number of seconds")
    return p


def validate_album(album: Album) -> list[str]:
    problems: list[str] = []
    if not album.title.strip():
        problems.append("title: is empty")
    if not isinstance(album.sample_rate, int) or album.sample_rate <= 0:
        problems.append(f"sample_rate: {album.sample_rate} is not a positive whole number of Hz")
    seen: set[str] = set()
    for slug in album.songs:
        if slug in seen:
            problems.append(f"songs: {slug!r} is listed twice")
        seen.add(slug)
    if album.upc and (why := upc_problem(album.upc)):
        problems.append(f"upc: {why}")
    if not isinstance(album.year, int) or not (album.year == 0 or 1900 <= album.year <= 2999):
        problems.append(f"year: {album.year} is not a year (or 0 for none)")
    for role in album.require_approval:
        if role not in APPROVER_ROLES:
            problems.append(
                f"require_approval: {role!r} is not a role that approves "
                f"({', '.join(APPROVER_ROLES)})"
            )
    if album.isrc_prefix and not ISRC_PREFIX_RE.fullmatch(album.isrc_prefix):
        problems.append(
            f"isrc_prefix: {album.isrc_prefix!r} is not CC-XXX-YY (2 letters, "
            "3 letters or digits, 2 digits of the year)"
        )
    if not re.fullmatch(r"[A-Z]{3}", album.currency):
        problems.append(f"currency: {album.currency!r} is not an ISO 4217 code like EUR or USD")
    if not album.timezone.strip():
        problems.append("timezone: is empty (an IANA time zone like Europe/Berlin, or UTC)")
    return problems


def _strip_problems(
    where: str, gain_db: float, pan: float, sends: tuple[Send, ...], song: Song
) -> list[str]:
    problems: list[str] = []
    if not _finite(gain_db):
        problems.append(f"{where}.gain_db: {gain_db} is not a finite number")
    if not _finite(pan) or not -1.0 <= pan <= 1.0:
        problems.append(f"{where}.pan: {pan} is outside -1..+1")
    for s in sends:
        if song.bus(s.bus) is None or s.bus == MASTER:
            problems.append(f"{where}.sends: bus {s.bus!r} does not exist")
        if not _finite(s.level_db):
            problems.append(f"{where}.sends[{s.bus}].level_db: {s.level_db} is not finite")
    return problems


def automation_target_problem(target: str, inserts: int, send_buses: tuple[str, ...]) -> str | None:
    """Why ``target`` names no parameter of a strip with ``inserts`` inserts and sends to
    ``send_buses`` (the engine's rule: ``producer.model.mixer.AutomationLane``), or None."""
    parts = target.split(".")
    if target in ("gain_db", "pan", "mute"):
        return None
    if len(parts) == 3 and parts[0] == "sends" and parts[2] == "level_db":
        if parts[1] not in send_buses:
            return f"there is no send to {parts[1]!r}"
        return None
    if len(parts) == 3 and parts[0] == "fx" and parts[1].isdigit():
        if not 1 <= int(parts[1]) <= inserts:
            return f"there is no insert {parts[1]} (the strip has {inserts})"
        return None
    return "is not gain_db, pan, mute, sends.<bus>.level_db or fx.<n>.<param>"


def _automation_problems(
    where: str,
    lanes: tuple[AutomationLane, ...],
    inserts: int = 0,
    send_buses: tuple[str, ...] = (),
) -> list[str]:
    problems = []
    targets = [lane.target for lane in lanes]
    for t in sorted({t for t in targets if targets.count(t) > 1}):
        problems.append(f"{where}.automation[{t}]: two lanes automate it")
    for lane in lanes:
        if lane.points and (why := automation_target_problem(lane.target, inserts, send_buses)):
            problems.append(f"{where}.automation[{lane.target}]: {why}")
        if lane.target == "pan" and any(
            _finite(p.value) and not -1.0 <= p.value <= 1.0 for p in lane.points
        ):
            problems.append(f"{where}.automation[pan]: a value is outside -1..+1")
        frames = [p.frame for p in lane.points]
        if any(f < 0 for f in frames):
            problems.append(f"{where}.automation[{lane.target}]: a point before the song start")
        if frames != sorted(frames):
            problems.append(f"{where}.automation[{lane.target}]: points are not in time order")
        if not all(_finite(p.value) for p in lane.points):
            problems.append(f"{where}.automation[{lane.target}]: a value is not finite")
    return problems


def _clip_problems(where: str, clip: Clip, song: Song) -> list[str]:
    p: list[str] = []
    w = f"{where}.clips[{clip.id}]"
    if clip.length_frames <= 0:
        p.append(f"{w}.length_frames: {clip.length_frames} is not positive")
    if clip.start_frame < 0:
        p.append(f"{w}.start_frame: {_sec(clip.start_frame, song)} is before the song start")
    if clip.source_start_frame < 0:
        p.append(f"{w}.source_start_frame: {clip.source_start_frame} is negative")
    if clip.source_start_frame + clip.length_frames > clip.media.frames:
        p.append(
            f"{w}: reaches {_sec(clip.source_start_frame + clip.length_frames, song)} into "
            f"{clip.media.path}, which lasts {_sec(clip.media.frames, song)} (clip outside its "
            "source)"
        )
    if clip.media.sample_rate != song.sample_rate:
        p.append(
            f"{w}.media: {clip.media.path} is at {clip.media.sample_rate} Hz, the song at "
            f"{song.sample_rate} Hz"
        )
    if clip.media.channels <= 0:
        p.append(f"{w}.media.channels: {clip.media.channels} is not positive")
    if clip.media.channels > 2 or clip.media.layout:
        speakers = clip.media.layout.split()
        if len(speakers) != clip.media.channels:
            p.append(
                f"{w}.media.layout: {clip.media.channels} channels need as many speaker "
                f"positions, not {clip.media.layout!r}"
            )
        elif unknown := [s for s in speakers if s not in SPEAKERS]:
            p.append(f"{w}.media.layout: {unknown[0]!r} is not one of {' '.join(SPEAKERS)}")
        elif len(set(speakers)) != len(speakers):
            p.append(f"{w}.media.layout: a speaker position is given twice")
    if not _finite(clip.gain_db):
        p.append(f"{w}.gain_db: {clip.gain_db} is not finite")
    for name, fade in (("fade_in", clip.fade_in), ("fade_out", clip.fade_out)):
        if fade.length_frames < 0:
            p.append(f"{w}.{name}.length_frames: {fade.length_frames} is negative")
    if clip.fade_in.length_frames + clip.fade_out.length_frames > clip.length_frames > 0:
        p.append(
            f"{w}: fades ({_sec(clip.fade_in.length_frames, song)} in + "
            f"{_sec(clip.fade_out.length_frames, song)} out) are longer than the clip "
            f"({_sec(clip.length_frames, song)})"
        )
    return p


def _midi_problems(where: str, mc: MidiClip) -> list[str]:
    p: list[str] = []
    w = f"{where}.midi_clips[{mc.id}]"
    if mc.start_beat < 0:
        p.append(f"{w}.start_beat: {mc.start_beat} is before the song start")
    if mc.length_beats <= 0:
        p.append(f"{w}.length_beats: {mc.length_beats} is not positive")
    for i, n in enumerate(mc.notes):
        if not 0 <= n.pitch <= 127:
            p.append(f"{w}.notes[{i}].pitch: {n.pitch} is outside 0..127")
        if not 1 <= n.velocity <= 127:
            p.append(f"{w}.notes[{i}].velocity: {n.velocity} is outside 1..127")
        if not n.length_beats > 0:
            p.append(f"{w}.notes[{i}].length_beats: {n.length_beats} is not positive")
        if n.start_beat < 0:
            p.append(f"{w}.notes[{i}].start_beat: {n.start_beat} is negative")
    for i, cc in enumerate(mc.controls):
        if not 0 <= cc.controller <= 127:
            p.append(f"{w}.controls[{i}].controller: {cc.controller} is outside 0..127")
        if not 0 <= cc.value <= 127:
            p.append(f"{w}.controls[{i}].value: {cc.value} is outside 0..127")
        if not (_finite(cc.beat) and cc.beat >= 0):
            p.append(f"{w}.controls[{i}].beat: {cc.beat} is negative")
    for i, pb in enumerate(mc.pitch_bends):
        if not -8192 <= pb.value <= 8191:
            p.append(f"{w}.pitch_bends[{i}].value: {pb.value} is outside -8192..8191")
        if not (_finite(pb.beat) and pb.beat >= 0):
            p.append(f"{w}.pitch_bends[{i}].beat: {pb.beat} is negative")
    return p


def _track_problems(t: Track, song: Song) -> list[str]:
    w = f"tracks[{t.name}]"
    p = _strip_problems(w, t.gain_db, t.pan, t.sends, song)
    if not t.name.strip():
        p.append("tracks: a track has an empty name")
    if song.bus(t.output) is None:
        p.append(f"{w}.output: bus {t.output!r} does not exist")
    lane_ids = [lane.id for lane in t.lanes]
    if len(set(lane_ids)) != len(lane_ids):
        p.append(f"{w}.lanes: two take lanes share an id")
    if t.active == COMP:
        if t.comp is None:
            p.append(f"{w}.active: is 'comp' but the track has no comp")
    elif t.lanes and t.active not in lane_ids:
        p.append(f"{w}.active: {t.active!r} is not a take lane of the track")
    if t.comp is not None:
        prev_end = None
        for seg in t.comp.segments:
            if seg.lane not in lane_ids:
                p.append(f"{w}.comp: take lane {seg.lane!r} does not exist")
            if seg.end_frame <= seg.start_frame:
                p.append(
                    f"{w}.comp: the range {_sec(seg.start_frame, song)}–"
                    f"{_sec(seg.end_frame, song)} is empty"
                )
            if prev_end is not None and seg.start_frame != prev_end:
                p.append(
                    f"{w}.comp: ranges overlap or leave a gap at {_sec(seg.start_frame, song)}"
                )
            prev_end = seg.end_frame
        if t.comp.crossfade_frames < 0:
            p.append(f"{w}.comp.crossfade_frames: is negative")
    for lane in t.lanes:
        for c in lane.clips:
            p += _clip_problems(w, c, song)
    for mc in t.midi_clips:
        p += _midi_problems(w, mc)
    if t.instrument is not None:
        if not 0 <= t.instrument.program <= 127:
            p.append(f"{w}.instrument.program: {t.instrument.program} is outside 0..127")
        if not 0 <= t.instrument.bank <= 16383:
            p.append(f"{w}.instrument.bank: {t.instrument.bank} is outside 0..16383")
    for slot in t.inserts:
        if (
            slot.sidechain
            and song.track(slot.sidechain) is None
            and song.bus(slot.sidechain) is None
        ):
            p.append(f"{w}.inserts[{slot.kind}].sidechain: {slot.sidechain!r} is no track or bus")
    p += _automation_problems(w, t.automation, len(t.inserts), tuple(s.bus for s in t.sends))
    return p


def _routing_problems(song: Song) -> list[str]:
    """Bus outputs and bus sends must form no cycle and end at the master."""
    edges: dict[str, set[str]] = {}
    for b in song.buses:
        edges[b.name] = {b.output} | {s.bus for s in b.sends}
    problems = []
    state: dict[str, int] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == 2 or name == MASTER:
            return
        if state.get(name) == 1:
            cycle = " -> ".join([*path[path.index(name) :], name])
            problems.append(f"buses: routing cycle {cycle}")
            return
        state[name] = 1
        for nxt in sorted(edges.get(name, ())):
            visit(nxt, [*path, name])
        state[name] = 2

    for b in song.buses:
        visit(b.name, [])
    return problems


def _bus_problems(b: Bus, song: Song, is_master: bool) -> list[str]:
    w = "master" if is_master else f"buses[{b.name}]"
    p = _strip_problems(w, b.gain_db, b.pan, b.sends, song)
    if not is_master:
        if not b.name.strip():
            p.append("buses: a bus has an empty name")
        if song.bus(b.output) is None:
            p.append(f"{w}.output: bus {b.output!r} does not exist")
        if b.output == b.name:
            p.append(f"{w}.output: a bus cannot feed itself")
    p += _automation_problems(w, b.automation, len(b.inserts), tuple(s.bus for s in b.sends))
    return p


def validate_song(song: Song) -> list[str]:
    p: list[str] = []
    if not isinstance(song.sample_rate, int) or song.sample_rate <= 0:
        p.append(f"sample_rate: {song.sample_rate} is not a positive whole number of Hz")
        return p  # every frame-based check below depends on it
    if not song.title.strip():
        p.append("title: is empty")
    if not _finite(song.tempo_bpm) or not 1 <= song.tempo_bpm <= 999:
        p.append(f"tempo_bpm: {song.tempo_bpm} is outside 1..999")
    ts = song.time_signature
    if ts.numerator < 1 or ts.denominator not in (1, 2, 4, 8, 16, 32):
        p.append(f"time_signature: {ts} is not a valid time signature")
    for i, c in enumerate(song.tempo_changes):
        if not _finite(c.bpm) or not 1 <= c.bpm <= 999:
            p.append(f"tempo_changes[{i}].bpm: {c.bpm} is outside 1..999")
        if c.beat < 0:
            p.append(f"tempo_changes[{i}].beat: {c.beat} is negative")
    names = [t.name for t in song.tracks]
    for n in sorted({n for n in names if names.count(n) > 1}):
        p.append(f"tracks: two tracks are named {n!r}")
    bus_names = [b.name for b in song.buses]
    for n in sorted({n for n in bus_names if bus_names.count(n) > 1 or n == MASTER}):
        p.append(f"buses: the name {n!r} is used twice (or is the master's)")
    sections = sorted(song.sections, key=lambda s: s.start_bar)
    for s in sections:
        if s.length_bars <= 0:
            p.append(f"sections[{s.name}].length_bars: {s.length_bars} is not positive")
        if s.start_bar < 0:
            p.append(f"sections[{s.name}].start_bar: {s.start_bar} is negative")
    for a, b in itertools.pairwise(sections):
        if b.start_bar < a.end_bar:
            p.append(f"sections: {a.name!r} and {b.name!r} overlap")
    sec_names = [s.name for s in song.sections]
    for n in sorted({n for n in sec_names if sec_names.count(n) > 1}):
        p.append(f"sections: two sections are named {n!r}")
    ids = [c.id for t in song.tracks for lane in t.lanes for c in lane.clips]
    ids += [m.id for t in song.tracks for m in t.midi_clips]
    for n in sorted({n for n in ids if ids.count(n) > 1}):
        p.append(f"clips: two clips have the id {n!r}")
    for t in song.tracks:
        p += _track_problems(t, song)
    for bus in song.buses:
        p += _bus_problems(bus, song, False)
    p += _bus_problems(song.master, song, True)
    p += _routing_problems(song)
    p += _delivery_problems(song)
    return p


__all__ = [
    "automation_target_problem",
    "isrc_problem",
    "normalise_isrc",
    "upc_problem",
    "validate_album",
    "validate_song",
]
