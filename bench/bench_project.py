"""Project storage benchmark (issue 2): import, open, edit, undo — against plain peers.

* import, same rate: ``Project.import_media`` (decode check + hash + atomic copy) vs the floor
  ``shutil.copyfile`` + ``hashlib.sha256`` of the same 5-minute stereo 24-bit WAV;
* import, 44.1 → 48 kHz: our streamed soxr VHQ conversion vs ``soxr.resample`` on the whole
  array in memory (the same library, no I/O) and ``scipy.signal.resample_poly``;
* open a project of 8 songs × 24 tracks (media hashes cached) and one edit + undo,
  vs ``json.load`` of the same documents (the parsing floor).

Ratios are peer time / producer time (> 1: producer is faster). ``BENCH_PROJECT_MINUTES``
sets the file length (default 5).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr
from scipy import signal

from producer.model import Clip, Song, Track
from producer.model import edit as ed
from producer.storage import Project
from producer.workflows import project as wf


def timed(fn: Callable[[], object], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def row(name: str, ours: float, peer_name: str, peer: float) -> None:
    print(
        f"  {name:<34} producer {ours * 1000:9.1f} ms   {peer_name:<28} {peer * 1000:9.1f} ms   ratio {peer / ours:5.2f}"
    )


def main() -> None:
    minutes = float(os.environ.get("BENCH_PROJECT_MINUTES", "5"))
    with tempfile.TemporaryDirectory() as tmp_:
        tmp = Path(tmp_)
        rng = np.random.default_rng(1)
        frames48 = int(48000 * 60 * minutes)
        src48 = tmp / "src48.wav"
        sf.write(
            str(src48),
            (rng.standard_normal((frames48, 2)) * 0.1).astype(np.float32),
            48000,
            subtype="PCM_24",
        )
        frames44 = int(44100 * 60 * minutes)
        x44 = (rng.standard_normal((frames44, 2)) * 0.1).astype(np.float32)
        src44 = tmp / "src44.wav"
        sf.write(str(src44), x44, 44100, subtype="FLOAT")
        print(
            f"  sources: {minutes:g} min stereo ({src48.stat().st_size / 1e6:.0f} MB at 48 kHz/24-bit)"
        )

        n = [0]

        def fresh() -> Project:
            n[0] += 1
            return Project.create(tmp / f"p{n[0]}", "Bench", "B")

        def ours_copy() -> None:
            fresh().import_media(src48)

        def floor_copy() -> None:
            dst = tmp / "copy.wav"
            shutil.copyfile(src48, dst)
            h = hashlib.sha256()
            with open(dst, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)

        row("import 48k (copy)", timed(ours_copy), "copyfile+sha256", timed(floor_copy))

        ours_src = timed(lambda: fresh().import_media(src44), repeat=2)
        row(
            "import 44.1k→48k (stream soxr)",
            ours_src,
            "soxr.resample in memory",
            timed(lambda: soxr.resample(x44, 44100, 48000, quality="VHQ"), repeat=2),
        )
        row(
            "import 44.1k→48k (stream soxr)",
            ours_src,
            "scipy resample_poly 160/147",
            timed(lambda: signal.resample_poly(x44, 160, 147, axis=0), repeat=1),
        )

        # A project of 8 songs × 24 tracks, one media file shared by all clips.
        p = fresh()
        ref = p.import_media(src48)
        with p.transaction("bench songs") as tx:
            for s in range(8):
                tracks = tuple(Track(name=f"T{t}", lanes=(), active="") for t in range(24))
                song = Song(title=f"Song {s}", slug=f"song-{s}", tracks=tracks)
                tx.put_song(song)
        for s in range(8):
            with p.transaction("clips") as tx:
                song = tx.song(f"song-{s}")
                for t in range(24):
                    song = ed.add_clip(song, f"T{t}", Clip(f"c{t + 1}", ref, 0, 0, ref.frames))
                tx.put_song(song)
        Project.open(p.root)  # fills the hash cache
        docs = [p.root / "album.json", *sorted((p.root / "songs").glob("*.json"))]

        def parse_floor() -> None:
            for d in docs:
                json.loads(d.read_text())

        row(
            "open 8 songs × 24 tracks",
            timed(lambda: Project.open(p.root)),
            "json.load of the documents",
            timed(parse_floor),
        )

        def edit_undo() -> None:
            wf.track_set(p.root, "song-3", "T5", wf.TrackSettings(gain_db=-6.0))
            wf.undo(p.root)

        row(
            "track set + undo (2 steps)",
            timed(edit_undo),
            "json.load of the documents",
            timed(parse_floor),
        )


if __name__ == "__main__":
    main()
