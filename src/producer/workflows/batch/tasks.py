"""The task functions: what a worker runs for one input. One function per kind of batch.

A :class:`Task` is plain, picklable data (paths as strings), so the same call runs in a local
process pool or on a Dask worker on another machine. Each function calls the public use case
of its area (``workflows.master``, ``workflows.mix``, ``workflows.meter``) — nothing of
mastering or mixing is re-implemented here — and returns a JSON-ready :class:`dict`
(see :func:`_run`): never raises for a bad input, so the driver tells a bad input (reported,
not retried) from a dead worker (retried).

Before working, a task checks that the input it sees is the one the driver keyed (the same
content hash): a file changed since the batch started, or a worker that cannot see the input
(a folder not shared with that machine), is that input's error, named with the worker's host.
"""

from __future__ import annotations

import hashlib
import os
import resource
import select
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import producer
from producer import allocator, cpus
from producer.errors import NotFoundError, ProducerError, UserError

HASH_BLOCK = 1 << 20


@dataclass(frozen=True)
class Task:
    """One unit of work: an input (an audio file, or a song of a project) and what to make.

    ``out`` is, for ``master``, the folder (or the file) the master goes to; for ``mix``, the
    file the mix is written to; unused for ``meter``. ``key`` and ``input_sha256`` are set by
    the driver (:func:`keyed`); ``threads`` is this task's share of its machine's CPUs.
    """

    kind: str
    label: str
    path: str
    song: str = ""
    profile: str = ""
    out: str = ""
    file_format: str = "wav"
    bit_depth: str = "24"
    journal: str = ""
    input_sha256: str = ""
    key: str = ""
    threads: int = 1


def version() -> str:
    """producer's version: part of every task key (a new producer may master differently)."""
    return producer.__version__


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(HASH_BLOCK):
            h.update(block)
    return h.hexdigest()


def song_sha256(root: Path, slug: str) -> str:
    """Hash of what a song's mix is made of: its document (which holds the sha256 of every
    media file it plays, checked by ``Project.open``) and ``album.json`` (track number, album
    tags of the master)."""
    from producer.storage import Project

    project = Project.open(root)
    h = hashlib.sha256()
    h.update(project.document_text(None).encode("utf-8"))
    h.update(b"\0")
    h.update(project.document_text(slug).encode("utf-8"))
    return h.hexdigest()


def input_sha256(task: Task) -> str:
    """The content hash of the task's input, read now."""
    if task.song:
        return song_sha256(Path(task.path), task.song)
    return file_sha256(Path(task.path))


# ---------------------------------------------------------------- a local worker's lifetime

#: Exit status of a local worker whose driver died.
ORPHANED_EXIT = 75


def watch_driver(pid: int) -> None:
    """Initializer of a local pool's worker: exit as soon as the driver ``pid`` is gone.

    A ``kill -9`` of ``producer batch`` leaves its workers waiting on a queue nobody writes
    to any more (each holds both ends of it, so they never see end-of-file), and with them
    the fork server. A thread per worker waits on a pidfd of the driver (readable when it
    exits; Linux ≥ 5.3) or polls it once a second elsewhere, and ends the worker; a task it
    was running leaves at most a ``.partial`` file, swept by the next run.
    """

    def watch() -> None:
        try:
            fd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            fd = -1
        if fd >= 0:
            select.select([fd], [], [])
        else:
            while True:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                except PermissionError:
                    pass
                time.sleep(1.0)
        os._exit(ORPHANED_EXIT)

    threading.Thread(target=watch, name="batch-driver-watch", daemon=True).start()


# ---------------------------------------------------------------- running one task

_threads_set: int | None = None


_threads_seen: dict[str, int] = {}


def _limit_threads(n: int) -> dict[str, int]:
    """This process's thread budget: BLAS/OpenMP pools (threadpoolctl) and producer's own
    (engine, meter: :mod:`producer.cpus`). Set once per worker process and value; returns
    what is in force, read back (``producer`` and the largest native pool, ``native``)."""
    global _threads_set
    if _threads_set != n:
        from threadpoolctl import threadpool_info, threadpool_limits  # type: ignore[import-untyped]

        os.environ[cpus.ENV] = str(n)
        threadpool_limits(limits=n)
        _threads_set = n
        pools = [int(p.get("num_threads", 1)) for p in threadpool_info()]
        _threads_seen.clear()
        _threads_seen.update(producer=cpus.available(), native=max(pools, default=1))
    return dict(_threads_seen)


def _where() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux: the worker process's high-water mark so far.
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)


def _check_input(task: Task) -> None:
    """Raise when the input this worker sees is not the one the driver keyed."""
    p = Path(task.path)
    if not p.exists():
        raise NotFoundError(
            f"{task.path}: not found on worker {socket.gethostname()} "
            "(inputs must be on storage every worker sees)"
        )
    if input_sha256(task) != task.input_sha256:
        # Not the input's fault nor the machine's: neither final nor retried now.
        raise ProducerError(f"{task.label}: changed while the batch ran; run the batch again")


def _outputs(paths: list[Path]) -> list[dict[str, Any]]:
    return [
        {"path": str(p), "bytes": p.stat().st_size, "sha256": file_sha256(p)}
        for p in paths
        if p.is_file()
    ]


