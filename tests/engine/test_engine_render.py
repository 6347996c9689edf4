"""Null tests of the mix engine against independent numpy references.

Every expected signal is written here from the definitions (the issue's pan laws, the fade
formulas of ``producer.dsp.fades`` as documented, dB = 20·log10) in float64; the render is
float32; ``render − expected`` must stay below −120 dBFS.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
import soundfile as sf
from engine_standins import StandInEffects

from producer.engine import (
    ArraySink,
    ArraySource,
    FileSink,
    bus_id,
    render_song,
    track_id,
)
from producer.errors import NotFoundError, UserError, ValidationError
from producer.model import (
    COMP,
    AutomationLane,
    AutomationPoint,
    Bus,
    Clip,
    Comp,
    CompSegment,
    EffectSlot,
    Fade,
    FadeShape,
    Interpolation,
    Lane,
    MediaRef,
    Send,
    Song,
    Track,
)

RATE = 48000
F = npt.NDArray[np.float64]
FX = StandInEffects()


def noise(channels: int, frames: int, seed: int) -> F:
    return np.random.default_rng(seed).uniform(-0.5, 0.5, (channels, frames))


def ref(path: str, a: F) -> MediaRef:
    return MediaRef(
        path=path, sha256="0" * 64, sample_rate=RATE, channels=a.shape[0], frames=a.shape[1]
    )


def clip(
    cid: str, path: str, a: F, start: int, offset: int = 0, length: int | None = None, **kw: Any
) -> Clip:
    n = a.shape[1] - offset if length is None else length
    return Clip(
        id=cid,
        media=ref(path, a),
        start_frame=start,
        source_start_frame=offset,
        length_frames=n,
        **kw,
    )


def track(name: str, *clips: Clip, **kw: Any) -> Track:
    return Track(
        name=name, lanes=(Lane(id=f"{name}-take1", clips=clips),), active=f"{name}-take1", **kw
    )


def song(*tracks: Track, buses: tuple[Bus, ...] = (), master: Bus | None = None) -> Song:
    s = Song(title="T", slug="t", sample_rate=RATE, tracks=tracks, buses=buses)
    return s if master is None else replace(s, master=master)


def render(
    s: Song, media: dict[str, F], stems: tuple[str, ...] = (), **kw: Any
) -> tuple[F, dict[str, F]]:
    mix = ArraySink()
    sinks = {k: ArraySink() for k in stems}
    kw.setdefault("tail_frames", 0)
    render_song(
        s,
        ArraySource({k: v.astype(np.float32) for k, v in media.items()}),
        mix,
        sinks,
        effects=FX,
        **kw,
    )
    return mix.audio.astype(np.float64), {k: v.audio.astype(np.float64) for k, v in sinks.items()}


def assert_null(got: F, expected: F) -> None:
    assert got.shape == expected.shape
    err = float(np.max(np.abs(got - expected))) if got.size else 0.0
    assert err == 0.0 or 20 * np.log10(err) < -120.0, f"residual {20 * np.log10(err):.1f} dBFS"


def mono_pan(x: F, pan: float | F = 0.0) -> F:
    """The issue's constant-power law: left = cos((p+1)·π/4), right = sin((p+1)·π/4)."""
    angle = (np.asarray(pan) + 1.0) * np.pi / 4.0
    return np.vstack([x * np.cos(angle), x * np.sin(angle)])


def balance(x: F, pan: float) -> F:
    """The issue's balance law: p < 0 scales the right by 1 + p, p > 0 the left by 1 − p."""
    left = 1.0 - pan if pan > 0 else 1.0
    right = 1.0 + pan if pan < 0 else 1.0
    return np.vstack([x[0] * left, x[1] * right])


def place(total: int, x: F, start: int) -> F:
    out = np.zeros((x.shape[0], total))
    out[:, start : start + x.shape[1]] = x
    return out


def f32(a: F) -> F:
    """What the engine reads: the media as float32."""
    return a.astype(np.float32).astype(np.float64)


