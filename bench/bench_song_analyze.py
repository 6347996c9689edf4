"""First-run speed of `producer song analyze` (issue 16: 19.4 s the first time, 3.8 s after).

librosa's numba functions compile on first use; `make install` builds their cache
(``python -m producer.workflows.warmup``). `python -m bench song_analyze` runs it alone. Each row is a whole process, timed by its CPU time
(user + sys, from the kernel's rusage of the child: wall time is noise on a shared machine),
with a fresh, empty numba cache folder per scenario (as a new venv has):

* the estimate as producer made it before (librosa.beat.beat_track + chroma_cqt), first run;
* `producer song analyze` on a fresh cache (what a user gets without the install step);
* the install step itself; then `producer song analyze`'s first run after it, and a second.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

TESTDATA = Path(__file__).resolve().parents[2] / "shared" / "testdata"
FILE = TESTDATA / "multitrack" / "musdb18-7-sample" / "decoded" / "mixture.wav"  # 6.8 s
BIN = Path(sys.executable).parent

OLD_WAY = """
import sys, numpy as np, soundfile as sf, librosa
y, sr = sf.read(sys.argv[1], dtype="float32")
y = librosa.resample(y.mean(axis=1), orig_sr=sr, target_sr=22050, res_type="soxr_hq")
librosa.beat.beat_track(y=y, sr=22050)
librosa.feature.chroma_cqt(y=y, sr=22050)
"""


def _cpu(cmd: list[str], cache: Path) -> float:
    """CPU seconds (user + sys) of the process ``cmd`` with numba's cache in ``cache``."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    if not FILE.exists():
        print(f"skipped: {FILE} not found")
        return
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        project = base / "p"
        producer = str(BIN / "producer")
        subprocess.run([producer, "new", str(project), "--title", "T", "--artist", "A"],
                       check=True, capture_output=True)  # fmt: skip
        subprocess.run([producer, "-C", str(project), "song", "add", "S"],
                       check=True, capture_output=True)  # fmt: skip
        analyze = [producer, "-C", str(project), "song", "analyze", "s", str(FILE)]
        old = _cpu([sys.executable, "-c", OLD_WAY, str(FILE)], base / "cache-old")
        cold = _cpu(analyze, base / "cache-cold")
        warm_up = _cpu([sys.executable, "-m", "producer.workflows.warmup"], base / "cache-inst")
        first = _cpu(analyze, base / "cache-inst")
        second = _cpu(analyze, base / "cache-inst")
    rows = [
        ("before: beat_track + chroma_cqt, fresh cache", old),
        ("song analyze, fresh cache, no install step", cold),
        ("install step (python -m producer.workflows.warmup)", warm_up),
        ("song analyze, first run after install", first),
        ("song analyze, second run", second),
    ]
    print(f"{FILE.name} ({FILE.stat().st_size / 1e6:.1f} MB, 6.8 s): CPU seconds per process")
    for name, secs in rows:
        print(
            f"  {name:<52} {secs:6.2f} s  ratio to the first run after install {secs / first:5.2f}"
        )


if __name__ == "__main__":
    main()
