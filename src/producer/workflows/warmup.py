"""Build librosa's compiled-code cache once, at install time: ``python -m producer.workflows.warmup``.

librosa's signal functions are numba code, compiled to machine code the first time a process
uses them, and kept in numba's cache (``cache=True``: ``__pycache__`` beside librosa's
sources, or ``NUMBA_CACHE_DIR``). On a fresh install that first use costs ~20 s of CPU, which
the first `producer song analyze` (or `take review`) of a new user would pay; `make install`
runs this module right after installing instead, so that their first run costs what every
later one does. It runs producer's own analyses (tempo and key, a take review) on a few
seconds of synthetic sound, so the cache holds exactly the functions and signatures they use.
"""

from __future__ import annotations

import time

import numpy as np


def warm() -> float:
    """Run the analyses that use librosa once; returns the CPU seconds it took."""
    from producer.preproduction.analyze import estimate
    from producer.tracking.review import review_take

    t0 = time.process_time()
    rate = 48000
    t = np.arange(3 * rate) / rate
    # A plucked A3 every half second: onsets, a pitch, a key.
    env = np.exp(-6.0 * (t % 0.5))
    tone = (0.3 * env * np.sin(2 * np.pi * 220.0 * t)).astype(np.float32)
    estimate(np.stack([tone, tone]), rate)
    review_take(tone[np.newaxis, : 2 * rate], rate)
    return time.process_time() - t0


def main() -> None:
    seconds = warm()
    print(f"librosa's compiled code is cached ({seconds:.1f} s CPU)")


if __name__ == "__main__":
    main()


__all__ = ["main", "warm"]
