"""Extra-ear benchmark (issue 13): ``producer analyze`` of a 4-minute song with 16 stems against
the engine's render of the same song, all three as processes, the way users run them.

The song is bench_mix's bus session cut to ``BENCH_ANALYZE_TRACKS`` (16) stereo 16-bit tracks
of ``BENCH_ANALYZE_MINUTES`` (4) minutes at 48 kHz: each track high-pass + peak EQ +
compressor and a send into one of two reverb buses, master compressor + limiter; track 0 is
called "Lead Vocal" so the vocal balance runs too. A project made once into a cache folder
(``BENCH_DIR``). Rows, each the median of ``BENCH_ANALYZE_REPEAT`` (default 3) interleaved
rounds of a fresh process (start-up included), in wall and CPU seconds (user + sys) and peak
RSS:

* ``producer mix SONG``: the render (the mix to a 24-bit WAV);
* ``producer mix SONG --stems DIR``: the same with every track's stem written too;
* ``producer analyze SONG --json``: the same engine pass whose sinks are the analysis (nothing
  written), then every check (masking, alignment, tempo/key, ...).

The goal of the issue: analyze < render + 10 s on this 2-core machine. On a shared, loaded
machine compare the CPU seconds (wall time counts everyone else's work too).
"""

from __future__ import annotations

import os
import statistics
import tempfile
from dataclasses import replace
from pathlib import Path

from bench import bench_mix as b


def main() -> None:
    minutes = float(os.environ.get("BENCH_ANALYZE_MINUTES", "4"))
    ntracks = int(os.environ.get("BENCH_ANALYZE_TRACKS", "16"))
    repeat = int(os.environ.get("BENCH_ANALYZE_REPEAT", "3"))
    cache = Path(os.environ.get("BENCH_DIR") or Path(tempfile.gettempdir()) / "producer-bench-mix")
    cache.mkdir(parents=True, exist_ok=True)
    project, refs = b._project(cache / "analyze", [2] * ntracks, minutes * 60, "PCM_16")
    song = replace(b._bus_song(refs, effects=True), title="analyze", slug="analyze")
    song = replace(song, tracks=(replace(song.tracks[0], name="Lead Vocal"), *song.tracks[1:]))
    b._put(project, song)
    out = cache / "analyze-out"
    out.mkdir(exist_ok=True)
    cli = [*b._producer_cli(), "-C", str(project.root)]
    print(f"song: {ntracks} stereo tracks × {minutes:g} min, 48 kHz, bench_mix's bus session")
    print(f"before: {b._load()}")
    runs = b._rounds(
        {
            "mix (render)": [*cli, "mix", "analyze", "-o", str(out / "mix.wav")],
            "mix --stems": [*cli, "mix", "analyze", "-o", str(out / "mix.wav"), "--stems",
                            str(out / "stems")],
            "analyze --json": [*cli, "analyze", "analyze", "--json"],
        },
        repeat,
    )  # fmt: skip
    print(f"after: {b._load()}")
    print(f"processes, median of {repeat} interleaved rounds")
    print(f"  {'':20s} {'wall s':>8s} {'CPU s':>8s} {'peak RSS MB':>12s}")
    med: dict[str, tuple[float, float]] = {}
    for name, rs in runs.items():
        wall = statistics.median(r.wall for r in rs)
        cpu = statistics.median(r.cpu for r in rs)
        med[name] = (wall, cpu)
        print(f"  {name:20s} {wall:8.2f} {cpu:8.2f} {max(r.rss_mb for r in rs):12.0f}")
    for ref in ("mix (render)", "mix --stems"):
        dw = med["analyze --json"][0] - med[ref][0]
        dc = med["analyze --json"][1] - med[ref][1]
        print(
            f"analyze − {ref}: {dw:+.2f} s wall, {dc:+.2f} s CPU (goal: under +10 s; "
            "judge by CPU on a loaded machine)"
        )
    for f in out.rglob("*.wav"):
        f.unlink()


if __name__ == "__main__":
    main()
