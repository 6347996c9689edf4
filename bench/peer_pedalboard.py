"""The peer of ``producer mix`` in the benchmark: what a user writes with pedalboard alone.

Run as a process, like ``producer mix``: ``python bench/peer_pedalboard.py SESSION.json OUT.wav``.
The session file lists the tracks (file, gain_db, pan, send bus and level) and the buses; the
script reads every file whole (soundfile), runs each track's board (high-pass, peak EQ,
compressor) on ``threads`` threads, pans (constant power for mono, balance for stereo, the
engine's laws), sums the mix and the sends, runs the bus reverbs in parallel (they are
independent), then the master compressor and limiter, and writes 24-bit WAV.
"""

from __future__ import annotations

import json
import math
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pedalboard as pb
import soundfile as sf


def _pan(y: np.ndarray, pan: float, gain: float) -> np.ndarray:
    if y.shape[0] == 1:
        angle = (pan + 1.0) * math.pi / 4.0
        g = np.array([[math.cos(angle)], [math.sin(angle)]], dtype=np.float32)
    else:
        g = np.array([[1.0 - pan if pan > 0 else 1.0], [1.0 + pan if pan < 0 else 1.0]], np.float32)
    return np.asarray(y * (g * np.float32(gain)), dtype=np.float32)


def main(session_path: str, out: str) -> None:
    session: dict[str, Any] = json.loads(Path(session_path).read_text())
    rate = int(session["rate"])
    threads = int(session.get("threads", 2))

    def track(t: dict[str, Any]) -> tuple[dict[str, Any], np.ndarray]:
        x, _ = sf.read(t["path"], dtype="float32", always_2d=True)
        board = pb.Pedalboard(
            [
                pb.HighpassFilter(cutoff_frequency_hz=80.0),
                pb.PeakFilter(cutoff_frequency_hz=1000.0, gain_db=2.0, q=1.0),
                pb.Compressor(threshold_db=-20.0, ratio=3.0),
            ]
        )
        y = board(x.T, rate)
        return t, _pan(y, float(t["pan"]), 10 ** (float(t["gain_db"]) / 20.0))

    mix: np.ndarray | None = None
    sends: dict[str, np.ndarray] = {}
    with ThreadPoolExecutor(threads) as pool:
        for t, y in pool.map(track, session["tracks"]):
            mix = y if mix is None else mix + y
            if t.get("send"):
                s = y * np.float32(10 ** (float(t["send_db"]) / 20.0))
                sends[t["send"]] = s if t["send"] not in sends else sends[t["send"]] + s

        def bus(item: tuple[str, np.ndarray]) -> np.ndarray:
            verb = pb.Pedalboard([pb.Reverb(room_size=0.6, wet_level=0.5, dry_level=0.0)])
            return np.asarray(verb(item[1], rate), dtype=np.float32)

        for wet in pool.map(bus, sorted(sends.items())):
            mix = wet if mix is None else mix + wet
    assert mix is not None
    master = pb.Pedalboard(
        [pb.Compressor(threshold_db=-12.0, ratio=2.0), pb.BrickwallLimiter(ceiling_db=-1.0)]
    )
    sf.write(out, master(mix, rate).T, rate, subtype="PCM_24")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
