"""Mix engine benchmark (issues 4 and 10): ``producer mix`` against a plain pedalboard script.

Both run as processes, the way users run them, start-up included, in the same run, rounds
interleaved; each row gives the median wall time, the median CPU time (user + system) and the
peak resident memory, read by a small launcher process that forks the command and waits for
it (``os.wait4``), so the benchmark's own size does not leak into the figure. Ratios are peer
/ producer (> 1: producer is faster). Sessions (48 kHz), each a producer project made once
into a cache folder:

* strip-only: 16 tracks × 60 s, odd tracks mono and even stereo, 24-bit; high-pass (6 dB/oct,
  the same JUCE filter as the peer's), peak EQ and compressor on every track; compressor and
  limiter on the master; no buses;
* buses: 32 stereo 16-bit tracks × 4 min, each high-pass + peak EQ + compressor and a send
  into one of two reverb buses; master compressor + limiter. The peer runs the two reverbs
  in parallel, as a fair script would.

The peer is ``bench/peer_pedalboard.py`` (whole files, a thread pool of 2, numpy sums). Then,
in this process: mix-only (gain and pan) against ``sox -M`` and the decoding floor, ffmpeg on
the bus session, the compressor unit against pedalboard's, and the peak memory of a
60-minute session. Environment: ``BENCH_MIX_REPEAT`` (rounds, default 5), ``BENCH_MIX_MINUTES``
(bus session length, default 4), ``BENCH_MIX_TRACKS`` (32), ``BENCH_MIX_LONG_MINUTES`` (60; 0
skips), ``BENCH_DIR`` (cache; default a temp folder).
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
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from producer.engine import DEFAULT_BLOCK_FRAMES, FileSink, compile_song, render_plan
from producer.model import Bus, Clip, EffectSlot, Lane, MediaRef, Send, Song, Track
from producer.storage import Project
from producer.workflows.mix import ProjectMedia

RATE = 48000
BLOCK = DEFAULT_BLOCK_FRAMES
HERE = Path(__file__).resolve().parent
PRODUCER = [sys.executable, "-m", "producer"]

# ---------------------------------------------------------------- material


def _write_noise(path: Path, channels: int, frames: int, seed: int, subtype: str) -> None:
    """Band-limited noise bursts, different per seed, written block by block."""
    rng = np.random.default_rng(seed)
    base = rng.standard_normal((10 * RATE, channels)).astype(np.float32) * 0.05
    env = (0.5 + 0.5 * np.sin(np.linspace(0, 40 * np.pi, 10 * RATE)))[:, None]
    chunk = (base * env).astype(np.float32)
    tmp = path.with_suffix(".partial.wav")
    with sf.SoundFile(str(tmp), "w", RATE, channels, subtype) as f:
        done = 0
        while done < frames:
            n = min(len(chunk), frames - done)
            f.write(np.roll(chunk, done // 7 + seed * 1000, axis=0)[:n])
            done += n
    os.replace(tmp, path)


def _strip_inserts() -> tuple[EffectSlot, ...]:
    return (
        EffectSlot("highpass", {"cutoff_frequency_hz": 80.0, "order": 1}),
        EffectSlot("peak", {"cutoff_frequency_hz": 1000.0, "gain_db": 2.0, "q": 1.0}),
        EffectSlot("compressor", {"threshold_db": -20.0, "ratio": 3.0}),
    )


def _master(effects: bool) -> Bus:
    if not effects:
        return Bus("master", output="")
    return Bus(
        "master",
        output="",
        inserts=(
            EffectSlot("compressor", {"threshold_db": -12.0, "ratio": 2.0}),
            EffectSlot("limiter", {"ceiling_db": -1.0}),
        ),
    )


def _track(
    i: int, ref: MediaRef, repeats: int, inserts: tuple[EffectSlot, ...], sends: tuple[Send, ...]
) -> Track:
    clips = tuple(Clip(f"c{i}_{k}", ref, k * ref.frames, 0, ref.frames) for k in range(repeats))
    return Track(
        name=f"T{i:02d}",
        lanes=(Lane("l1", clips=clips),),
        active="l1",
        gain_db=-6.0 - (i % 5),
        pan=(i % 9 - 4) / 4.0,
        sends=sends,
        inserts=inserts,
    )


def _bus_song(refs: Sequence[MediaRef], effects: bool, repeats: int = 1) -> Song:
    """The bus session (``effects``) or its mix-only twin (gain and pan only)."""
    tracks = []
    for i, ref in enumerate(refs):
        inserts = _strip_inserts() if effects else ()
        sends = (Send("Verb A" if i % 2 else "Verb B", level_db=-12.0),) if effects else ()
        tracks.append(_track(i, ref, repeats, inserts, sends))
    buses: tuple[Bus, ...] = ()
    if effects:
        verb = (EffectSlot("reverb", {"room_size": 0.6, "wet_level": 0.5, "dry_level": 0.0}),)
        buses = (Bus("Verb A", inserts=verb), Bus("Verb B", inserts=verb))
    slug = "buses" if effects else "mix-only"
    return Song(
        title=slug, slug=slug, sample_rate=RATE, tracks=tuple(tracks), buses=buses,
        master=_master(effects),
    )  # fmt: skip


def _strip_song(refs: Sequence[MediaRef]) -> Song:
    tracks = tuple(_track(i, ref, 1, _strip_inserts(), ()) for i, ref in enumerate(refs))
    return Song(title="strip", slug="strip", sample_rate=RATE, tracks=tracks, master=_master(True))


def _project(
    root: Path, channels: Sequence[int], seconds: float, subtype: str
) -> tuple[Project, list[MediaRef]]:
    """A project holding one noise file per entry of ``channels`` (made once, then reused)."""
    frames = int(seconds * RATE)
    stamp = root / "bench-stamp.json"
    spec = {"channels": list(channels), "frames": frames, "subtype": subtype, "version": 1}
    if stamp.exists() and json.loads(stamp.read_text()) == spec:
        project = Project.open(root)
        refs = [t.lanes[0].clips[0].media for t in project.song(project.album.songs[0]).tracks]
        return project, refs
    shutil.rmtree(root, ignore_errors=True)
    project = Project.create(root, "Bench", "producer")
    refs = []
    with tempfile.TemporaryDirectory(dir=root.parent) as tmp:
        for i, ch in enumerate(channels):
            src = Path(tmp) / f"t{i:02d}.wav"
            _write_noise(src, ch, frames, i, subtype)
            refs.append(project.import_media(src))
            src.unlink()
    stamp.write_text(json.dumps(spec))
    return project, refs


def _put(project: Project, *songs: Song) -> None:
    with project.transaction("bench songs") as tx:
        for song in songs:
            tx.put_song(song)


def _peer_session(project: Project, song: Song, path: Path) -> Path:
    """The session as the pedalboard script reads it (files, gains, pans, sends)."""
    tracks = []
    for t in song.tracks:
        send = t.sends[0] if t.sends else None
        tracks.append(
            {
                "path": str(project.media_path(t.lanes[0].clips[0].media)),
                "gain_db": t.gain_db,
                "pan": t.pan,
                "send": send.bus if send else "",
                "send_db": send.level_db if send else 0.0,
            }
        )
    path.write_text(json.dumps({"rate": RATE, "threads": 2, "tracks": tracks}))
    return path


# ---------------------------------------------------------------- processes

_LAUNCHER = """
import json, os, sys, time
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    fd = os.open(os.devnull, os.O_WRONLY)
    os.dup2(fd, 1)
    os.execv(sys.argv[1], sys.argv[1:])
