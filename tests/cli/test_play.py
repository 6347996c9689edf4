"""`producer play`: the engine in real time to the output device.

The tests marked ``soundserver`` play through PulseAudio's null sink (`.ci/soundserver`) and
record its monitor: what reaches it must null against the offline mix (below −60 dB, after
alignment), and keys on a pseudo-terminal must pause and quit. The others check, without a
device, what play refuses and how it reads positions.
"""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
import soundfile as sf
from click.testing import CliRunner, Result
from scipy import signal

from producer.cli import cli
from producer.model import Marker, Section
from producer.storage import Project
from producer.workflows import mix as wm
from producer.workflows import play as wplay

RATE = 48000
F = npt.NDArray[np.float64]


def run(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(root), *args])


def ok(root: Path, *args: str) -> str:
    r = run(root, *args)
    assert r.exit_code == 0, r.output + r.stderr
    return r.stdout


def refused(root: Path, *args: str, words: str) -> None:
    r = run(root, *args)
    assert r.exit_code == 2, r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("producer: "), r.stderr
    assert words in lines[0], lines[0]


def _material(tmp_path: Path) -> dict[str, Path]:
    """Three seeded parts: a chord of partials, a bass line, noise bursts (a hi-hat)."""
    t = np.arange(3 * RATE) / RATE
    rng = np.random.default_rng(3)
    keys = sum(0.08 * np.sin(2 * np.pi * f * t) for f in (261.6, 329.6, 392.0))
    bass = 0.3 * np.sin(2 * np.pi * 55 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 2 * t))
    hats = 0.2 * rng.standard_normal(t.size) * (np.sin(2 * np.pi * 4 * t) > 0.7)
    out = {}
    for name, x in (
        ("Keys", np.vstack([keys, 0.8 * keys])),
        ("Bass", bass[None]),
        ("Hats", hats[None]),
    ):
        out[name] = tmp_path / f"{name}.wav"
        sf.write(out[name], x.T, RATE, subtype="FLOAT")
    return out


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """Song ``s``: three tracks with EQ and compressor, a reverb bus, gain automation."""
    ok(tmp_path, "new", "p", "--title", "A", "--artist", "B")
    r = tmp_path / "p"
    ok(r, "song", "add", "S", "--tempo", "120")
    for name, path in _material(tmp_path).items():
        ok(r, "import", "s", str(path), "--track", name)
        ok(r, "fx", "add", "s", name, "eq", "band2_gain_db=3", "band4_gain_db=-2")
        ok(r, "fx", "add", "s", name, "compressor", "threshold_db=-24", "ratio=3")
    ok(r, "bus", "add", "s", "Verb")
    ok(r, "fx", "add", "s", "Verb", "reverb", "room_size=0.5")
    ok(r, "send", "add", "s", "Keys", "Verb", "--level-db", "-10")
    ok(r, "automate", "s", "Hats.gain_db", "--points", "0:-12,2:0")
    ok(r, "track", "set", "s", "Bass", "--gain-db", "-3")
    project = Project.open(r)
    with project.transaction("form") as tx:
        song = tx.song("s")
        tx.put_song(
            replace(
                song,
                sections=(Section("intro", 0, 1), Section("verse", 1, 2)),
                markers=(Marker("hit", RATE // 2),),
            )
        )
    return r


# ---------------------------------------------------------------- without a device


def test_positions_in_seconds_bars_sections_and_markers(root: Path) -> None:
    song = Project.open(root).song("s")
    assert wplay.parse_position("1.5", song, RATE, "--from") == 72000
    assert wplay.parse_position("1:02.5", song, RATE, "--from") == 62.5 * RATE
    assert wplay.parse_position("bar 1", song, RATE, "--from") == 2 * RATE  # 120 BPM 4/4
    assert wplay.parse_position("bar:1", song, RATE, "--from") == 2 * RATE
    assert wplay.parse_position("verse", song, RATE, "--from") == 2 * RATE
    assert wplay.parse_position("hit", song, RATE, "--from") == RATE // 2
    with pytest.raises(Exception, match="bar N, a section or marker \\(intro, verse, hit\\)"):
        wplay.parse_position("chorus", song, RATE, "--from")
    with pytest.raises(Exception, match="a file has no bars"):
        wplay.parse_position("bar 2", None, RATE, "--from")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("nope",), "nope: no song of that name (songs: s) and no such file"),
        (
            ("s", "--solo", "Drums"),
            "--solo 'Drums': no such track or bus (strips: Keys, Bass, Hats, Verb)",
        ),
        (("s", "--from", "soon"), "--from 'soon': give seconds"),
        (("s", "--loop"), "--loop needs a terminal"),
    ],
)
def test_play_refuses_with_one_line(root: Path, args: tuple[str, ...], words: str) -> None:
    refused(root, "play", *args, words=words)


def test_play_refuses_what_mix_refuses(root: Path, tmp_path: Path) -> None:
    x = np.zeros((12, RATE), np.float32)
    sf.write(tmp_path / "many.wav", x.T, RATE, subtype="FLOAT")
    refused(root, "play", str(tmp_path / "many.wav"), words="12 channels")
    song = root / "songs/s.json"
    doc = json.loads(song.read_text())
    media = root / doc["tracks"][0]["lanes"][0]["clips"][0]["media"]["path"]
    media.unlink()
    refused(root, "play", "s", words="missing media file")


# ---------------------------------------------------------------- through the sound server


