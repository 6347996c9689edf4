"""glibc's allocator as producer's block-by-block processing wants it. Stdlib only.

The engine, the mastering chain and the meter allocate and free arrays of a few hundred kB for
every block. glibc hands such memory back to the system (chunks over its mmap threshold are
unmapped, the top of a heap is trimmed), and the next block faults every page in again. Its
*dynamic* threshold learns to keep them, but only while nothing has set a threshold: Dask's
nanny starts each worker with ``MALLOC_TRIM_THRESHOLD_=65536``, which turns the learning off.
Measured here: a 16-track minute mixed took 75 000 page faults and 5 % more CPU; a 3-minute
master in a nanny's worker 1.5 million page faults and 6.3 s instead of 4.2 s. Fixed
thresholds at the dynamic one's ceiling keep the blocks in the heap in every process alike;
:func:`release` gives the free heap back between independent jobs (a batch worker's tasks).

A no-op where the C library is not glibc (nothing to tune there).
"""

from __future__ import annotations

import ctypes
import functools
import os
from typing import Any

# mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
#: glibc's ceiling for the mmap threshold on 64-bit machines (DEFAULT_MMAP_THRESHOLD_MAX).
MMAP_THRESHOLD = 32 << 20
#: Free heap kept before glibc trims it (the engine holds a few blocks per strip anyway).
TRIM_THRESHOLD = 256 << 20


@functools.cache
def _glibc() -> Any:
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return None
        return ctypes.CDLL(None)
    except (ValueError, OSError, AttributeError):  # not glibc (musl, macOS, Windows)
        return None


@functools.cache
def keep_freed_blocks() -> bool:
    """Set the thresholds (once per process); whether they were set."""
    libc = _glibc()
    if libc is None:
        return False
    libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    return True


def release() -> None:
    """Give the free heap back to the system (after a job, before the next one)."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


__all__ = ["MMAP_THRESHOLD", "TRIM_THRESHOLD", "keep_freed_blocks", "release"]