def fade_in(shape: str, n: int) -> F:
    """The documented curves, t = k/(n−1)."""
    t = np.linspace(0.0, 1.0, n) if n > 1 else np.array([0.5])
    return {
        "linear": t,
        "equal_power": np.sin(np.pi / 2 * t),
        "s_curve": (1 - np.cos(np.pi * t)) / 2,
        "exponential": (1000.0**t - 1) / 999.0,
    }[shape]


# ------------------------------------------------------------------ clips


def test_clip_placement_and_source_offset() -> None:
    a = noise(1, 5000, 1)
    s = song(track("A", clip("c1", "a.wav", a, start=1234, offset=321, length=3000)))
    got, _ = render(s, {"a.wav": a})
    expected = place(1234 + 3000, mono_pan(f32(a)[0, 321:3321]), 1234)
    assert_null(got, expected)


def test_clip_gain_and_stereo_source() -> None:
    a = noise(2, 4000, 2)
    s = song(track("A", clip("c1", "a.wav", a, start=10, gain_db=-7.5)))
    got, _ = render(s, {"a.wav": a})
    assert_null(got, place(4010, f32(a) * 10 ** (-7.5 / 20), 10))


@pytest.mark.parametrize("shape", [s.value for s in FadeShape])
def test_each_fade_shape(shape: str) -> None:
    a = noise(2, 6000, 3)
    c = clip(
        "c1",
        "a.wav",
        a,
        start=100,
        fade_in=Fade(1500, FadeShape(shape)),
        fade_out=Fade(999, FadeShape(shape)),
    )
    got, _ = render(song(track("A", c)), {"a.wav": a})
    g = np.ones(6000)
    g[:1500] = fade_in(shape, 1500).astype(np.float32)
    g[-999:] *= fade_in(shape, 999)[::-1].astype(np.float32)
    assert_null(got, place(6100, f32(a) * g, 100))


def test_overlapping_clips_crossfade_equal_power() -> None:
    a, b = noise(2, 5000, 4), noise(2, 5000, 5)
    # b starts 800 frames before a ends: an 800-frame equal-power crossfade (plan.py's rule).
    c1 = clip("c1", "a.wav", a, start=0)
    c2 = clip("c2", "b.wav", b, start=4200)
    got, _ = render(song(track("A", c1, c2)), {"a.wav": a, "b.wav": b})
    up = fade_in("equal_power", 800).astype(np.float32)
    ga, gb = np.ones(5000), np.ones(5000)
    ga[-800:] = up[::-1]
    gb[:800] = up
    expected = place(9200, f32(a) * ga, 0) + place(9200, f32(b) * gb, 4200)
    assert_null(got, expected)


def test_comp_segments_crossfade_at_seams() -> None:
    t1, t2 = noise(1, 20000, 6), noise(1, 20000, 7)
    lanes = (
        Lane(id="take1", clips=(clip("c1", "t1.wav", t1, 0),)),
        Lane(id="take2", clips=(clip("c2", "t2.wav", t2, 0),)),
    )
    comp = Comp(
        segments=(
            CompSegment("take1", 0, 6000),
            CompSegment("take2", 6000, 15000),
            CompSegment("take1", 15000, 20000),
        ),
        crossfade_frames=480,
    )
    s = song(Track(name="V", lanes=lanes, active=COMP, comp=comp))
    got, _ = render(s, {"t1.wav": t1, "t2.wav": t2})
    up = fade_in("equal_power", 480).astype(np.float32)
    w1 = np.zeros(20000)
    w2 = np.zeros(20000)
    w1[:5760] = 1.0
    w1[5760:6240] = up[::-1]
    w2[5760:6240] = up
    w2[6240:14760] = 1.0
    w2[14760:15240] = up[::-1]
    w1[14760:15240] = up
    w1[15240:] = 1.0
    assert_null(got, mono_pan(f32(t1)[0] * w1 + f32(t2)[0] * w2))


# ------------------------------------------------------------------ strip


@pytest.mark.parametrize("gain_db", [-12.0, 0.0, 4.5])
def test_fader_and_polarity(gain_db: float) -> None:
    a = noise(2, 3000, 8)
    s = song(track("A", clip("c1", "a.wav", a, 0), gain_db=gain_db, polarity_inverted=True))
    got, _ = render(s, {"a.wav": a})
    assert_null(got, -f32(a) * 10 ** (gain_db / 20))


