"""Standard MIDI files ↔ MIDI tracks of a song (mido does the file format).

Import reads type 0 and type 1 files (mido handles running status and the chunk layout),
keeps times exact in quarter-note beats (ticks / PPQ), and returns one MIDI track per
(file track, channel) that holds notes, with its General MIDI program (channel 10 is the drum
kit, GM 1 §2.1), the performance controllers of that channel (``KEPT_CONTROLLERS`` and the
pitch wheel), plus the file's tempo map, time signature and key. What is left out is counted
in ``MidiImport.messages``, never dropped silently. Text (track names) is UTF-8 when it decodes
as UTF-8, else the encoding charset-normalizer detects from all the file's text (legacy files
carry GBK, EUC-KR, Shift JIS...); a name that cannot be read reliably is said so.

Export writes a type 1 file: a conductor track (tempo map, time signature, key) and the part
with its controllers and pitch bends; text as UTF-8.
"""

from __future__ import annotations

import codecs
import math
import os
from collections import defaultdict, deque
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import charset_normalizer
import mido

from producer.errors import FormatError, NotFoundError, ValidationError
from producer.fileio import atomic_output
from producer.model import (
    ControlChange,
    Instrument,
    MidiClip,
    Note,
    PitchBend,
    Song,
    TempoChange,
    TimeSignature,
    Track,
)
from producer.model.track import TrackKind

DRUM_CHANNEL = 9
"""0-based channel of the GM drum kit (MIDI channel 10)."""

EXPORT_PPQ = 960
"""Ticks per quarter note of exported files: divisible by 2, 3, 4, 5, 8 (triplets stay exact)."""

KEPT_CONTROLLERS = {
    1: "modulation",
    6: "data entry",
    7: "volume",
    10: "pan",
    11: "expression",
    38: "data entry LSB",
    64: "sustain",
    66: "sostenuto",
    67: "soft pedal",
    100: "RPN LSB",
    101: "RPN MSB",
}
"""MIDI 1.0 controllers a part keeps (and the renderer plays), besides the pitch wheel: the
performance controllers, and the registered parameters (RPN 0: pitch-bend range, 1/2: fine
and coarse tuning) that say how far the wheel bends."""

_TEXT_EVENTS = ("track_name", "instrument_name", "text", "lyrics", "marker", "cue_marker")
_MIN_GUESS_BYTES = 48
"""Fewer non-ASCII bytes than this are too little for a charset guess: a GBK name alone is
valid Big5 and EUC-KR too, and charset-normalizer picks the wrong one on 17 bytes of GBK or
40 of EUC-KR (it needs a file's lyrics as well: music21's test19/test21 have 60). Such a name
is reported as unreadable instead of guessed."""


@dataclass(frozen=True)
class MidiImport:
    """What a MIDI file holds, in the model's terms.

    ``tracks`` are MIDI tracks (one clip each, from beat 0); ``tempo_bpm`` and
    ``tempo_changes`` are the file's tempo map (120 BPM when it has none).
    """

    tracks: tuple[Track, ...]
    tempo_bpm: float = 120.0
    tempo_changes: tuple[TempoChange, ...] = ()
    time_signature: TimeSignature = field(default_factory=TimeSignature)
    key: str = ""
    ticks_per_beat: int = 480
    midi_type: int = 1
    has_tempo: bool = False
    has_time_signature: bool = False
    encoding: str = "ascii"
    messages: tuple[str, ...] = ()
    """What the import left out or could not read, one line each, for the user."""


def _clean(text: str) -> str:
    """Printable characters only, trimmed (test16 ends its name with a NUL)."""
    return "".join(ch for ch in text if ch.isprintable()).strip()


def text_encoding(raw: bytes, forced: str | None = None) -> str | None:
    """The encoding of a MIDI file's text bytes ``raw`` (all its text events together), or
    None when it cannot be told reliably.

    ASCII and valid UTF-8 are taken as such (most files, music21's test18/test20); other bytes
    go to charset-normalizer when there are enough of them to judge (``_MIN_GUESS_BYTES``).
    ``forced`` (the user's ``--encoding``) wins, checked to be a codec Python knows.
    """
    if forced:
        try:
            codecs.lookup(forced)
        except LookupError:
            raise ValidationError(f"--encoding {forced!r}: not a known text encoding") from None
        return forced
    if raw.isascii():
        return "ascii"
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    if sum(b >= 0x80 for b in raw) < _MIN_GUESS_BYTES:
        return None
    best = charset_normalizer.from_bytes(raw).best()
    return best.encoding if best is not None else None


