"""Mix engine benchmark (issue 4): producer against a plain pedalboard script, ffmpeg, sox and
the decoding floor, plus the peak memory of a 60-minute session.

Sessions (48 kHz, 16-bit stereo WAV sources, generated once into a cache folder):

* full: 32 tracks × 4 min, each high-pass + peaking EQ + compressor, sends into two buses
  with reverb, master compressor + limiter;
* mix-only: the same 32 files with gain and pan only;
* long: 32 tracks × 60 min (the 4-minute files placed 15 times), mix-only, rendered in a child
  process whose peak RSS is read from ``getrusage`` — the engine's memory must not grow with
  the song.

Peers are measured in the same run on the same cached files, interleaved round by round,
each the best of ``BENCH_MIX_REPEAT`` runs (default 2; the cheap mix-only runs 2·N + 1,
ffmpeg once: it takes several times as long as the others); ratios are peer time / producer
time (> 1: producer is faster), the load averages are printed before and after — figures
taken on a busy machine are not comparable. Environment: ``BENCH_MIX_MINUTES`` (default 4),
``BENCH_MIX_TRACKS`` (32), ``BENCH_MIX_LONG_MINUTES`` (60; 0 skips), ``BENCH_DIR`` (cache;
default a temp folder).
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import soundfile as sf

from producer.engine import FileSink, compile_song, render_plan
from producer.model import Bus, Clip, EffectSlot, Lane, MediaRef, Send, Song, Track
from producer.workflows.mix import ProjectMedia

RATE = 48000
BLOCK = 65536


def _make_sources(folder: Path, tracks: int, minutes: float) -> list[Path]:
    """Band-limited noise bursts, different per track, written block by block."""
    folder.mkdir(parents=True, exist_ok=True)
    frames = int(minutes * 60 * RATE)
    paths = []
    for i in range(tracks):
        path = folder / f"t{i:02d}_{minutes:g}m.wav"
        paths.append(path)
        if path.exists() and sf.info(str(path)).frames == frames:
            continue
        rng = np.random.default_rng(i)
        base = rng.standard_normal((10 * RATE, 2)).astype(np.float32) * 0.05
        env = (0.5 + 0.5 * np.sin(np.linspace(0, 40 * np.pi, 10 * RATE)))[:, None]
        chunk = (base * env).astype(np.float32)
        tmp = path.with_suffix(".partial.wav")
        with sf.SoundFile(str(tmp), "w", RATE, 2, "PCM_16") as f:
            done = 0
            while done < frames:
                n = min(len(chunk), frames - done)
                f.write(np.roll(chunk, done // 7 + i * 1000, axis=0)[:n])
                done += n
        os.replace(tmp, path)
    return paths


def _ref(path: Path, root: Path) -> MediaRef:
    i = sf.info(str(path))
    return MediaRef(str(path.relative_to(root)), "0" * 64, RATE, i.channels, i.frames)


def _song(paths: list[Path], root: Path, effects: bool, repeats: int = 1) -> Song:
    tracks = []
    for i, p in enumerate(paths):
        ref = _ref(p, root)
        clips = tuple(Clip(f"c{i}_{k}", ref, k * ref.frames, 0, ref.frames) for k in range(repeats))
        inserts: tuple[EffectSlot, ...] = ()
        sends: tuple[Send, ...] = ()
        if effects:
            inserts = (
                EffectSlot("highpass", {"cutoff_frequency_hz": 80.0, "order": 1}),
                EffectSlot("peak", {"cutoff_frequency_hz": 1000.0, "gain_db": 2.0, "q": 1.0}),
                EffectSlot("compressor", {"threshold_db": -20.0, "ratio": 3.0}),
            )
            sends = (Send("Verb A" if i % 2 else "Verb B", level_db=-12.0),)
        tracks.append(
            Track(
                name=f"T{i:02d}",
                lanes=(Lane("l1", clips=clips),),
                active="l1",
                gain_db=-6.0 - (i % 5),
                pan=(i % 9 - 4) / 4.0,
                sends=sends,
                inserts=inserts,
            )
        )
    buses: tuple[Bus, ...] = ()
    master = Bus("master", output="")
    if effects:
        verb = (EffectSlot("reverb", {"room_size": 0.6, "wet_level": 0.5, "dry_level": 0.0}),)
        buses = (Bus("Verb A", inserts=verb), Bus("Verb B", inserts=verb))
        master = Bus(
            "master",
            output="",
            inserts=(
                EffectSlot("compressor", {"threshold_db": -12.0, "ratio": 2.0}),
                EffectSlot("limiter", {"ceiling_db": -1.0}),
            ),
        )
    return Song(
        title="Bench",
        slug="bench",
        sample_rate=RATE,
        tracks=tuple(tracks),
        buses=buses,
        master=master,
    )


def _producer(song: Song, root: Path, out: Path) -> None:
    plan = compile_song(song, block_frames=BLOCK)
    source = ProjectMedia(root)
    try:
        render_plan(plan, source, FileSink(out, RATE, 2, "wav", "24"), tail_frames=0, threads=2)
    finally:
        source.close()


def _pedalboard_script(paths: list[Path], out: Path, threads: int) -> None:
    """What a user writes with pedalboard alone: read, process, sum, write (whole files)."""
    import pedalboard as pb

    def track(i: int) -> tuple[int, np.ndarray]:
        x, _ = sf.read(str(paths[i]), dtype="float32", always_2d=True)
        board = pb.Pedalboard(
            [
                pb.HighpassFilter(cutoff_frequency_hz=80.0),
                pb.PeakFilter(cutoff_frequency_hz=1000.0, gain_db=2.0, q=1.0),
                pb.Compressor(threshold_db=-20.0, ratio=3.0),
            ]
        )
        y = board(x.T, RATE)
        g = 10 ** ((-6.0 - (i % 5)) / 20)
        p = (i % 9 - 4) / 4.0
        bal = np.array([[1.0 - p if p > 0 else 1.0], [1.0 + p if p < 0 else 1.0]], np.float32)
        return i, (y * (bal * g)).astype(np.float32)

    mix = None
    verb = [None, None]
    with ThreadPoolExecutor(threads) as pool:
        for i, y in pool.map(track, range(len(paths))):
            mix = y.copy() if mix is None else mix + y
            k = i % 2
            s = y * np.float32(10 ** (-12 / 20))
            verb[k] = s if verb[k] is None else verb[k] + s
    assert mix is not None
    reverb = pb.Pedalboard([pb.Reverb(room_size=0.6, wet_level=0.5, dry_level=0.0)])
    for v in verb:
        if v is not None:
            mix = mix + reverb(v, RATE)
    master = pb.Pedalboard(
        [pb.Compressor(threshold_db=-12.0, ratio=2.0), pb.BrickwallLimiter(ceiling_db=-1.0)]
    )
    sf.write(str(out), master(mix, RATE).T, RATE, subtype="PCM_24")


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
    """Best wall-clock time of each run, the runs interleaved round by round.

    Interleaving spreads a burst of outside load over every peer instead of one of them; the
    best of ``repeat`` rounds is the least disturbed figure of each.
    """
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(repeat):
        for name, fn in runs.items():
            best[name] = min(best[name], _time(fn))
    return best


def _load() -> str:
    """The 1/5/15-minute load averages (the machine must be quiet for fair figures)."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


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
root = Path({root!r})
paths = [Path(p) for p in {paths!r}]
song = b._song(paths, root, effects=False, repeats={repeats})
b._producer(song, root, Path({out!r}))
print(b._peak_rss_kib())
"""


def _peak_rss_kib() -> int:
    """Peak resident memory of this process in KiB.

    Linux's ``VmHWM`` belongs to the process image; ``getrusage``'s ``ru_maxrss`` survives
    ``exec`` and would report the (larger) benchmark parent the child was forked from.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def main() -> None:
    minutes = float(os.environ.get("BENCH_MIX_MINUTES", "4"))
    ntracks = int(os.environ.get("BENCH_MIX_TRACKS", "32"))
    long_minutes = float(os.environ.get("BENCH_MIX_LONG_MINUTES", "60"))
    repeat = int(os.environ.get("BENCH_MIX_REPEAT", "2"))
    mix_repeat = 2 * repeat + 1
    root = Path(os.environ.get("BENCH_DIR") or Path(tempfile.gettempdir()) / "producer-bench-mix")
    t = _time(lambda: _make_sources(root / "media", ntracks, minutes))
    paths = _make_sources(root / "media", ntracks, minutes)
    print(
        f"sources: {ntracks} × {minutes:g} min stereo 16-bit WAV at {RATE} Hz in {root} ({t:.1f} s)"
    )
    out = root / "out"
    out.mkdir(exist_ok=True)
    rows: list[tuple[str, float | None]] = []

    print(f"before: {_load()}")
    full = _song(paths, root, effects=True)
    plain = _song(paths, root, effects=False)
    full_runs: dict[str, Callable[[], None]] = {
        "producer": lambda: _producer(full, root, out / "producer.wav"),
        "pedalboard": lambda: _pedalboard_script(paths, out / "pedalboard.wav", 2),
    }
    t = _best_of(full_runs, repeat)
    t_prod, t_pb = t["producer"], t["pedalboard"]
    rows.append((f"full session: producer (2 threads, best of {repeat})", t_prod))
    rows.append((f"full session: pedalboard script (2 threads, best of {repeat})", t_pb))
    # ffmpeg takes several times as long as the others: one run tells the ratio well enough.
    t_ff = _time(lambda: _ffmpeg(paths, out / "ffmpeg.wav")) if shutil.which("ffmpeg") else None
    rows.append(("full session: ffmpeg filter graph (one run)", t_ff))

    mix_runs: dict[str, Callable[[], None]] = {
        "producer": lambda: _producer(plain, root, out / "producer-mix.wav"),
        "floor": lambda: _floor(paths, 2),
    }
    if shutil.which("sox"):
        mix_runs["sox"] = lambda: _sox(paths, out / "sox.wav")
    t = _best_of(mix_runs, mix_repeat)
    t_mix, t_floor, t_sox = t["producer"], t["floor"], t.get("sox")
    rows.append((f"mix-only: producer (2 threads, best of {mix_repeat})", t_mix))
    rows.append((f"mix-only: sox -M remix (best of {mix_repeat})", t_sox))
    rows.append((f"mix-only: decoding floor (soundfile, 2 threads, best of {mix_repeat})", t_floor))
    print(f"after: {_load()}")

    audio_s = ntracks * minutes * 60
    print(f"{'run':66s} {'seconds':>8s} {'x realtime':>11s}")
    for name, secs in rows:
        if secs is None:
            print(f"{name:66s} {'not installed, skipped':>20s}")
        else:
            print(f"{name:66s} {secs:8.2f} {audio_s / secs:10.0f}x")
    print(f"ratio pedalboard script / producer: {t_pb / t_prod:.2f} (goal >= 1)")
    if t_ff is not None:
        print(f"ratio ffmpeg / producer: {t_ff / t_prod:.2f} (goal: far above 1)")
    if t_sox is not None:
        print(f"ratio sox -M / producer mix-only: {t_sox / t_mix:.2f} (goal > 1)")
    print(f"ratio producer mix-only / decoding floor: {t_mix / t_floor:.2f} (goal <= 1.5)")
    c_ours, c_pb = _compressor_units(3)
    print(
        f"compressor unit, 1 min stereo in {BLOCK}-frame blocks: producer {c_ours * 1000:.0f} ms,"
        f" pedalboard {c_pb * 1000:.0f} ms (ratio {c_pb / c_ours:.2f})"
    )

    if long_minutes > 0:
        repeats = max(1, round(long_minutes / minutes))
        code = _LONG_CHILD.format(
            bench=str(Path(__file__).resolve().parents[1]),
            root=str(root),
            paths=[str(p) for p in paths],
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