def _run(task: Task, work: Callable[[Task], dict[str, Any]]) -> dict[str, Any]:
    """Run ``work`` for ``task`` and wrap what it returns (or the error it raised).

    The result: ``status`` "done" or "failed"; ``outputs`` (path, bytes, sha256);
    ``figures``; ``passed`` (the verdict, None when a kind has none); ``problems``;
    ``error``; ``retryable`` (an error of the machine, not of the input: a rerun or another
    worker may succeed); ``final`` (the input's own fault: the same task fails the same
    way); ``worker``, ``seconds``, ``cpu_seconds``, ``peak_rss_mb``, ``threads`` (in force),
    ``version`` (the worker's producer: the key holds the driver's).
    """
    threads = _limit_threads(task.threads)
    # Dask's nanny starts workers with a malloc setting that makes a master task ~1.5x slower
    # (page faults on every block): set producer's thresholds whatever the worker came with.
    allocator.keep_freed_blocks()
    t0, c0 = time.perf_counter(), time.process_time()
    result: dict[str, Any] = {"status": "done", "error": None, "retryable": False}
    try:
        _check_input(task)
        result.update(work(task))
    except NotFoundError as exc:
        # Not found on this worker while the driver saw it: another worker may see it.
        result.update(status="failed", error=exc.message, retryable=True)
    except UserError as exc:
        # The input's own fault (corrupt, silent, not audio): the same input, profile and
        # producer give the same answer, so a rerun reports it without running it again.
        result.update(status="failed", error=exc.message, final=True)
    except ProducerError as exc:
        result.update(status="failed", error=exc.message)
    except OSError as exc:  # a full disk, a lost mount: the machine's fault, worth a retry
        name = f"{exc.filename}: " if exc.filename else ""
        result.update(status="failed", error=f"{name}{exc.strerror or exc}", retryable=True)
    except Exception as exc:  # a bug: reported as this input's error, the batch goes on
        result.update(status="failed", error=f"internal error: {type(exc).__name__}: {exc}")
    result.update(
        worker=_where(),
        seconds=round(time.perf_counter() - t0, 3),
        cpu_seconds=round(time.process_time() - c0, 3),
        peak_rss_mb=_peak_rss_mb(),
        threads=threads,
        version=version(),
    )
    allocator.release()  # what the task freed goes back to the system between tasks
    return result


# ---------------------------------------------------------------- the three kinds


#: The figures of a master's ``--json`` row kept per input (our meter, on the delivered file).
MASTER_FIGURES = (
    "integrated_lufs",
    "true_peak_dbtp",
    "loudness_range_lu",
    "sample_rate",
    "bit_depth",
    "gain_db",
    "limiter_max_gain_reduction_db",
)


def _master(task: Task) -> dict[str, Any]:
    from producer.workflows import master as master_wf

    out = Path(task.out)
    if task.song:
        delivered = master_wf.master_song(Path(task.path), task.song, task.profile, out)
    else:
        delivered = master_wf.master_file(Path(task.path), task.profile, out)
    paths: list[Path] = []
    for d in delivered:
        master = Path(d.row["path"])
        paths.append(master)
        for suffix in (".report.json", ".report.html"):
            report = master.with_name(master.stem + suffix)
            if report not in paths:
                paths.append(report)
    # The verdict is the master workflow's (requirement rows checked on the written files):
    # the first file that failed speaks for the input, else the first file.
    failing = [d for d in delivered if not d.passed]
    first = (failing or delivered)[0].row if delivered else {}
    figures = {k: first[k] for k in MASTER_FIGURES if k in first}
    problems = sorted({p for d in delivered for p in d.problems})
    return {
        "outputs": _outputs(paths),
        "figures": figures,
        "passed": all(d.passed for d in delivered),
        "verdict": first.get("verdict"),
        "problems": problems,
    }


def _measure(path: Path) -> dict[str, Any]:
    from producer.workflows import meter as meter_wf

    (m,) = meter_wf.meter_files([path])
    data = m.to_json()
    data.pop("path", None)
    return {"figures": data, "notes": [f"{k}: {v}" for k, v in m.reasons().items()]}


def _mix(task: Task) -> dict[str, Any]:
    from producer.workflows import mix as mix_wf

    out = Path(task.out)
    summary = mix_wf.render(
        Path(task.path),
        task.song,
        output=out,
        file_format=task.file_format,
        bit_depth=task.bit_depth,
        threads=task.threads,
    )
    measured = _measure(summary.path)
    measured["figures"]["peak_dbfs"] = _finite(summary.peak_dbfs)
    return {"outputs": _outputs([summary.path]), **measured}


def _finite(x: float) -> float | None:
    return round(x, 2) if x == x and abs(x) != float("inf") else None


def _meter(task: Task) -> dict[str, Any]:
    if not task.song:
        return _measure(Path(task.path))
    from producer.workflows import mix as mix_wf

    # A song is measured as its mix: rendered (32-bit float) to a temporary file, streamed.
    with tempfile.TemporaryDirectory(prefix="producer-batch-") as tmp:
        out = Path(tmp) / f"{task.song}.wav"
        mix_wf.render(
            Path(task.path),
            task.song,
            output=out,
            file_format="wav",
            bit_depth="32f",
            threads=task.threads,
        )
        return _measure(out)


def master_task(task: Task) -> dict[str, Any]:
    """Master one input (audio file or project song) to ``task.profile`` into ``task.out``."""
    return _run(task, _master)


def mix_task(task: Task) -> dict[str, Any]:
    """Render one project song's mix to ``task.out`` and measure it."""
    return _run(task, _mix)


def meter_task(task: Task) -> dict[str, Any]:
    """Measure one input (an audio file, or a song's mix) with our BS.1770-4 meter."""
    return _run(task, _meter)


TASKS: dict[str, Callable[[Task], dict[str, Any]]] = {
    "master": master_task,
    "mix": mix_task,
    "meter": meter_task,
}

__all__ = [
    "TASKS",
    "Task",
    "file_sha256",
    "input_sha256",
    "master_task",
    "meter_task",
    "mix_task",
    "song_sha256",
    "version",
    "watch_driver",
]