def _decode_name(raw: bytes, encoding: str | None) -> str | None:
    """A name's bytes as text, or None when they cannot be read (unknown or wrong encoding)."""
    if raw.isascii():
        return _clean(raw.decode("ascii"))
    try:
        return _clean(raw.decode("utf-8"))  # valid UTF-8 of non-ASCII text is no accident
    except UnicodeDecodeError:
        pass
    if encoding is None:
        return None
    try:
        return _clean(raw.decode(encoding))
    except UnicodeDecodeError:
        return None


def _open(path: Path) -> mido.MidiFile:
    if not path.exists():
        raise NotFoundError(f"{path}: no such file")
    if path.is_dir():
        raise FormatError(f"{path}: is a folder, not a MIDI file")
    with path.open("rb") as f:
        head = f.read(4)
    if head != b"MThd":
        raise FormatError(f"{path}: not a Standard MIDI File (no MThd header)")
    try:
        mid = mido.MidiFile(str(path), clip=True)
    except (OSError, EOFError, ValueError, KeyError, IndexError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise FormatError(f"{path}: malformed MIDI file ({reason})") from None
    if mid.type == 2:
        raise FormatError(f"{path}: MIDI type 2 (independent sequences) is not supported")
    if mid.ticks_per_beat <= 0:
        # Negative division = SMPTE time code: no beat grid to put notes on.
        raise FormatError(f"{path}: SMPTE time division is not supported (needs ticks per beat)")
    return mid


def _key_name(key: str) -> str:
    """mido key ('Am', 'F#', 'Bbm') → 'A minor', 'F# major'."""
    if key.endswith("m"):
        return f"{key[:-1]} minor"
    return f"{key} major"


def _unique(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    n = 2
    while f"{name} {n}" in taken:
        n += 1
    return f"{name} {n}"


def read_midi(
    path: str | os.PathLike[str],
    only_tracks: tuple[str, ...] = (),
    beats_per_bar: float | None = None,
    encoding: str | None = None,
) -> MidiImport:
    """Read a Standard MIDI File into MIDI tracks with exact beat times.

    Notes are paired first-in first-out per (channel, pitch); a note-on with velocity 0 is a
    note-off (MIDI 1.0 §4); a note still held at the end of its track ends there. A note of
    zero length gets one tick. Controllers in ``KEPT_CONTROLLERS`` and pitch bends go with the
    part of their (track, channel). ``only_tracks`` keeps the tracks with those names (or
    1-based numbers as strings); an unknown one is a NotFoundError listing what the file has.
    ``encoding`` forces the text encoding of track names (default: detected).
    """
    p = Path(path)
    mid = _open(p)
    ppq = mid.ticks_per_beat
    tempos: list[tuple[int, int]] = []
    time_sig: TimeSignature | None = None
    key = ""
    # (file track index, channel) -> notes as (pitch, velocity, start tick, end tick)
    parts: dict[tuple[int, int], list[tuple[int, int, int, int]]] = defaultdict(list)
    # (file track index, channel) -> (tick, controller, value); controller -1: pitch bend
    performance: dict[tuple[int, int], list[tuple[int, int, int]]] = defaultdict(list)
    ignored: dict[str, int] = defaultdict(int)
    programs: dict[tuple[int, int], int] = {}
    raw_names: dict[int, bytes] = {}
    all_text = bytearray()
    for ti, track in enumerate(mid.tracks):
        tick = 0
        held: dict[tuple[int, int], deque[tuple[int, int]]] = defaultdict(deque)
        channel_program: dict[int, int] = {}
        for msg in track:
            tick += msg.time
            if msg.type == "set_tempo":
                tempos.append((tick, msg.tempo))
            elif msg.type == "time_signature" and time_sig is None:
                time_sig = TimeSignature(msg.numerator, msg.denominator)
            elif msg.type == "key_signature" and not key:
                key = _key_name(msg.key)
            elif msg.type in _TEXT_EVENTS:
                # mido reads meta text as latin-1, which maps bytes 1:1: the file's own bytes.
                raw = msg.name if msg.type in ("track_name", "instrument_name") else msg.text
                data = raw.encode("latin-1", "replace")
                all_text += data + b"\n"
                if msg.type == "track_name" and ti not in raw_names:
                    raw_names[ti] = data
            elif msg.type == "program_change":
                channel_program[msg.channel] = msg.program
                programs.setdefault((ti, msg.channel), msg.program)
            elif msg.type == "note_on" and msg.velocity > 0:
                held[(msg.channel, msg.note)].append((tick, msg.velocity))
                programs.setdefault((ti, msg.channel), channel_program.get(msg.channel, 0))
            elif msg.type in ("note_off", "note_on"):
                queue = held.get((msg.channel, msg.note))
                if queue:
                    start, vel = queue.popleft()
                    parts[(ti, msg.channel)].append((msg.note, vel, start, tick))
            elif msg.type == "control_change":
                if msg.control in KEPT_CONTROLLERS:
                    performance[(ti, msg.channel)].append((tick, msg.control, msg.value))
                else:
                    ignored[f"controller {msg.control}"] += 1
            elif msg.type == "pitchwheel":
                performance[(ti, msg.channel)].append((tick, -1, msg.pitch))
            elif not msg.is_meta:
                ignored[msg.type.replace("_", " ")] += 1
        for (channel, pitch), queue in held.items():
            for start, vel in queue:
                parts[(ti, channel)].append((pitch, vel, start, max(tick, start)))

    tempo_bpm = 120.0
    changes: list[TempoChange] = []
    for tick, tempo in sorted(tempos, key=lambda tt: tt[0]):
        bpm = mido.tempo2bpm(tempo)
        if tick == 0:
            tempo_bpm = bpm
            changes = [c for c in changes if c.beat != 0]
        elif (changes[-1].bpm if changes else tempo_bpm) != bpm:
            changes.append(TempoChange(beat=float(Fraction(tick, ppq)), bpm=bpm))
    ts = time_sig or TimeSignature()
    per_bar = beats_per_bar or ts.beats_per_bar

    text_enc = text_encoding(bytes(all_text), encoding)
    messages: list[str] = []
    names: dict[int, str] = {}
    for ti, raw in raw_names.items():
        name = _decode_name(raw, text_enc)
        if name is None:
            shown = " ".join(f"{b:02x}" for b in raw[:12]) + (" ..." if len(raw) > 12 else "")
            messages.append(
                f"track {ti + 1}: its name could not be read (bytes {shown}: not UTF-8, too "
                f"little text to tell the encoding); named 'Track {ti + 1}' - give --encoding "
                "(e.g. gbk, euc-kr, shift_jis) to read it"
            )
        elif name:
            names[ti] = name

    tracks: list[Track] = []
    taken: set[str] = set()
    wanted = set(only_tracks)
    found: set[str] = set()
    for ti, channel in sorted(parts):
        notes = sorted(parts[(ti, channel)], key=lambda n: (n[2], n[0]))
        if not notes:
            continue
        base = names.get(ti) or f"Track {ti + 1}"
        if wanted:
            hit = {base, str(ti + 1)} & wanted
            if not hit:
                continue
            found |= hit
        multi = sum(1 for (t, _c) in parts if t == ti) > 1
        name = _unique(f"{base} ch{channel + 1}" if multi else base, taken)
        taken.add(name)
        model_notes = tuple(
            Note(
                pitch=pitch,
                velocity=vel,
                start_beat=float(Fraction(start, ppq)),
                length_beats=float(Fraction(max(end - start, 1), ppq)),
            )
            for pitch, vel, start, end in notes
        )
        perf = sorted(performance.pop((ti, channel), []), key=lambda e: e[0])
        controls = tuple(
            ControlChange(beat=float(Fraction(t, ppq)), controller=c, value=v)
            for t, c, v in perf
            if c >= 0
        )
        bends = tuple(PitchBend(beat=float(Fraction(t, ppq)), value=v) for t, c, v in perf if c < 0)
        # The clip reaches the last note's end or the last controller (a pedal lifted late).
        end_beat = max(
            [n.start_beat + n.length_beats for n in model_notes]
            + [Fraction(t, ppq) + Fraction(1, ppq) for t, _c, _v in perf]
        )
        length = max(per_bar, math.ceil(end_beat / per_bar) * per_bar)
        is_drum = channel == DRUM_CHANNEL
        tracks.append(
            Track(
                name=name,
                kind=TrackKind.MIDI,
                instrument=Instrument(program=programs.get((ti, channel), 0), is_drum=is_drum),
                midi_clips=(
                    MidiClip(
                        id="",
                        start_beat=0.0,
                        length_beats=length,
                        notes=model_notes,
                        controls=controls,
                        pitch_bends=bends,
                    ),
                ),
            )
        )
    missing = wanted - found
    if missing:
        known = ", ".join(sorted({names.get(t) or f"Track {t + 1}" for t, _ in parts})) or "none"
        raise NotFoundError(
            f"{p}: no track {sorted(missing)[0]!r} with notes (tracks with notes: {known})"
        )
    if not tracks:
        raise ValidationError(f"{p}: holds no notes")
    # Performance data on channels without notes has no part to go with.
    for (ti, _channel), events in performance.items():
        if not wanted or {names.get(ti) or f"Track {ti + 1}", str(ti + 1)} & wanted:
            ignored["controller events on a channel without notes"] += len(events)
    if ignored:
        counts = ", ".join(f"{n} {what}" for what, n in sorted(ignored.items()))
        kept = ", ".join(str(c) for c in KEPT_CONTROLLERS)
        messages.append(f"left out: {counts} (parts keep notes, pitch bend and controllers {kept})")
    return MidiImport(
        tracks=tuple(tracks),
        tempo_bpm=tempo_bpm,
        tempo_changes=tuple(changes),
        time_signature=ts,
        key=key,
        ticks_per_beat=ppq,
        midi_type=mid.type,
        has_tempo=bool(tempos),
        has_time_signature=time_sig is not None,
        encoding=text_enc or "unknown",
        messages=tuple(messages),
    )


def _key_to_mido(key: str) -> str | None:
    parts = key.split()
    if len(parts) != 2 or parts[1] not in ("major", "minor"):
        return None
    name = parts[0] + ("m" if parts[1] == "minor" else "")
    return name if name in mido.midifiles.meta._key_signature_encode else None


def write_midi(song: Song, track: Track, path: str | os.PathLike[str]) -> None:
    """Write ``track`` of ``song`` as a type 1 SMF: a conductor track (tempo map, time
    signature, key) and the part on channel 1 (10 for drums), at 960 PPQ."""
    if track.kind != TrackKind.MIDI:
        raise ValidationError(f"track {track.name!r}: is an audio track, it holds no MIDI notes")
    # UTF-8 text: names in any script survive, and our reader (and other DAWs) take UTF-8.
    mid = mido.MidiFile(type=1, ticks_per_beat=EXPORT_PPQ, charset="utf-8")
    conductor: list[tuple[int, mido.MetaMessage]] = [
        (0, mido.MetaMessage("track_name", name=song.title)),
        (
            0,
            mido.MetaMessage(
                "time_signature",
                numerator=song.time_signature.numerator,
                denominator=song.time_signature.denominator,
            ),
        ),
        (0, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(song.tempo_bpm))),
    ]
    mkey = _key_to_mido(song.key)
    if mkey:
        conductor.append((0, mido.MetaMessage("key_signature", key=mkey)))
    for c in sorted(song.tempo_changes, key=lambda c: c.beat):
        conductor.append(
            (round(c.beat * EXPORT_PPQ), mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(c.bpm)))
        )
    inst = track.instrument or Instrument()
    channel = DRUM_CHANNEL if inst.is_drum else 0
    events: list[tuple[int, int, mido.Message | mido.MetaMessage]] = [
        (0, 0, mido.MetaMessage("track_name", name=track.name)),
        (0, 1, mido.Message("program_change", channel=channel, program=inst.program)),
    ]
    for clip in track.midi_clips:
        for n in clip.notes:
            start = round((clip.start_beat + n.start_beat) * EXPORT_PPQ)
            end = max(
                start + 1, round((clip.start_beat + n.start_beat + n.length_beats) * EXPORT_PPQ)
            )
            # Note-offs sort before controllers, controllers before note-ons at the same tick:
            # a repeated pitch re-strikes, a pedal lifted with a new chord lets the old one go.
            events.append(
                (
                    start,
                    4,
                    mido.Message("note_on", channel=channel, note=n.pitch, velocity=n.velocity),
                )
            )
            events.append(
                (end, 2, mido.Message("note_off", channel=channel, note=n.pitch, velocity=0))
            )
        for cc in clip.controls:
            tick = round((clip.start_beat + cc.beat) * EXPORT_PPQ)
            msg = mido.Message(
                "control_change", channel=channel, control=cc.controller, value=cc.value
            )
            events.append((tick, 3, msg))
        for pb in clip.pitch_bends:
            tick = round((clip.start_beat + pb.beat) * EXPORT_PPQ)
            events.append((tick, 3, mido.Message("pitchwheel", channel=channel, pitch=pb.value)))
    # A stable sort: controllers at one tick keep their order (RPN select before data entry).
    ordered = sorted(events, key=lambda e: (e[0], e[1]))
    for timed in (conductor, [(t, m) for t, _o, m in ordered]):
        mtrack = mido.MidiTrack()
        last = 0
        for tick, msg in sorted(timed, key=lambda e: e[0]):
            mtrack.append(msg.copy(time=tick - last))
            last = tick
        mtrack.append(mido.MetaMessage("end_of_track", time=0))
        mid.tracks.append(mtrack)
    out = Path(path)
    with atomic_output(out, durable=False) as tmp:
        mid.save(str(tmp))


__all__ = [
    "DRUM_CHANNEL",
    "EXPORT_PPQ",
    "KEPT_CONTROLLERS",
    "MidiImport",
    "read_midi",
    "text_encoding",
    "write_midi",
]
