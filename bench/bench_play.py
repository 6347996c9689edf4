"""`producer play` in real time: dropouts and the time from `play` to sound (issue 16).

The session: 16 tracks × 60 s (48 kHz 16-bit stereo WAV, generated once into a cache folder),
a parametric EQ and a compressor on every track. ``producer play`` runs as a whole process,
as a user runs it, at its default settings, into the sound server's null sink
(`.ci/soundserver`, started here when no server answers); the null sink's monitor is recorded
beside it.

Printed per run and as the worst/median of ``BENCH_PLAY_REPEAT`` runs (default 3):

* dropouts: PortAudio's output underflows plus callbacks that found the ring short (the
  engine fell behind); the goal is 0;
* time to sound, three ways: from the ``play`` command's start (after Python's imports) to the
  first frame at the output, by PortAudio's clock (goal < 0.5 s); the same from the process's
  start; and from spawning the process to the first sound recorded at the monitor (wall
  clock, ± the recording's buffer) — with the peer in the same run: ``paplay`` of the song
  already mixed to a WAV, the floor of any player through this server.

Environment: ``BENCH_PLAY_SECONDS`` (60), ``BENCH_PLAY_TRACKS`` (16), ``BENCH_PLAY_REPEAT`` (3),
``BENCH_DIR`` (cache; default a temp folder). Figures from a loaded machine are not
comparable: the load averages are printed.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from producer.model import Clip, EffectSlot, Lane, Song, Track
from producer.storage import Project

RATE = 48000
ROOT = Path(__file__).resolve().parents[1]


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def _session(root: Path, tracks: int, seconds: float) -> Path:
    """The project (made once): ``tracks`` parts, EQ and compressor on each."""
    project_dir = root / f"play-{tracks}x{seconds:g}s"
    if (project_dir / "songs" / "bench.json").is_file() and not Project.check(project_dir):
        return project_dir  # made before, and this producer reads it as it is
    shutil.rmtree(project_dir, ignore_errors=True)
    project = Project.create(project_dir, "Bench", "Bench", RATE)
    frames = int(seconds * RATE)
    t = np.arange(frames) / RATE
    parts = []
    src_dir = root / "play-sources"
    src_dir.mkdir(parents=True, exist_ok=True)
    for i in range(tracks):
        rng = np.random.default_rng(i)
        tone = 0.05 * np.sin(2 * np.pi * (110 * (i + 1)) * t)
        pulse = (np.sin(2 * np.pi * (1 + i % 4) * t) > 0.6) * 0.05 * rng.standard_normal(frames)
        x = np.vstack([tone + pulse, 0.9 * tone + pulse]).astype(np.float32)
        path = src_dir / f"t{i:02d}.wav"
        sf.write(path, x.T, RATE, subtype="PCM_16")
        parts.append(project.import_media(path))
    song = Song(
        title="Bench",
        slug="bench",
        sample_rate=RATE,
        tracks=tuple(
            Track(
                name=f"T{i:02d}",
                lanes=(Lane("take1", clips=(Clip(f"c{i}", ref, 0, 0, ref.frames),)),),
                active="take1",
                gain_db=-12.0,
                pan=(i % 9 - 4) / 4.0,
                inserts=(
                    EffectSlot("eq", {"band1_gain_db": -2.0, "band3_gain_db": 3.0}),
                    EffectSlot("compressor", {"threshold_db": -24.0, "ratio": 3.0}),
                ),
            )
            for i, ref in enumerate(parts)
        ),
    )
    with project.transaction("bench session") as tx:
        tx.put_song(song)
    return project_dir


def _sound_server() -> str | None:
    """None when a sound server answers (started from .ci/soundserver if needed), else why."""
    if shutil.which("pactl") is None:
        return "no pactl (install pulseaudio-utils)"
    if subprocess.run(["pactl", "info"], capture_output=True).returncode != 0:
        subprocess.run([str(ROOT / ".ci" / "soundserver")], capture_output=True)
    if subprocess.run(["pactl", "info"], capture_output=True).returncode != 0:
        return "no sound server (run .ci/soundserver)"
    return None


class _Monitor:
    """The monitor of the null sink, each block stamped with ``time.monotonic()``."""

    def __init__(self) -> None:
        import sounddevice as sd

        self.blocks: list[tuple[float, np.ndarray]] = []

        def callback(indata: np.ndarray, frames: int, t: Any, status: Any) -> None:
            self.blocks.append((time.monotonic(), indata.copy()))

        self.stream = sd.InputStream(
            samplerate=RATE, channels=2, dtype="float32", device="pulse", callback=callback
        )
        self.latency = float(self.stream.latency)

    def first_sound_after(self, t0: float) -> float | None:
        """Seconds from ``t0`` to the first non-silent frame recorded (wall clock)."""
        for stamp, block in self.blocks:
            loud = np.nonzero(np.max(np.abs(block), axis=1) > 1e-4)[0]
            if loud.size:
                # The callback ran once the block was complete: its first loud frame arrived
                # (block length − index) frames earlier, plus the input buffer's latency.
                arrived = stamp - (len(block) - int(loud[0])) / RATE - self.latency
                return arrived - t0
        return None


def _timed(cmd: list[str]) -> tuple[subprocess.CompletedProcess[str], float | None]:
    mon = _Monitor()
    mon.stream.start()
    try:
        time.sleep(0.3)
        mon.blocks.clear()
        t0 = time.monotonic()
        proc = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        time.sleep(0.3)
    finally:
        mon.stream.stop()
        mon.stream.close()
    return proc, mon.first_sound_after(t0)


def main() -> None:
    seconds = float(os.environ.get("BENCH_PLAY_SECONDS", "60"))
    tracks = int(os.environ.get("BENCH_PLAY_TRACKS", "16"))
    repeat = int(os.environ.get("BENCH_PLAY_REPEAT", "3"))
    root = Path(os.environ.get("BENCH_DIR") or Path(tempfile.gettempdir()) / "producer-bench-play")
    why = _sound_server()
    if why:
        print(f"play: skipped: {why}")
        return
    project = _session(root, tracks, seconds)
    print(f"session: {tracks} tracks × {seconds:g} s, EQ + compressor on each, in {project}")
    print(f"before: {_load()}")
    producer = [sys.executable, "-m", "producer", "-C", str(project)]
    mix = project / "renders" / "bench-bench.wav"
    made = subprocess.run(
        [*producer, "mix", "bench", "-o", str(mix), "--bit-depth", "16"],
        capture_output=True,
        text=True,
    )
    if made.returncode != 0:
        print(f"play: producer mix failed: {made.stderr.strip()}")
        return
    dropouts: list[int] = []
    in_cmd: list[float] = []
    in_proc: list[float] = []
    heard: list[float] = []
    peer: list[float] = []
    for i in range(repeat):
        proc, at_monitor = _timed([*producer, "play", "bench", "--json"])
        if proc.returncode != 0:
            print(f"  run {i + 1}: producer play failed: {proc.stderr.strip()}")
            return
        r = json.loads(proc.stdout)
        dropouts.append(r["dropouts"])
        in_cmd.append(r["start_latency_s"])
        in_proc.append(r["since_process_start_s"] or float("nan"))
        heard.append(at_monitor if at_monitor is not None else float("nan"))
        print(
            f"  run {i + 1}: underflows {r['underflows']}, late renders {r['starved']}, "
            f"sound {r['start_latency_s']:.3f} s after `play` started "
            f"({in_proc[-1]:.3f} s after the process started; heard at the monitor "
            f"{heard[-1]:.3f} s after spawning), device buffer {r['device_latency_s']:.3f} s"
        )
        if shutil.which("paplay"):
            _, p = _timed(["paplay", str(mix)])
            peer.append(p if p is not None else float("nan"))
    print(f"after: {_load()}")
    print(f"play: dropouts (worst of {repeat}): {max(dropouts)}   goal 0")
    print(
        f"play: time to sound from `play` (median of {repeat}): "
        f"{statistics.median(in_cmd):.3f} s   goal < 0.5 s"
    )
    print(
        f"play: time to sound from the process start (median): {statistics.median(in_proc):.3f} s"
    )
    if peer:
        ours, theirs = statistics.median(heard), statistics.median(peer)
        # Both readings share the monitor's latency estimate (which can put paplay, heard
        # almost at once, below zero): their difference is what a user waits for producer.
        print(
            f"play: spawn to sound at the monitor (median): producer {ours:.3f} s, "
            f"paplay of the mixed WAV {theirs:.3f} s: producer {ours - theirs:.3f} s later"
        )


if __name__ == "__main__":
    main()
