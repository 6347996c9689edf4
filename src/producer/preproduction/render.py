"""MIDI parts → audio through a real SoundFont synthesizer (TinySoundFont via tinysoundfont).

The default SoundFont is TimGM6mb.sf2, the General MIDI bank that arrives with pretty_midi;
any .sf2 can be named instead. Rendering is offline (``Synth.generate``; tinysoundfont's
optional pyaudio is only for live playback) and sample-accurate: the synthesizer is run up to
the exact frame of each event before the event is sent.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections import Counter
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pretty_midi
import tinysoundfont

from producer.audio import Audio
from producer.errors import FormatError, NotFoundError, RenderError, ValidationError
from producer.model import Instrument, Song, Track
from producer.model import timing as tm
from producer.model.track import TrackKind
from producer.preproduction.midi import DRUM_CHANNEL

DEFAULT_SOUNDFONT = Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"
"""TimGM6mb (GPL-2, Tim Brechbill), the small GM bank pretty_midi ships."""

DRUM_BANK = 128
"""SoundFont 2.01 §7.2: percussion presets live in bank 128."""

TAIL_S = 2.0
"""Seconds rendered after the last note-off, for releases and decays."""

RENDERER_VERSION = 2
"""Bumped whenever ``render_track`` would make different audio from the same part (part of
``render_key``, so cached renders of an older renderer are not reused)."""
_TSF_VERSION = version("tinysoundfont")


def soundfont_path(path: str | os.PathLike[str] | None) -> Path:
    """The SoundFont to use: ``path``, or the bundled GM bank; checked to exist and be RIFF sfbk."""
    p = Path(path) if path else DEFAULT_SOUNDFONT
    if not p.exists():
        raise NotFoundError(f"{p}: no such SoundFont file")
    if p.is_dir():
        raise FormatError(f"{p}: is a folder, not a SoundFont")
    with p.open("rb") as f:
        head = f.read(12)
    if head[:4] != b"RIFF" or head[8:12] != b"sfbk":
        raise FormatError(f"{p}: not a SoundFont 2 file (no RIFF sfbk header)")
    return p


# Kinds of performance events; at one frame they apply in this order: note-offs, then
# controllers and the wheel (in the part's own order), then note-ons.
NOTE_OFF, CONTROL, BEND, NOTE_ON = 0, 1, 1, 2
_PEDALS = (64, 66)
_DEFAULTS = {1: 0, 7: 100, 10: 64, 11: 127, 64: 0, 66: 0, 67: 0}
"""Controller values a part returns to after its clip, when another clip follows (MIDI's
"reset all controllers" values, GM level 1 recommended practice for volume)."""


@dataclass(frozen=True, order=True)
class Event:
    """One thing the synthesizer is told: at song ``frame``; ``order`` the kind's precedence
    at that frame (``NOTE_OFF`` < ``CONTROL``/``BEND`` < ``NOTE_ON``), ``seq`` the part's own
    order among equals. ``kind`` is "on" (a=pitch, b=velocity), "off" (a=pitch), "cc"
    (a=controller, b=value) or "bend" (a=value −8192..8191)."""

    frame: int
    order: int
    seq: int
    kind: str = field(compare=False)
    a: int = field(compare=False, default=0)
    b: int = field(compare=False, default=0)


def performance(song: Song, track: Track) -> list[Event]:
    """Every event of a MIDI track's clips in song frames, sorted; what a render plays.

    A note or controller after its clip's end is not played (as in a DAW); pedals still down
    at a clip's end are lifted there, and controllers return to their defaults when another
    clip follows, so one clip's state does not leak into the next.
    """
    events: list[Event] = []
    seq = 0
    clips = sorted(track.midi_clips, key=lambda c: c.start_beat)
    for ci, clip in enumerate(clips):
        clip_end = clip.start_beat + clip.length_beats
        for n in clip.notes:
            start = clip.start_beat + n.start_beat
            if start >= clip_end:
                continue
            end = min(start + n.length_beats, clip_end)
            on = tm.beat_to_frame(song, start)
            off = max(on + 1, tm.beat_to_frame(song, end))
            events.append(Event(on, NOTE_ON, seq, "on", n.pitch, n.velocity))
            events.append(Event(off, NOTE_OFF, seq, "off", n.pitch))
            seq += 1
        last: dict[int, int] = {}
        timed = sorted(
            [(cc.beat, i, cc.controller, cc.value) for i, cc in enumerate(clip.controls)]
            + [
                (pb.beat, len(clip.controls) + i, -1, pb.value)
                for i, pb in enumerate(clip.pitch_bends)
            ]
        )
        for beat, _i, controller, value in timed:
            at = clip.start_beat + beat
            if at >= clip_end:
                continue
            frame = tm.beat_to_frame(song, at)
            if controller < 0:
                events.append(Event(frame, BEND, seq, "bend", value))
            else:
                events.append(Event(frame, CONTROL, seq, "cc", controller, value))
            last[controller] = value
            seq += 1
        end_frame = tm.beat_to_frame(song, clip_end)
        follows = ci + 1 < len(clips)
        for controller, value in sorted(last.items()):
            if controller in _PEDALS and value >= 64:
                events.append(Event(end_frame, CONTROL, seq, "cc", controller, 0))
            elif follows and controller < 0 and value != 0:
                events.append(Event(end_frame, BEND, seq, "bend", 0))
            elif follows and value != _DEFAULTS.get(controller, value):
                events.append(
                    Event(end_frame, CONTROL, seq, "cc", controller, _DEFAULTS[controller])
                )
            seq += 1
    events.sort()
    return events


def _select(synth: tinysoundfont.Synth, sfid: int, inst: Instrument, sf_path: Path) -> int:
    """Select the instrument on its channel; returns the channel. Falls back as GM players
    do (a missing drum kit → the standard kit 0, a missing bank variation → bank 0)."""
    channel = DRUM_CHANNEL if inst.is_drum else 0
    bank = DRUM_BANK if inst.is_drum else inst.bank
    tries = [(bank, inst.program), (bank, 0) if inst.is_drum else (0, inst.program)]
    for b, prog in tries:
        try:
            synth.program_select(channel, sfid, b, prog, inst.is_drum)
            return channel
        except Exception:  # tinysoundfont raises RuntimeError for a preset it lacks
            continue
    what = "drum kit" if inst.is_drum else "program"
    raise NotFoundError(f"{sf_path}: has no preset for {what} {inst.program} (bank {bank})")


VIBRATO_HZ = 8.176
"""Rate of the modulation wheel's vibrato: SoundFont 2.01's default vibrato LFO (0 cents)."""
VIBRATO_CENTS = 50.0
"""Depth at full modulation: SoundFont 2.01 §8.4.4, the default CC1 → vibrato modulator."""
SOFT_PEDAL_VELOCITY = 2.0 / 3.0
"""Velocity scale of notes struck while the soft pedal (una corda) is down: about −3.5 dB in
TinySoundFont's velocity law (gain = velocity / 127); the synthesizer has no una-corda timbre."""
_VIBRATO_STEP = 64
"""Frames between pitch-wheel updates while the modulation wheel is up (1.3 ms at 48 kHz)."""


