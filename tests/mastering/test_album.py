"""Album mode: album normalisation keeps the loudness differences; the CD image has the
pre-gap, 588-sample-aligned starts, the per-track masters bit for bit, and a valid CUE."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pylibcue
import pytest

from producer.errors import UserError, ValidationError
from producer.mastering.album import AlbumInput, apply_fades, build_cd_image, master_album
from producer.mastering.cue import SAMPLES_PER_FRAME, parse_cue, write_cue
from producer.mastering.profiles import get_profile
from producer.model import Song, validate_song

from .refs import ebu_integrated, pinkish, true_peak_fft_dbtp

SR = 48000


def _song(seconds: float, level_db: float, seed: int) -> np.ndarray:
    return pinkish(int(seconds * SR), 2, seed) * np.float32(10 ** (level_db / 20))


@pytest.fixture(scope="module")
def album_inputs() -> list[AlbumInput]:
    return [
        AlbumInput(_song(4.5, -6, 11), SR, title="Loud", performer="P", isrc="GBAYE0601498"),
        AlbumInput(_song(5.0, -16, 12), SR, title="Quiet", gap_before_s=1.3),
        AlbumInput(_song(4.2, -10, 13)[:1], SR, title="Mono", gap_before_s=0.0),
    ]


@pytest.fixture(scope="module")
def cd_masters(album_inputs: list[AlbumInput]) -> list[np.ndarray]:
    return [r.audio for r in master_album(album_inputs, get_profile("cd"), normalisation="album")]


def test_album_normalisation_keeps_differences(album_inputs: list[AlbumInput]) -> None:
    prof = get_profile("apple")
    results = master_album(album_inputs, prof, normalisation="album")
    measured = [ebu_integrated(r.audio, r.sample_rate) for r in results]
    assert max(measured) == pytest.approx(prof.target_lufs, abs=0.1)  # loudest on target
    inputs_lufs = [ebu_integrated(i.audio, SR) for i in album_inputs]
    # The same gain for all: differences survive (the limiter only touches the loudest).
    for m, i in zip(measured[1:], inputs_lufs[1:], strict=True):
        assert m - measured[0] == pytest.approx(i - inputs_lufs[0], abs=0.3)
    assert len({round(r.gain_db, 6) for r in results}) == 1
    for r in results:
        assert true_peak_fft_dbtp(r.audio, r.sample_rate) <= prof.ceiling_dbtp


def test_track_normalisation_puts_every_track_on_target(album_inputs: list[AlbumInput]) -> None:
    prof = get_profile("streaming")
    for r in master_album(album_inputs, prof, normalisation="track"):
        assert ebu_integrated(r.audio, r.sample_rate) == pytest.approx(-14.0, abs=0.1)


def test_cd_image_layout(album_inputs: list[AlbumInput], cd_masters: list[np.ndarray]) -> None:
    image = build_cd_image(cd_masters, album_inputs, catalog="4006381333931", title="A")
    audio = image.audio
    assert audio.shape[0] == 2 and audio.shape[1] % SAMPLES_PER_FRAME == 0
    # ≥ 2 s of digital silence before track 1.
    assert image.track_starts[0] >= 88200
    assert not np.any(audio[:, : image.track_starts[0]])
    for start, master, n in zip(image.track_starts, cd_masters, image.track_lengths, strict=True):
        assert start % SAMPLES_PER_FRAME == 0
        assert n == master.shape[1] and n / 44100 >= 4.0
        expected = master if master.shape[0] == 2 else np.repeat(master, 2, axis=0)
        np.testing.assert_array_equal(audio[:, start : start + n], expected)
    # Gap before track 2 (1.3 s → rounded up to whole frames) is its INDEX 00; track 3 gapless.
    t2, t3 = image.cue.tracks[1], image.cue.tracks[2]
    assert t2.indexes[0].number == 0
    assert (t2.start_frames - t2.indexes[0].frames) == -(-int(1.3 * 44100) // 588)
    assert [i.number for i in t3.indexes] == [1]
    # The CUE agrees with the image, for our reader and for libcue.
    text = write_cue(image.cue)
    ours = parse_cue(text)
    cd = pylibcue.Cd.from_str(text)
    assert len(cd) == 3 and cd.catalog == "4006381333931"
    for k, t in enumerate(ours.tracks):
        mm, ss, ff = cd[k].start
        assert ((mm * 60 + ss) * 75 + ff) * SAMPLES_PER_FRAME == image.track_starts[k]
        assert t.start_frames * SAMPLES_PER_FRAME == image.track_starts[k]
    assert cd[0].isrc == "GBAYE0601498"


def test_cd_masters_are_16_bit_44k(cd_masters: list[np.ndarray]) -> None:
    for m in cd_masters:
        ints = m.astype(np.float64) * 32768
        np.testing.assert_array_equal(ints, np.round(ints))
        assert m.shape[0] == 2  # the mono song became 2-channel for Red Book


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"catalog": "4006381333932"}, "check digit"),
        ({"isrc": "GBAYE06014"}, "12 characters"),
        ({"short": True}, "at least 4 s"),
    ],
)
def test_red_book_violations_are_refused(kwargs: dict[str, object], match: str) -> None:
    master = np.zeros((2, 5 * 44100), dtype=np.float32)
    masters = [master, master]
    inputs = [
        AlbumInput(master, 44100, isrc=str(kwargs.get("isrc", ""))),
        AlbumInput(master, 44100),
    ]
    if kwargs.get("short"):
        masters[1] = master[:, : 3 * 44100]
    with pytest.raises(ValidationError, match=match):
        build_cd_image(masters, inputs, catalog=str(kwargs.get("catalog", "")))


def test_too_many_tracks_is_refused() -> None:
    m = np.zeros((2, 4 * 44100), dtype=np.float32)
    with pytest.raises(ValidationError, match="99"):
        build_cd_image([m] * 100, [AlbumInput(m, 44100, gap_before_s=0.0)] * 100)


def test_empty_album_is_a_user_error() -> None:
    with pytest.raises(UserError, match="no songs"):
        master_album([], get_profile("cd"))


def test_fades_are_equal_power_and_in_place() -> None:
    x = np.ones((1, 1000), dtype=np.float32)
    y = apply_fades(x, 1000, 0.1, 0.2)
    assert y[0, 0] < 0.05 and y[0, 99] > 0.99 and y[0, 500] == 1.0 and y[0, -1] < 0.05
    assert np.all(x == 1.0)


def _grid(seconds: float, seed: int) -> np.ndarray:
    """A 44.1 kHz 2-channel 'master' already on the 16-bit grid [shape=(2, frames)]."""
    ints = np.random.default_rng(seed).integers(-8000, 8000, (2, int(seconds * 44100)))
    return (ints / 32768).astype(np.float32)


def _frames(msf: tuple[int, int, int]) -> int:
    mm, ss, ff = msf
    return (mm * 60 + ss) * 75 + ff


@pytest.mark.parametrize(("first_gap_s", "pregap_frames"), [(3.0, 225), (0.5, 150), (0.0, 150)])
def test_per_song_metadata_and_gaps_reach_the_cue(first_gap_s: float, pregap_frames: int) -> None:
    """Each song's ISRC, songwriter and gap land in the CUE (read by libcue); the first
    track's pre-gap is never under the Red Book's 2 s; later gaps are whole CD frames."""
    masters = [_grid(4.2, 1), _grid(5.1, 2), _grid(4.0, 3)]
    inputs = [
        AlbumInput(masters[0], 44100, title="One", songwriter="Ann", isrc="GB-AYE-06-01498",
                   gap_before_s=first_gap_s),
        AlbumInput(masters[1], 44100, title="Two", songwriter="Bo", isrc="usrc17607839",
                   gap_before_s=0.75),
        AlbumInput(masters[2], 44100, title="Three", gap_before_s=0.0),
    ]  # fmt: skip
    image = build_cd_image(masters, inputs, catalog="4006381333931", title="A", performer="P")
    cd = pylibcue.Cd.from_str(write_cue(image.cue))
    assert cd.catalog == "4006381333931"
    assert [t.isrc for t in cd] == ["GBAYE0601498", "USRC17607839", None]
    assert [t.cdtext.songwriter for t in cd] == ["Ann", "Bo", None]
    # Track 1: INDEX 00 at 00:00:00, INDEX 01 after the pre-gap (≥ 150 frames = 2 s).
    assert _frames(cd[0].get_index(0)) == 0
    assert _frames(cd[0].get_index(1)) == pregap_frames
    # Track 2: 0.75 s = 33075 samples → 57 frames (56.25 rounded up to a whole frame).
    assert _frames(cd[1].get_index(1)) - _frames(cd[1].get_index(0)) == 57
    assert cd[2].get_index(0) is None  # gap 0: gapless, no INDEX 00
    # Track 2's gap is digital silence that starts where track 1's frame-padded audio ends.
    end_1 = image.track_starts[0] + -(-masters[0].shape[1] // 588) * 588
    assert _frames(cd[1].get_index(0)) * 588 == end_1
    assert not np.any(image.audio[:, end_1 : image.track_starts[1]])
    for start, master in zip(image.track_starts, masters, strict=True):
        assert start % SAMPLES_PER_FRAME == 0
        np.testing.assert_array_equal(image.audio[:, start : start + master.shape[1]], master)
    assert image.track_starts[0] == pregap_frames * 588
    assert not np.any(image.audio[:, : image.track_starts[0]])


def test_validate_song_names_the_delivery_fields() -> None:
    ok = Song(title="S", slug="s", isrc="GB-AYE-06-01498", songwriter="Ann", gap_before_s=0.0)
    assert validate_song(ok) == []
    bad = Song(
        title="S",
        slug="s",
        isrc="GB-AYE-06-0149X",
        songwriter='A "B"',
        gap_before_s=-1.0,
        crossfade_s=-0.5,
    )
    problems = validate_song(bad)
    fields = ["isrc", "songwriter", "gap_before_s", "crossfade_s"]
    assert [p.split(":")[0] for p in problems] == fields
    assert all("\n" not in p for p in problems)
    assert validate_song(Song(title="S", slug="s", isrc="1BAYE0601498"))[0].startswith("isrc: ")
    assert validate_song(Song(title="S", slug="s", gap_before_s=math.inf)) != []


def test_crossfade_index_at_the_midpoint_and_audio_elsewhere_bit_for_bit(
    album_inputs: list[AlbumInput], cd_masters: list[np.ndarray]
) -> None:
    """Track 1 crossfades 1 s into track 2: INDEX 01 of track 2 sits on the 588-sample frame
    boundary nearest the crossfade's midpoint; outside the overlap the masters are copied bit
    for bit; inside it the image is the equal-gain mix, dithered to 16 bits, and stays under
    the CD ceiling (checked by the independent 8x peak)."""
    inputs = [dataclasses.replace(album_inputs[0], crossfade_s=1.0), *album_inputs[1:]]
    image = build_cd_image(cd_masters, inputs)
    m0, m1, m2 = cd_masters  # all 2-channel already (Red Book)
    xf = 44100
    a0, a1, a2 = image.audio_starts
    assert a1 == a0 + m0.shape[1] - xf
    mid = a1 + xf / 2
    assert image.track_starts[1] % SAMPLES_PER_FRAME == 0
    assert abs(image.track_starts[1] - mid) <= SAMPLES_PER_FRAME / 2
    cd = pylibcue.Cd.from_str(write_cue(image.cue))
    assert cd[1].get_index(0) is None  # no silence to skip: no INDEX 00
    mm, ss, ff = cd[1].get_index(1)
    assert ((mm * 60 + ss) * 75 + ff) * SAMPLES_PER_FRAME == image.track_starts[1]
    audio = image.audio
    np.testing.assert_array_equal(audio[:, a0:a1], m0[:, : m0.shape[1] - xf])
    np.testing.assert_array_equal(audio[:, a1 + xf : a1 + m1.shape[1]], m1[:, xf:])
    np.testing.assert_array_equal(audio[:, a2 : a2 + m2.shape[1]], m2)  # gapless, no crossfade
    r = (np.arange(xf) + 0.5) / xf
    expected = (1 - r) * m0[:, -xf:].astype(np.float64) + r * m1[:, :xf].astype(np.float64)
    got = audio[:, a1 : a1 + xf].astype(np.float64)
    lsb = 1 / 32768
    np.testing.assert_array_equal(got * 32768, np.round(got * 32768))  # on the 16-bit grid
    assert np.max(np.abs(got - expected)) < 1.5 * lsb  # TPDF: round(x + d), |d| < 1 LSB
    assert abs(float(np.mean(got - expected))) < 0.01 * lsb  # dither is unbiased
    assert true_peak_fft_dbtp(audio, 44100) <= get_profile("cd").ceiling_dbtp


def test_crossfade_longer_than_half_a_track_is_refused() -> None:
    m = _grid(4.0, 4)
    inputs = [AlbumInput(m, 44100, crossfade_s=2.5), AlbumInput(m, 44100)]
    with pytest.raises(ValidationError, match=r"crossfade of 2\.5 s into track 02 is longer"):
        build_cd_image([m, m], inputs)
