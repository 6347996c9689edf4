"""Start-up of ``producer mix``, ``master`` and ``meter`` (issue 10: together at most 0.3 s).

Two measures, each the median of ``BENCH_STARTUP_REPEAT`` (default 7) fresh processes, with
bytecode caching on (as a user's install runs after its first start; the benchmark warms the
cache first):

* imports: CPU and wall time of importing the modules behind each command (the CLI, which
  registers every command, and the command's workflow), measured inside the process after
  the interpreter is up; and of all three together (their union: what the goal counts);
* whole process: ``producer <command> --help``, wall and CPU, against ``python -c pass``.

A load average above the CPU count makes wall times meaningless: compare CPU times then.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

COMMANDS = {
    "mix": ["producer.workflows.mix"],
    "master": ["producer.workflows.master"],
    "meter": ["producer.workflows.meter"],
}
GOAL_S = 0.3

_IMPORTS = """
import time
c0, w0 = time.process_time(), time.perf_counter()
import producer.cli.app
{imports}
print(time.process_time() - c0, time.perf_counter() - w0)
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # a user's Python caches bytecode
    return env


def _imports(modules: list[str], repeat: int) -> tuple[float, float]:
    """Median (CPU, wall) seconds of importing the CLI and ``modules`` in a fresh process."""
    code = _IMPORTS.format(imports="\n".join(f"import {m}" for m in modules))
    cpu, wall = [], []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=_env()
        )
        c, w = (float(v) for v in out.stdout.split())
        cpu.append(c)
        wall.append(w)
    return statistics.median(cpu), statistics.median(wall)


def _process(cmd: list[str], repeat: int) -> tuple[float, float]:
    """Median (CPU, wall) seconds of running ``cmd`` as a whole process."""
    cpu, wall = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, env=_env())
        _, status, ru = os.wait4(proc.pid, 0)
        wall.append(time.perf_counter() - t0)
        cpu.append(ru.ru_utime + ru.ru_stime)
        if status:
            raise RuntimeError(f"{cmd} failed ({status})")
    return statistics.median(cpu), statistics.median(wall)


def main() -> None:
    repeat = int(os.environ.get("BENCH_STARTUP_REPEAT", "7"))
    every = [m for mods in COMMANDS.values() for m in mods]
    _imports(every, 1)  # writes the bytecode caches
    one, five, _ = os.getloadavg()
    print(f"load average {one:.2f} {five:.2f} on {os.cpu_count()} CPUs; median of {repeat}")
    print(f"  {'imports behind':28s} {'CPU s':>7s} {'wall s':>7s}")
    for name, mods in COMMANDS.items():
        c, w = _imports(mods, repeat)
        print(f"  {'producer ' + name:28s} {c:7.3f} {w:7.3f}")
    c, w = _imports(every, repeat)
    verdict = "ok" if c <= GOAL_S else "over"
    print(f"  {'mix + master + meter':28s} {c:7.3f} {w:7.3f}  goal <= {GOAL_S} s (CPU): {verdict}")
    base_c, base_w = _process([sys.executable, "-c", "pass"], repeat)
    script = Path(sys.executable).parent / "producer"
    cli = [str(script)] if script.exists() else [sys.executable, "-m", "producer"]
    print(f"  {'whole process':28s} {'CPU s':>7s} {'wall s':>7s}")
    print(f"  {'python -c pass':28s} {base_c:7.3f} {base_w:7.3f}")
    for name in COMMANDS:
        c, w = _process([*cli, name, "--help"], repeat)
        print(f"  {'producer ' + name + ' --help':28s} {c:7.3f} {w:7.3f}")


if __name__ == "__main__":
    main()
