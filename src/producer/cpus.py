"""How many CPUs this process may keep busy: the one knob behind producer's own thread pools.

The engine's render threads and the meter's channel threads default to this number, so a
process that shares the machine with others (a batch worker: ``workers × threads ≤ cores``)
sets it once and every pool of producer follows. Stdlib only.

``PRODUCER_THREADS=N`` in the environment sets it (batch workers set it for each task, users
may set it too); otherwise it is the number of CPUs the process is allowed to run on (its
affinity mask, which ``taskset`` and container limits narrow), not the machine's count.
"""

from __future__ import annotations

import os

#: The environment variable that sets the budget.
ENV = "PRODUCER_THREADS"


def machine() -> int:
    """CPUs this process may run on (its affinity mask where the platform has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def available() -> int:
    """The CPU budget of this process: ``PRODUCER_THREADS`` when set to a whole number ≥ 1,
    else :func:`machine`. A malformed value is ignored rather than failing deep in a render."""
    value = os.environ.get(ENV, "").strip()
    if value.isdigit() and int(value) >= 1:
        return int(value)
    return machine()


__all__ = ["ENV", "available", "machine"]