def _loopback() -> Any:
    """sounddevice, once a PulseAudio server with a monitor is there; else skip."""
    try:
        import sounddevice as sd
    except OSError as exc:
        pytest.skip(f"no PortAudio library: {exc}")
    if shutil.which("pactl") is None:
        pytest.skip("no sound server tools (pactl): .ci/run installs and starts PulseAudio")
    info = subprocess.run(["pactl", "info"], capture_output=True, text=True, timeout=10)
    if info.returncode != 0:
        pytest.skip(f"no sound server running: {info.stderr.strip() or info.stdout.strip()}")
    if "pulse" not in [str(d["name"]) for d in sd.query_devices()]:
        pytest.skip("PortAudio sees no 'pulse' device")
    return sd


class _Monitor:
    """Records the sound server's default input (the null sink's monitor) in the background."""

    def __init__(self, sd: Any) -> None:
        self.blocks: list[np.ndarray] = []
        self.overflows = 0

        def callback(indata: np.ndarray, frames: int, t: Any, status: Any) -> None:
            self.overflows += bool(status.input_overflow)
            self.blocks.append(indata.copy())

        self.stream = sd.InputStream(
            samplerate=RATE,
            channels=2,
            dtype="float32",
            device="pulse",
            callback=callback,
            latency="high",
        )

    def __enter__(self) -> _Monitor:
        self.stream.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stream.stop()
        self.stream.close()

    def audio(self) -> F:
        return np.concatenate(self.blocks).T.astype(np.float64)


def _producer(root: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "producer", "-C", str(root), *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _null_db(got: F, ref: F) -> tuple[float, int]:
    """Residual of ``got`` against ``ref`` after the best alignment (dB re ``ref``), and lag."""
    corr = signal.correlate(got[0], ref[0], mode="valid", method="fft")
    # The positive peak: on periodic material (a bass line) the copy shifted by half a period
    # correlates about as strongly with the opposite sign, and |corr| picked it now and then
    # (a null of +5.9 dB: the output against its own inverse).
    lag = int(np.argmax(corr))
    seg = got[:, lag : lag + ref.shape[1]]
    err = np.sqrt(np.mean((seg - ref) ** 2))
    return float(20 * np.log10(max(err, 1e-12) / np.sqrt(np.mean(ref**2)))), lag


def _played(
    root: Path, sd: Any, args: tuple[str, ...], attempts: int = 3
) -> tuple[F, dict[str, Any]]:
    """Play through the null sink and record its monitor; repeat a take that the machine's
    load spoiled (a dropout play reports, a recording overflow, another client's sound)."""
    why = ""
    for _ in range(attempts):
        with _Monitor(sd) as mon:
            # Recording must be under way before play starts: with a "high" latency the first
            # block can come after 0.3 s, and a take that missed the first notes was compared.
            ready = time.monotonic() + 5.0
            while not mon.blocks and time.monotonic() < ready:
                time.sleep(0.02)
            time.sleep(0.2)
            quiet = bool(mon.blocks) and float(np.max(np.abs(np.concatenate(mon.blocks)))) == 0.0
            proc = _producer(root, "play", *args, "--json")
            out, err = proc.communicate(timeout=120)
            time.sleep(0.3)
        assert proc.returncode == 0, err
        report = json.loads(out)
        if not quiet:
            why = "another client was playing into the sound server (or the monitor was mute)"
        elif report["dropouts"] or mon.overflows:
            why = f"dropouts (play {report['dropouts']}, recording {mon.overflows}): load too high"
        else:
            return mon.audio(), report
        time.sleep(1.0)
    pytest.skip(f"{attempts} plays in a row were spoiled: {why}")


@pytest.mark.soundserver
def test_what_reaches_the_output_nulls_against_the_offline_mix(root: Path) -> None:
    sd = _loopback()
    got, report = _played(root, sd, ("s", "--from", "0.5", "--to", "2.75"))
    assert report["underflows"] == 0 and report["starved"] == 0
    assert report["start_latency_s"] is not None and report["start_latency_s"] > 0
    assert report["played_s"] == pytest.approx(2.25, abs=1e-3)
    mixed = wm.render(root, "s", root / "ref.wav", bit_depth="32f", start_s=0.5, end_s=2.75)
    ref, _ = sf.read(mixed.path, dtype="float64", always_2d=True)
    null, _ = _null_db(got, ref.T)
    assert null < -60, f"played output differs from the offline mix: null {null:.1f} dB"


@pytest.mark.soundserver
def test_a_file_plays_as_it_is(root: Path, tmp_path: Path) -> None:
    sd = _loopback()
    path = _material(tmp_path)["Bass"]  # mono: both channels
    got, report = _played(root, sd, (str(path), "--from", "1", "--to", "2"))
    assert report["played_s"] == pytest.approx(1.0, abs=1e-3)
    x, _ = sf.read(path, dtype="float64", always_2d=True)
    ref = np.repeat(x.T[:, RATE : 2 * RATE], 2, axis=0)
    null, _ = _null_db(got, ref)
    assert null < -60


@pytest.mark.soundserver
def test_keys_on_a_terminal_pause_and_quit(root: Path) -> None:
    """On a (pseudo-)terminal: a position line, space pauses, q quits and says so."""
    _loopback()
    pid, fd = pty.fork()
    if pid == 0:  # the child: producer on the terminal
        os.execv(sys.executable, [sys.executable, "-m", "producer", "-C", str(root), "play", "s"])
    seen = ""

    def read_until(words: str, timeout: float) -> bool:
        nonlocal seen
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                try:
                    seen += os.read(fd, 4096).decode(errors="ignore")
                except OSError:
                    return words in seen
            if words in seen:
                return True
        return False

    try:
        assert read_until("space: pause", 60), seen
        assert "bar 0 beat" in seen and "intro" in seen
        os.write(fd, b" ")
        assert read_until("paused", 10), seen[-500:]
        os.write(fd, b"q")
        assert read_until("stopped S", 20), seen[-500:]
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0