@pytest.mark.parametrize("pan", [-1.0, -0.4, 0.0, 0.25, 1.0])
def test_pan_laws(pan: float) -> None:
    m, st = noise(1, 2000, 9), noise(2, 2000, 10)
    s = song(
        track("M", clip("c1", "m.wav", m, 0), pan=pan),
        track("S", clip("c2", "s.wav", st, 0), pan=pan, output="B"),
        buses=(Bus("B"),),
    )
    got, stems = render(s, {"m.wav": m, "s.wav": st}, stems=(track_id("M"), track_id("S")))
    assert_null(stems[track_id("M")], mono_pan(f32(m)[0], pan))
    assert_null(stems[track_id("S")], balance(f32(st), pan))
    assert_null(got, mono_pan(f32(m)[0], pan) + balance(f32(st), pan))
    if pan == -1.0:  # hard left is unity on the left only
        assert np.array_equal(stems[track_id("M")][0], f32(m)[0])
        assert not stems[track_id("M")][1].any()


@pytest.mark.parametrize(
    ("mute", "solo", "heard"),
    [
        ((), (), {"A", "B", "C", "R"}),
        (("B",), (), {"A", "C", "R"}),
        ((), ("A",), {"A", "R"}),  # a soloed track keeps the bus it feeds audible
        ((), ("A", "C"), {"A", "C", "R"}),
        (("A",), ("A",), {"R"}),  # mute wins over solo; the bus is still in the solo path
        ((), ("R",), {"A", "B", "R"}),  # soloing a bus keeps what feeds it
        (("R",), (), {"A", "B", "C"}),
    ],
)
def test_mute_solo(mute: tuple[str, ...], solo: tuple[str, ...], heard: set[str]) -> None:
    srcs = {n: noise(2, 1000, i + 20) for i, n in enumerate("ABC")}
    tracks = [
        track(
            n,
            clip(f"c{n}", f"{n}.wav", srcs[n], 0),
            mute=n in mute,
            solo=n in solo,
            sends=(Send("R", level_db=-6.0),) if n in "AB" else (),
        )
        for n in "ABC"
    ]
    bus = Bus("R", mute="R" in mute, solo="R" in solo)
    got, _ = render(song(*tracks, buses=(bus,)), {f"{n}.wav": a for n, a in srcs.items()})
    expected = np.zeros((2, 1000))
    for n in "ABC":
        if n in heard:
            expected += f32(srcs[n])
    if "R" in heard:
        for n in "AB":
            if n in heard:  # a silenced track's sends are silent too
                expected += f32(srcs[n]) * 10 ** (-6 / 20)
    assert_null(got, expected)


def test_pre_and_post_fader_sends_into_buses() -> None:
    a = noise(1, 3000, 30)
    t = track(
        "A",
        clip("c1", "a.wav", a, 0),
        gain_db=-9.0,
        pan=0.3,
        sends=(Send("Pre", level_db=-3.0, pre_fader=True), Send("Post", level_db=-10.0)),
    )
    buses = (Bus("Pre", gain_db=-1.0), Bus("Post", pan=-0.5))
    got, stems = render(song(t, buses=buses), {"a.wav": a}, stems=(bus_id("Pre"), bus_id("Post")))
    panned = mono_pan(f32(a)[0], 0.3)
    pre = panned * 10 ** (-3 / 20) * 10 ** (-1 / 20)
    post = balance(panned * 10 ** (-9 / 20) * 10 ** (-10 / 20), -0.5)
    assert_null(stems[bus_id("Pre")], pre)
    assert_null(stems[bus_id("Post")], post)
    assert_null(got, panned * 10 ** (-9 / 20) + pre + post)


def test_gain_and_pan_automation_are_sample_accurate() -> None:
    n = 10000
    a = noise(1, n, 31)
    lanes = (
        AutomationLane("gain_db", (AutomationPoint(1000, -20.0), AutomationPoint(7000, 0.0))),
        AutomationLane("pan", (AutomationPoint(0, -1.0), AutomationPoint(9000, 0.5))),
    )
    s = song(track("A", clip("c1", "a.wav", a, 0), automation=lanes))
    got, _ = render(s, {"a.wav": a}, block_frames=777)
    k = np.arange(n)
    gain_db = np.interp(k, [1000, 7000], [-20.0, 0.0])  # linear in dB, held outside
    pan = np.interp(k, [0, 9000], [-1.0, 0.5])
    assert_null(got, mono_pan(f32(a)[0] * 10 ** (gain_db / 20), pan))


