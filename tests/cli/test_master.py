"""``producer master`` and ``producer profiles`` through CliRunner: a file, a project song, the
album as a CD image; --json fields; bad input gives one line and exit 2."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import mutagen
import numpy as np
import pyebur128
import pylibcue
import pytest
import scipy.signal
import soundfile as sf
from click.testing import CliRunner, Result

from producer.cli import cli
from producer.mastering.cue import parse_cue
from producer.mastering.export import read_bext_description
from producer.model import Clip, Lane, Song, Track
from producer.storage import Project

SR = 44100
JSON_FIELDS = {
    "path", "profile", "integrated_lufs", "true_peak_dbtp", "loudness_range_lu",
    "sample_rate", "bit_depth", "passed", "gain_db", "limiter_max_gain_reduction_db",
}  # fmt: skip


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _noise(seconds: float, level: float, seed: int, channels: int = 2) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((int(seconds * SR), channels))
    b, a = scipy.signal.butter(2, 4000, fs=SR)
    return (scipy.signal.lfilter(b, a, x, axis=0) * level).astype(np.float32)


def _lufs(path: Path) -> float:
    data, rate = sf.read(str(path), dtype="float64", always_2d=True)
    st = pyebur128.R128State(data.shape[1], rate, pyebur128.MeasurementMode.MODE_I)
    st.add_frames(np.ascontiguousarray(data).ravel(), data.shape[0])
    return float(pyebur128.get_loudness_global(st))


@pytest.fixture
def wav(tmp_path: Path) -> Path:
    p = tmp_path / "mix.wav"
    sf.write(str(p), _noise(3.5, 0.1, 1), SR, subtype="PCM_24")
    return p


def test_profiles_lists_every_profile() -> None:
    r = run("profiles")
    assert r.exit_code == 0
    for name in ("streaming", "spotify", "apple", "cd", "ebu-r128", "atsc-a85"):
        assert name in r.stdout
    rows = json.loads(run("profiles", "--json").stdout)
    assert {r["name"] for r in rows} >= {"amazon", "deezer", "aes-td1008", "ebu-r128-codec"}


def test_master_a_file_json(wav: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.wav"
    r = run(
        "master", str(wav), "--profile", "cd", "-o", str(out), "--json", "--isrc", "GB-AYE-06-01498"
    )
    assert r.exit_code == 0, r.stderr
    rows = json.loads(r.stdout)
    assert len(rows) == 1 and set(rows[0]) >= JSON_FIELDS  # the fields, and more
    row = rows[0]
    assert row["path"] == str(out) and row["profile"] == "cd" and row["passed"] is True
    assert (row["sample_rate"], row["bit_depth"]) == (44100, "16")
    assert _lufs(out) == pytest.approx(-11.0, abs=0.1)
    assert (tmp_path / "out.report.json").is_file() and (tmp_path / "out.report.html").is_file()
    assert sf.info(str(out)).subtype == "PCM_16"


def test_master_default_outputs_every_format_of_the_profile(wav: Path) -> None:
    r = run("master", str(wav), "--profile", "streaming", "--target-lufs", "-16")
    assert r.exit_code == 0, r.stderr
    for ext in ("wav", "flac"):
        p = wav.parent / f"mix-streaming-16lufs.{ext}"  # a custom target is in the name
        assert p.is_file() and _lufs(p) == pytest.approx(-16.0, abs=0.1)
    assert not list(wav.parent.glob(".*partial"))


def test_reference_matching(wav: Path, tmp_path: Path) -> None:
    ref = tmp_path / "ref.wav"
    sf.write(str(ref), _noise(3.5, 0.3, 2), 48000)
    out = tmp_path / "matched.wav"
    r = run(
        "master",
        str(wav),
        "--profile",
        "streaming",
        "--reference",
        str(ref),
        "-o",
        str(out),
        "--json",
    )
    assert r.exit_code == 0, r.stderr
    assert _lufs(out) == pytest.approx(_lufs(ref), abs=0.1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--profile", "nope"], "unknown delivery profile 'nope'"),
        (["--isrc", "GB-AYE-06-0149"], "ISRC"),
        (["--ceiling-dbtp", "4"], "ceiling_dbtp"),
    ],
)
def test_bad_options_exit_2(wav: Path, args: list[str], message: str) -> None:
    r = run("master", str(wav), *args)
    assert r.exit_code == 2
    assert r.stderr.startswith("producer: ") and message in r.stderr
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr


def test_silent_and_missing_inputs_exit_2(tmp_path: Path) -> None:
    silent = tmp_path / "silent.wav"
    sf.write(str(silent), np.zeros((SR, 2), dtype=np.float32), SR)
    r = run("master", str(silent), "--profile", "cd")
    assert r.exit_code == 2 and "silent" in r.stderr
    r = run("master", str(tmp_path / "nope.wav"))
    assert r.exit_code == 2 and "nope.wav" in r.stderr
    assert not list(tmp_path.glob("silent-*"))


def test_unreachable_target_exits_1_with_the_achieved_figures(tmp_path: Path) -> None:
    x = np.zeros((int(3.5 * SR), 2), dtype=np.float32)
    x[1000:1400] = 0.5  # one click in near-silence: no limiter makes this -5 LUFS
    x += _noise(3.5, 0.0005, 3)
    p = tmp_path / "click.wav"
    sf.write(str(p), x, SR)
    r = run("master", str(p), "--profile", "cd", "--target-lufs", "-5", "--json")
    assert r.exit_code == 1
    row = json.loads(r.stdout)[0]
    assert row["passed"] is False and set(row) >= JSON_FIELDS
    assert "missed the profile" in r.stderr and "limiting" in r.stderr


def _project(root: Path, songs: int) -> Path:
    project = Project.create(root, "First Light", "The Producers", sample_rate=SR)
    with project.transaction("songs") as tx:
        for i in range(songs):
            src = root.parent / f"take{i}.wav"
            sf.write(str(src), _noise(4.5, 0.05 * (i + 1), 10 + i), SR, subtype="PCM_24")
            ref = project.import_media(src)
            clip = Clip(
                id=f"c{i}", media=ref, start_frame=0, source_start_frame=0, length_frames=ref.frames
            )
            track = Track(name="mix", lanes=(Lane(id="l1", clips=(clip,)),), active="l1")
            tx.put_song(
                Song(title=f"Song {i + 1}", slug=f"song-{i + 1}", sample_rate=SR, tracks=(track,))
            )
    return root


def test_master_a_project_song(tmp_path: Path) -> None:
    root = _project(tmp_path / "album", 2)
    assert run("-C", str(root), "song", "set", "song-2", "--isrc", "US-RC1-76-07839").exit_code == 0
    r = CliRunner().invoke(
        cli, ["-C", str(root), "master", "song-2", "--profile", "apple", "--json"]
    )
    assert r.exit_code == 0, r.stderr
    rows = json.loads(r.stdout)
    assert [Path(x["path"]).name for x in rows] == ["02-song-2.wav"]
    out = root / "masters" / "apple" / "singles" / "02-song-2.wav"  # mastered on its own
    assert sf.info(str(out)).samplerate == 48000
    assert _lufs(out) == pytest.approx(-16.0, abs=0.1)
    assert str(mutagen.File(str(out))["TSRC"]) == "USRC17607839"  # the song's own ISRC
    r = CliRunner().invoke(cli, ["-C", str(root), "master", "nope", "--profile", "apple"])
    assert r.exit_code == 2 and "nope" in r.stderr


def test_master_the_album_as_a_cd(tmp_path: Path) -> None:
    root = _project(tmp_path / "album", 2)
    r = CliRunner().invoke(cli, ["-C", str(root), "master", "--album", "--profile", "cd", "--json"])
    assert r.exit_code == 0, r.stderr
    folder = root / "masters" / "cd"
    names = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
    assert {"01-song-1.wav", "02-song-2.wav", "album.wav", "album.cue"} <= set(names)
    sheet = parse_cue((folder / "album.cue").read_text(), "album.cue")
    image, rate = sf.read(str(folder / "album.wav"), dtype="float32", always_2d=True)
    assert rate == 44100 and sf.info(str(folder / "album.wav")).subtype == "PCM_16"
    for n, track in enumerate(sheet.tracks, start=1):
        start = track.start_frames * 588
        single, _ = sf.read(str(folder / f"0{n}-song-{n}.wav"), dtype="float32", always_2d=True)
        np.testing.assert_array_equal(image[start : start + len(single)], single)
    assert sheet.tracks[0].start_frames >= 150
    assert sheet.tracks[1].title == "Song 2" and sheet.performer == "The Producers"


def test_album_without_songs_exits_2(tmp_path: Path) -> None:
    root = tmp_path / "empty"
    Project.create(root, "Empty", "Nobody", sample_rate=SR)
    r = CliRunner().invoke(cli, ["-C", str(root), "master", "--album", "--profile", "cd"])
    assert r.exit_code == 2 and "no songs" in r.stderr


def _song_file(root: Path, slug: str) -> bytes:
    return (root / "songs" / f"{slug}.json").read_bytes()


def test_song_set_delivery_metadata_is_undoable(tmp_path: Path) -> None:
    root = _project(tmp_path / "album", 1)
    before = _song_file(root, "song-1")
    r = run("-C", str(root), "song", "set", "song-1", "--isrc", "gb-aye-06-01498",
            "--songwriter", "Ann Writer", "--gap", "3.5")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    song = Project.open(root).song("song-1")
    assert (song.isrc, song.songwriter, song.gap_before_s) == ("GBAYE0601498", "Ann Writer", 3.5)
    assert run("-C", str(root), "song", "set", "song-1", "--gap", "album").exit_code == 0
    assert Project.open(root).song("song-1").gap_before_s is None
    assert run("-C", str(root), "undo").exit_code == 0
    assert run("-C", str(root), "undo").exit_code == 0
    assert _song_file(root, "song-1") == before


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--isrc", "GB-AYE-06-0149"], "--isrc: ISRC 'GB-AYE-06-0149' must have 12 characters"),
        (["--isrc", "GB-AYE-06-0149X"], "--isrc: ISRC 'GB-AYE-06-0149X' must be a 2-letter"),
        (["--isrc", "GBAYE0601498", "--gap", "-1"], "--gap: -1 is not a non-negative"),
        (["--songwriter", 'A "B"'], "songwriter: may not contain double quotes"),
        (["--crossfade", "-1"], "--crossfade: -1.0 is not a non-negative"),
    ],
)
def test_song_set_impossible_values_exit_2_and_change_nothing(
    tmp_path: Path, args: list[str], field: str
) -> None:
    root = _project(tmp_path / "album", 1)
    before = _song_file(root, "song-1")
    history = run("-C", str(root), "history").stdout
    r = run("-C", str(root), "song", "set", "song-1", *args)
    assert r.exit_code == 2
    assert r.stderr.startswith("producer: ") and field in r.stderr
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert _song_file(root, "song-1") == before
    assert run("-C", str(root), "history").stdout == history


def test_validate_names_a_bad_hand_written_isrc(tmp_path: Path) -> None:
    root = _project(tmp_path / "album", 1)
    path = root / "songs" / "song-1.json"
    doc = json.loads(path.read_text())
    doc["isrc"] = "GB-AYE-06-149"
    path.write_text(json.dumps(doc, indent=2))
    r = run("-C", str(root), "validate")
    assert r.exit_code == 2 and "Traceback" not in r.stderr
    lines = [x for x in r.stdout.splitlines() if "isrc" in x]
    assert len(lines) == 1
    assert lines[0].startswith("songs/song-1.json: isrc: ISRC 'GB-AYE-06-149' must have 12")


def test_album_cd_uses_each_songs_isrc_songwriter_gap_and_crossfade(tmp_path: Path) -> None:
    root = _project(tmp_path / "album", 3)
    project = Project.open(root)
    with project.transaction("upc") as tx:
        tx.put_album(dataclasses.replace(tx.album, upc="4006381333931"))
    for slug, args in {
        "song-1": ["--isrc", "GB-AYE-06-01498", "--songwriter", "Ann", "--gap", "3"],
        "song-2": ["--isrc", "USRC17607839", "--gap", "0.5", "--crossfade", "1"],
        "song-3": ["--songwriter", "Cy", "--gap", "2"],  # crossfaded into: no gap
    }.items():
        assert run("-C", str(root), "song", "set", slug, *args).exit_code == 0
    r = run("-C", str(root), "master", "--album", "--profile", "cd", "--gap", "1.0", "--json")
    assert r.exit_code == 0, r.stderr
    folder = root / "masters" / "cd"
    text = (folder / "album.cue").read_text()
    cd = pylibcue.Cd.from_str(text)  # the independent parser
    assert cd.catalog == "4006381333931" and len(cd) == 3
    assert [t.isrc for t in cd] == ["GBAYE0601498", "USRC17607839", None]
    assert [t.cdtext.songwriter for t in cd] == ["Ann", None, "Cy"]

    def frames(msf: tuple[int, int, int]) -> int:
        return (msf[0] * 60 + msf[1]) * 75 + msf[2]

    # Song 1's 3 s gap lengthens the 2 s pre-gap; song 2's 0.5 s = 37.5 → 38 frames (its own
    # gap beats --gap 1.0); song 2 crossfades 1 s into song 3 (no INDEX 00 for song 3).
    assert frames(cd[0].get_index(1)) - frames(cd[0].get_index(0)) == 225
    assert frames(cd[1].get_index(1)) - frames(cd[1].get_index(0)) == 38
    assert cd[2].get_index(0) is None
    image, rate = sf.read(str(folder / "album.wav"), dtype="float32", always_2d=True)
    assert rate == 44100
    singles = [
        sf.read(str(folder / f"0{n}-song-{n}.wav"), dtype="float32", always_2d=True)[0]
        for n in (1, 2, 3)
    ]
    starts = [frames(t.start) * 588 for t in cd]
    # Song 3's audio begins 1 s before song 2's end; its INDEX 01 is the frame boundary
    # nearest the crossfade's midpoint.
    xf = 44100
    audio_3 = starts[1] + len(singles[1]) - xf
    assert abs(starts[2] - (audio_3 + xf / 2)) <= 294
    for start, data, keep in zip(
        [starts[0], starts[1], audio_3 + xf], singles, [slice(None), slice(0, -xf), slice(xf, None)],
        strict=True,
    ):  # fmt: skip
        part = data[keep]
        np.testing.assert_array_equal(image[start : start + len(part)], part)  # bit for bit
    for track, start in zip(cd, starts, strict=True):
        if pre := track.get_index(0):
            assert not np.any(image[frames(pre) * 588 : start])  # the gap is silence
    for n in (1, 2, 3):
        single = folder / f"0{n}-song-{n}.wav"
        isrc = [None, "GBAYE0601498", "USRC17607839", None][n]
        tags = mutagen.File(str(single))
        assert (str(tags["TSRC"]) if "TSRC" in tags else None) == isrc  # ID3 in the WAV
        composer = [None, "Ann", None, "Cy"][n]
        assert (str(tags["TCOM"]) if "TCOM" in tags else None) == composer  # the songwriter
        bext = read_bext_description(single)
        assert bext.startswith(f"ISRC:{isrc} ") if isrc else "ISRC" not in bext


# ---------------------------------------------------------------- issue 16: trust


def _loud_and_quiet(tmp_path: Path) -> Path:
    """Two songs 12 dB apart: album normalisation leaves the quiet one far under the target."""
    root = tmp_path / "album"
    project = Project.create(root, "First Light", "The Producers", sample_rate=SR)
    with project.transaction("songs") as tx:
        for i, level in enumerate((0.02, 0.08)):
            src = tmp_path / f"take{i}.wav"
            sf.write(str(src), _noise(4.0, level, 20 + i), SR, subtype="PCM_24")
            ref = project.import_media(src)
            clip = Clip(
                id=f"c{i}", media=ref, start_frame=0, source_start_frame=0, length_frames=ref.frames
            )
            track = Track(name="mix", lanes=(Lane(id="l1", clips=(clip,)),), active="l1")
            tx.put_song(
                Song(title=f"Song {i + 1}", slug=f"song-{i + 1}", sample_rate=SR, tracks=(track,))
            )
    return root


def test_single_and_album_masters_never_share_a_name(tmp_path: Path) -> None:
    """Issue 16: `master --album --profile cd` silently overwrote the single-song CD master
    (same name, -11.0 -> -14.83 LUFS)."""
    root = _loud_and_quiet(tmp_path)
    r = run("-C", str(root), "master", "song-1", "--profile", "cd", "--json")
    assert r.exit_code == 0, r.stderr
    single = root / "masters" / "cd" / "singles" / "01-song-1.wav"
    assert json.loads(r.stdout)[0]["path"] == str(single) and _lufs(single) == pytest.approx(
        -11.0, abs=0.1
    )
    single_bytes = single.read_bytes()
    r = run("-C", str(root), "master", "--album", "--profile", "cd", "--json")
    assert r.exit_code == 0, r.stderr
    rows = json.loads(r.stdout)
    in_album = root / "masters" / "cd" / "01-song-1.wav"
    assert [x["path"] for x in rows] == [str(in_album), str(root / "masters/cd/02-song-2.wav")]
    assert single.read_bytes() == single_bytes  # the single is untouched
    assert _lufs(in_album) < -20.0  # the album's song 1 is a different master
    assert not any(x["replaced"] for x in rows)
    # A rerun replaces its own earlier files, and says so.
    r = run("-C", str(root), "master", "--album", "--profile", "cd")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.count("replaced an earlier master") == 2
    assert "album run of 2 songs" in r.stdout
    assert "CD image and CUE sheet" in r.stdout and "replaced the earlier ones" in r.stdout
    # A new running order: the earlier run's numbered files are not this album; said, kept.
    project = Project.open(root)
    with project.transaction("reorder") as tx:
        tx.put_album(dataclasses.replace(tx.album, songs=tuple(reversed(tx.album.songs))))
    r = run("-C", str(root), "master", "--album", "--profile", "cd")
    assert r.exit_code == 0, r.stderr
    stale = [x for x in r.stderr.splitlines() if "from an earlier run" in x]
    assert len(stale) == 2 and "01-song-1.wav" in stale[0] and "02-song-2.wav" in stale[1]
    assert in_album.is_file()


def test_album_verdict_follows_album_normalisation_in_words(tmp_path: Path) -> None:
    """Issue 16: album CD masters printed [cd: ok] at -14.83 LUFS against -11.0 ± 0.1, and the
    report said PASSED above a red FAIL row without explaining album normalisation."""
    root = _loud_and_quiet(tmp_path)
    r = run("-C", str(root), "master", "--album", "--profile", "cd", "--json")
    assert r.exit_code == 0, r.stderr
    quiet, loud = json.loads(r.stdout)
    assert loud["integrated_lufs"] == pytest.approx(-11.0, abs=0.1)
    assert quiet["integrated_lufs"] < -20.0 and quiet["passed"] is True
    required = quiet["requirements"][0]["required"]
    assert "album-normalised: the loudest song at -11.0 LUFS" in required
    assert "keep their differences" in required and "Song 2" in quiet["requirements"][0]["achieved"]
    assert quiet["verdict"] == "cd, album-normalised: ok"
    assert "album-normalised: one gain of" in r.stderr  # said once for the album
    for row in (quiet, loud):
        report = Path(row["path"]).with_suffix(".report.json")
        data = json.loads(report.read_text())
        assert data["passed"] == all(x["passed"] for x in data["requirements"])
        page = report.with_suffix("").with_suffix(".report.html").read_text()
        assert "PASSED" in page and "pill bad" not in page and "FAIL<" not in page
        assert "Album normalisation" in page
    # A song whose gain is not the album's fails its row, and so the verdict.
    from producer.mastering import album as album_mod
    from producer.mastering import get_profile
    from producer.mastering.verdict import album_goals, file_facts, judge

    cd = get_profile("cd")
    inputs = [
        album_mod.AlbumInput(_noise(3.0, level, 30 + i).T, SR, title=f"S{i}")
        for i, level in enumerate((0.02, 0.08))
    ]
    results = album_mod.master_album(inputs, cd)
    goals = album_goals(results, ["S0", "S1"], cd, "album")
    out = tmp_path / "forged.wav"
    from producer.mastering.export import write_master

    write_master(out, results[0].audio, SR, "16")
    forged = dataclasses.replace(results[0], gain_db=results[0].gain_db + 1.0)
    verdict = judge(forged, cd, goals[0], file_facts(out))
    assert not verdict.passed and verdict.rows[0].key == "loudness" and not verdict.rows[0].passed
    assert judge(results[0], cd, goals[0], file_facts(out)).passed


def test_a_reference_target_is_said_in_words(wav: Path, tmp_path: Path) -> None:
    """Issue 16: with --reference, [ebu-r128: ok] was printed at -12.92 LUFS (profile: -23)."""
    ref = tmp_path / "ref.wav"
    sf.write(str(ref), _noise(3.5, 0.3, 2), 48000)
    out = tmp_path / "matched.wav"
    r = run("master", str(wav), "--profile", "ebu-r128", "--reference", str(ref), "-o", str(out))
    assert r.exit_code == 0, r.stderr
    assert "[ebu-r128, loudness of the reference: ok]" in r.stdout
    data = json.loads(out.with_suffix(".report.json").read_text())
    required = data["requirements"][0]["required"]
    assert "reference ref.wav" in required and "instead of the profile's -23.0 LUFS" in required
    assert data["integrated_lufs"] == pytest.approx(_lufs(ref), abs=0.1)
    # Without -o the name says it was matched to a reference: it is not the profile's master.
    short = tmp_path / "short.wav"
    sf.write(str(short), _noise(1.0, 0.1, 4), SR)
    r = run("master", str(short), "--profile", "ebu-r128", "--reference", str(ref))
    assert r.exit_code == 0, r.stderr
    assert (tmp_path / "short-ebu-r128-like-ref.wav").is_file()
    assert not (tmp_path / "short-ebu-r128.wav").exists()


def test_a_lossy_file_is_no_cd_master(wav: Path, tmp_path: Path) -> None:
    """Issue 16: `-o x.mp3` with the cd profile wrote a 128 kbps MP3 and said [cd: ok]."""
    out = tmp_path / "x.mp3"
    r = run("master", str(wav), "--profile", "cd", "-o", str(out))
    assert r.exit_code == 2 and r.stderr.count("\n") == 1
    assert "16-bit PCM" in r.stderr and "lossy" in r.stderr
    assert not out.exists() and not list(tmp_path.glob("x.*"))
    # The format requirement is checked on the file itself: an MP3 fails its row.
    from producer.mastering import get_profile, master
    from producer.mastering.export import write_master
    from producer.mastering.verdict import file_facts, judge, profile_goal

    cd = get_profile("cd")
    result = master(_noise(3.0, 0.1, 5).T, SR, cd)
    write_master(out, result.audio, SR, "16")
    verdict = judge(result, cd, profile_goal(cd), file_facts(out))
    fmt = {x.key: x for x in verdict.rows}["format"]
    assert not fmt.passed and "MP3" in fmt.achieved and not verdict.passed


def test_master_never_overwrites_its_input(wav: Path) -> None:
    before = wav.read_bytes()
    r = run("master", str(wav), "--profile", "streaming", "-o", str(wav))
    assert r.exit_code == 2 and "input" in r.stderr
    assert wav.read_bytes() == before


def test_album_options_are_refused_for_one_song(tmp_path: Path, wav: Path) -> None:
    root = _project(tmp_path / "album", 1)
    for args in (["--fade-out", "2"], ["--gap", "1"], ["--normalisation", "album"]):
        r = run("-C", str(root), "master", "song-1", *args)
        assert r.exit_code == 2 and "--album" in r.stderr, r.stderr
    r = run("-C", str(root), "master", "--album", "--reference", str(wav))
    assert r.exit_code == 2 and "--reference" in r.stderr
    assert not (root / "masters").exists()
