"""A project that stays small (issue 16): rendered parts are a cache, `producer gc` removes what
nothing needs and never what something refers to, killed writers leave nothing behind for
long, `validate` reports the leftovers with their sizes, and an older project still opens.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from click.testing import CliRunner

from producer.cli import cli
from producer.model import Clip, Lane, Song, TrackKind
from producer.model import edit as ed
from producer.storage import Project
from producer.storage.parts import PARTS_DIR

RATE = 48000


def run(*args: str, ok: bool = True) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    if ok:
        assert result.exit_code == 0, (result.output, result.stderr, result.exception)
    return result.exit_code, result.stdout, result.stderr


def producer(*args: str, **kw: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "producer", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,  # type: ignore[call-overload]
    )


def files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []


def song_doc(root: Path, slug: str = "tune") -> dict:  # type: ignore[type-arg]
    return json.loads((root / "songs" / f"{slug}.json").read_text())


def rendered_paths(root: Path, slug: str = "tune") -> set[str]:
    d = song_doc(root, slug)
    return {
        c["media"]["path"]
        for t in d["tracks"]
        for lane in t["lanes"]
        if lane["name"] == "rendered"
        for c in lane["clips"]
    }


@pytest.fixture
def project(tmp_path: Path, testdata: Path) -> Path:
    root = tmp_path / "album"
    run("new", str(root), "--title", "A", "--artist", "B")
    run("-C", str(root), "song", "add", "Tune", "--tempo", "100")
    test12 = testdata / "midi" / "music21" / "test12.mid"
    run("-C", str(root), "midi", "import", "tune", str(test12), "--render")
    return root


def test_renders_are_a_cache_that_gc_trims_and_that_renders_again(project: Path) -> None:
    root = str(project)
    cache = project / PARTS_DIR
    first = rendered_paths(project)
    assert first and all(p.startswith(PARTS_DIR + "/") for p in first)
    assert files(project / "media") == []  # renders are not media
    assert all(p.suffix == ".flac" for p in files(cache))  # 24-bit FLAC, not 32-bit float
    n = len(files(cache))
    # Edits (as the README invites) re-render; what was rendered before is not rendered again
    # (up two and down two is the part as it was: its entry is reused)...
    run("-C", root, "part", "transpose", "tune", "SOPRANO", "2")
    run("-C", root, "part", "transpose", "tune", "SOPRANO", "-2")
    assert rendered_paths(project) == first and len(files(cache)) == n + 1
    run("-C", root, "part", "transpose", "tune", "SOPRANO", "5")
    run("-C", root, "part", "transpose", "tune", "SOPRANO", "2")
    assert files(project / "media") == []
    old = set(files(cache)) - {project / p for p in rendered_paths(project)}
    assert len(old) == 3  # the original SOPRANO, +2 and +5; the other three parts are current
    # ...until gc: by default history steps of the last 7 days keep theirs.
    _, out, _ = run("-C", root, "gc", "--dry-run")
    assert "would remove 0 file(s)" in out
    kept_copy = {p.name: sf.read(p, dtype="float32")[0] for p in old}
    _, out, _ = run("-C", root, "gc", "--keep-days", "0", "--dry-run")
    assert "would remove 3 file(s)" in out and all(p.exists() for p in old)  # dry
    for p in old:
        assert f"{PARTS_DIR}/{p.name}" in out
    _, out, _ = run("-C", root, "gc", "--keep-days", "0")
    mb = sum(a.nbytes for a in kept_copy.values())  # a loose upper bound: FLAC is smaller
    assert "removed 3 file(s)" in out and mb > 0
    assert not any(p.exists() for p in old)
    for p in rendered_paths(project):
        assert (project / p).exists()  # what the documents use is never removed
    # Undo brings back a document whose render was collected: the mix renders it again, the
    # same audio bit for bit (the key is the content of what was rendered).
    run("-C", root, "undo")  # back to SOPRANO +5
    wanted = rendered_paths(project)
    missing = [p for p in wanted if not (project / p).exists()]
    assert len(missing) == 1
    run("-C", root, "validate")  # a missing cache entry is no problem
    run("-C", root, "mix", "tune")
    again = project / missing[0]
    assert again.exists()
    assert np.array_equal(sf.read(again, dtype="float32")[0], kept_copy[again.name])


def test_gc_never_removes_what_something_refers_to(project: Path, tmp_path: Path) -> None:
    root = str(project)
    tone = tmp_path / "tone.wav"
    sf.write(tone, 0.1 * np.ones((RATE, 2)), RATE, subtype="PCM_16")
    noise = tmp_path / "noise.wav"
    sf.write(noise, 0.1 * np.ones((RATE // 2, 1)), RATE, subtype="PCM_16")
    run("-C", root, "import", "tune", str(tone), "--track", "Gtr")
    run("-C", root, "import", "tune", str(noise), "--track", "Noise")
    gtr_media = song_doc(project)["tracks"][-2]["lanes"][0]["clips"][0]["media"]["path"]
    noise_media = song_doc(project)["tracks"][-1]["lanes"][0]["clips"][0]["media"]["path"]
    run("-C", root, "snapshot", "save", "with-noise")
    run("-C", root, "track", "remove", "tune", "Gtr")  # only history refers to it now
    run("-C", root, "track", "remove", "tune", "Noise")  # history and a snapshot
    # An orphan: a file in media/ that no document, snapshot or history step names (what a
    # writer killed before saving its document leaves), and a partial file of a dead writer.
    orphan = project / "media" / ("0" * 64 + ".wav")
    orphan.write_bytes((project / gtr_media).read_bytes())
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    )
    dead = int(gone.stdout)  # the pid of a process that has ended
    partial = project / "mixes" / f".tune.wav.{dead}.partial"
    partial.parent.mkdir()
    partial.write_bytes(b"\0" * 60_000)
    _, out, _ = run("-C", root, "validate")
    assert out.startswith("ok") and "note: 2 file(s)" in out
    assert f"media/{orphan.name}" in out and f"mixes/{partial.name}" in out and "MB" in out
    # Opening the project (validate does) already removed the dead writer's partial file.
    assert "1 removed already" in out and not partial.exists()
    _, out, _ = run("-C", root, "gc", "--keep-days", "0")
    assert "removed 1 file(s)" in out and not orphan.exists()
    assert (project / gtr_media).exists() and (project / noise_media).exists()
    # Every state undo reaches is whole: the track comes back with its audio.
    run("-C", root, "undo")
    run("-C", root, "undo")
    run("-C", root, "validate")
    run("-C", root, "mix", "tune")


def test_a_killed_render_leaves_no_orphan_that_survives(project: Path, testdata: Path) -> None:
    """`kill -9` during `midi import --render` of a 16-minute piano performance: whatever it
    left (a partial file, a finished render no document refers to) is reported by validate
    and removed by gc; the song is as it was (the import is one step, all or nothing)."""
    root = str(project)
    run("-C", root, "song", "add", "Piano")
    piano = testdata / "midi" / "maestro"
    piece = next(piano.glob("*.midi"))
    cache = project / PARTS_DIR
    before = set(files(cache))
    worker = producer("-C", root, "midi", "import", "piano", str(piece), "--render")
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and worker.poll() is None:
            if set(files(cache)) - before:  # the render is being written (or just was)
                break
            time.sleep(0.005)
        worker.send_signal(signal.SIGKILL)
    finally:
        worker.wait()
    assert worker.returncode == -signal.SIGKILL, worker.stderr.read() if worker.stderr else ""
    referenced = rendered_paths(project, "piano")
    left = [
        p for p in set(files(cache)) - before if p.relative_to(project).as_posix() not in referenced
    ]
    if left:
        _, out, _ = run("-C", root, "validate")
        assert all(p.name in out for p in left)
        run("-C", root, "gc")  # default retention: a killed writer's leftovers go anyway
        assert not any(p.exists() for p in left)
    # The step was all or nothing, and nothing is left over.
    if not referenced:
        assert song_doc(project, "piano")["tracks"] == []
    _, out, _ = run("-C", root, "gc", "--dry-run")
    assert "would remove 0 file(s)" in out


def test_a_killed_mix_leaves_a_partial_that_the_rerun_removes(tmp_path: Path) -> None:
    root = tmp_path / "p"
    run("new", str(root), "--title", "A", "--artist", "B")
    run("-C", str(root), "song", "add", "Long")
    long_wav = tmp_path / "long.wav"
    rng = np.random.default_rng(1)
    sf.write(long_wav, rng.uniform(-0.3, 0.3, (180 * RATE, 2)), RATE, subtype="PCM_16")
    run("-C", str(root), "import", "long", str(long_wav))
    worker = producer("-C", str(root), "mix", "long")
    mixes = root / "mixes"
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and worker.poll() is None:
            if list(mixes.glob(".long.wav.*.partial")):
                break
            time.sleep(0.005)
        worker.send_signal(signal.SIGKILL)
    finally:
        worker.wait()
    partials = list(mixes.glob(".long.wav.*.partial"))
    if worker.returncode != -signal.SIGKILL or not partials:
        pytest.skip("the mix finished before it could be killed (machine too fast)")
    run("-C", str(root), "mix", "long")  # the rerun of the same mix removes it
    assert not list(mixes.glob("*.partial")) and (mixes / "long.wav").is_file()


def test_an_older_project_with_renders_in_media_still_opens(project: Path, tmp_path: Path) -> None:
    """Projects made before the parts cache kept each render in media/ as a 32-bit float WAV:
    they open, validate and mix as they are; the next change renders into the cache, and the
    old file stays as long as a history step refers to it (media is never trimmed by age)."""
    p = Project.open(project)
    song: Song = p.song("tune")
    track = next(t for t in song.tracks if t.name == "ALTO")
    render = project / next(iter(rendered_paths(project)))
    data, rate = sf.read(render, dtype="float32")
    legacy = tmp_path / "alto.wav"
    sf.write(legacy, data, rate, subtype="FLOAT")
    ref = p.import_media(legacy)  # media/<sha256>.wav, as the old renderer stored it
    with p.transaction("old-style render") as tx:
        s = tx.song("tune")
        lane = Lane(id="take99", name="rendered", clips=(Clip("r99", ref, 0, 0, ref.frames),))
        t = ed.get_track(s, "ALTO")
        lanes = (*(x for x in t.lanes if x.name != "rendered"), lane)
        tx.put_song(ed.update_track(s, "ALTO", lanes=lanes, active="take99"))
    assert track.kind == TrackKind.MIDI
    root = str(project)
    run("-C", root, "validate")
    run("-C", root, "show", "tune")
    run("-C", root, "mix", "tune")
    run("-C", root, "part", "transpose", "tune", "ALTO", "3")
    assert all(x.startswith(PARTS_DIR) for x in rendered_paths(project))
    run("-C", root, "gc", "--keep-days", "0")
    assert (project / ref.path).exists()  # an undo step refers to it
    run("-C", root, "undo")
    run("-C", root, "mix", "tune")
    assert os.path.getsize(project / ref.path) > 0


def test_a_saved_recording_is_not_kept_three_times(
    tmp_path: Path, testdata: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A recording's raw capture and take files stay in .producer/recordings/ after the takes
    are saved into media/ (the same audio two more times): gc removes them, the takes play."""
    monkeypatch.setenv("PRODUCER_SOURCE_REALTIME", "0")
    root = tmp_path / "p"
    run("new", str(root), "--title", "A", "--artist", "B")
    run("-C", str(root), "song", "add", "S")
    vocals = testdata / "multitrack" / "musdb18-7-sample" / "decoded" / "vocals.wav"
    run("-C", str(root), "record", "s", "--track", "Vox", "--seconds", "3", "--source", str(vocals))
    (capture,) = (root / ".producer" / "recordings").iterdir()
    _, out, _ = run("-C", str(root), "validate")
    assert f".producer/recordings/{capture.name}" in out and "recording" in out
    _, out, _ = run("-C", str(root), "gc")
    assert "removed 1 file(s)" in out and not capture.exists()
    _, out, _ = run("-C", str(root), "recover")
    assert "nothing to recover" in out
    run("-C", str(root), "mix", "s")
    data, _ = sf.read(root / "mixes" / "s.wav")
    assert np.abs(data).max() > 0.01  # the take plays from media/


def test_gc_removes_the_analyses_of_renders_that_are_gone(tmp_path: Path) -> None:
    """The review studio keeps each version's analysis by render id: while the render is
    there it stays, once the render file is gone its analysis is a leftover."""
    root = tmp_path / "p"
    run("new", str(root), "--title", "A", "--artist", "B")
    analyses = root / ".producer" / "cache" / "analysis"
    analyses.mkdir(parents=True)
    kept, gone = "a" * 64, "b" * 64
    (root / "renders").mkdir()
    (root / "renders" / f"{kept}.wav").write_bytes(b"RIFF")
    for rid in (kept, gone):
        for ext in ("html", "json"):
            (analyses / f"{rid}.{ext}").write_text("{}")
    _, out, _ = run("-C", str(root), "gc", "--dry-run", "--json")
    listed = {x["path"]: x["kind"] for x in json.loads(out)["would_remove"]}
    assert listed == {
        f".producer/cache/analysis/{gone}.html": "analysis",
        f".producer/cache/analysis/{gone}.json": "analysis",
    }
    run("-C", str(root), "gc")
    assert sorted(p.name for p in analyses.iterdir()) == [f"{kept}.html", f"{kept}.json"]