_, status, ru = os.wait4(pid, 0)
wall = time.perf_counter() - t0
print(json.dumps({"status": status, "wall": wall, "cpu": ru.ru_utime + ru.ru_stime,
                  "rss_kib": ru.ru_maxrss}))
"""


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float
    rss_mb: float


def _process(cmd: Sequence[str]) -> Run:
    """Wall, CPU and peak RSS of ``cmd`` run as a process (through a small launcher)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # a user's Python caches bytecode
    out = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, *cmd], capture_output=True, text=True, check=True, env=env
    )
    r = json.loads(out.stdout.strip().splitlines()[-1])
    if r["status"] != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({r['status']}): {out.stderr[-2000:]}")
    return Run(r["wall"], r["cpu"], r["rss_kib"] / 1024)


def _rounds(cmds: dict[str, Sequence[str]], repeat: int) -> dict[str, list[Run]]:
    """Each command ``repeat`` times, interleaved round by round (outside load spreads over
    every command instead of hitting one)."""
    runs: dict[str, list[Run]] = {k: [] for k in cmds}
    for cmd in cmds.values():
        _process(cmd)  # a first run writes the bytecode caches and warms the file cache
    for _ in range(repeat):
        for name, cmd in cmds.items():
            runs[name].append(_process(cmd))
    return runs


