"""The engine's fast paths change no sample.

Direct reads of plain strips (``RawMediaSource.read_raw``): the same songs render through ``ProjectMedia`` (which offers raw 16-bit samples, so plain
strips take the one-pass read) and through a wrapper that hides ``read_raw`` (every strip
takes the general path: float read, gains, pan). Both must be bit-identical, mix and stems;
the first render must really have used the direct path.

Automated inserts: only they run in 64-frame sub-blocks, the static inserts of the same chain
take the whole block; the result must equal the whole chain run sub-block by sub-block (the
catalog's real units: pedalboard filters and the compressor).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
import soundfile as sf

from producer.audio import Audio
from producer.dsp import catalog
from producer.engine import ArraySink, ArraySource, RenderResult, render_song, track_id
from producer.engine.source import RawMediaSource
from producer.model import (
    AutomationLane,
    AutomationPoint,
    Clip,
    EffectSlot,
    Fade,
    FadeShape,
    Lane,
    MediaRef,
    Song,
    Track,
)
from producer.workflows.mix import ProjectMedia

RATE = 48000
BLOCK = 1000


class CountingMedia(ProjectMedia):
    """ProjectMedia counting the direct reads."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.raw_reads = 0

    def read_raw(
        self, ref: MediaRef, start_frame: int, frames: int
    ) -> tuple[npt.NDArray[np.int16] | Audio, float]:
        self.raw_reads += 1
        return super().read_raw(ref, start_frame, frames)


class FloatOnly:
    """The same files through the plain ``MediaSource`` interface only."""

    def __init__(self, root: Path) -> None:
        self.media = ProjectMedia(root)

    def read(self, ref: MediaRef, start_frame: int, frames: int) -> Audio:
        return self.media.read(ref, start_frame, frames)


def write(root: Path, name: str, channels: int, frames: int, seed: int, subtype: str) -> MediaRef:
    data = np.random.default_rng(seed).uniform(-0.9, 0.9, (frames, channels))
    sf.write(str(root / name), data, RATE, subtype=subtype)
    return MediaRef(name, "0" * 64, RATE, channels, frames)


def track(name: str, *clips: Clip, **kw: Any) -> Track:
    return Track(name=name, lanes=(Lane(id=f"{name}-1", clips=clips),), active=f"{name}-1", **kw)


def whole(cid: str, ref: MediaRef, start: int, **kw: Any) -> Clip:
    return Clip(cid, ref, start, 0, ref.frames, **kw)


def render(song: Song, source: Any) -> tuple[Audio, dict[str, Audio], RenderResult]:
    mix = ArraySink()
    stems = {track_id(t.name): ArraySink() for t in song.tracks}
    result = render_song(song, source, mix, stems, block_frames=BLOCK, tail_frames=0)
    return mix.audio, {k: v.audio for k, v in stems.items()}, result


@pytest.fixture
def song(tmp_path: Path) -> Song:
    st = write(tmp_path, "st.wav", 2, 7300, 1, "PCM_16")
    mono = write(tmp_path, "mono.wav", 1, 5200, 2, "PCM_16")
    deep = write(tmp_path, "deep.wav", 2, 4100, 3, "PCM_24")
    tracks = (
        track("Plain", whole("a", st, 0), gain_db=-3.5, pan=0.3),
        track("Left", whole("b", st, 250), gain_db=2.0, pan=-0.8),
        track("Centre", whole("c", st, 0)),  # unity: left == right == 1
        track("Mono", whole("d", mono, 1234), gain_db=-1.0, pan=0.45),
        track("Flip", whole("e", st, 0), pan=-0.2, polarity_inverted=True),
        track("Deep", whole("f", deep, 500), gain_db=-6.0),  # 24-bit: float raw, scale 1
        track(
            "Faded",
            Clip("g", st, 2000, 300, 5000, fade_in=Fade(1500, FadeShape.S_CURVE)),
            gain_db=-2.0,
            pan=0.5,
        ),
        track("Muted", whole("h", st, 0), mute=True),
        track("Offset", Clip("i", st, 3100, 1777, 4000, gain_db=-1.5), pan=0.9),
        # Inserts: the source block comes from the raw samples, C-contiguous, then the chain.
        track("Fx", whole("j", st, 100), inserts=(EffectSlot("highpass"),), pan=-0.4),
        track("MonoFx", whole("k", mono, 0), inserts=(EffectSlot("gain", {"gain_db": -3.0}),)),
    )
    return Song(title="Direct", slug="direct", sample_rate=RATE, tracks=tracks)


