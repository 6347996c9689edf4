"""Timing whole processes: wall time, CPU time (user + system) and peak RSS of one child.

``os.wait4`` gives the child's own resource usage (``ru_maxrss`` of RUSAGE_CHILDREN would be
the largest of every child so far). Output goes to temporary files, not pipes, so that the
child can be reaped by ``wait4`` itself.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Run:
    wall_s: float
    cpu_s: float
    rss_mb: float
    code: int
    stdout: str
    stderr: str


def run(cmd: list[str], cwd: Path | None = None) -> Run:
    """Run ``cmd`` to its end; its wall time, CPU time and peak RSS."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(
            wall,
            usage.ru_utime + usage.ru_stime,
            usage.ru_maxrss / 1024.0,
            proc.returncode,
            out.read(),
            err.read(),
        )


def producer() -> list[str]:
    """The ``producer`` command of this interpreter's environment."""
    exe = Path(sys.executable).with_name("producer")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "producer"]


def ffmpeg() -> str | None:
    """An ffmpeg binary: the system's, else imageio-ffmpeg's."""
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg  # type: ignore[import-untyped]

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except Exception:
        return None


def load_note() -> str:
    load = os.getloadavg()[0]
    cpus = os.cpu_count() or 1
    busy = " - the machine is busy: judge by CPU time and same-run ratios" if load > cpus else ""
    return f"load average {load:.1f} on {cpus} CPUs{busy}"


__all__ = ["Run", "ffmpeg", "load_note", "producer", "run"]
