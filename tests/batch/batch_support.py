"""Shared parts of the batch tests: real inputs cut from the shared test material, the
``producer`` command of this virtual environment run as a process, the journal, processes.

Inputs are short (2.5 s) excerpts of the MUSDB18 sample stems (real music) at different
offsets and gains, so twelve masters cost a few CPU-seconds; the corrupt input is one of the
fuzzer-found WAV headers libsndfile refuses (hound's ``fuzz/``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import soundfile as sf

BIN = Path(sys.executable).parent
PRODUCER = str(BIN / "producer")
STEMS = ("mixture", "drums", "bass", "other", "vocals", "mixture")
CORRUPT = "robustness/hound/fuzz/crash-b8447179832529c48f9c6bf17feab6337bbc78ea.wav"
SECONDS = 2.5


def make_inputs(testdata: Path, folder: Path, n: int = 12) -> list[Path]:
    """``n`` real 2.5 s stereo excerpts ``cNN.wav`` in ``folder`` (and nothing else)."""
    folder.mkdir(parents=True, exist_ok=True)
    base = testdata / "multitrack" / "musdb18-7-sample" / "decoded"
    paths: list[Path] = []
    cache: dict[str, tuple[np.ndarray, int]] = {}
    for k in range(n):
        stem = STEMS[k % len(STEMS)]
        if stem not in cache:
            data, rate = sf.read(base / f"{stem}.wav", dtype="float32", always_2d=True)
            cache[stem] = (data, rate)
        data, rate = cache[stem]
        start = (k // len(STEMS)) * rate + (k % 3) * rate // 2
        clip = data[start : start + int(SECONDS * rate)] * (0.5 + 0.04 * k)
        path = folder / f"c{k:02d}.wav"
        sf.write(path, clip, rate, subtype="PCM_16")
        paths.append(path)
    return paths


def add_corrupt(testdata: Path, folder: Path) -> Path:
    """A WAV that libsndfile refuses to open, among the inputs."""
    path = folder / "corrupt.wav"
    path.write_bytes((testdata / CORRUPT).read_bytes())
    return path


def env() -> dict[str, str]:
    """The environment of a ``producer`` process: this one's, without the xdist worker's."""
    e = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    e["PATH"] = f"{BIN}{os.pathsep}{e.get('PATH', '')}"
    return e


def run(*args: str | Path, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PRODUCER, *map(str, args)],
        cwd=cwd,
        env=env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start(*args: str | Path, cwd: Path, out: Path) -> subprocess.Popen[str]:
    """Start ``producer ...`` with its stdout going to the file ``out``."""
    return subprocess.Popen(
        [PRODUCER, *map(str, args)],
        cwd=cwd,
        env=env(),
        stdout=open(out, "w"),  # the child writes it; closed when the Popen is collected
        stderr=subprocess.PIPE,
        text=True,
    )


def journal_lines(folder: Path) -> list[dict[str, Any]]:
    path = folder / "batch.jsonl"
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


def wait_for_records(
    folder: Path, n: int, proc: subprocess.Popen[str], timeout: float, status: str = ""
) -> int:
    """Wait until the journal holds ``n`` records (of ``status``, when given) or the process
    ended; returns how many it holds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        count = sum(1 for r in journal_lines(folder) if not status or r["status"] == status)
        if count >= n or proc.poll() is not None:
            return count
        time.sleep(0.1)
    raise AssertionError(f"the journal of {folder} did not reach {n} records in {timeout} s")


def pool_workers(driver_pid: int) -> list[psutil.Process]:
    """The worker processes of a ``producer batch`` local pool (children of its fork server)."""
    driver = psutil.Process(driver_pid)
    workers: list[psutil.Process] = []
    for child in driver.children():
        try:
            if "forkserver" in " ".join(child.cmdline()):
                workers += child.children()
        except psutil.NoSuchProcess:
            continue
    return workers


def kill(proc: psutil.Process) -> None:
    os.kill(proc.pid, signal.SIGKILL)


def outputs_state(paths: list[str]) -> dict[str, tuple[int, int]]:
    """(inode, mtime_ns) of each file: a rewritten file (atomic rename) changes both."""
    state = {}
    for p in paths:
        st = os.stat(p)
        state[p] = (st.st_ino, st.st_mtime_ns)
    return state


def parse(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(result.stdout)
    except ValueError:
        raise AssertionError(f"not JSON: {result.stdout!r}\n{result.stderr}") from None
    return data


def assert_on_target(item: dict[str, Any], target: float = -14.0, ceiling: float = -1.0) -> None:
    """A master row is on target: measured again here, from the delivered file, with
    libebur128 (a second implementation of BS.1770) for the loudness and the true peak."""
    import pyebur128

    assert item["status"] in ("done", "skipped"), item
    assert item["passed"] is True, item
    wav = next(p for p in item["outputs"] if p.endswith(".wav"))
    data, rate = sf.read(wav, dtype="float64", always_2d=True)
    state = pyebur128.R128State(
        data.shape[1],
        rate,
        pyebur128.MeasurementMode.MODE_I | pyebur128.MeasurementMode.MODE_TRUE_PEAK,
    )
    state.add_frames(np.ascontiguousarray(data).ravel(), data.shape[0])
    integrated = pyebur128.get_loudness_global(state)
    peak = max(pyebur128.get_true_peak(state, c) for c in range(data.shape[1]))
    assert abs(integrated - target) <= 0.15, (wav, integrated)  # ±0.1 LU + the meters' spread
    assert 20 * np.log10(peak) <= ceiling + 0.1, (wav, peak)  # libebur128's 4x is looser
    assert abs(item["figures"]["integrated_lufs"] - target) <= 0.1, item


def descendants_gone(pids: list[int], timeout: float) -> list[int]:
    """The pids still alive after ``timeout`` seconds (zombies count as gone)."""
    end = time.monotonic() + timeout
    alive = list(pids)
    while alive and time.monotonic() < end:
        still = []
        for pid in alive:
            try:
                if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                    still.append(pid)
            except psutil.NoSuchProcess:
                continue
        alive = still
        if alive:
            time.sleep(0.2)
    return alive