class _Player:
    """Sends a part's events to one TinySoundFont channel, doing what the synthesizer does not:
    the sustain pedal (64) and sostenuto (66) hold note-offs back (MIDI 1.0: a note released
    while the pedal is down sounds until the pedal is lifted; sostenuto holds only the notes
    down when it was pressed), the soft pedal (67) softens the notes struck under it, and the
    modulation wheel (1) is a vibrato through the pitch wheel. Volume (7), expression (11),
    pan (10), the RPNs (pitch-bend range, tuning) and the wheel go to TinySoundFont itself."""

    def __init__(self, synth: tinysoundfont.Synth, channel: int, sample_rate: int) -> None:
        self.synth = synth
        self.channel = channel
        self.rate = sample_rate
        self.down: Counter[int] = Counter()  # keys held by the player's hands
        self.sustained: Counter[int] = Counter()  # released under the sustain pedal
        self.caught: set[int] = set()  # keys the sostenuto pedal took
        self.sostenuto_held: Counter[int] = Counter()  # their releases, held back
        self.sustain = self.sostenuto = self.soft = False
        self.modulation = 0
        self.bend = 0
        self.bend_range_cents = 200.0  # GM default: ±2 semitones
        self.rpn = (127, 127)  # (MSB, LSB) of the selected registered parameter: none

    def _release(self, key: int, times: int) -> None:
        for _ in range(times):
            self.synth.noteoff(self.channel, key)

    def apply(self, e: Event) -> None:
        if e.kind == "on":
            velocity = max(1, round(e.b * SOFT_PEDAL_VELOCITY)) if self.soft else e.b
            self.synth.noteon(self.channel, e.a, velocity)
            self.down[e.a] += 1
        elif e.kind == "off":
            if self.down[e.a] > 0:
                self.down[e.a] -= 1
            if e.a in self.caught:
                self.sostenuto_held[e.a] += 1
            elif self.sustain:
                self.sustained[e.a] += 1
            else:
                self._release(e.a, 1)
        elif e.kind == "bend":
            self.bend = e.a
            self.wheel(0)
        else:
            self.control(e.a, e.b)

    def control(self, controller: int, value: int) -> None:
        on = value >= 64  # MIDI 1.0: switch controllers are on at 64..127
        if controller == 64:
            if self.sustain and not on:
                for key, n in sorted(self.sustained.items()):
                    self._release(key, n)
                self.sustained.clear()
            self.sustain = on
        elif controller == 66:
            if on and not self.sostenuto:
                self.caught = {k for k, n in self.down.items() if n > 0}
            elif not on and self.sostenuto:
                for key, n in sorted(self.sostenuto_held.items()):
                    if self.sustain:
                        self.sustained[key] += n
                    else:
                        self._release(key, n)
                self.sostenuto_held.clear()
                self.caught = set()
            self.sostenuto = on
        elif controller == 67:
            self.soft = on
        elif controller == 1:
            self.modulation = value
            if value == 0:
                self.wheel(0)
        else:
            if controller == 101:
                self.rpn = (value, self.rpn[1])
            elif controller == 100:
                self.rpn = (self.rpn[0], value)
            elif controller == 6 and self.rpn == (0, 0):
                self.bend_range_cents = 100.0 * value
            self.synth.control_change(self.channel, controller, value)

    def wheel(self, frame: int) -> None:
        """Set the wheel to the part's bend plus the vibrato at render frame ``frame``."""
        cents = 0.0
        if self.modulation:
            depth = VIBRATO_CENTS * self.modulation / 127.0
            cents = depth * math.sin(2.0 * math.pi * VIBRATO_HZ * frame / self.rate)
        offset = cents / max(self.bend_range_cents, 1.0) * 8192.0
        value = round(self.bend + 8192 + offset)
        self.synth.pitchbend(self.channel, min(16383, max(0, value)))

    def generate(self, out: Audio, start: int, stop: int) -> None:
        """Run the synthesizer for render frames ``[start, stop)`` into ``out``."""
        pos = start
        while pos < stop:
            # With the modulation wheel up, the wheel moves every _VIBRATO_STEP frames.
            end = min(stop, pos + _VIBRATO_STEP) if self.modulation else stop
            if self.modulation:
                self.wheel(pos)
            block = self.synth.generate(end - pos)
            out[:, pos:end] = np.frombuffer(block, dtype=np.float32).reshape(-1, 2).T
            pos = end


