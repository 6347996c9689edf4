"""Timing whole processes: wall time, CPU time (user + system) and peak RSS of one child.

The child is started by a small helper process that reaps it with ``os.wait4`` and prints its
resource usage: on Linux a child's ``ru_maxrss`` starts from the memory of the process that
forked it (it survives exec), so forking from this benchmark, which holds generated audio,
would report the benchmark's size. The helper is a bare interpreter (about 10 MB: the floor
of every figure). Output goes to temporary files, not pipes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
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


_HELPER = """
import json, os, sys, time
start = time.perf_counter()
out = os.open(sys.argv[1], os.O_WRONLY)
err = os.open(sys.argv[2], os.O_WRONLY)
pid = os.posix_spawnp(sys.argv[3], sys.argv[3:], dict(os.environ), file_actions=[
    (os.POSIX_SPAWN_DUP2, out, 1), (os.POSIX_SPAWN_DUP2, err, 2)])
_, status, usage = os.wait4(pid, 0)
print(json.dumps([time.perf_counter() - start, usage.ru_utime + usage.ru_stime,
                  usage.ru_maxrss / 1024.0, os.waitstatus_to_exitcode(status)]))
"""


def run(cmd: list[str], cwd: Path | None = None) -> Run:
    """Run ``cmd`` to its end; its wall time, CPU time and peak RSS."""
    with tempfile.NamedTemporaryFile("w+") as out, tempfile.NamedTemporaryFile("w+") as err:
        helper = subprocess.run(
            [sys.executable, "-c", _HELPER, out.name, err.name, *cmd],
            capture_output=True,
            text=True,
            cwd=cwd,
            check=True,
        )
        wall, cpu, rss, code = json.loads(helper.stdout)
        out.seek(0)
        err.seek(0)
        return Run(wall, cpu, rss, int(code), out.read(), err.read())


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
