"""Coaching on synthesized takes with known detuning and onset shifts (±5 cents, ±5 ms)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from producer.model import MidiClip, Note
from producer.model import edit as ed
from producer.storage import Project
from producer.tracking import review as rv
from producer.workflows import tracking as wt

from .synth import RATE, sung_melody, write

MELODY = [60, 62, 64, 65, 67, 69, 67, 65, 64, 62, 60, 57]


@pytest.mark.parametrize(("detune_cents", "shift_ms"), [(18.0, 12.0), (-23.0, -15.0)])
def test_review_against_equal_temperament_and_the_16th_grid(
    song_project, tmp_path, detune_cents, shift_ms
) -> None:
    root, slug = song_project
    # Notes on 8ths and dotted 8ths of 120 BPM (a 16th is 125 ms), all shifted the same way.
    grid_s = [1.0 + 0.375 * k for k in range(len(MELODY))]
    onsets = [g + shift_ms / 1000 for g in grid_s]
    take = sung_melody(MELODY, onsets, RATE, detune_cents=detune_cents, note_s=0.33, seed=4)
    wt.take_import(root, slug, "vox", [write(tmp_path / "take.wav", take)])
    r = wt.take_review(root, slug, "vox")
    assert r.reference.startswith("equal temperament")
    assert len(r.notes) == len(MELODY)
    assert r.pitch_deviation_cents_median == pytest.approx(detune_cents, abs=5.0)
    assert r.timing_offset_ms_median == pytest.approx(shift_ms, abs=5.0)
    assert [round(n.midi - n.deviation_cents / 100) for n in r.notes] == MELODY
    assert r.clipped_samples == 0
    assert r.peak_dbfs == pytest.approx(20 * np.log10(np.max(np.abs(take))), abs=1e-6)
    assert -75 < r.noise_floor_dbfs < -65  # the synth's noise is at -70 dBFS


def test_review_against_a_midi_guide_part(song_project, tmp_path) -> None:
    root, slug = song_project
    # Triplet quarters (off the 16th grid): only the guide tells where they belong.
    beats = [2.0 + k * 2 / 3 for k in range(9)]
    pitches = [64, 67, 72, 71, 69, 67, 65, 64, 62]
    intended_s = [b * 0.5 for b in beats]
    onsets = [s - 0.020 for s in intended_s]  # rushed by 20 ms
    take = sung_melody(pitches, onsets, RATE, detune_cents=-8.0, note_s=0.28, seed=5)
    wt.take_import(root, slug, "vox", [write(tmp_path / "take.wav", take)])
    project = Project.open(root)
    notes = tuple(Note(p, 100, b, 0.5) for p, b in zip(pitches, beats, strict=True))
    with project.transaction("guide") as tx:
        song = tx.song(slug)
        track = ed.get_track(song, "vox")
        clip = MidiClip(id="g1", start_beat=0.0, length_beats=12.0, notes=notes)
        tx.put_song(ed.replace_track(song, replace(track, midi_clips=(clip,))))
    r = wt.take_review(root, slug, "vox")
    assert r.reference == "guide"
    assert len(r.notes) == len(pitches)
    assert [n.target_midi for n in r.notes] == pitches
    assert r.pitch_deviation_cents_median == pytest.approx(-8.0, abs=5.0)
    assert r.timing_offset_ms_median == pytest.approx(-20.0, abs=5.0)


def test_clipped_samples_are_counted() -> None:
    take = sung_melody([60, 64, 67], [0.2, 0.7, 1.2], RATE, note_s=0.4, seed=6)
    hot = np.clip(take * 4.0, -1.0, 1.0)
    # Clipped: held at full scale, or within a 16-bit step of it (a converter's top code).
    expected = int(np.count_nonzero(np.abs(take * 4.0) >= 1.0 - 2.0**-15))
    assert expected > 1000
    assert rv.clipped_samples(hot) == expected
    assert rv.clipped_samples(take) == 0
    assert rv.peak_dbfs(hot) == 0.0


def test_silence_has_no_notes() -> None:
    r = rv.review_take(np.zeros((1, RATE), dtype=np.float32), RATE)
    assert r.notes == [] and r.pitch_deviation_cents_median is None
    assert r.clipped_samples == 0 and r.peak_dbfs == -np.inf


def test_a_note_held_from_the_start_of_the_take_is_reviewed_for_pitch() -> None:
    """A take that starts mid-note (a punch-in) has no onset; its pitch still counts."""
    rate = 48000
    t = np.arange(2 * rate) / rate
    cents = 10.0
    tone = 0.3 * np.sin(2 * np.pi * 440.0 * 2 ** (cents / 1200) * t)
    result = rv.review_take(tone[np.newaxis, :].astype(np.float32), rate)
    assert result.notes, "the held note was not found"
    assert result.pitch_deviation_cents_median is not None
    assert abs(result.pitch_deviation_cents_median - cents) < 5.0
    assert result.timing_offset_ms_median is None
