"""`producer record --source FILE` (issue 16): a file at another rate is converted as `import`
converts it; with a count-in the file plays from the first beat of the take, and what is
printed is what the take holds (the length asked, or less when the file ends first, said)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import soundfile as sf
from click.testing import CliRunner

from producer.cli import cli
from producer.dsp.resample import resample


def run(*args: str) -> tuple[str, str]:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, (result.output, result.stderr, result.exception)
    return result.stdout, result.stderr


def take_audio(root: Path, track: str, number: int) -> np.ndarray:
    d = json.loads((root / "songs" / "s.json").read_text())
    t = next(t for t in d["tracks"] if t["name"] == track)
    clip = t["lanes"][number - 1]["clips"][0]
    data, rate = sf.read(root / clip["media"]["path"], dtype="float32", always_2d=True)
    assert rate == 48000
    return data.T


def test_a_441_source_with_count_in_records_what_was_asked(tmp_path: Path, testdata: Path) -> None:
    vocals = testdata / "multitrack" / "musdb18-7-sample" / "decoded" / "vocals.wav"
    assert sf.info(vocals).samplerate == 44100  # the file `record` used to refuse
    root = tmp_path / "p"
    run("new", str(root), "--title", "A", "--artist", "B")
    run("-C", str(root), "song", "add", "S", "--tempo", "240")  # a bar of count-in is 1 s
    out, _ = run(
        "-C", str(root), "record", "s", "--track", "Vox", "--count-in", "1", "--seconds", "2",
        "--source", str(vocals),
    )  # fmt: skip
    assert "recorded 2.00 s" in out and "Vox: take 1 at 0.000 s, 2.000 s" in out
    take = take_audio(root, "Vox", 1)
    source, rate = sf.read(vocals, dtype="float32", always_2d=True)
    expected = resample(source.T, rate, 48000)[:, : take.shape[1]]
    assert take.shape == (1, 96000)  # --track Vox: the first input channel
    # The take is the file from its first frame on (not the count-in's worth of it), at 48 kHz.
    assert float(np.max(np.abs(take[0] - expected[0]))) < 1e-4


def test_a_source_shorter_than_asked_says_so(tmp_path: Path, testdata: Path) -> None:
    vocals = testdata / "multitrack" / "musdb18-7-sample" / "decoded" / "vocals.wav"
    data, rate = sf.read(vocals, dtype="float32")
    short = tmp_path / "short.wav"
    sf.write(short, data[: rate // 2], rate)  # 0.5 s at 44.1 kHz
    root = tmp_path / "p"
    run("new", str(root), "--title", "A", "--artist", "B")
    run("-C", str(root), "song", "add", "S", "--tempo", "240")
    out, err = run(
        "-C", str(root), "record", "s", "--track", "Vox", "--count-in", "1", "--seconds", "1",
        "--source", str(short),
    )  # fmt: skip
    assert "recorded 0.50 s" in out and "Vox: take 1 at 0.000 s, 0.500 s" in out
    assert "the input ended after 0.50 s of the 1 s asked" in err
