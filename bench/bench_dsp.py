"""Effect units: producer's catalog units against the bare pedalboard plugins, in one run.

Each unit processes 20 s of stereo noise at 48 kHz (best of 5 runs) in blocks (4096 frames, and 64 frames as
when the engine automates a parameter). Peers: the same pedalboard plugin called directly
(``reset=False``), and for the compressor pedalboard's JUCE Compressor (no sidechain) — our
vectorised sidechain compressor should cost about as much. Prints seconds and ratios.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pedalboard

from producer.audio import Audio
from producer.dsp import catalog

SR = 48000
SECONDS = 20
REPEATS = 5


def _signal() -> Audio:
    rng = np.random.default_rng(0)
    return (rng.standard_normal((2, SR * SECONDS)) * 0.2).astype(np.float32)


def _time(process: Callable[[Audio], Any], x: Audio, block: int) -> float:
    start = time.perf_counter()
    for i in range(0, x.shape[1], block):
        process(x[:, i : i + block])
    return time.perf_counter() - start


def _ours(kind: str, params: dict[str, Any], block: int) -> Callable[[Audio], Any]:
    return catalog.create(kind, params, SR, 2, block).process


def _theirs(plugin: Any) -> Callable[[Audio], Any]:
    return lambda a: plugin.process(a, SR, reset=False)


CASES: list[tuple[str, dict[str, Any], Callable[[], Any]]] = [
    ("gain", {"gain_db": -3.0}, lambda: pedalboard.Gain(-3.0)),
    ("highpass", {"order": 1, "cutoff_frequency_hz": 80.0}, lambda: pedalboard.HighpassFilter(80)),
    ("highpass", {"cutoff_frequency_hz": 80.0}, lambda: pedalboard.HighpassFilter(80)),
    ("peak", {"gain_db": 3.0}, lambda: pedalboard.PeakFilter(1000, 3.0, 1.0)),
    (
        "eq",
        {"band1_gain_db": 2.0, "band2_gain_db": -3.0, "band3_gain_db": 2.0, "band4_gain_db": 1.0},
        lambda: pedalboard.Pedalboard(
            [
                pedalboard.LowShelfFilter(100, 2.0),
                pedalboard.PeakFilter(400, -3.0),
                pedalboard.PeakFilter(2500, 2.0),
                pedalboard.HighShelfFilter(8000, 1.0),
            ]
        ),
    ),
    (
        "compressor",
        {"threshold_db": -20.0, "ratio": 4.0},
        lambda: pedalboard.Compressor(-20.0, 4.0, 10.0, 100.0),
    ),
    ("gate", {"threshold_db": -20.0}, lambda: pedalboard.NoiseGate(-20.0, 10.0, 1.0, 100.0)),
    ("limiter", {"ceiling_db": -1.0}, lambda: pedalboard.BrickwallLimiter(-1.0)),
    ("delay", {"delay_seconds": 0.25, "feedback": 0.3}, lambda: pedalboard.Delay(0.25, 0.3)),
    ("reverb", {}, lambda: pedalboard.Reverb()),
]


def main() -> None:
    x = _signal()
    print(
        f"{SECONDS} s stereo at {SR} Hz; seconds per run (best of {REPEATS}); "
        "ratio = producer / pedalboard"
    )
    print(f"{'unit':44s} {'block':>6s} {'producer':>9s} {'pedalboard':>11s} {'ratio':>6s}")
    for kind, params, make in CASES:
        label = kind + (" " + ",".join(f"{k}={v}" for k, v in params.items()) if params else "")
        for block in (4096, 64):
            if block == 64 and kind not in ("compressor", "eq", "gain", "highpass"):
                continue
            # Best of REPEATS, alternating the two: the machine is shared, take the quiet runs.
            ours = theirs = float("inf")
            for _ in range(REPEATS):
                ours = min(ours, _time(_ours(kind, params, block), x, block))
                theirs = min(theirs, _time(_theirs(make()), x, block))
            print(f"{label[:44]:44s} {block:6d} {ours:9.3f} {theirs:11.3f} {ours / theirs:6.2f}")
    # The per-track chain of the mix benchmark (bench_mix): high-pass, peak, compressor.
    chain = [
        ("highpass", {"cutoff_frequency_hz": 80.0, "order": 1}),
        ("peak", {"cutoff_frequency_hz": 1000.0, "gain_db": 2.0, "q": 1.0}),
        ("compressor", {"threshold_db": -20.0, "ratio": 3.0}),
    ]
    ours = theirs = float("inf")
    for _ in range(REPEATS):
        units = [catalog.create(k, p, SR, 2, 4096) for k, p in chain]

        def run(a: Audio, units: list[catalog.Effect] = units) -> Audio:
            for u in units:
                a = u.process(a)
            return a

        ours = min(ours, _time(run, x, 4096))
        board = pedalboard.Pedalboard(
            [
                pedalboard.HighpassFilter(80.0),
                pedalboard.PeakFilter(1000.0, 2.0, 1.0),
                pedalboard.Compressor(-20.0, 3.0, 10.0, 100.0),
            ]
        )
        theirs = min(theirs, _time(_theirs(board), x, 4096))
    label = "chain highpass(order=1)+peak+compressor"
    print(f"{label:44s} {4096:6d} {ours:9.3f} {theirs:11.3f} {ours / theirs:6.2f}")


if __name__ == "__main__":
    main()