def test_direct_reads_equal_the_general_path_bit_for_bit(tmp_path: Path, song: Song) -> None:
    direct = CountingMedia(tmp_path)
    assert isinstance(direct, RawMediaSource)
    assert not isinstance(FloatOnly(tmp_path), RawMediaSource)
    mix_d, stems_d, res_d = render(song, direct)
    mix_f, stems_f, res_f = render(song, FloatOnly(tmp_path))
    assert direct.raw_reads > 30  # the plain strips' full blocks went the direct way
    assert res_d == res_f
    assert mix_d.shape == mix_f.shape == (2, res_d.frames)
    assert np.array_equal(mix_d, mix_f)
    for k, stem in stems_f.items():
        assert np.array_equal(stems_d[k], stem), k
    assert np.max(np.abs(mix_d)) > 0.5  # something was rendered


def test_raw_samples_times_scale_are_the_float_read(tmp_path: Path) -> None:
    ref = write(tmp_path, "x.wav", 2, 3000, 4, "PCM_16")
    media = ProjectMedia(tmp_path)
    raw, scale = media.read_raw(ref, 2500, 1000)  # runs 500 frames past the end
    assert raw.dtype == np.int16 and raw.shape == (1000, 2) and scale == 2.0**-15
    expected = media.read(ref, 2500, 1000)
    assert np.array_equal(raw.astype(np.float32).T * np.float32(scale), expected)
    assert not raw[500:].any()
    media.close()


def _with_junk_chunk(path: Path) -> None:
    """Insert a JUNK chunk (odd size, padded) before the data chunk of a WAV file."""
    data = path.read_bytes()
    at = data.index(b"data")
    junk = b"JUNK" + (5).to_bytes(4, "little") + b"abcde\0"
    data = data[:at] + junk + data[at:]
    path.write_bytes(data[:4] + (len(data) - 8).to_bytes(4, "little") + data[8:])


@pytest.mark.parametrize(
    ("channels", "fmt"), [(1, "WAV"), (2, "WAV"), (2, "WAVEX"), (3, "WAV"), (2, "RF64")]
)
def test_24_bit_wav_decoded_by_numpy_is_libsndfile_bit_for_bit(
    tmp_path: Path, channels: int, fmt: str
) -> None:
    """24-bit WAV skips libsndfile's slow conversion: the same float32 values, every frame,
    whatever the chunk layout (extensible header, an extra chunk); other layouts (RF64) go
    through libsndfile."""
    rng = np.random.default_rng(channels)
    frames = 5000
    ints = rng.integers(-(2**23), 2**23, (frames, channels))
    ints[:4] = [[-(2**23)] * channels, [2**23 - 1] * channels, [0] * channels, [-1] * channels]
    path = tmp_path / "x.wav"
    sf.write(str(path), ints / 2**23, RATE, subtype="PCM_24", format=fmt)
    if fmt == "WAV":
        _with_junk_chunk(path)
    expected, _ = sf.read(str(path), dtype="float32", always_2d=True)
    assert np.array_equal(expected * 2**23, ints)  # the file holds exactly these samples
    media = ProjectMedia(tmp_path)
    ref = MediaRef("x.wav", "0" * 64, RATE, channels, frames)
    fast = fmt != "RF64"
    windows = [(0, frames), (1, 999), (4321, 1000), (frames - 10, 64)]
    for start, n in [*windows, *([(frames + 5, 8)] if fast else [])]:
        raw, scale = media.read_raw(ref, start, n)
        assert raw.dtype == (np.int32 if fast else np.float32) and raw.shape == (n, channels)
        want = np.zeros((n, channels), dtype=np.float32)
        got_frames = max(0, min(n, frames - start))
        want[:got_frames] = expected[start : start + got_frames]
        assert np.array_equal(raw.astype(np.float32) * np.float32(scale), want)
        assert np.array_equal(media.read(ref, start, n), want.T)
    media.close()


