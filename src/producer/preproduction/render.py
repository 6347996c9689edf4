"""MIDI parts → audio through a real SoundFont synthesizer (TinySoundFont via tinysoundfont).

The default SoundFont is TimGM6mb.sf2, the General MIDI bank that arrives with pretty_midi;
any .sf2 can be named instead. Rendering is offline (``Synth.generate``; tinysoundfont's
optional pyaudio is only for live playback) and sample-accurate: the synthesizer is run up to
the exact frame of each event before the event is sent.
"""

from __future__ import annotations

import os
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


def _events(song: Song, track: Track) -> list[tuple[int, int, int, int]]:
    """(frame, order, pitch, velocity) of every note-on (order 1) and note-off (order 0)."""
    events: list[tuple[int, int, int, int]] = []
    for clip in track.midi_clips:
        clip_end = clip.start_beat + clip.length_beats
        for n in clip.notes:
            start = clip.start_beat + n.start_beat
            if start >= clip_end:
                continue  # a note after its clip's end is not played (as in a DAW)
            end = min(start + n.length_beats, clip_end)
            on = tm.beat_to_frame(song, start)
            off = max(on + 1, tm.beat_to_frame(song, end))
            events.append((on, 1, n.pitch, n.velocity))
            events.append((off, 0, n.pitch, 0))
    # Offs before ons at the same frame so that a repeated note re-strikes.
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
    is lost), and it runs to the last note-off plus ``tail_s``. The instrument is the track's
    (GM program; bank 128 for drums), from the track's own SoundFont if it names one.
    """
    if track.kind != TrackKind.MIDI:
        raise ValidationError(
            f"track {track.name!r}: is an audio track, there is nothing to render"
        )
    events = _events(song, track)
    if not events:
        raise ValidationError(f"track {track.name!r}: has no notes to render")
    inst = track.instrument or Instrument()
    sf_path = soundfont_path(inst.soundfont or soundfont)
    synth = tinysoundfont.Synth(gain=gain_db, samplerate=song.sample_rate)
    try:
        sfid = synth.sfload(str(sf_path))
    except Exception as exc:  # tinysoundfont raises its own exception for any bad file
        raise FormatError(f"{sf_path}: the synthesizer cannot load it ({exc})") from None
    channel = _select(synth, sfid, inst, sf_path)
    first = events[0][0]
    total = events[-1][0] - first + round(tail_s * song.sample_rate)
    # Written block by block into our (channels, frames) layout: one pass over the memory,
    # no transposed copy of the whole render at the end.
    out = np.zeros((2, total), dtype=np.float32)
    pos = 0
    try:
        for song_frame, order, pitch, velocity in events:
            frame = song_frame - first
            if frame > pos:
                # Run the synthesizer exactly up to the event's frame: sample-accurate timing.
                out[:, pos:frame] = (
                    np.frombuffer(synth.generate(frame - pos), dtype=np.float32).reshape(-1, 2).T
                )
                pos = frame
            if order:
                synth.noteon(channel, pitch, velocity)
            else:
                synth.noteoff(channel, pitch)
        if total > pos:
            out[:, pos:] = (
                np.frombuffer(synth.generate(total - pos), dtype=np.float32).reshape(-1, 2).T
            )
    except Exception as exc:
        raise RenderError(f"track {track.name!r}: the synthesizer failed ({exc})") from None
    return out, first


__all__ = ["DEFAULT_SOUNDFONT", "DRUM_BANK", "TAIL_S", "render_track", "soundfont_path"]
