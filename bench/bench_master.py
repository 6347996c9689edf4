"""Mastering (issue 10): producer against ffmpeg's loudnorm, as processes, in the same run.

Tables printed:

1. **4-minute songs to ``streaming``** (-14 LUFS, -1 dBTP, 44.1 kHz/24-bit): ``producer master
   SONG.wav --profile streaming`` against ffmpeg's two-pass ``loudnorm`` (pass 1 measures, pass 2
   applies with ``linear=true``, output resampled to 44.1 kHz 24-bit), both timed as whole
   processes: wall, CPU (user + system) and peak RSS of each process (``os.wait4``). Every
   output is measured by libebur128 (pyebur128) for loudness and by producer's exact true peak
   (``producer.analysis.truepeak``; the tests hold it to FFT interpolation within 0.05 dB).
   Goal: producer's wall time under loudnorm's (stretch: half), peak RSS under 300 MB.
2. **60-minute 96 kHz programme** to ``streaming`` and to ``cd``: wall, CPU, peak RSS (goal
   under 600 MB), loudness and true peak of the delivered file.
3. **Dither**: plain TPDF against noise-shaped TPDF on 4 minutes of stereo 44.1 kHz (goal:
   shaping within 2x the cost of plain TPDF), and the one-off cost of loading numba's cached
   kernel in a new process.
4. **Short, varied inputs** (the mastering acceptance inputs, 10 s): producer, loudnorm and
   a gain + pedalboard ``Limiter`` on the same goal, quality figures (libebur128 loudness,
   FFT-interpolated true peak).

Environment: ``BENCH_MASTER_SONGS`` (2), ``BENCH_MASTER_MINUTES`` (4), ``BENCH_MASTER_LONG_MINUTES``
(60; 0 skips the long run), ``BENCH_DIR`` (cache folder for the generated audio). The machine
being shared, compare CPU times and the ratios of one run; the wall times are for a quiet box.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pedalboard
import soundfile as sf

from bench import procs
from bench.songs import cache_dir, song
from producer.analysis import loudness
from producer.mastering import chain
from producer.mastering.profiles import get_profile

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "mastering"))
import refs  # noqa: E402  (the tests' signal generators and independent meters)

TARGET = -14.0
CEILING = -1.0
Audio = np.ndarray
Tool = Callable[[Audio, int, Path], tuple[Audio, int]]


def _integrated_file(path: Path) -> float:
    """libebur128's integrated loudness of a file, read in blocks."""
    import pyebur128

    info = sf.info(str(path))
    state = pyebur128.R128State(info.channels, info.samplerate, pyebur128.MeasurementMode.MODE_I)
    for block in sf.blocks(str(path), blocksize=65536, dtype="float64", always_2d=True):
        state.add_frames(np.ascontiguousarray(block).ravel(), block.shape[0])
    return float(pyebur128.get_loudness_global(state))


def _loudnorm_cmds(exe: str, src: Path, dst: Path, first_pass_stderr: str | None) -> list[str]:
    spec = f"I={TARGET}:TP={CEILING}:LRA=11"
    if first_pass_stderr is None:
        return [exe, "-hide_banner", "-nostats", "-i", str(src), "-af",
                f"loudnorm={spec}:print_format=json", "-f", "null", "-"]  # fmt: skip
    text = first_pass_stderr
    m = json.loads(text[text.rindex("{") : text.rindex("}") + 1])
    second = (
        f"loudnorm={spec}:measured_I={m['input_i']}:measured_TP={m['input_tp']}:"
        f"measured_LRA={m['input_lra']}:measured_thresh={m['input_thresh']}:"
        f"offset={m['target_offset']}:linear=true"
    )
    return [exe, "-hide_banner", "-nostats", "-y", "-i", str(src), "-af", second,
            "-ar", "44100", "-c:a", "pcm_s24le", str(dst)]  # fmt: skip


def _row(name: str, wall: float, cpu: float, rss: float, out: Path | None) -> dict[str, object]:
    row: dict[str, object] = {"tool": name, "wall": wall, "cpu": cpu, "rss": rss}
    if out is not None and out.exists():
        row["lufs"] = _integrated_file(out)
        row["tp"] = loudness.measure_file(out).true_peak_dbtp
    return row