def _report(title: str, runs: dict[str, list[Run]], ours: str, peer: str) -> None:
    print(f"{title} (median of {len(runs[ours])} interleaved rounds)")
    print(f"  {'':28s} {'wall s':>8s} {'CPU s':>8s} {'peak RSS MB':>12s}")
    for name, rs in runs.items():
        wall = statistics.median(r.wall for r in rs)
        cpu = statistics.median(r.cpu for r in rs)
        rss = max(r.rss_mb for r in rs)
        print(f"  {name:28s} {wall:8.2f} {cpu:8.2f} {rss:12.0f}")
    w = statistics.median(r.wall for r in runs[peer]) / statistics.median(
        r.wall for r in runs[ours]
    )
    c = statistics.median(r.cpu for r in runs[peer]) / statistics.median(r.cpu for r in runs[ours])
    per_round = [p.wall / o.wall for p, o in zip(runs[peer], runs[ours], strict=True)]
    print(
        f"  ratio {peer} / {ours}: wall {w:.2f} (per round {min(per_round):.2f}..."
        f"{max(per_round):.2f}), CPU {c:.2f} (goal >= 1, stretch 1.5)"
    )


def _load() -> str:
    """The 1/5/15-minute load averages (wall times mean little when they exceed the CPUs)."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


# ---------------------------------------------------------------- in-process peers


def _producer(song: Song, root: Path, out: Path) -> None:
    plan = compile_song(song, block_frames=BLOCK)
    source = ProjectMedia(root)
    try:
        render_plan(plan, source, FileSink(out, RATE, 2, "wav", "24"), tail_frames=0, threads=2)
    finally:
        source.close()


def _floor(paths: list[Path], threads: int) -> None:
    """Decoding only: soundfile reads every file in blocks on ``threads`` threads."""

    def decode(p: Path) -> None:
        with sf.SoundFile(str(p)) as f:
            while len(f.read(BLOCK, dtype="float32")):
                pass

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(decode, paths))


def _ffmpeg(paths: list[Path], out: Path) -> None:
    """The full session as one ffmpeg filter graph (aecho stands in for a reverb)."""
    inputs: list[str] = []
    chains = []
    for i, p in enumerate(paths):
        inputs += ["-i", str(p)]
        g = 10 ** ((-6.0 - (i % 5)) / 20)
        chains.append(
            f"[{i}:a]highpass=f=80:p=1,equalizer=f=1000:t=q:w=1:g=2,"
            f"acompressor=threshold=0.1:ratio=3,volume={g:.6f},asplit[m{i}][s{i}]"
        )
    n = len(paths)
    dry = "".join(f"[m{i}]" for i in range(n))
    sa = "".join(f"[s{i}]" for i in range(1, n, 2))
    sb = "".join(f"[s{i}]" for i in range(0, n, 2))
    graph = ";".join(
        [
            *chains,
            f"{dry}amix=inputs={n}:normalize=0[dry]",
            f"{sa}amix=inputs={len(range(1, n, 2))}:normalize=0,volume=0.25,aecho=0.8:0.7:60|90:0.5|0.3[va]",
            f"{sb}amix=inputs={len(range(0, n, 2))}:normalize=0,volume=0.25,aecho=0.8:0.7:60|90:0.5|0.3[vb]",
            "[dry][va][vb]amix=inputs=3:normalize=0,acompressor=threshold=0.25:ratio=2,"
            "alimiter=limit=0.89[out]",
        ]
    )
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            *inputs,
            "-filter_complex",
            graph,
            "-map",
            "[out]",
            "-c:a",
            "pcm_s24le",
            str(out),
        ],
        check=True,
    )


def _sox(paths: list[Path], out: Path) -> None:
    """Mix-only with ``sox -M`` and one remix matrix (gain per input channel)."""
    n = len(paths)
    left, right = [], []
    for i in range(n):
        g = 10 ** ((-6.0 - (i % 5)) / 20)
        p = (i % 9 - 4) / 4.0
        gl = g * (1.0 - p if p > 0 else 1.0)
        gr = g * (1.0 + p if p < 0 else 1.0)
        left.append(f"{2 * i + 1}v{gl:.6f}")
        right.append(f"{2 * i + 2}v{gr:.6f}")
    subprocess.run(
        [
            "sox",
            "-M",
            *map(str, paths),
            "-b",
            "24",
            str(out),
            "remix",
            ",".join(left),
            ",".join(right),
        ],
        check=True,
    )


def _time(fn: Callable[[], None], repeat: int = 1) -> float:
    """Best wall-clock time of ``repeat`` runs (the least disturbed by other load)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _best_of(runs: dict[str, Callable[[], None]], repeat: int) -> dict[str, float]:
    """Best wall-clock time of each run, the runs interleaved round by round."""
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(repeat):
        for name, fn in runs.items():
            best[name] = min(best[name], _time(fn))
    return best