def test_send_level_automation() -> None:
    a = noise(2, 4000, 32)
    lane = AutomationLane(
        "sends.R.level_db", (AutomationPoint(0, -40.0), AutomationPoint(4000, 0.0))
    )
    s = song(
        track("A", clip("c1", "a.wav", a, 0), sends=(Send("R"),), automation=(lane,), mute=False),
        buses=(Bus("R"),),
    )
    _, stems = render(s, {"a.wav": a}, stems=(bus_id("R"),))
    level = 10 ** (np.interp(np.arange(4000), [0, 4000], [-40.0, 0.0]) / 20)
    assert_null(stems[bus_id("R")], f32(a) * level)


# ------------------------------------------------------------------ effects and latency


def test_latency_compensation_of_a_parallel_path() -> None:
    a = noise(2, 5000, 40)
    latent = EffectSlot("latent", {"delay_frames": 300})
    dry = track("Dry", clip("c1", "a.wav", a, 0), sends=(Send("Par"),))
    wet = track(
        "Wet", clip("c2", "a.wav", a, 0), inserts=(EffectSlot("latent", {"delay_frames": 1000}),)
    )
    par = Bus("Par", inserts=(latent,))  # dry → master and dry → Par(300) → master, in parallel
    got, stems = render(
        song(dry, wet, buses=(par,)),
        {"a.wav": a},
        stems=(track_id("Dry"), track_id("Wet"), bus_id("Par")),
    )
    # Every path lines up on the timeline: three copies of the source, sample-aligned.
    assert_null(got, 3 * f32(a))
    for k in stems:
        assert_null(stems[k], f32(a))


def test_latent_master_insert_is_compensated_by_preroll() -> None:
    a = noise(2, 3000, 41)
    m = Bus("master", output="", inserts=(EffectSlot("latent", {"delay_frames": 123}),))
    got, _ = render(song(track("A", clip("c1", "a.wav", a, 0)), master=m), {"a.wav": a})
    assert_null(got, f32(a))


def test_insert_and_sidechain_ducking() -> None:
    a, k = noise(2, 3000, 42), noise(1, 3000, 43)
    duck = EffectSlot("duck", {"depth": 0.5}, sidechain="Kick")
    s = song(
        track("Kick", clip("k", "k.wav", k, 0), mute=True),  # a muted key still drives the ducker
        track(
            "Pad", clip("p", "a.wav", a, 0), inserts=(EffectSlot("gain", {"gain_db": -6.0}), duck)
        ),
    )
    got, _ = render(s, {"a.wav": a, "k.wav": k})
    key = mono_pan(f32(k)[0])
    env = np.abs(key.astype(np.float32)).mean(axis=0)
    assert_null(got, f32(a) * 10 ** (-6 / 20) * (1 - 0.5 * env))


def test_effect_parameter_automation_steps_every_64_frames_and_is_block_size_free() -> None:
    a = noise(2, 9000, 44)
    lane = AutomationLane("fx.1.gain_db", (AutomationPoint(0, -30.0), AutomationPoint(8000, 0.0)))
    s = song(
        track("A", clip("c1", "a.wav", a, 0), inserts=(EffectSlot("gain"),), automation=(lane,))
    )
    big, _ = render(s, {"a.wav": a}, block_frames=4096)
    small, _ = render(s, {"a.wav": a}, block_frames=100)
    assert np.array_equal(big, small)
    k = np.arange(9000)
    held = np.interp(k - k % 64, [0, 8000], [-30.0, 0.0])  # the value at each 64-frame step
    assert_null(big, f32(a) * 10 ** (held / 20))


