"""Mastering to -14 LUFS / -1 dBTP: producer against its peers, all measured by one meter.

Peers, each given the same inputs (the eight varied inputs of the mastering acceptance tests,
here 10 s long) and the same goal (-14 LUFS integrated, true peak <= -1 dBTP):

* ``ffmpeg loudnorm x2``: ffmpeg's two-pass loudnorm (pass 1 measures, pass 2 applies with
  ``linear=true``), the binary shipped by imageio-ffmpeg, output resampled to the input rate.
* ``matchering``: matchering 2 against a reference (the MUSDB mixture mastered by producer to
  -14 LUFS), its default 16-bit 44.1 kHz output (only where matchering is installed).
* ``norm+pb.Limiter``: gain to -14 LUFS (libebur128), then pedalboard's ``Limiter`` at -1 dB.

Every output is measured with libebur128 (pyebur128) for loudness and LRA and an 8x scipy
polyphase interpolator for true peak — not with producer's own meter. Prints per tool: time,
mean and worst |loudness error|, share on target (±0.1 LU), worst true peak, mean LRA change.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pedalboard
import soundfile as sf

from producer.mastering import chain
from producer.mastering.profiles import get_profile

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "mastering"))
import refs  # noqa: E402  (the tests' signal generators and independent meters)

TARGET = -14.0
CEILING = -1.0
Audio = np.ndarray
Tool = Callable[[Audio, int, Path], tuple[Audio, int]]


def _producer(x: Audio, sr: int, tmp: Path) -> tuple[Audio, int]:
    prof = get_profile("streaming")
    r = chain.master(x, sr, prof)
    return r.audio, r.sample_rate


def _ffmpeg_exe() -> str | None:
    try:
        import imageio_ffmpeg

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except Exception:
        return None


def _loudnorm(x: Audio, sr: int, tmp: Path) -> tuple[Audio, int]:
    exe = _ffmpeg_exe()
    assert exe is not None
    src, dst = tmp / "in.wav", tmp / "out.wav"
    sf.write(str(src), x.T, sr, subtype="FLOAT")
    spec = f"I={TARGET}:TP={CEILING}:LRA=11"
    p1 = subprocess.run(
        [exe, "-hide_banner", "-nostats", "-i", str(src), "-af",
         f"loudnorm={spec}:print_format=json", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    text = p1.stderr
    m = json.loads(text[text.rindex("{") : text.rindex("}") + 1])
    second = (
        f"loudnorm={spec}:measured_I={m['input_i']}:measured_TP={m['input_tp']}:"
        f"measured_LRA={m['input_lra']}:measured_thresh={m['input_thresh']}:"
        f"offset={m['target_offset']}:linear=true"
    )
    subprocess.run(
        [exe, "-hide_banner", "-nostats", "-y", "-i", str(src), "-af", second,
         "-ar", str(sr), "-c:a", "pcm_f32le", str(dst)],
        capture_output=True, check=True,
    )  # fmt: skip
    y, rate = sf.read(str(dst), dtype="float32", always_2d=True)
    return np.ascontiguousarray(y.T), int(rate)


def _norm_limiter(x: Audio, sr: int, tmp: Path) -> tuple[Audio, int]:
    gain = 10 ** ((TARGET - refs.ebu_integrated(x, sr)) / 20)
    y = pedalboard.Limiter(threshold_db=CEILING)(x * np.float32(gain), sr)
    return np.asarray(y, dtype=np.float32), sr


def _matchering(reference: Path) -> Tool | None:
    try:
        import matchering as mg
    except Exception:
        return None

    def run(x: Audio, sr: int, tmp: Path) -> tuple[Audio, int]:
        src, dst = tmp / "target.wav", tmp / "result.wav"
        sf.write(str(src), x.T, sr, subtype="FLOAT")
        mg.process(target=str(src), reference=str(reference), results=[mg.pcm16(str(dst))])
        y, rate = sf.read(str(dst), dtype="float32", always_2d=True)
        return np.ascontiguousarray(y.T), int(rate)

    return run


def _row(name: str, tool: Tool, inputs: dict[str, tuple[Audio, int]]) -> str:
    errors, peaks, lra_changes, rates = [], [], [], []
    failures = 0
    seconds = 0.0
    for x, sr in inputs.values():
        with tempfile.TemporaryDirectory() as d:
            start = time.perf_counter()
            try:
                y, rate = tool(x, sr, Path(d))
            except Exception as exc:  # a peer that refuses an input counts as a miss
                failures += 1
                print(f"   {name}: failed on an input ({type(exc).__name__})")
                continue
            seconds += time.perf_counter() - start
        errors.append(abs(refs.ebu_integrated(y, rate) - TARGET))
        peaks.append(refs.true_peak_fft_dbtp(y, rate))
        before, after = refs.ebu_lra(x, sr), refs.ebu_lra(y, rate)
        if math.isfinite(before) and math.isfinite(after):
            lra_changes.append(after - before)
        rates.append(rate)
    n = len(inputs)
    on_target = sum(e <= 0.1 for e in errors)
    return (
        f"{name:<18} {seconds:7.2f} s  mean|dI| {np.mean(errors):5.2f} LU  worst {max(errors):5.2f} LU"
        f"  on target {on_target}/{n}  worst TP {max(peaks):+6.2f} dBTP"
        f"  dLRA {np.mean(lra_changes):+5.2f} LU  failed {failures}  rates {sorted(set(rates))}"
    )


def main() -> None:
    # 10 s inputs (the real recordings are shorter: 6.8 s and 5.6 s) so LRA means something.
    refs.DURATION_S = 10.0
    inputs = refs.make_inputs(HERE.parent.parent / "shared" / "testdata")
    print(f"{len(inputs)} inputs, goal {TARGET} LUFS / {CEILING} dBTP; meter: libebur128 + 8x")
    tools: list[tuple[str, Tool]] = [("producer", _producer)]
    if _ffmpeg_exe():
        tools.append(("ffmpeg loudnorm x2", _loudnorm))
    else:
        print("   ffmpeg: not available (imageio-ffmpeg missing)")
    tools.append(("norm+pb.Limiter", _norm_limiter))
    with tempfile.TemporaryDirectory() as d:
        reference = Path(d) / "reference.wav"
        if "musdb-mixture" in inputs:
            x, sr = inputs["musdb-mixture"]
            ref_audio, ref_sr = _producer(x, sr, Path(d))
            sf.write(str(reference), ref_audio.T, ref_sr, subtype="PCM_24")
            mt = _matchering(reference)
            if mt is not None:
                tools.append(("matchering", mt))
            else:
                print("   matchering: not installed in this venv")
        times: dict[str, float] = {}
        for name, tool in tools:
            line = _row(name, tool, inputs)
            times[name] = float(line.split()[len(name.split())])
            print(line)
    if "ffmpeg loudnorm x2" in times:
        print(f"time producer / loudnorm x2: {times['producer'] / times['ffmpeg loudnorm x2']:.2f}")


if __name__ == "__main__":
    main()
