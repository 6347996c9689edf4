"""Extra-ear benchmark (issue 13): ``producer analyze`` of a 4-minute song with 16 stems against
the engine's render of the same song.

The session is bench_mix's full one (cached 48 kHz 16-bit sources, each track high-pass + EQ +
compressor, sends into two reverb buses, master compressor and limiter), cut to
``BENCH_ANALYZE_TRACKS`` tracks (16) of ``BENCH_ANALYZE_MINUTES`` (4); track 0 is called
"Lead Vocal" so the vocal balance runs too. Each run is a fresh child process (as a user runs
it), measured around the work and whole (imports included), in wall and CPU seconds
(user + sys of the child), with its peak RSS:

* render: the mix and every track's stem written to 24-bit WAV files (``producer mix --stems``);
* analyze: the same render whose sinks are the analysis (no file written), then every check —
  what ``producer analyze SONG`` does.

The goal of the issue: analyze < render + 10 s. On a shared machine compare the CPU seconds;
``BENCH_ANALYZE_REPEAT`` (default 1) runs each mode that many times and keeps the best.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

_CHILD = """
import json, os, resource, sys, time
t_start = time.perf_counter()
c_start = os.times()
from dataclasses import replace
from pathlib import Path
sys.path.insert(0, {bench!r})
from bench import bench_mix as b
from producer.engine import FileSink, compile_song, render_plan, track_id
from producer.workflows.mix import ProjectMedia
from producer.analysis import ear

root = Path({root!r})
paths = [Path(p) for p in {paths!r}]
song = b._song(paths, root, effects=True)
song = replace(song, tracks=(replace(song.tracks[0], name="Lead Vocal"), *song.tracks[1:]))
t0 = time.perf_counter(); c0 = os.times()
plan = compile_song(song, block_frames=32768)
source = ProjectMedia(root)
names = [t.name for t in song.tracks]
if {mode!r} == "render":
    out = Path({out!r})
    out.mkdir(exist_ok=True)
    sinks = {{track_id(n): FileSink(out / f"{{i:02d}}.wav", b.RATE, 2, "wav", "24") for i, n in enumerate(names)}}
    render_plan(plan, source, FileSink(out / "mix.wav", b.RATE, 2, "wav", "24"), sinks, threads=2)
    findings = 0
    checks_cpu = 0.0
else:
    listener = ear.Listener(b.RATE, 2, dict.fromkeys(names, 2), rest=names[1:], lead="Lead Vocal", expected_frames=plan.end_frame)
    mix, stems = listener.sinks()
    render_plan(plan, source, mix, {{track_id(n): s for n, s in stems.items()}}, threads=2)
    heard = listener.finish()
    c_pass = os.times()
    analysis = ear.analyse(heard, ear.Context(vocal="Lead Vocal", float_render=True))
    findings = len(analysis.findings)
    c_end = os.times()
    checks_cpu = (c_end.user - c_pass.user) + (c_end.system - c_pass.system)
source.close()
c1 = os.times()
work_wall = time.perf_counter() - t0
work_cpu = (c1.user - c0.user) + (c1.system - c0.system)
hwm = 0
for line in Path("/proc/self/status").read_text().splitlines():
    if line.startswith("VmHWM:"):
        hwm = int(line.split()[1])
print(json.dumps({{"wall": work_wall, "cpu": work_cpu, "rss_mb": hwm / 1024, "findings": findings, "checks_cpu": checks_cpu}}))
"""


def _run(mode: str, root: Path, paths: list[Path], out: Path) -> dict[str, float]:
    code = _CHILD.format(
        bench=str(Path(__file__).resolve().parents[1]),
        root=str(root),
        paths=[str(p) for p in paths],
        mode=mode,
        out=str(out),
    )
    before = os.times()
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    after = os.times()
    data: dict[str, float] = json.loads(res.stdout.strip().splitlines()[-1])
    data["process_cpu"] = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    data["process_wall"] = after.elapsed - before.elapsed
    return data


def main() -> None:
    from bench import bench_mix

    minutes = float(os.environ.get("BENCH_ANALYZE_MINUTES", "4"))
    ntracks = int(os.environ.get("BENCH_ANALYZE_TRACKS", "16"))
    repeat = int(os.environ.get("BENCH_ANALYZE_REPEAT", "1"))
    root = Path(os.environ.get("BENCH_DIR") or Path(tempfile.gettempdir()) / "producer-bench-mix")
    paths = bench_mix._make_sources(root / "media", ntracks, minutes)
    out = root / "analyze-out"
    print(f"song: {ntracks} tracks × {minutes:g} min, full session (bench_mix), 48 kHz")
    print(f"before: {bench_mix._load()}")
    best: dict[str, dict[str, float]] = {}
    for _ in range(repeat):
        for mode in ("render", "analyze"):
            r = _run(mode, root, paths, out)
            if mode not in best or r["cpu"] < best[mode]["cpu"]:
                best[mode] = r
    print(f"after: {bench_mix._load()}")
    print(
        f"{'run':44s} {'wall s':>8s} {'CPU s':>8s} {'process wall':>13s} {'process CPU':>12s} {'peak RSS':>9s}"
    )
    labels = {
        "render": "render: mix + 16 stems to WAV (engine)",
        "analyze": "analyze: same pass into the ear + all checks",
    }
    for mode, r in best.items():
        print(
            f"{labels[mode]:44s} {r['wall']:8.2f} {r['cpu']:8.2f} {r['process_wall']:13.2f} "
            f"{r['process_cpu']:12.2f} {r['rss_mb']:7.0f} MB"
        )
    ren, ana = best["render"], best["analyze"]
    print(
        f"findings: {int(ana['findings'])}; CPU of the checks after the pass (masking, tempo/key, "
        f"alignment ...): {ana['checks_cpu']:.2f} s"
    )
    print(
        f"analyze − render: {ana['wall'] - ren['wall']:+.2f} s wall, {ana['cpu'] - ren['cpu']:+.2f} s CPU "
        f"(goal: under +10 s); whole processes {ana['process_wall'] - ren['process_wall']:+.2f} s wall, "
        f"{ana['process_cpu'] - ren['process_cpu']:+.2f} s CPU"
    )
    for f in out.glob("*.wav"):
        f.unlink()


if __name__ == "__main__":
    main()
