"""The task functions, called as a worker calls them: what is the input's fault (final), what
is the machine's (retried), and what a worker that cannot see the input says."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from producer.workflows.batch.tasks import Task, file_sha256, master_task, meter_task


def test_an_input_the_worker_cannot_see_is_retryable_and_names_the_host(tmp_path: Path) -> None:
    task = Task("meter", "far.wav", str(tmp_path / "far.wav"), input_sha256="0" * 64)
    result = meter_task(task)
    assert result["status"] == "failed" and result["retryable"] is True
    assert f"not found on worker {socket.gethostname()}" in result["error"]


def test_a_silent_input_is_the_inputs_own_fault(tmp_path: Path) -> None:
    path = tmp_path / "silence.wav"
    sf.write(path, np.zeros((44100, 2)), 44100)
    task = Task(
        "master", "silence.wav", str(path), profile="streaming", out=str(tmp_path / "out"),
        input_sha256=file_sha256(path),
    )  # fmt: skip
    result = master_task(task)
    assert result["status"] == "failed" and result.get("final") is True
    assert "silent" in result["error"] and not result["retryable"]
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_an_input_changed_since_it_was_keyed_is_not_processed(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    sf.write(path, np.full((4410, 1), 0.1), 44100)
    task = Task("meter", "a.wav", str(path), input_sha256=file_sha256(path), threads=1)
    assert meter_task(task)["status"] == "done"
    sf.write(path, np.full((4410, 1), 0.2), 44100)
    result = meter_task(task)
    assert result["status"] == "failed" and "changed while the batch ran" in result["error"]
    assert not result.get("final") and not result["retryable"]


class _ThreadEngine:
    """The engine interface over threads of this process (the runner's logic, no processes)."""

    name = "threads"
    slots = 1
    threads = 1

    def __init__(self) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.executor = ThreadPoolExecutor(max_workers=1)

    def describe(self) -> str:
        return "threads"

    def worker_died(self, exc: BaseException) -> bool:
        return False

    def broken(self, exc: BaseException) -> bool:
        return False

    def renew(self) -> None:
        return None

    def close(self) -> None:
        self.executor.shutdown()


def test_a_worker_with_another_producer_is_not_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from producer.workflows.batch import tasks as tasks_mod
    from producer.workflows.batch.runner import run_tasks

    path = tmp_path / "a.wav"
    sf.write(path, np.full((4410, 1), 0.1), 44100)
    task = Task(
        "meter", "a.wav", str(path), journal=str(tmp_path / "j"), input_sha256=file_sha256(path),
        key="k", threads=1,
    )  # fmt: skip
    monkeypatch.setattr(tasks_mod, "version", lambda: "0.0.0-other")
    engine = _ThreadEngine()
    try:
        (outcome,), _ = run_tasks([task], engine)
    finally:
        engine.close()
    assert outcome.status == "failed"
    assert "runs producer 0.0.0-other, this command" in str(outcome.error)
    monkeypatch.undo()
    engine = _ThreadEngine()
    try:
        (again,), _ = run_tasks([task], engine)  # not skipped: the failure was not final
    finally:
        engine.close()
    assert again.status == "done"


_FAULTS = """
import resource, sys
from pathlib import Path
from producer.workflows.batch.tasks import Task, file_sha256, master_task
path = Path(sys.argv[1])
task = Task("master", path.name, str(path), profile="streaming", out=sys.argv[2],
            input_sha256=file_sha256(path), threads=1)
assert master_task(task)["status"] == "done"  # the first task pays for imports and warm-up
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
assert master_task(task)["status"] == "done"
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def test_a_worker_started_by_a_dask_nanny_masters_without_faulting_every_block(
    tmp_path: Path, testdata: Path
) -> None:
    """Dask's nanny starts each worker with ``MALLOC_TRIM_THRESHOLD_=65536`` (its
    ``pre-spawn-environ``), which turns glibc's dynamic mmap threshold off: every buffer of the
    mastering chain over 128 KiB would be mapped and unmapped again, a page fault per 4 KiB
    (1.5 million and +2 s of system time for a 3-minute master, measured). A task in such a
    process faults about as often as in a default one."""
    import subprocess
    import sys

    mixture = testdata / "multitrack" / "musdb18-7-sample" / "decoded" / "mixture.wav"
    music, rate = sf.read(mixture, dtype="float32", always_2d=True)
    path = tmp_path / "song.wav"  # 20 s of real music
    sf.write(path, np.tile(music, (4, 1))[: 20 * rate], rate)

    def faults(name: str, env: dict[str, str]) -> int:
        base = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
        out = subprocess.run(
            [sys.executable, "-c", _FAULTS, str(path), str(tmp_path / name)],
            env={**base, **env}, capture_output=True, text=True, check=True,
        )  # fmt: skip
        return int(out.stdout.split()[-1])

    default = faults("default", {})
    nanny = faults("nanny", {"MALLOC_TRIM_THRESHOLD_": "65536"})
    assert nanny < 3 * default + 20000, (nanny, default)