def _compressor_units(repeat: int) -> tuple[float, float]:
    """(producer, pedalboard) seconds to compress one minute of stereo noise in BLOCK blocks.

    The catalog's compressor (numpy, sidechain-capable) against pedalboard's JUCE unit with
    the same threshold and ratio — the unit the full session runs on every track.
    """
    import pedalboard as pb

    from producer.dsp import catalog

    rng = np.random.default_rng(0)
    x = (rng.standard_normal((2, 60 * RATE)) * 0.1).astype(np.float32)

    def ours() -> None:
        fx = catalog.create("compressor", {"threshold_db": -20.0, "ratio": 3.0}, RATE, 2, BLOCK)
        for i in range(0, x.shape[1], BLOCK):
            fx.process(x[:, i : i + BLOCK])

    def theirs() -> None:
        fx = pb.Compressor(threshold_db=-20.0, ratio=3.0)
        for i in range(0, x.shape[1], BLOCK):
            fx.process(x[:, i : i + BLOCK], RATE, reset=False)

    t = _best_of({"ours": ours, "theirs": theirs}, repeat)
    return t["ours"], t["theirs"]


_LONG_CHILD = """
import sys
from pathlib import Path
sys.path.insert(0, {bench!r})
from bench import bench_mix as b
from producer.storage import Project
project = Project.open(Path({root!r}))
refs = [t.lanes[0].clips[0].media for t in project.song("mix-only").tracks]
song = b._bus_song(refs, effects=False, repeats={repeats})
b._producer(song, project.root, Path({out!r}))
print(b._peak_rss_kib())
"""


