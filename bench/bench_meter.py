"""Loudness meter benchmark (issue 3): producer against libebur128 (pyebur128), pyloudnorm and
ffmpeg's ebur128 filter on one 10-minute stereo 48 kHz programme, plus the peak memory of a
3-hour stereo 48 kHz file measured in blocks.

What each one computes:

* producer: I, LRA, max M (10 ms hop), max S (10 ms hop), the exact true peak (4x candidates,
  exact band-limited reconstruction around them), sample peak, and the M/S series; the file is
  streamed (``measure_file``), and also timed as the real ``producer meter --json`` command
  (process start and imports included);
* pyebur128 (libebur128 1.2.6): I, LRA, true peak, on the array read with soundfile;
* pyloudnorm: I only, on the array read with soundfile;
* ffmpeg ``ebur128=peak=true``: I, LRA, true peak, M/S (100 ms), reading the file itself.

Times are the best of ``BENCH_METER_REPEAT`` (default 2) runs; ratios are peer time /
producer time (> 1: producer is faster). Environment: ``BENCH_METER_MINUTES`` (10),
``BENCH_METER_LONG_HOURS`` (3; 0 skips the memory run), ``BENCH_DIR`` (cache folder).
"""

from __future__ import annotations

import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import scipy.signal
import soundfile as sf

from producer.analysis import loudness

RATE = 48000


