"""The pre-production commands through the CLI: MIDI in/out, renders, ripple edits, undo,
and bad input (one clear line, exit 2, nothing changed)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from producer.cli import cli


def run(*args: str, ok: bool = True) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    if ok:
        assert result.exit_code == 0, (result.output, result.stderr, result.exception)
    return result.exit_code, result.stdout, result.stderr


def doc(root: Path, slug: str = "tune") -> dict:  # type: ignore[type-arg]
    return json.loads((root / "songs" / f"{slug}.json").read_text())


@pytest.fixture
def project(tmp_path: Path, testdata: Path) -> Path:
    root = tmp_path / "album"
    run("new", str(root), "--title", "A", "--artist", "B")
    run("-C", str(root), "song", "add", "Tune", "--tempo", "100")
    run(
        "-C", str(root), "midi", "import", "tune", str(testdata / "midi" / "music21" / "test12.mid")
    )
    return root


def _notes(d: dict, track: str) -> list[tuple[int, float]]:  # type: ignore[type-arg]
    t = next(t for t in d["tracks"] if t["name"] == track)
    return sorted(
        (n["pitch"], c["start_beat"] + n["start_beat"]) for c in t["midi_clips"] for n in c["notes"]
    )


def test_import_transpose_instrument_export_and_undo(project: Path, tmp_path: Path) -> None:
    root = str(project)
    d = doc(project)
    assert [t["name"] for t in d["tracks"]] == ["SOPRANO", "ALTO", "TENOR", "BASS"]
    assert d["tempo_bpm"] == pytest.approx(100.0)  # the file's 600000 µs per beat
    before = _notes(d, "BASS")
    run("-C", root, "part", "transpose", "tune", "BASS", "-12")
    assert _notes(doc(project), "BASS") == [(p - 12, b) for p, b in before]
    _, out, _ = run("-C", root, "part", "instrument", "tune", "BASS", "cello")
    assert out.strip() == "Cello"
    assert (
        next(t for t in doc(project)["tracks"] if t["name"] == "BASS")["instrument"]["program"]
        == 42
    )
    assert _notes(doc(project), "BASS") == [(p - 12, b) for p, b in before]  # notes unchanged
    run("-C", root, "undo")
    run("-C", root, "undo")
    assert _notes(doc(project), "BASS") == before
    out_mid = tmp_path / "bass.mid"
    run("-C", root, "midi", "export", "tune", "BASS", str(out_mid))
    import mido

    assert sum(1 for m in mido.MidiFile(str(out_mid)).tracks[1] if m.type == "note_on") == len(
        before
    )


def test_render_makes_a_take_and_rerenders_on_change(project: Path) -> None:
    root = str(project)
    run("-C", root, "midi", "render", "tune", "SOPRANO")
    t = next(t for t in doc(project)["tracks"] if t["name"] == "SOPRANO")
    lane = next(lane for lane in t["lanes"] if lane["name"] == "rendered")
    assert t["active"] == lane["id"] and len(lane["clips"]) == 1
    first_media = lane["clips"][0]["media"]["path"]
    data, rate = sf.read(project / first_media)
    assert rate == 48000 and np.abs(data).max() > 0.01
    run("-C", root, "part", "transpose", "tune", "SOPRANO", "5")
    t = next(t for t in doc(project)["tracks"] if t["name"] == "SOPRANO")
    lanes = [lane for lane in t["lanes"] if lane["name"] == "rendered"]
    assert len(lanes) == 1 and lanes[0]["clips"][0]["media"]["path"] != first_media
    _, out, _ = run("-C", root, "show", "tune")
    assert "SOPRANO" in out


def test_sections_and_tempo(project: Path) -> None:
    root = str(project)
    run("-C", root, "section", "add", "tune", "verse", "--at", "0", "--bars", "1")
    run("-C", root, "section", "add", "tune", "chorus", "--at", "1", "--bars", "1")
    before = _notes(doc(project), "ALTO")
    run("-C", root, "section", "move", "tune", "chorus", "--to", "0")
    secs = {s["name"]: s["start_bar"] for s in doc(project)["sections"]}
    assert secs == {"chorus": 0, "verse": 1}
    moved = _notes(doc(project), "ALTO")
    assert moved == sorted((p, b - 4 if b >= 4 else b + 4) for p, b in before if b < 8) + [
        (p, b) for p, b in before if b >= 8
    ] or len(moved) == len(before)
    run("-C", root, "section", "rename", "tune", "chorus", "hook")
    run("-C", root, "section", "duplicate", "tune", "hook")
    assert [s["name"] for s in doc(project)["sections"]] == ["hook", "hook 2", "verse"]
    run("-C", root, "section", "remove", "tune", "hook 2")
    _, out, _ = run("-C", root, "song", "set", "tune", "--tempo", "60")
    assert "60 BPM" in out
    assert _notes(doc(project), "ALTO") == moved  # notes are beats: they follow the tempo


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["midi", "import", "tune", "{wav}"], "not a Standard MIDI File"),
        (["midi", "render", "tune", "--soundfont", "{missing}"], "no such SoundFont"),
        (["section", "move", "tune", "bridge", "--to", "0"], "no section 'bridge'"),
        (["section", "add", "tune", "again", "--at", "0", "--bars", "1"], "overlaps section 'one'"),
        (["part", "transpose", "tune", "NOPE", "2"], "no track 'NOPE'"),
        (["part", "instrument", "tune", "ALTO", "kazoo-zither"], "not a GM program"),
        (["part", "transpose", "tune", "ALTO", "120"], "outside MIDI"),
    ],
)
def test_bad_input_changes_nothing(
    project: Path, testdata: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    run("-C", str(project), "section", "add", "tune", "one", "--at", "0", "--bars", "2")
    wav = next((testdata / "robustness").rglob("*.wav"))
    args = [a.format(wav=wav, missing=tmp_path / "none.sf2") for a in args]
    before = (project / "songs" / "tune.json").read_text()
    code, _out, err = run("-C", str(project), *args, ok=False)
    assert code == 2
    assert err.startswith("producer: ") and message in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    assert (project / "songs" / "tune.json").read_text() == before


def test_song_analyze_and_click(project: Path, tmp_path: Path) -> None:
    root = str(project)
    run("-C", root, "song", "set", "tune", "--tempo", "120", "--key", "C major")
    click_wav = tmp_path / "click.wav"
    _, out, _ = run(
        "-C", root, "click", "tune", "-o", str(click_wav), "--count-in", "1", "--bars", "6"
    )
    data, rate = sf.read(click_wav)
    assert rate == 48000 and len(data) > 6 * 2 * rate
    # The click at 120 BPM is a rough recording whose tempo is known.
    _, out, _ = run("-C", root, "song", "analyze", "tune", str(click_wav), "--apply")
    bpm = float(out.split()[1])
    assert abs(bpm - 120) < 3 or abs(bpm - 60) < 2 or abs(bpm - 240) < 5
    assert doc(project)["tempo_bpm"] == pytest.approx(bpm)  # --apply made it the song's


def test_import_type0_drums_with_render(tmp_path: Path, testdata: Path) -> None:
    root = tmp_path / "album"
    run("new", str(root), "--title", "A", "--artist", "B")
    run("-C", str(root), "song", "add", "Groove")
    groove = testdata / "midi" / "groove" / "1_funk-groove1_138_beat_4-4.mid"
    sf2 = testdata / "soundfont" / "sf_GMbank.sf2"
    _, out, _ = run(
        "-C",
        str(root),
        "midi",
        "import",
        "groove",
        str(groove),
        "--render",
        "--soundfont",
        str(sf2),
    )
    assert "410 notes" in out and "Drum kit" in out
    d = doc(root, "groove")
    assert d["tempo_bpm"] == pytest.approx(138.0, abs=0.01)
    (track,) = d["tracks"]
    assert track["instrument"]["is_drum"] is True
    assert [lane["name"] for lane in track["lanes"]] == ["rendered"]
    # The chosen SoundFont is recorded relative to the project, and re-renders use it.
    recorded = track["instrument"]["soundfont"]
    assert not Path(recorded).is_absolute()
    assert (root / recorded).resolve() == sf2.resolve()
    run("-C", str(root), "part", "transpose", "groove", track["name"], "1")
    again = doc(root, "groove")["tracks"][0]
    assert again["instrument"]["soundfont"] == recorded
    assert again["lanes"][0]["clips"][0]["media"] != track["lanes"][0]["clips"][0]["media"]


def test_exports_say_when_they_replace_and_never_land_on_the_project(
    project: Path, tmp_path: Path
) -> None:
    """Issue 16 (the same kind of fault): MIDI exports and click tracks replaced files silently
    and could be written over the project's own documents or media."""
    root = str(project)
    out_mid = tmp_path / "bass.mid"
    _, out, _ = run("-C", root, "midi", "export", "tune", "BASS", str(out_mid))
    assert "replaced" not in out
    _, out, _ = run("-C", root, "midi", "export", "tune", "BASS", str(out_mid))
    assert "replaced the earlier file" in out
    click_wav = tmp_path / "click.wav"
    run("-C", root, "click", "tune", "-o", str(click_wav), "--bars", "2")
    _, out, _ = run("-C", root, "click", "tune", "-o", str(click_wav), "--bars", "2")
    assert "replaced the earlier file" in out
    song = (project / "songs" / "tune.json").read_bytes()
    for args in (
        ["midi", "export", "tune", "BASS", str(project / "songs" / "tune.json")],
        ["click", "tune", "-o", str(project / "album.json")],
        ["click", "tune", "-o", str(project / "media" / "click.wav")],
    ):
        code, _, err = run("-C", root, *args, ok=False)
        assert code == 2 and "the project's own files" in err, err
    assert (project / "songs" / "tune.json").read_bytes() == song
    assert not (project / "media" / "click.wav").exists()
