"""The tonal balance's built-in band: loudness-matched 1/3-octave spectra of a stated corpus.

Without ``--reference`` the spectral-balance check compares the mix with a band of long-term
spectra that ships with producer (``data/tonal_band.json``): each recording's curve measured
exactly as the check measures the mix (:func:`.spectral.long_term_db`: mean power per
1/3-octave band over the STFT frames, in dB relative to its integrated loudness), the band
spanning them as references span theirs (:func:`.spectral.reference_band`).

Which corpus, and why so small. Published long-term average spectra of commercial
recordings (Pestana et al., AES 135th Conv. 2013, 772 records; Elowsson & Friberg, AES 142nd
Conv. 2017, a large set of popular music; Hove et al., JASA 2019) give their mean shape as
slopes and figures, not as per-band means and spreads that could be cited as numbers, and no
public repository or page reachable while building this published such numbers for a named
corpus (the search is in ``tonal_band.json``, ``search``). So the band is measured by
producer itself, from the real mixed recordings it has: the ones listed in the file, from the
team's test material (``../shared/testdata``). Two recordings are no genre target: findings
against this band are notes (severity info) that say so, and ``--reference`` (a folder of
mixes of the genre) is the real target. ``python -m producer.analysis.ear.band TESTDATA``
measures it again (a test holds the shipped file to what its corpus measures).
"""

from __future__ import annotations

import hashlib
import json
import sys
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from producer import audio as audio_io
from producer.analysis.ear.frames import F64
from producer.analysis.ear.spectral import long_term_db, smooth
from producer.analysis.ear.stream import SignalAccumulator, one_blas_thread

DATA = "tonal_band.json"
#: The corpus's produced mix (a test analyses it against the band it is part of).
CORPUS_MIX = "multitrack/musdb18-7-sample/decoded/mixture.wav"

#: The corpus: name → (files relative to the test material, one per channel or one stereo).
CORPUS: dict[str, dict[str, Any]] = {
    "Music Delta - 80s Rock (MUSDB18 sample mixture)": {
        "files": [CORPUS_MIX],
        "kind": "produced stereo mix (rock band), MedleyDB via MUSDB18, CC BY-NC-SA 4.0",
    },
    "Dagstuhl ChoirSet QuartetB Take04 (stereo main pair)": {
        "files": [
            "multitrack/dagstuhl-choirset-excerpt/DCS_LI_QuartetB_Take04_Stereo_STL.wav",
            "multitrack/dagstuhl-choirset-excerpt/DCS_LI_QuartetB_Take04_Stereo_STR.wav",
        ],
        "kind": "stereo room recording of a vocal quartet (22.05 kHz: nothing above 11 kHz), "
        "Rosenzweig et al., TISMIR 2020, CC BY 4.0",
    },
}


def curve(files: list[Path]) -> tuple[F64, F64, float, int]:
    """(band centres, dB re integrated loudness, seconds, sample rate) of one recording: its
    channels from one file or one mono file per channel."""
    parts = [audio_io.read(f) for f in files]
    rate = parts[0][1]
    audio = np.concatenate([a for a, _ in parts], axis=0)
    acc = SignalAccumulator("corpus", rate, audio.shape[0])
    with one_blas_thread():
        for i in range(0, audio.shape[1], 65536):
            acc.add(audio[:, i : i + 65536])
        features, _ = acc.finish()
    centers, db = long_term_db(features)
    return centers, smooth(db), audio.shape[1] / rate, rate


def measure(testdata: Path) -> dict[str, Any]:
    """The band file's content, measured from the corpus under ``testdata``."""
    recordings = []
    for name, spec in CORPUS.items():
        files = [testdata / f for f in spec["files"]]
        centers, db, seconds, rate = curve(files)
        recordings.append(
            {
                "name": name,
                "kind": spec["kind"],
                "files": spec["files"],
                "sha256": [hashlib.sha256(f.read_bytes()).hexdigest() for f in files],
                "seconds": round(seconds, 3),
                "sample_rate": rate,
                "bands_hz": [round(float(c), 3) for c in centers],
                "level_db": [None if not np.isfinite(v) else round(float(v), 2) for v in db],
            }
        )
    return {
        "name": "producer's test-material recordings",
        "size": len(recordings),
        "source": (
            f"built-in band: {len(recordings)} real recordings of producer's test material "
            "(MUSDB18 'Music Delta - 80s Rock' mix, 6.8 s; Dagstuhl ChoirSet quartet main pair, "
            "1.0 s), loudness-matched 1/3-octave spectra, their range ± 2 dB — a tiny corpus, "
            "not a genre target: give --reference mixes of the genre"
        ),
        "method": (
            "per recording: mean power per base-10 1/3-octave band (IEC 61260-1 mid-band "
            "frequencies) over Hann-windowed STFT frames of about 170 ms, half overlapping, "
            "channels averaged, in dB relative to the recording's BS.1770-4 integrated loudness "
            "(producer.analysis.ear.spectral.long_term_db, the measure applied to the mix), "
            "smoothed over one octave (each band with its two neighbours: a few seconds of one "
            "song show its notes); the "
            "band per 1/3 octave is the range of the recordings (the 10th-90th percentile from "
            "five on), widened by 2 dB (spectral.reference_band, as for --reference)"
        ),
        "search": (
            "No corpus with published per-band numbers was found. Searched (stored public "
            "pages, documentation, code and issue threads): long-term average spectra of "
            "commercial recordings (Pestana et al. 2013: 772 records, about -5 dB/octave per Hz "
            "from 100 Hz to 4 kHz, stated as a slope, quoted second-hand; Elowsson & Friberg "
            "2017: abstract only; Hove et al. 2019: abstract only), Greiner & Eggers 1989 and "
            "Roberson 1989 (CD peak levels, not reachable as numbers), MUSDB18/MedleyDB/GTZAN "
            "statistics in public repositories (feature tables, no long-term spectra), genre "
            "target curves in open projects (numbers without a stated corpus)."
        ),
        "recordings": recordings,
    }


@lru_cache(maxsize=1)
def builtin() -> dict[str, Any]:
    """The shipped band file."""
    text = resources.files("producer.analysis.ear").joinpath("data", DATA).read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def builtin_curves() -> list[tuple[str, F64, F64]]:
    """(name, band centres, dB re integrated loudness; nan where the recording has none) of
    every recording of the built-in band."""
    out = []
    for r in builtin()["recordings"]:
        db = np.array([np.nan if v is None else v for v in r["level_db"]], dtype=np.float64)
        out.append((str(r["name"]), np.asarray(r["bands_hz"], dtype=np.float64), db))
    return out


def main(argv: list[str]) -> int:
    """``python -m producer.analysis.ear.band TESTDATA [OUT.json]``: measure the band again."""
    if not argv:
        print("usage: python -m producer.analysis.ear.band TESTDATA [OUT.json]", file=sys.stderr)
        return 2
    data = measure(Path(argv[0]))
    text = json.dumps(data, indent=1) + "\n"
    if len(argv) > 1:
        Path(argv[1]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))


__all__ = ["CORPUS", "builtin", "builtin_curves", "curve", "measure"]