def render_track(
    song: Song,
    track: Track,
    soundfont: str | os.PathLike[str] | None = None,
    gain_db: float = 0.0,
    tail_s: float = TAIL_S,
) -> tuple[Audio, int]:
    """Render a MIDI track: returns ``(audio, start_frame)``.

    ``audio`` is float32, shape (2, frames), at ``song.sample_rate``; its frame 0 plays at song
    frame ``start_frame``, the first note-on (the synthesizer is silent before it, so nothing
    is lost; controllers before it are applied at its frame), and it runs to the last event
    (a note-off, or the pedal that let the notes go) plus ``tail_s``. The instrument is the
    track's (GM program; bank 128 for drums), from the track's own SoundFont if it names one.
    """
    if track.kind != TrackKind.MIDI:
        raise ValidationError(
            f"track {track.name!r}: is an audio track, there is nothing to render"
        )
    events = performance(song, track)
    ons = [e.frame for e in events if e.kind == "on"]
    if not ons:
        raise ValidationError(f"track {track.name!r}: has no notes to render")
    inst = track.instrument or Instrument()
    sf_path = soundfont_path(inst.soundfont or soundfont)
    synth = tinysoundfont.Synth(gain=gain_db, samplerate=song.sample_rate)
    try:
        sfid = synth.sfload(str(sf_path))
    except Exception as exc:  # tinysoundfont raises its own exception for any bad file
        raise FormatError(f"{sf_path}: the synthesizer cannot load it ({exc})") from None
    channel = _select(synth, sfid, inst, sf_path)
    player = _Player(synth, channel, song.sample_rate)
    first = min(ons)
    total = max(e.frame for e in events) - first + round(tail_s * song.sample_rate)
    # Written block by block into our (channels, frames) layout: one pass over the memory,
    # no transposed copy of the whole render at the end.
    out = np.zeros((2, total), dtype=np.float32)
    pos = 0
    try:
        for e in events:
            frame = max(e.frame - first, 0)
            if frame > pos:
                # Run the synthesizer exactly up to the event's frame: sample-accurate timing.
                player.generate(out, pos, frame)
                pos = frame
            player.apply(e)
        if total > pos:
            player.generate(out, pos, total)
    except Exception as exc:
        raise RenderError(f"track {track.name!r}: the synthesizer failed ({exc})") from None
    return out, first