def _songs_table(count: int, minutes: float) -> None:
    exe = procs.ffmpeg()
    print(f"-- {count} songs of {minutes:g} min, stereo 48 kHz 24-bit, to streaming "
          f"({TARGET:g} LUFS, {CEILING:g} dBTP, 44.1 kHz/24-bit); {procs.load_note()}")  # fmt: skip
    header = (
        f"{'song':<8} {'tool':<22} {'wall s':>7} {'CPU s':>7} {'RSS MB':>7} "
        f"{'I LUFS':>7} {'dI LU':>6} {'TP dBTP':>8}"
    )
    print(header)
    ratios: list[tuple[float, float]] = []
    rss_ours: list[float] = []
    for i in range(count):
        src = song(cache_dir() / f"song{minutes:g}min-{i}.wav", minutes, 48000, seed=i)
        with tempfile.TemporaryDirectory() as d:
            tmp = Path(d)
            ours = tmp / "master.wav"
            r = procs.run([*procs.producer(), "master", str(src), "--profile", "streaming",
                           "-o", str(ours), "--json"])  # fmt: skip
            if r.code:
                print(f"   producer failed: {r.stderr.strip().splitlines()[-1:]}")
                continue
            rows = [_row("producer master", r.wall_s, r.cpu_s, r.rss_mb, ours)]
            rss_ours.append(r.rss_mb)
            if exe:
                out = tmp / "loudnorm.wav"
                p1 = procs.run(_loudnorm_cmds(exe, src, out, None))
                p2 = procs.run(_loudnorm_cmds(exe, src, out, p1.stderr))
                rows.append(
                    _row(
                        "ffmpeg loudnorm x2",
                        p1.wall_s + p2.wall_s,
                        p1.cpu_s + p2.cpu_s,
                        max(p1.rss_mb, p2.rss_mb),
                        out,
                    )
                )
                wall_ratio = (p1.wall_s + p2.wall_s) / r.wall_s
                ratios.append((wall_ratio, (p1.cpu_s + p2.cpu_s) / r.cpu_s))
        for row in rows:
            lufs = row.get("lufs", math.nan)
            print(
                f"{i:<8} {row['tool']!s:<22} {row['wall']:7.2f} {row['cpu']:7.2f} "
                f"{row['rss']:7.0f} {lufs:7.2f} {lufs - TARGET:+6.2f} "
                f"{row.get('tp', math.nan):+8.2f}"
            )
    if ratios:
        wall = float(np.median([a for a, _ in ratios]))
        cpu = float(np.median([b for _, b in ratios]))
        print(
            f"loudnorm x2 / producer: wall {wall:.2f}x, CPU {cpu:.2f}x (goal: > 1, stretch 2); "
            f"producer peak RSS {max(rss_ours):.0f} MB (goal < 300 MB)"
        )
    else:
        print("ffmpeg not found: loudnorm skipped")


def _long_table(minutes: float) -> None:
    src = song(cache_dir() / f"programme{minutes:g}min-96k.wav", minutes, 96000, seed=7)
    size = src.stat().st_size / 1e9
    print(f"-- {minutes:g}-minute programme, stereo 96 kHz 24-bit ({size:.1f} GB); "
          f"{procs.load_note()}")  # fmt: skip
    print(
        f"{'profile':<10} {'wall s':>7} {'CPU s':>7} {'RSS MB':>7} {'I LUFS':>7} {'TP dBTP':>8} {'goal':>12}"
    )
    for profile in ("streaming", "cd"):
        with tempfile.TemporaryDirectory() as d:
            out = Path(d) / "master.wav"
            r = procs.run([*procs.producer(), "master", str(src), "--profile", profile,
                           "-o", str(out), "--json"])  # fmt: skip
            if r.code:
                print(f"{profile:<10} failed: {r.stderr.strip().splitlines()[-1:]}")
                continue
            data = json.loads(r.stdout)[0]
            verdict = "RSS OK" if r.rss_mb < 600 else "RSS EXCEEDED"
            print(
                f"{profile:<10} {r.wall_s:7.1f} {r.cpu_s:7.1f} {r.rss_mb:7.0f} "
                f"{data['integrated_lufs']:7.2f} {data['true_peak_dbtp']:+8.2f} {verdict:>12}"
            )


_SHAPING_LOAD = """
import time
c0 = time.process_time()
import numpy as np
from producer.dsp import dither
x = np.zeros((2, 64), dtype=np.float32)
c1 = time.process_time()
dither.quantize(x, 16, noise_shaping=True, sample_rate=44100)
print(time.process_time() - c1)
"""


