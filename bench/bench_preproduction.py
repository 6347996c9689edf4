"""Pre-production speed: SoundFont rendering of a real multitrack GM song, and the demo.

Renders planetblupi/music004.mid (4 GM parts, 600 s of music) with producer's renderer
(tinysoundfont, sample-accurate event splitting) and, as peers in the same run, with
pretty_midi's own ``synthesize`` (additive sine waves, the renderer people reach for without a
synthesizer) and tinysoundfont's own Sequencer (its reference way to play a MIDI file), and
prints times and the real-time factor. Then times `producer demo` (goal: under 60 s).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pretty_midi
import tinysoundfont

from producer.model import Song
from producer.preproduction import midi, render
from producer.preproduction.render import DEFAULT_SOUNDFONT
from producer.workflows.demo import run_demo

TESTDATA = Path(__file__).resolve().parents[2] / "shared" / "testdata"
FILE = TESTDATA / "midi" / "planetblupi" / "music004.mid"
SR = 44100


def _ours(path: Path) -> float:
    data = midi.read_midi(path)
    song = Song(
        "b", "b", sample_rate=SR, tempo_bpm=data.tempo_bpm, tempo_changes=data.tempo_changes
    )
    t0 = time.perf_counter()
    for t in data.tracks:
        render.render_track(song, t)
    return time.perf_counter() - t0


def _pretty_midi_sines(path: Path) -> float:
    pm = pretty_midi.PrettyMIDI(str(path))
    t0 = time.perf_counter()
    pm.synthesize(fs=SR)
    return time.perf_counter() - t0


def _tsf_sequencer(path: Path, seconds: float) -> float:
    synth = tinysoundfont.Synth(samplerate=SR)
    sfid = synth.sfload(str(DEFAULT_SOUNDFONT))
    seq = tinysoundfont.Sequencer(synth)
    seq.midi_load(str(path))
    synth.program_select(9, sfid, 128, 0, True)  # the file's program changes set the rest
    t0 = time.perf_counter()
    n = int(seconds * SR)
    block = 4096
    for _ in range(0, n, block):
        synth.generate(block)
    return time.perf_counter() - t0


def main() -> None:
    if not FILE.exists():
        print(f"skipped: {FILE} not found")
        return
    length_s = pretty_midi.PrettyMIDI(str(FILE)).get_end_time()
    rows = [("producer render_track (SoundFont)", _ours(FILE))]
    rows.append(("pretty_midi.synthesize (sines)", _pretty_midi_sines(FILE)))
    try:
        # The Sequencer plays the file as one mixed stream (one synth for all channels); we
        # render each part to its own take, so it does strictly less work than we do.
        rows.append(("tinysoundfont Sequencer (one mix)", _tsf_sequencer(FILE, length_s)))
    except Exception as exc:  # the peer's API differs between versions
        print(f"tinysoundfont Sequencer peer skipped: {exc}")
    base = rows[0][1]
    print(f"{FILE.name}: {length_s:.0f} s of music, 4 parts, {SR} Hz")
    for name, secs in rows:
        print(
            f"  {name:<36} {secs:7.2f} s  {length_s / secs:6.0f}x real time"
            f"  time ratio to producer {secs / base:5.2f}"
        )
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        run_demo(Path(tmp) / "demo-album")
        print(
            f"  producer demo (3 songs, render+mix+master): {time.perf_counter() - t0:.1f} s (goal < 60 s)"
        )


if __name__ == "__main__":
    main()
