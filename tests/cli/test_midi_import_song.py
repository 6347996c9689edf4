"""`producer midi import` and the song it lands in (issue 16): changing the song's tempo, time
signature or key is said; with audio already placed the song keeps its own unless asked."""

from __future__ import annotations

import json
from pathlib import Path

import mido
import pytest
from click.testing import CliRunner

from producer.cli import cli


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, (result.output, result.stderr, result.exception)
    return result.stdout


def sketch(path: Path, bpm: float | None = 100.0, key: str | None = "C") -> Path:
    """A one-track MIDI sketch at ``bpm`` in ``key`` (None: the file does not say)."""
    mid = mido.MidiFile(type=1, ticks_per_beat=480)
    conductor = mido.MidiTrack()
    if bpm is not None:
        conductor.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm)))
    if key is not None:
        conductor.append(mido.MetaMessage("key_signature", key=key))
    mid.tracks.append(conductor)
    part = mido.MidiTrack([mido.MetaMessage("track_name", name="Keys")])
    for i in range(4):
        part.append(mido.Message("note_on", note=60 + i, velocity=80, time=0))
        part.append(mido.Message("note_off", note=60 + i, velocity=0, time=480))
    mid.tracks.append(part)
    mid.save(str(path))
    return path


def song(root: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((root / "songs" / "first-song.json").read_text())


@pytest.fixture
def root(tmp_path: Path) -> Path:
    r = tmp_path / "album"
    run("new", str(r), "--title", "A", "--artist", "B")
    run("-C", str(r), "song", "add", "First Song", "--tempo", "96", "--key", "A minor")
    return r


def test_song_with_audio_keeps_its_tempo_and_key(
    root: Path, tmp_path: Path, testdata: Path
) -> None:
    vocals = testdata / "multitrack" / "musdb18-7-sample" / "decoded" / "vocals.wav"
    run("-C", str(root), "import", "first-song", str(vocals), "--track", "Vox", "--at", "1.5")
    clip_at = song(root)["tracks"][0]["lanes"][0]["clips"][0]["start_frame"]
    out = run("-C", str(root), "midi", "import", "first-song", str(sketch(tmp_path / "s.mid")))
    d = song(root)
    assert (d["tempo_bpm"], d["key"]) == (96.0, "A minor")
    assert "kept the song's tempo 96 BPM, key A minor (the song has audio placed)" in out
    assert "the file has tempo 100 BPM, key C major" in out and "--use-file-tempo" in out
    # Asked for: the file's tempo and key, said, and the audio keeps its time.
    run("-C", str(root), "undo")
    out = run(
        "-C", str(root), "midi", "import", "first-song", str(tmp_path / "s.mid"), "--use-file-tempo"
    )
    d = song(root)
    assert (d["tempo_bpm"], d["key"]) == (100.0, "C major")
    assert "song tempo: 96 BPM -> 100 BPM (from s.mid)" in out
    assert "song key: A minor -> C major (from s.mid)" in out
    assert "audio clips keep their time" in out
    assert d["tracks"][0]["lanes"][0]["clips"][0]["start_frame"] == clip_at


def test_song_without_audio_takes_the_file_tempo_and_says_so(root: Path, tmp_path: Path) -> None:
    out = run("-C", str(root), "midi", "import", "first-song", str(sketch(tmp_path / "s.mid")))
    assert "Keys\t4 notes" in out
    assert "song tempo: 96 BPM -> 100 BPM (from s.mid)" in out
    assert "song key: A minor -> C major (from s.mid)" in out
    d = song(root)
    assert (d["tempo_bpm"], d["key"]) == (100.0, "C major")


def test_a_file_that_states_no_tempo_changes_nothing(root: Path, tmp_path: Path) -> None:
    plain = sketch(tmp_path / "plain.mid", bpm=None, key=None)
    out = run("-C", str(root), "midi", "import", "first-song", str(plain))
    d = song(root)
    assert (d["tempo_bpm"], d["key"]) == (96.0, "A minor")  # not MIDI's default 120 BPM
    assert "song tempo" not in out and "kept" not in out