def _dither_table() -> None:
    from producer.dsp import dither

    x = (np.random.default_rng(1).standard_normal((2, 240 * 44100)) * 0.2).astype(np.float32)

    def best(fn: Callable[[], object]) -> float:
        times = []
        for _ in range(3):
            c = time.process_time()
            fn()
            times.append(time.process_time() - c)
        return min(times)

    print("-- dither of 4 min stereo 44.1 kHz (CPU s, best of 3)")
    print(f"{'bits':<5} {'plain TPDF':>11} {'noise-shaped':>13} {'ratio':>6}")
    for bits in (16, 24):
        plain = dither.Quantizer(bits, 2, np.random.default_rng(0))
        shaped = dither.Quantizer(bits, 2, np.random.default_rng(0), True, 44100)
        shaped.process(x[:, :64])  # compile or load the kernel first
        a, b = best(lambda: plain.process(x)), best(lambda: shaped.process(x))  # noqa: B023
        print(f"{bits:<5} {a:11.3f} {b:13.3f} {b / a:6.2f}")
    out = subprocess.run([sys.executable, "-c", _SHAPING_LOAD], capture_output=True, text=True)
    if out.returncode == 0:
        print(f"first noise-shaped block in a new process (numba import + cached kernel): "
              f"{float(out.stdout):.2f} s CPU")  # fmt: skip


def _producer(x: Audio, sr: int, tmp: Path) -> tuple[Audio, int]:
    r = chain.master(x, sr, get_profile("streaming"))
    return r.audio, r.sample_rate


def _loudnorm(x: Audio, sr: int, tmp: Path) -> tuple[Audio, int]:
    exe = procs.ffmpeg()
    assert exe is not None
    src, dst = tmp / "in.wav", tmp / "out.wav"
    sf.write(str(src), x.T, sr, subtype="FLOAT")
    p1 = subprocess.run(_loudnorm_cmds(exe, src, dst, None), capture_output=True, text=True)
    cmd = _loudnorm_cmds(exe, src, dst, p1.stderr)
    cmd[cmd.index("-ar") + 1] = str(sr)
    cmd[cmd.index("-c:a") + 1] = "pcm_f32le"
    subprocess.run(cmd, capture_output=True, check=True)
    y, rate = sf.read(str(dst), dtype="float32", always_2d=True)
    return np.ascontiguousarray(y.T), int(rate)


def _norm_limiter(x: Audio, sr: int, tmp: Path) -> tuple[Audio, int]:
    gain = 10 ** ((TARGET - refs.ebu_integrated(x, sr)) / 20)
    y = pedalboard.Limiter(threshold_db=CEILING)(x * np.float32(gain), sr)
    return np.asarray(y, dtype=np.float32), sr


def _short_inputs_table() -> None:
    refs.DURATION_S = 10.0
    inputs = refs.make_inputs(HERE.parent.parent / "shared" / "testdata")
    print(f"-- {len(inputs)} varied 10 s inputs to {TARGET:g} LUFS / {CEILING:g} dBTP "
          "(libebur128 loudness, FFT-interpolated true peak)")  # fmt: skip
    print(
        f"{'tool':<20} {'s':>6} {'mean|dI|':>9} {'worst|dI|':>10} {'on target':>10} {'worst TP':>9}"
    )
    tools: list[tuple[str, Tool]] = [("producer", _producer)]
    if procs.ffmpeg():
        tools.append(("ffmpeg loudnorm x2", _loudnorm))
    tools.append(("gain+pb.Limiter", _norm_limiter))
    for name, tool in tools:
        errors, peaks, seconds, failed = [], [], 0.0, 0
        for x, sr in inputs.values():
            with tempfile.TemporaryDirectory() as d:
                start = time.perf_counter()
                try:
                    y, rate = tool(x, sr, Path(d))
                except Exception:  # a peer that refuses an input counts as a miss
                    failed += 1
                    continue
                seconds += time.perf_counter() - start
            errors.append(abs(refs.ebu_integrated(y, rate) - TARGET))
            peaks.append(refs.true_peak_fft_dbtp(y, rate))
        on = sum(e <= 0.1 for e in errors)
        note = f"  ({failed} input(s) refused)" if failed else ""
        print(f"{name:<20} {seconds:6.2f} {np.mean(errors):9.3f} {max(errors):10.3f} "
              f"{on:>6}/{len(inputs):<3} {max(peaks):+9.2f}{note}")  # fmt: skip


def main() -> None:
    count = int(os.environ.get("BENCH_MASTER_SONGS", "2"))
    minutes = float(os.environ.get("BENCH_MASTER_MINUTES", "4"))
    long_minutes = float(os.environ.get("BENCH_MASTER_LONG_MINUTES", "60"))
    _songs_table(count, minutes)
    if long_minutes > 0:
        _long_table(long_minutes)
    _dither_table()
    _short_inputs_table()


if __name__ == "__main__":
    main()
