"""The engine with the real effect catalog: ducking, reverb tails, automation, latency, API."""

from __future__ import annotations

import importlib

import numpy as np
import numpy.typing as npt
import pedalboard

from producer.engine import ArraySink, ArraySource, compile_song, render_song
from producer.model import (
    AutomationLane,
    AutomationPoint,
    Bus,
    Clip,
    EffectSlot,
    Lane,
    MediaRef,
    Send,
    Song,
    Track,
)

RATE = 48000
F = npt.NDArray[np.float32]


def _track(name: str, a: F, **kw: object) -> Track:
    ref = MediaRef(f"{name}.wav", "0" * 64, RATE, a.shape[0], a.shape[1])
    lane = Lane("l", clips=(Clip(f"c-{name}", ref, 0, 0, a.shape[1]),))
    return Track(name=name, lanes=(lane,), active="l", **kw)  # type: ignore[arg-type]


def _render(song: Song, media: dict[str, F], **kw: object) -> F:
    sink = ArraySink()
    render_song(song, ArraySource(media), sink, **kw)  # type: ignore[arg-type]
    return sink.audio


def _rms_db(x: F) -> float:
    return float(10 * np.log10(np.mean(np.square(x, dtype=np.float64)) + 1e-30))


def test_ducking_compressor_keyed_by_another_track() -> None:
    n = 2 * RATE
    t = np.arange(n) / RATE
    music = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)[None, :].repeat(2, axis=0)
    voice = np.zeros((1, n), np.float32)
    voice[0, RATE:] = 0.5 * np.sin(2 * np.pi * 440 * t[RATE:])  # the voice enters at 1 s
    duck = EffectSlot(
        "compressor",
        {"threshold_db": -30.0, "ratio": 8.0, "attack_ms": 1.0, "release_ms": 50.0},
        sidechain="Voice",
    )
    song = Song(
        title="D",
        slug="d",
        tracks=(_track("Music", music, inserts=(duck,)), _track("Voice", voice, mute=True)),
    )
    out = _render(song, {"Music.wav": music, "Voice.wav": voice}, tail_frames=0)
    before = _rms_db(out[:, RATE // 2 : RATE])
    during = _rms_db(out[:, RATE + RATE // 4 :])
    assert abs(before - _rms_db(music[:, RATE // 2 : RATE])) < 0.1  # untouched without a key
    assert during < before - 10.0  # ducked while the (muted) voice speaks


def test_reverb_tail_is_rendered_until_silence() -> None:
    click = np.zeros((2, RATE // 10), np.float32)
    click[:, 0] = 0.9
    verb = (EffectSlot("reverb", {"room_size": 0.3, "wet_level": 0.5, "dry_level": 0.0}),)
    song = Song(
        title="R",
        slug="r",
        tracks=(_track("Hit", click, sends=(Send("Room"),), mute=False),),
        buses=(Bus("Room", inserts=verb),),
    )
    out = _render(song, {"Hit.wav": click})
    assert out.shape[1] > RATE // 2  # well past the 0.1 s clip
    assert np.abs(out[:, -1]).max() > 1e-6  # ends on the last sound above −120 dBFS
    assert np.abs(out[:, RATE // 10 :]).max() > 1e-3  # the tail is there


def test_effect_automation_through_the_catalog_matches_stepwise_reference() -> None:
    n = RATE // 2
    x = np.random.default_rng(3).uniform(-0.5, 0.5, (2, n)).astype(np.float32)
    lane = AutomationLane("fx.1.gain_db", (AutomationPoint(0, -24.0), AutomationPoint(n, 0.0)))
    song = Song(
        title="A",
        slug="a",
        tracks=(_track("A", x, inserts=(EffectSlot("gain"),), automation=(lane,)),),
    )
    one = _render(song, {"A.wav": x}, tail_frames=0, block_frames=8192)
    two = _render(song, {"A.wav": x}, tail_frames=0, block_frames=1000)
    assert np.array_equal(one, two)
    k = np.arange(n)
    gain_db = np.interp(k - k % 64, [0, n], [-24.0, 0.0])  # set every 64 frames
    err = np.abs(one - x * 10 ** (gain_db / 20)).max()
    assert 20 * np.log10(err) < -120


def test_latent_limiter_on_a_bus_stays_aligned() -> None:
    n = RATE // 4
    x = np.random.default_rng(4).uniform(-0.1, 0.1, (2, n)).astype(np.float32)
    lim = EffectSlot("limiter", {"ceiling_db": 0.0, "lookahead_ms": 5.0})
    song = Song(
        title="L",
        slug="l",
        tracks=(_track("A", x, sends=(Send("Lim"),)),),
        buses=(Bus("Lim", inserts=(lim,)),),
    )
    plan = compile_song(song)
    assert plan.latency_frames == plan.strips["bus:Lim"].latency_frames > 0
    out = _render(song, {"A.wav": x}, tail_frames=0)
    # The limiter never acts on this quiet signal: dry + delayed-and-compensated copy = 2x.
    err = np.abs(out - 2 * x).max()
    assert err < 1e-6  # below −120 dBFS: the look-ahead delay is compensated exactly


def test_engine_exports_what_all_lists() -> None:
    engine = importlib.import_module("producer.engine")
    assert len(engine.__all__) == len(set(engine.__all__))
    for name in engine.__all__:
        assert hasattr(engine, name), name
    assert pedalboard.__version__
