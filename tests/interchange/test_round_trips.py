"""Round trips: export → import → render nulls against the render of what the format carries,
on a session that uses every feature, and the loss report names exactly what was not carried.

"What the format carries" is ``carry.reduce(song)``; the test pins the report to hand-written
lists (each line checked against the format's documentation when written), and checks that the
lost things are audible — the null is not trivially reached by a render that ignores them.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from lxml import etree

sys.path.insert(0, str(Path(__file__).parent))
import sink

from producer.interchange import LossReport, carries, carry
from producer.storage import Project
from producer.workflows import mix, session

COMMON_OTIO_AAF = [
    ("clip gain +2.00 dB", "clip c1 of track Vox"),
    ("fade-in shape s_curve", "clip c1 of track Vox"),
    ("fade-out shape exponential", "clip c1 of track Vox"),
    ("fader -3.00 dB", "track Vox"),
    ("pan -0.30", "track Vox"),
    ("polarity inversion", "track Vox"),
    ("send to Verb (-6.00 dB)", "track Vox"),
    ("insert 1 (eq)", "track Vox"),
    ("insert 2 (compressor)", "track Vox"),
    ("gain_db automation", "track Vox"),
    ("pan automation", "track Vox"),
    ("fx.2.threshold_db automation", "track Vox"),
    ("sends.Verb.level_db automation", "track Vox"),
    ("pan +0.20", "track Gtr"),
    ("send to Verb (-10.00 dB)", "track Gtr"),
    ("output to bus Group", "track Gtr"),
    ("insert 1 (gate)", "track Gtr"),
    ("mute automation", "track Gtr"),
]
TAIL_OTIO_AAF = [
    ("MIDI notes (3)", "track Keys"),
    ("bus Group", ""),
    ("bus Verb", ""),
    ("master bus settings (fader, pan, inserts, automation)", "the master"),
]
SONG_OTIO_AAF = [
    ("section 'Verse' (bars 1–1)", ""),
    ("tempo 100 BPM", ""),
    ("1 tempo change(s)", ""),
    ("time signature 3/4", ""),
    ("songwriter 'Ada'", ""),
    ("key 'A minor'", ""),
    ("isrc 'GBAYE0601498'", ""),
]
EXPECTED = {
    "dawproject": [
        ("clip gain +2.00 dB", "clip c1 of track Vox"),
        ("fade-in shape s_curve", "clip c1 of track Vox"),
        ("fade-out shape exponential", "clip c1 of track Vox"),
        ("polarity inversion", "track Vox"),
        ("insert 2 (compressor) knee_db = 6.0", "track Vox"),
        ("insert 1 (gate) sidechain from Vox", "track Gtr"),
        ("insert 1 (limiter) true_peak = True", "bus Group"),
        ("insert 1 (reverb)", "bus Verb"),
        ("section 'Verse' (bars 1–1)", ""),
        ("key 'A minor'", ""),
        ("isrc 'GBAYE0601498'", ""),
    ],
    "rpp": [
        ("insert 1 (eq)", "track Vox"),
        ("insert 2 (compressor)", "track Vox"),
        ("fx.2.threshold_db automation", "track Vox"),
        ("sends.Verb.level_db automation", "track Vox"),
        ("insert 1 (gate)", "track Gtr"),
        ("insert 1 (limiter)", "bus Group"),
        ("insert 1 (reverb)", "bus Verb"),
        ("insert 1 (limiter)", "the master"),
        ("songwriter 'Ada'", ""),
        ("key 'A minor'", ""),
        ("isrc 'GBAYE0601498'", ""),
    ],
    "otio": COMMON_OTIO_AAF + TAIL_OTIO_AAF + SONG_OTIO_AAF,
    "aaf": [
        *COMMON_OTIO_AAF,
        ("mute", "track Perc"),
        *TAIL_OTIO_AAF,
        ("marker 'Hook' at 1.500 s", ""),
        *SONG_OTIO_AAF,
    ],
}
EXTENSION = {"dawproject": "dawproject", "rpp": "RPP", "otio": "otio", "aaf": "aaf"}


@pytest.fixture(scope="module")
def sink_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("sink")
    sink.make(tmp / "proj", tmp)
    return tmp / "proj", tmp


def _render(root: Path, slug: str, out: Path, end_s: float) -> np.ndarray:
    mix.render(root, slug, output=out, bit_depth="32f", end_s=end_s, tail_s=0.5)
    data, _ = sf.read(out, dtype="float64")
    return data


@pytest.mark.parametrize("fmt", ["dawproject", "rpp", "otio", "aaf"])
def test_round_trip_nulls_and_reports_exactly_what_was_lost(
    sink_project: tuple[Path, Path], fmt: str
) -> None:
    root, tmp = sink_project
    song = Project.open(root).song(sink.SLUG)
    out = tmp / f"sink.{EXTENSION[fmt]}"
    exported = session.export_session(root, sink.SLUG, out)
    assert exported.format == fmt
    assert [(x.what, x.where) for x in exported.report.lost] == EXPECTED[fmt]
    back = session.import_session(root, out, title=f"back {fmt}")
    assert back.offline == ()

    reduced = carry.reduce(song, carries(fmt), LossReport(fmt, "export"))
    with Project.open(root).transaction("reduced") as tx:
        tx.put_song(replace(reduced, slug=f"reduced-{fmt}", title=f"reduced {fmt}"))
    end = carry.song_end_frame(song) / sink.RATE
    want = _render(root, f"reduced-{fmt}", tmp / f"want-{fmt}.wav", end)
    got = _render(root, back.slug, tmp / f"got-{fmt}.wav", end)
    assert want.shape == got.shape
    residual = np.max(np.abs(want - got))
    assert 20 * np.log10(residual + 1e-30) <= -80.0, f"{fmt}: residual {residual}"
    # What was lost is audible: the original differs from what the format carried.
    full = _render(root, sink.SLUG, tmp / f"full-{fmt}.wav", end)
    assert 20 * np.log10(np.max(np.abs(full - want))) > -40.0


def test_dawproject_export_validates_against_the_schema(
    sink_project: tuple[Path, Path], testdata: Path
) -> None:
    import zipfile

    root, tmp = sink_project
    out = tmp / "schema.dawproject"
    session.export_session(root, sink.SLUG, out)
    folder = testdata / "project" / "dawproject"
    with zipfile.ZipFile(out) as z:
        for member, xsd in (("project.xml", "Project.xsd"), ("metadata.xml", "MetaData.xsd")):
            schema = etree.XMLSchema(etree.parse(str(folder / xsd)))
            doc = etree.fromstring(z.read(member))
            assert schema.validate(doc), (member, schema.error_log.last_error)
        names = z.namelist()
    assert any(n.startswith("audio/") for n in names)  # the media travels inside the ZIP


def test_stems_are_bwf_with_time_reference_ixml_and_a_cue_list(
    sink_project: tuple[Path, Path],
) -> None:
    import wavinfo

    root, tmp = sink_project
    out = tmp / "stems"
    result = session.export_session(root, sink.SLUG, out)
    assert result.format == "stems"
    wavs = sorted(out.glob("*.wav"))
    # The mix, every track and every bus.
    assert [w.name for w in wavs] == [
        "00 Mix.wav",
        "01 Vox.wav",
        "02 Gtr.wav",
        "03 Perc.wav",
        "04 Keys.wav",
        "05 bus_Group.wav",
        "06 bus_Verb.wav",
    ]
    song = Project.open(root).song(sink.SLUG)
    frames = carry.song_end_frame(song)
    for w in wavs:
        info = wavinfo.WavInfoReader(str(w))
        assert info.bext is not None and info.bext.time_reference == 0
        assert info.ixml is not None and info.ixml.project == "Album"
        data, rate = sf.read(w)
        assert rate == sink.RATE and data.shape == (frames, 2)
    vox = wavinfo.WavInfoReader(str(out / "01 Vox.wav"))
    assert [t.name for t in vox.ixml.track_list] == ["Vox L", "Vox R"]
    cues = (out / "cues.txt").read_text(encoding="utf-8")
    assert "Hook" in cues and "Verse" in cues and "01 Vox.wav" in cues
