"""A session that uses every feature a song can have, for the interchange round trips."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import soundfile as sf

from producer.model import (
    COMP,
    AutomationLane,
    AutomationPoint,
    Bus,
    Clip,
    Comp,
    CompSegment,
    EffectSlot,
    Fade,
    FadeShape,
    Instrument,
    Interpolation,
    Lane,
    Marker,
    MidiClip,
    Note,
    Section,
    Send,
    Song,
    TempoChange,
    TimeSignature,
    Track,
    TrackKind,
)
from producer.storage import Project
from producer.workflows import preproduction, project

RATE = 48000
SLUG = "sink"


def _audio(folder: Path) -> dict[str, Path]:
    rng = np.random.default_rng(7)
    t = np.arange(3 * RATE) / RATE
    files = {
        "vox1": (
            0.3 * np.sin(2 * np.pi * (220 + 200 * t) * t) + 0.02 * rng.standard_normal(t.size)
        )[:, None],
        "vox2": (0.3 * np.sin(2 * np.pi * 330 * t) + 0.02 * rng.standard_normal(t.size))[:, None],
        "gtr": np.stack([0.2 * np.sin(2 * np.pi * 196 * t), 0.2 * np.sin(2 * np.pi * 247 * t)], 1),
        "perc": 0.1 * rng.standard_normal((2 * RATE, 2)),
    }
    out = {}
    for name, data in files.items():
        path = folder / f"{name}.wav"
        sf.write(path, data.astype(np.float32), RATE, subtype="PCM_24")
        out[name] = path
    return out


def f(seconds: float) -> int:
    return round(seconds * RATE)


def make(root: Path, tmp: Path) -> Song:
    """A project at ``root`` with song ``sink`` using every feature (returned)."""
    project.new_project(root, "Album", "Artist")
    project.add_song(root, "Sink", tempo_bpm=100.0, time_signature="3/4", key="A minor")
    p = Project.open(root)
    refs = {name: p.import_media(path) for name, path in _audio(tmp).items()}
    vox_a = Clip(
        "c1",
        refs["vox1"],
        f(0.25),
        0,
        f(2.0),
        gain_db=2.0,
        fade_in=Fade(f(0.1), FadeShape.S_CURVE),
        fade_out=Fade(f(0.2), FadeShape.EXPONENTIAL),
    )
    vox_b = Clip(
        "c2", refs["vox2"], f(0.25), f(0.25), f(2.0), fade_out=Fade(f(0.15), FadeShape.LINEAR)
    )
    vox = Track(
        name="Vox",
        lanes=(Lane("take1", "take 1", (vox_a,)), Lane("take2", "take 2", (vox_b,))),
        active=COMP,
        comp=Comp(
            (CompSegment("take1", f(0.25), f(1.0)), CompSegment("take2", f(1.0), f(2.25))), 480
        ),
        gain_db=-3.0,
        pan=-0.3,
        polarity_inverted=True,
        inserts=(
            EffectSlot(
                "eq",
                {
                    "band1_type": "highpass",
                    "band1_frequency_hz": 100.0,
                    "band2_gain_db": 3.0,
                    "band2_frequency_hz": 1000.0,
                    "band2_q": 1.2,
                },
            ),
            EffectSlot(
                "compressor",
                {"threshold_db": -18.0, "ratio": 3.0, "knee_db": 6.0, "makeup_db": 2.0},
            ),
        ),
        sends=(Send("Verb", -6.0),),
        automation=(
            AutomationLane(
                "gain_db",
                (
                    AutomationPoint(0, 0.0),
                    AutomationPoint(f(1.0), -6.0),
                    AutomationPoint(f(2.0), 0.0),
                ),
            ),
            AutomationLane("pan", (AutomationPoint(0, -0.3), AutomationPoint(f(2.0), 0.3))),
            AutomationLane(
                "fx.2.threshold_db", (AutomationPoint(0, -18.0), AutomationPoint(f(2.0), -24.0))
            ),
            AutomationLane(
                "sends.Verb.level_db", (AutomationPoint(0, -6.0), AutomationPoint(f(2.0), -12.0))
            ),
        ),
    )
    gtr = Track(
        name="Gtr",
        lanes=(
            Lane(
                "take3",
                "take",
                (
                    Clip("c3", refs["gtr"], 0, 0, f(1.5), fade_in=Fade(f(0.05), FadeShape.LINEAR)),
                    Clip("c4", refs["gtr"], f(1.2), f(1.0), f(1.5)),
                ),
            ),
        ),
        active="take3",
        pan=0.2,
        output="Group",
        inserts=(EffectSlot("gate", {"threshold_db": -60.0}, sidechain="Vox"),),
        sends=(Send("Verb", -10.0, pre_fader=True),),
        automation=(
            AutomationLane(
                "mute", (AutomationPoint(0, 0.0), AutomationPoint(f(2.5), 1.0)), Interpolation.STEP
            ),
        ),
    )
    perc = Track(
        name="Perc",
        lanes=(Lane("take4", "take", (Clip("c5", refs["perc"], f(0.5), 0, f(1.0)),)),),
        active="take4",
        mute=True,
    )
    keys = Track(
        name="Keys",
        kind=TrackKind.MIDI,
        instrument=Instrument(),
        midi_clips=(
            MidiClip(
                "m1",
                0.0,
                4.0,
                (Note(60, 100, 0.0, 1.0), Note(64, 90, 1.0, 1.0), Note(67, 80, 2.0, 1.5)),
            ),
        ),
    )
    song = p.song(SLUG)
    song = replace(
        song,
        songwriter="Ada",
        isrc="GBAYE0601498",
        tempo_changes=(TempoChange(3.0, 120.0),),
        time_signature=TimeSignature(3, 4),
        markers=(Marker("Hook", f(1.5)),),
        sections=(Section("Verse", 0, 1),),
        tracks=(vox, gtr, perc, keys),
        buses=(
            Bus(
                "Group",
                gain_db=-1.0,
                inserts=(EffectSlot("limiter", {"ceiling_db": -1.0, "true_peak": True}),),
            ),
            Bus("Verb", inserts=(EffectSlot("reverb", {"room_size": 0.3, "wet_level": 0.5}),)),
        ),
        master=replace(
            song.master,
            gain_db=-0.5,
            inserts=(EffectSlot("limiter", {"ceiling_db": -0.3}),),
            automation=(
                AutomationLane("gain_db", (AutomationPoint(0, 0.0), AutomationPoint(f(2.6), -2.0))),
            ),
        ),
    )
    with p.transaction("the sink") as tx:
        tx.put_song(song)
    preproduction.render_parts(root, SLUG, ["Keys"])
    return Project.open(root).song(SLUG)