def render_key(
    song: Song,
    track: Track,
    soundfont_sha256: str,
    gain_db: float = 0.0,
    tail_s: float = TAIL_S,
) -> str:
    """The identity of what ``render_track`` would produce, as a sha256 hex string.

    It covers everything the audio depends on: the events relative to the first note-on (a
    part moved in time renders the same audio), the instrument, the SoundFont's content, the
    rate, gain and tail, and the renderer's own version; so a render cached under this key can
    be reused for as long as the key is the same, and rebuilt when it is missing.
    """
    events = performance(song, track)
    first = min((e.frame for e in events if e.kind == "on"), default=0)
    inst = track.instrument or Instrument()
    h = hashlib.sha256()
    head = {
        "renderer": RENDERER_VERSION,
        "tinysoundfont": _TSF_VERSION,
        "soundfont": soundfont_sha256,
        "program": inst.program,
        "bank": inst.bank,
        "drum": inst.is_drum,
        "rate": song.sample_rate,
        "gain_db": gain_db,
        "tail_frames": round(tail_s * song.sample_rate),
    }
    h.update(json.dumps(head, sort_keys=True).encode())
    for e in events:
        h.update(f"{max(e.frame - first, 0)} {e.kind} {e.a} {e.b}\n".encode())
    return h.hexdigest()


def render_start(song: Song, track: Track) -> int:
    """Song frame where ``render_track``'s audio of ``track`` starts (its first note-on)."""
    return min((e.frame for e in performance(song, track) if e.kind == "on"), default=0)


__all__ = [
    "DEFAULT_SOUNDFONT",
    "DRUM_BANK",
    "RENDERER_VERSION",
    "TAIL_S",
    "Event",
    "performance",
    "render_key",
    "render_start",
    "render_track",
    "soundfont_path",
]
