"""Album mode: album normalisation keeps the loudness differences; the CD image has the
pre-gap, 588-sample-aligned starts, the per-track masters bit for bit, and a valid CUE."""

from __future__ import annotations

import numpy as np
import pylibcue
import pytest

from producer.errors import UserError, ValidationError
from producer.mastering.album import AlbumInput, apply_fades, build_cd_image, master_album
from producer.mastering.cue import SAMPLES_PER_FRAME, parse_cue, write_cue
from producer.mastering.profiles import get_profile

from .refs import ebu_integrated, peak_8x_dbtp, pinkish

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
        assert peak_8x_dbtp(r.audio, r.sample_rate) <= prof.ceiling_dbtp


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