def _cache() -> Path:
    folder = Path(os.environ.get("BENCH_DIR", Path(tempfile.gettempdir()) / "producer-bench"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _programme_minute(seed: int) -> np.ndarray:
    """One minute of programme-like stereo: band-limited noise with beats and level changes."""
    rng = np.random.default_rng(seed)
    n = 60 * RATE
    t = np.arange(n) / RATE
    sos = scipy.signal.butter(2, [40, 12000], btype="bandpass", fs=RATE, output="sos")
    x = scipy.signal.sosfilt(sos, rng.standard_normal((2, n)), axis=1)
    x[1] = 0.6 * x[1] + 0.4 * x[0]
    beats = 0.6 + 0.4 * np.exp(-((t * 2.0) % 1.0) * 8.0)  # 120 BPM transients
    section_db = np.repeat(rng.uniform(-14, 0, 8), n // 8 + 1)[:n]
    x *= beats * 10 ** (section_db / 20)
    x += 0.3 * np.sin(2 * np.pi * 110.0 * t) * beats
    return (0.25 * x / np.max(np.abs(x))).astype(np.float32)


def _write_programme(path: Path, minutes: float) -> Path:
    frames = round(minutes * 60 * RATE)
    if path.exists() and sf.info(str(path)).frames == frames:
        return path
    tmp = path.with_suffix(".partial.wav")
    minute = [_programme_minute(i) for i in range(3)]
    with sf.SoundFile(str(tmp), "w", RATE, 2, subtype="PCM_24", format="WAV") as f:
        written = 0
        i = 0
        while written < frames:
            block = minute[i % 3][:, : frames - written]
            f.write(block.T)
            written += block.shape[1]
            i += 1
    tmp.replace(path)
    return path


def _cpu_s() -> float:
    """CPU seconds (user + system) of this process and its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _best(fn: Callable[[], object], repeat: int) -> tuple[float, float, object]:
    """(best wall s, CPU s of that run, result): CPU time is the fair figure on a loaded box."""
    best = math.inf
    best_cpu = math.inf
    out: object = None
    for _ in range(repeat):
        cpu0 = _cpu_s()
        start = time.perf_counter()
        out = fn()
        wall = time.perf_counter() - start
        if wall < best:
            best, best_cpu = wall, _cpu_s() - cpu0
    return best, best_cpu, out


def _ffmpeg() -> str | None:
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg  # type: ignore[import-untyped]

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except Exception:
        return None


def _run_producer(path: Path) -> loudness.LoudnessReport:
    return loudness.measure_file(path)


class _UnprunedMeter(loudness.Meter):
    """The meter interpolating every chunk: its cost on a dense master, where no chunk can be
    skipped (the pruning is exact, so the values are the same)."""

    def reset(self) -> None:
        super().reset()
        for state in self._state:
            state.peak._candidates._gain = math.inf


def _run_producer_unpruned(path: Path) -> loudness.LoudnessReport:
    original = loudness.Meter
    loudness.Meter = _UnprunedMeter  # type: ignore[misc]
    try:
        return loudness.measure_file(path)
    finally:
        loudness.Meter = original  # type: ignore[misc]


def _run_cli(path: Path) -> str:
    exe = Path(sys.executable).with_name("producer")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "producer"]
    done = subprocess.run([*cmd, "meter", "--json", str(path)], capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(done.stderr)
    return done.stdout


def _run_pyebur128(path: Path) -> tuple[float, float, float]:
    import pyebur128

    data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    mode = (
        pyebur128.MeasurementMode.MODE_I
        | pyebur128.MeasurementMode.MODE_LRA
        | pyebur128.MeasurementMode.MODE_TRUE_PEAK
    )
    state = pyebur128.R128State(data.shape[1], rate, mode)
    state.add_frames(np.ascontiguousarray(data).ravel(), data.shape[0])
    peak = max(pyebur128.get_true_peak(state, c) for c in range(data.shape[1]))
    return (
        pyebur128.get_loudness_global(state),
        pyebur128.get_loudness_range(state),
        20 * math.log10(peak),
    )


def _run_pyloudnorm(path: Path) -> float:
    import pyloudnorm

    data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    return float(pyloudnorm.Meter(rate).integrated_loudness(data))


def _run_ffmpeg(exe: str, path: Path) -> str:
    done = subprocess.run(
        [
            exe,
            "-hide_banner",
            "-nostats",
            "-i",
            str(path),
            "-filter_complex",
            "ebur128=peak=true",
            "-f",
            "null",
            "-",
        ],
        capture_output=True,
        text=True,
    )
    summary = done.stderr[done.stderr.rfind("Summary:") :]
    return " ".join(summary.split())


_MEMORY_CHILD = """
import sys
from producer.analysis import loudness
r = loudness.measure_file(sys.argv[1])
print(r.integrated_lufs, r.loudness_range_lu, r.true_peak_dbtp, r.duration_s)
status = open("/proc/self/status").read().split("VmHWM:")[1]
print(int(status.split()[0]))
"""


def _peak_memory_mb(path: Path) -> tuple[float, float, str]:
    """(peak RSS in MB of a child measuring ``path``, wall time s, its result line).

    Read from the child's /proc VmHWM: getrusage's ru_maxrss survives exec on Linux, so a
    child forked from this (large) process would report the parent's peak.
    """
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _MEMORY_CHILD, str(path)], capture_output=True, text=True
    )
    wall = time.perf_counter() - start
    if done.returncode:
        raise RuntimeError(done.stderr)
    lines = done.stdout.splitlines()
    return int(lines[-1]) / 1024.0, wall, lines[0]


def main() -> None:
    minutes = float(os.environ.get("BENCH_METER_MINUTES", "10"))
    hours = float(os.environ.get("BENCH_METER_LONG_HOURS", "3"))
    repeat = int(os.environ.get("BENCH_METER_REPEAT", "2"))
    cache = _cache()
    path = _write_programme(cache / f"meter_{minutes:g}min.wav", minutes)
    seconds = minutes * 60
    print(f"programme: {path} ({minutes:g} min stereo {RATE} Hz PCM_24), best of {repeat}")

    load = os.getloadavg()[0]
    print(f"load average {load:.1f} on {os.cpu_count()} CPUs (wall times suffer when > CPUs)")
    ours_s, ours_cpu, report = _best(lambda: _run_producer(path), repeat)
    assert isinstance(report, loudness.LoudnessReport)
    rows: list[tuple[str, float, float, str]] = [
        (
            "producer measure_file (I, LRA, M/S max+series, TP, SP)",
            ours_s,
            ours_cpu,
            f"I {report.integrated_lufs:.2f} LRA {report.loudness_range_lu:.2f} "
            f"TP {report.true_peak_dbtp:.2f} maxM {report.momentary_max_lufs:.2f} "
            f"maxS {report.short_term_max_lufs:.2f}",
        )
    ]
    t, c, unpruned = _best(lambda: _run_producer_unpruned(path), repeat)
    assert isinstance(unpruned, loudness.LoudnessReport)
    assert unpruned.true_peak_dbtp == report.true_peak_dbtp
    rows.append(("producer, every true-peak chunk (dense-master cost)", t, c, "same values"))
    cli_t, cli_c, _ = _best(lambda: _run_cli(path), repeat)
    rows.append(("producer meter --json (process)", cli_t, cli_c, "same values"))
    try:
        t, c, (i, lra, tp) = _best(lambda: _run_pyebur128(path), repeat)  # type: ignore[misc]
        rows.append(("pyebur128 (I, LRA, TP)", t, c, f"I {i:.2f} LRA {lra:.2f} TP {tp:.2f}"))
    except ImportError:
        print("pyebur128 not installed: skipped")
    try:
        t, c, i_pln = _best(lambda: _run_pyloudnorm(path), repeat)
        rows.append(("pyloudnorm (I only)", t, c, f"I {i_pln:.2f}"))
    except ImportError:
        print("pyloudnorm not installed: skipped")
    exe = _ffmpeg()
    ffmpeg_times = None
    if exe:
        t, c, summary = _best(lambda: _run_ffmpeg(exe, path), repeat)
        rows.append(("ffmpeg ebur128=peak=true (I, LRA, TP)", t, c, str(summary)[:100]))
        ffmpeg_times = (t, c)
    else:
        print("ffmpeg not found (PATH or imageio-ffmpeg): skipped")

    print(f"{'':55} {'wall s':>7} {'x rt':>5} {'peer/ours':>9} {'CPU s':>6} {'peer/ours':>9}")
    for name, t, c, values in rows:
        print(
            f"{name:55} {t:7.3f} {seconds / t:5.0f} {t / ours_s:9.2f} {c:6.2f} "
            f"{c / ours_cpu:9.2f}   {values}"
        )

    if ffmpeg_times is not None:
        print(
            f"ffmpeg ebur128 / producer meter --json, both whole processes: wall "
            f"{ffmpeg_times[0] / cli_t:.2f}x, CPU {ffmpeg_times[1] / cli_c:.2f}x "
            f"(goal: wall >= 1.5x)"
        )

    if hours > 0:
        long_path = _write_programme(cache / f"meter_{hours:g}h.wav", hours * 60)
        baseline_mb, _, _ = _peak_memory_mb(path)
        peak_mb, wall, line = _peak_memory_mb(long_path)
        print(
            f"{hours:g} h stereo {RATE} Hz file ({long_path.stat().st_size / 1e9:.2f} GB): "
            f"peak RSS {peak_mb:.0f} MB (same child on the {minutes:g} min file: "
            f"{baseline_mb:.0f} MB), {wall:.1f} s = {hours * 3600 / wall:.0f}x real time; "
            f"limit 300 MB: {'OK' if peak_mb < 300 else 'EXCEEDED'}; result {line}"
        )


if __name__ == "__main__":
    main()