def _peak_rss_kib() -> int:
    """Peak resident memory of this process in KiB (``VmHWM``: this process image only)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def _producer_cli() -> list[str]:
    script = Path(sys.executable).parent / "producer"
    return [str(script)] if script.exists() else PRODUCER


def main() -> None:
    repeat = int(os.environ.get("BENCH_MIX_REPEAT", "5"))
    minutes = float(os.environ.get("BENCH_MIX_MINUTES", "4"))
    ntracks = int(os.environ.get("BENCH_MIX_TRACKS", "32"))
    long_minutes = float(os.environ.get("BENCH_MIX_LONG_MINUTES", "60"))
    cache = Path(os.environ.get("BENCH_DIR") or Path(tempfile.gettempdir()) / "producer-bench-mix")
    cache.mkdir(parents=True, exist_ok=True)
    out = cache / "out"
    out.mkdir(exist_ok=True)
    cli = _producer_cli()

    t0 = time.perf_counter()
    strip_project, strip_refs = _project(cache / "strip", [2, 1] * 8, 60.0, "PCM_24")
    _put(strip_project, _strip_song(strip_refs))
    bus_project, bus_refs = _project(cache / "buses", [2] * ntracks, minutes * 60, "PCM_16")
    _put(bus_project, _bus_song(bus_refs, effects=True), _bus_song(bus_refs, effects=False))
    print(f"projects in {cache} ({time.perf_counter() - t0:.1f} s)")
    print(f"before: {_load()}")

    peer = [sys.executable, str(HERE / "peer_pedalboard.py")]
    strip_json = _peer_session(strip_project, _strip_song(strip_refs), out / "strip.json")
    runs = _rounds(
        {
            "producer mix": [*cli, "-C", str(strip_project.root), "mix", "strip", "-o",
                             str(out / "strip-producer.wav")],
            "pedalboard script": [*peer, str(strip_json), str(out / "strip-peer.wav")],
        },
        repeat,
    )  # fmt: skip
    _report(
        "strip-only: 16 tracks × 60 s mono/stereo 24-bit, HPF + peak + compressor each, "
        "master compressor + limiter",
        runs,
        "producer mix",
        "pedalboard script",
    )
    bus_song = _bus_song(bus_refs, effects=True)
    bus_json = _peer_session(bus_project, bus_song, out / "buses.json")
    runs = _rounds(
        {
            "producer mix": [*cli, "-C", str(bus_project.root), "mix", "buses", "-o",
                             str(out / "buses-producer.wav")],
            "pedalboard script": [*peer, str(bus_json), str(out / "buses-peer.wav")],
        },
        max(1, (repeat + 1) // 2),
    )  # fmt: skip
    _report(
        f"buses: {ntracks} stereo tracks × {minutes:g} min, HPF + peak + compressor + send "
        "each, two reverb buses, master compressor + limiter",
        runs,
        "producer mix",
        "pedalboard script",
    )

    paths = [bus_project.media_path(r) for r in bus_refs]
    if shutil.which("ffmpeg"):
        t_ff = _time(lambda: _ffmpeg(paths, out / "ffmpeg.wav"))
        t_ours = statistics.median(r.wall for r in runs["producer mix"])
        print(f"buses: ffmpeg filter graph (one run) {t_ff:.2f} s, ratio {t_ff / t_ours:.2f}")
    plain = _bus_song(bus_refs, effects=False)
    mix_runs: dict[str, Callable[[], None]] = {
        "producer": lambda: _producer(plain, bus_project.root, out / "producer-mix.wav"),
        "floor": lambda: _floor(paths, 2),
    }
    if shutil.which("sox"):
        mix_runs["sox"] = lambda: _sox(paths, out / "sox.wav")
    t = _best_of(mix_runs, repeat)
    audio_s = ntracks * minutes * 60
    print(f"mix-only (in process, best of {repeat}): producer {t['producer']:.2f} s "
          f"({audio_s / t['producer']:.0f}x real time), decoding floor {t['floor']:.2f} s, "
          f"ratio producer / floor {t['producer'] / t['floor']:.2f} (goal <= 1.5)")  # fmt: skip
    if "sox" in t:
        print(f"mix-only: sox -M remix {t['sox']:.2f} s, ratio {t['sox'] / t['producer']:.2f}")
    c_ours, c_pb = _compressor_units(3)
    print(
        f"compressor unit, 1 min stereo in {BLOCK}-frame blocks: producer {c_ours * 1000:.0f} ms,"
        f" pedalboard {c_pb * 1000:.0f} ms (ratio {c_pb / c_ours:.2f})"
    )
    print(f"after: {_load()}")

    if long_minutes > 0:
        repeats = max(1, round(long_minutes / minutes))
        code = _LONG_CHILD.format(
            bench=str(HERE.parent),
            root=str(bus_project.root),
            repeats=repeats,
            out=str(out / "long.wav"),
        )
        t0 = time.perf_counter()
        res = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        secs = time.perf_counter() - t0
        rss_mb = int(res.stdout.strip().splitlines()[-1]) / 1024
        print(
            f"long session: {ntracks} tracks × {repeats * minutes:g} min mix-only in {secs:.1f} s, "
            f"peak RSS {rss_mb:.0f} MB (goal < 1024 MB)"
        )
        (out / "long.wav").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