def test_static_inserts_around_an_automated_one_equal_the_sub_block_chain() -> None:
    n = 20000
    x = np.random.default_rng(5).uniform(-0.8, 0.8, (2, n)).astype(np.float32)
    hp = {"cutoff_frequency_hz": 200.0}
    comp = {"threshold_db": -12.0, "ratio": 4.0, "attack_ms": 2.0, "release_ms": 50.0}
    inserts = (
        EffectSlot("highpass", hp),
        EffectSlot("gain"),
        EffectSlot("compressor", comp),
    )
    lane = AutomationLane("fx.2.gain_db", (AutomationPoint(0, -20.0), AutomationPoint(n, 6.0)))
    ref = MediaRef("x.wav", "0" * 64, RATE, 2, n)
    song = Song(
        title="Auto",
        slug="auto",
        sample_rate=RATE,
        tracks=(track("A", whole("a", ref, 0), inserts=inserts, automation=(lane,)),),
    )
    outs = []
    for block in (8192, 1000):
        sink = ArraySink()
        render_song(song, ArraySource({"x.wav": x}), sink, block_frames=block, tail_frames=0)
        outs.append(sink.audio)
    assert np.array_equal(outs[0], outs[1])
    # Reference: the whole chain, fresh units, sub-block by sub-block of 64 frames.
    units = [
        catalog.create("highpass", hp, RATE, 2, 64),
        catalog.create("gain", {}, RATE, 2, 64),
        catalog.create("compressor", comp, RATE, 2, 64),
    ]
    expected = np.empty_like(x)
    for i in range(0, n, 64):
        units[1].set_param("gain_db", float(np.interp(i, [0, n], [-20.0, 6.0])))
        y = x[:, i : i + 64]
        for u in units:
            y = u.process(y)
        expected[:, i : i + 64] = y
    # Centre pan of a stereo track is unity: the mix is the chain's output.
    assert np.max(np.abs(outs[0] - expected)) < 1e-6  # below −120 dBFS
    assert np.max(np.abs(expected - x)) > 0.1  # the chain did something


def test_joined_pedalboard_units_are_the_units_one_by_one() -> None:
    """Static pedalboard inserts in a row run as one pedalboard.Pedalboard: the same samples
    as running every catalog unit on its own, block by block (runs broken by our compressor
    and a 12 dB/octave filter; an EQ band at 0 dB skipped; a latent limiter on its own)."""
    n = 30000
    x = np.random.default_rng(8).uniform(-0.6, 0.6, (2, n)).astype(np.float32)
    slots = [
        ("highpass", {"cutoff_frequency_hz": 90.0, "order": 1}),
        ("peak", {"cutoff_frequency_hz": 900.0, "gain_db": 4.0, "q": 2.0}),
        ("eq", {"band2_gain_db": 3.0, "band3_gain_db": 0.0, "band4_gain_db": -2.0}),
        ("compressor", {"threshold_db": -18.0, "ratio": 3.0}),
        ("lowshelf", {"gain_db": 2.0}),
        ("highpass", {"cutoff_frequency_hz": 60.0}),  # order 2: scipy, not pedalboard
        ("chorus", {}),
        ("reverb", {"room_size": 0.4}),
        ("limiter", {"ceiling_db": -3.0}),
    ]
    ref = MediaRef("x.wav", "0" * 64, RATE, 2, n)
    song = Song(
        title="Join",
        slug="join",
        sample_rate=RATE,
        tracks=(track("A", whole("a", ref, 0), inserts=tuple(EffectSlot(k, p) for k, p in slots)),),
    )
    block = 4096
    sink = ArraySink()
    render_song(song, ArraySource({"x.wav": x}), sink, block_frames=block, tail_frames=0)
    units = [catalog.create(k, p, RATE, 2, block) for k, p in slots]
    latency = sum(u.latency_frames for u in units)
    expected = []
    for i in range(0, n + latency, block):
        y = np.zeros((2, min(block, n + latency - i)), dtype=np.float32)
        y[:, : max(0, min(n - i, y.shape[1]))] = x[:, i : i + y.shape[1]]
        for u in units:
            y = u.process(y)
        expected.append(y)
    want = np.concatenate(expected, axis=1)[:, latency:]
    assert sink.audio.shape == want.shape
    assert np.array_equal(sink.audio, want)
    assert np.max(np.abs(want - x)) > 0.1