def test_block_size_independence_of_a_full_session() -> None:
    srcs = {n: noise(2, 7000, 50 + i) for i, n in enumerate("ABC")}
    lanes = (AutomationLane("pan", (AutomationPoint(0, -1.0), AutomationPoint(6000, 1.0))),)
    tracks = (
        track(
            "A",
            clip("a", "A.wav", srcs["A"], 0, fade_in=Fade(700, FadeShape.S_CURVE)),
            sends=(Send("R", -3.0),),
            automation=lanes,
        ),
        track(
            "B",
            clip("b", "B.wav", srcs["B"], 500),
            inserts=(EffectSlot("latent", {"delay_frames": 77}),),
        ),
        track(
            "C",
            clip("c", "C.wav", srcs["C"], 1000),
            sends=(Send("R", pre_fader=True),),
            gain_db=-4.0,
        ),
    )
    buses = (Bus("R", inserts=(EffectSlot("echo", {"delay_frames": 900, "feedback": 0.5}),)),)
    s = song(*tracks, buses=buses)
    one, st1 = render(
        s,
        {f"{n}.wav": x for n, x in srcs.items()},
        stems=(track_id("A"), bus_id("R")),
        block_frames=65536,
        tail_frames=None,
    )
    two, st2 = render(
        s,
        {f"{n}.wav": x for n, x in srcs.items()},
        stems=(track_id("A"), bus_id("R")),
        block_frames=333,
        tail_frames=None,
        threads=2,
    )
    assert np.array_equal(one, two)
    for k in st1:
        assert np.array_equal(st1[k], st2[k])


def test_stems_sum_to_the_mix() -> None:
    srcs = {n: noise(1 if n == "A" else 2, 6000, 60 + i) for i, n in enumerate("ABC")}
    tracks = (
        track("A", clip("a", "A.wav", srcs["A"], 0), pan=-0.6, sends=(Send("R", -3.0),)),
        track("B", clip("b", "B.wav", srcs["B"], 300), gain_db=-2.0, output="G"),
        track("C", clip("c", "C.wav", srcs["C"], 1000), sends=(Send("R", pre_fader=True),)),
    )
    buses = (
        Bus("R", inserts=(EffectSlot("echo", {"delay_frames": 500, "feedback": 0.4}),)),
        Bus("G", inserts=(EffectSlot("latent", {"delay_frames": 64}),), gain_db=-1.0),
    )
    names = (track_id("A"), track_id("C"), bus_id("R"), bus_id("G"))
    got, stems = render(
        song(*tracks, buses=buses),
        {f"{n}.wav": x for n, x in srcs.items()},
        stems=names,
        tail_frames=None,
    )
    assert_null(sum(stems.values()), got)  # the strips feeding the master sum to the mix
    assert got.shape[1] == 7000 + 500  # the echo's tail is rendered past the last clip


def test_auto_tail_stops_at_silence_and_fixed_tail_is_exact() -> None:
    a = noise(2, 2000, 70)
    s = song(
        track(
            "A",
            clip("c", "a.wav", a, 0),
            inserts=(EffectSlot("echo", {"delay_frames": 3000, "feedback": 0.5}),),
        )
    )
    got, _ = render(s, {"a.wav": a}, tail_frames=None)
    assert got.shape[1] == 5000
    fa = f32(a)
    assert_null(got, place(5000, fa, 0) + 0.5 * place(5000, fa, 3000))
    fixed, _ = render(s, {"a.wav": a}, tail_frames=RATE)
    assert fixed.shape[1] == 2000 + RATE
    window, _ = render(s, {"a.wav": a}, start_frame=500, end_frame=1500)
    assert_null(window, fa[:, 500:1500])


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("change", "error", "words"),
    [
        (dict(buses=(Bus("X", output="Y"), Bus("Y", output="X"))), ValidationError, "cycle"),
        (
            dict(buses=(Bus("X", sends=(Send("Y"),)), Bus("Y", output="X"))),
            ValidationError,
            "X -> Y",
        ),
        (dict(tracks=(track("A", sends=(Send("Nope"),)),)), ValidationError, "'Nope'"),
        (dict(tracks=(track("A", inserts=(EffectSlot("fuzz"),)),)), ValidationError, "fuzz"),
        (
            dict(tracks=(track("A", inserts=(EffectSlot("gain", {"gain_db": 99}),)),)),
            ValidationError,
            "gain_db",
        ),
        (
            dict(tracks=(track("A", inserts=(EffectSlot("gain", {"bogus": 1}),)),)),
            ValidationError,
            "bogus",
        ),
        (
            dict(
                tracks=(
                    track(
                        "A",
                        automation=(AutomationLane("fx.3.gain_db", (AutomationPoint(0, 1.0),)),),
                    ),
                )
            ),
            ValidationError,
            "fx.3",
        ),
        (
            dict(
                tracks=(
                    track("A", automation=(AutomationLane("volume", (AutomationPoint(0, 1.0),)),)),
                )
            ),
            ValidationError,
            "volume",
        ),
    ],
)
def test_bad_sessions_are_refused_naming_the_item(
    change: dict[str, Any], error: type[UserError], words: str
) -> None:
    s = replace(song(), **change)
    with pytest.raises(error, match=words) as info:
        render(s, {})
    assert info.value.exit_code == 2


def test_missing_media_names_the_file() -> None:
    a = noise(1, 100, 1)
    with pytest.raises(NotFoundError, match=r"gone\.wav"):
        render(song(track("A", clip("c", "gone.wav", a, 0))), {})


def test_sinks_are_aborted_on_failure() -> None:
    a = noise(1, 100, 1)
    mix = ArraySink()
    with pytest.raises(NotFoundError):
        render_song(
            song(track("A", clip("c", "gone.wav", a, 0))),
            ArraySource({}),
            mix,
            effects=FX,
            tail_frames=0,
        )
    assert not mix.closed and mix.audio.shape[1] == 0


class _FailingSource(ArraySource):
    """Fails on the second read: a disk error in the middle of a render."""

    reads = 0

    def read(self, ref: MediaRef, start_frame: int, frames: int) -> Any:
        self.reads += 1
        if self.reads > 1:
            raise OSError("read error")
        return super().read(ref, start_frame, frames)


def test_file_sink_appears_only_when_complete(tmp_path: Any) -> None:
    a = noise(2, 10000, 80)
    s = song(track("A", clip("c", "a.wav", a, 0)))
    path = tmp_path / "mix.wav"
    src = {"a.wav": a.astype(np.float32)}
    with pytest.raises(OSError):
        render_song(
            s,
            _FailingSource(src),
            FileSink(path, RATE, bit_depth="32f"),
            effects=FX,
            block_frames=4096,
            tail_frames=0,
        )
    assert not path.exists() and not list(tmp_path.iterdir())
    render_song(
        s,
        ArraySource(src),
        FileSink(path, RATE, bit_depth="32f"),
        effects=FX,
        block_frames=4096,
        tail_frames=0,
    )
    data, rate = sf.read(path, dtype="float32", always_2d=True)
    assert rate == RATE and np.array_equal(data.T, a.astype(np.float32))  # float is exact
    assert [p.name for p in tmp_path.iterdir()] == ["mix.wav"]


def test_mute_automation_and_bus_to_bus_send() -> None:
    a = noise(2, 4000, 90)
    mute = AutomationLane(
        "mute",
        (AutomationPoint(0, 0.0), AutomationPoint(1000, 1.0), AutomationPoint(3000, 0.0)),
        Interpolation.STEP,
    )
    s = song(
        track("A", clip("c", "a.wav", a, 0), output="Grp", automation=(mute,)),
        buses=(
            Bus("Grp", gain_db=-6.0, sends=(Send("Fx", level_db=-3.0, pre_fader=True),)),
            Bus("Fx", pan=0.5),
        ),
    )
    got, stems = render(s, {"a.wav": a}, stems=(bus_id("Grp"), bus_id("Fx")))
    on = np.ones(4000)
    on[1000:3000] = 0.0  # muted from frame 1000 to 3000, sample-accurate
    grp_in = f32(a) * on
    assert_null(stems[bus_id("Grp")], grp_in * 10 ** (-6 / 20))
    assert_null(stems[bus_id("Fx")], balance(grp_in * 10 ** (-3 / 20), 0.5))
    assert_null(got, stems[bus_id("Grp")] + stems[bus_id("Fx")])
