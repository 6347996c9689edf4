"""The effect units behind ``producer.dsp.catalog``: every one a Processor with ``set_param``.

Most wrap a pedalboard (JUCE) plugin called with ``reset=False``, so its state (filter memories,
delay lines, reverb tanks, envelopes) carries from block to block. pedalboard trims a latent
plugin's first output frames when streaming (a call returns fewer frames than it was given
until the latency is filled); :class:`PedalboardEffect` puts those frames back as leading
zeros, so every block keeps its length and the unit has a fixed ``latency_frames`` that the
engine compensates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from producer.audio import Audio, as_audio
from producer.dsp.biquad import Biquad
from producer.dsp.dynamics import Dynamics
from producer.dsp.resample import resample
from producer.errors import RenderError, UserError
from producer.model import ParamValue
from producer.units import db_to_gain


class Effect:
    """Base of the catalog's units: a Processor with named parameters.

    Subclasses implement ``_prepare``, ``process``, ``reset`` and ``_apply`` (a parameter
    changed); ``set_param`` may be called between any two blocks (the engine calls it at least
    every 64 frames while a parameter is automated).
    """

    kind = ""

    def __init__(self, params: Mapping[str, ParamValue]) -> None:
        self.params: dict[str, ParamValue] = dict(params)
        self.sample_rate = 0
        self.channels = 0
        self.max_block_frames = 0

    def prepare(self, sample_rate: int, channels: int, max_block_frames: int) -> None:
        self.sample_rate = sample_rate
        self.channels = channels
        self.max_block_frames = max_block_frames
        self._prepare()

    def _prepare(self) -> None:
        raise NotImplementedError

    def process(self, audio: Audio) -> Audio:
        raise NotImplementedError

    def process_sidechain(self, audio: Audio, key: Audio) -> Audio:
        """Process ``audio`` (channels, frames) with ``key`` (k, frames) driving the detector."""
        raise RenderError(f"effect kind {self.kind!r} takes no sidechain input")

    def reset(self) -> None:
        raise NotImplementedError

    @property
    def latency_frames(self) -> int:
        return 0

    def set_param(self, name: str, value: ParamValue) -> None:
        """Change one parameter from the next block on; the unit keeps its state.

        Values are checked by the catalog (``catalog.set_param_checked``), not here: the
        engine calls this every 64 frames with values interpolated between checked points.
        """
        if name not in self.params:
            valid = ", ".join(self.params) or "none"
            raise UserError(f"{self.kind}: unknown parameter {name!r} (valid: {valid})")
        if self.params[name] != value:
            self.params[name] = value
            self._apply(name)

    def _apply(self, name: str) -> None:
        raise NotImplementedError

    def _float(self, name: str) -> float:
        return float(self.params[name])

    def pedalboard_plugins(self) -> list[Any] | None:
        """The pedalboard plugins this unit runs, in order, when calling them directly (one
        after the other, no latency, no carried frames) gives exactly its output; else None.

        Consecutive such units can run as one ``pedalboard.Pedalboard``: one copy into JUCE
        and one back instead of one per unit (the engine does so for static inserts).
        """
        return None


class GainEffect(Effect):
    """``gain``: a fixed gain in dB (exact: one float32 multiply)."""

    kind = "gain"

    def _prepare(self) -> None:
        self._apply("gain_db")

    def _apply(self, name: str) -> None:
        self._gain = np.float32(db_to_gain(self._float("gain_db")))

    def process(self, audio: Audio) -> Audio:
        return np.asarray(audio * self._gain, dtype=np.float32)

    def reset(self) -> None:
        pass


class PolarityEffect(Effect):
    """``polarity``: every channel inverted (exact)."""

    kind = "polarity"

    def _prepare(self) -> None:
        pass

    def _apply(self, name: str) -> None:
        pass

    def process(self, audio: Audio) -> Audio:
        return np.negative(audio)

    def reset(self) -> None:
        pass


#: pedalboard's buffer size (its default, passed explicitly): a call is processed in pieces of
#: at most this many frames, so a plugin is prepared for at most this many.
PEDALBOARD_BUFFER_FRAMES = 8192


class PedalboardEffect(Effect):
    """A pedalboard plugin whose attributes are our parameter names.

    ``factory`` builds the plugin from the params; parameters in ``rebuild_on`` rebuild it.

    pedalboard guesses the layout of the array it is given. Most plugins remember the channel
    count of the previous call, but some (BrickwallLimiter) read a block of (2, 1) or (2, 2)
    as channels-last and lose samples. With ``guard_tiny_blocks`` such blocks (frames ≤
    channels) are held back and handed over with the next one; the unit is then ``channels``
    frames later than the plugin (included in ``latency_frames``), so every block still
    returns as many frames as it was given.
    """

    def __init__(
        self,
        kind: str,
        params: Mapping[str, ParamValue],
        factory: Callable[[Mapping[str, ParamValue]], Any],
        rebuild_on: frozenset[str] = frozenset(),
        guard_tiny_blocks: bool = False,
    ) -> None:
        super().__init__(params)
        self.kind = kind
        self._factory = factory
        self._rebuild_on = rebuild_on
        self._guard = guard_tiny_blocks
        self._plugin: Any = None
        self._latency = 0
        self._plugin_latency = 0
        self._pending: Audio = np.zeros((0, 0), dtype=np.float32)
        self._carry: Audio = np.zeros((0, 0), dtype=np.float32)

    def _prepare(self) -> None:
        self._plugin = self._factory(self.params)
        self._plugin_latency = self._measure_latency()
        self._latency = self._plugin_latency + self._guard_frames
        self.reset()

    def _measure_latency(self) -> int:
        """Frames pedalboard withholds while streaming: fed zeros until output appears."""
        block = self._prime_frames()
        silence = np.zeros((self.channels, block), dtype=np.float32)
        fed = returned = 0
        while returned == 0 and fed < 10 * self.sample_rate:
            returned += self._call(silence).shape[1]
            fed += block
        self._plugin.reset()
        return fed - returned

    def reset(self) -> None:
        # pedalboard re-prepares a plugin, clearing its state, whenever a block is longer
        # than every block since its last reset (counted in pieces of at most its buffer
        # size, PEDALBOARD_BUFFER_FRAMES): a stream of 1000 then 4096 frames would lose its
        # filter memory at the second block. So after a reset the plugin is "primed" with one
        # silent block of ``max_block_frames`` (or one buffer, whichever is shorter), and
        # longer blocks are split in process().
        # Silence from a cleared state leaves every unit's state cleared (a chorus's LFO runs
        # on: deterministic, the same for every render). A latent plugin keeps those zeros
        # in its look-ahead; only the part of the latency they do not fill is put in front.
        self._plugin.reset()
        prime = self._prime_frames()
        silence = np.zeros((self.channels, prime), dtype=np.float32)
        self._call(silence)
        unfilled = max(0, self._plugin_latency - prime)
        self._pending = np.zeros((self.channels, unfilled + self._guard_frames), np.float32)
        self._carry = np.zeros((self.channels, 0), dtype=np.float32)

    def _block_frames(self) -> int:
        # At least 64 frames: priming and split blocks must never be ambiguous (see above).
        return max(self.max_block_frames, 64)

    def _prime_frames(self) -> int:
        """The longest piece the plugin can be handed: a full block plus a held-back tiny
        one, and no more than pedalboard's buffer (it cuts longer calls into buffers)."""
        return min(self._block_frames() + self._guard_frames, PEDALBOARD_BUFFER_FRAMES)

    def pedalboard_plugins(self) -> list[Any] | None:
        if self._latency or self._guard_frames or self._plugin is None:
            return None
        return [self._plugin]

    def _call(self, audio: Audio) -> Audio:
        out: Audio = self._plugin.process(
            audio, self.sample_rate, buffer_size=PEDALBOARD_BUFFER_FRAMES, reset=False
        )
        return out

    @property
    def _guard_frames(self) -> int:
        return self.channels if self._guard and self.channels > 1 else 0

    @property
    def latency_frames(self) -> int:
        return self._latency

    def _apply(self, name: str) -> None:
        if name in self._rebuild_on:
            # pedalboard takes these only at a stream restart (look-ahead, true-peak mode):
            # the unit starts afresh, as after prepare().
            self._prepare()
        else:
            setattr(self._plugin, name, self.params[name])

    def process(self, audio: Audio) -> Audio:
        """One block (channels, frames) through the plugin, delayed by ``latency_frames``."""
        frames = audio.shape[1]
        if frames == 0:
            return audio
        limit = self._block_frames()
        if frames > limit:
            return np.concatenate(
                [self.process(audio[:, i : i + limit]) for i in range(0, frames, limit)], axis=1
            )
        feed = audio
        if self._guard_frames:
            feed = np.concatenate([self._carry, audio], axis=1) if self._carry.size else audio
            if feed.shape[1] <= self.channels:  # ambiguous for pedalboard: wait for more
                self._carry, feed = feed, feed[:, :0]
            else:
                self._carry = feed[:, :0]
        out = feed[:, :0]
        if feed.shape[1]:
            out = self._call(np.ascontiguousarray(feed, dtype=np.float32))
        if out.size == 0:  # all of it still inside the look-ahead (any empty shape)
            out = np.zeros((self.channels, 0), dtype=np.float32)
        if self._latency == 0 and out.shape[1] == frames:
            return np.asarray(out, dtype=np.float32)
        joined = np.concatenate([self._pending, out], axis=1)
        if joined.shape[1] < frames:
            raise RenderError(f"{self.kind}: pedalboard returned too few frames")
        self._pending = joined[:, frames:]
        return np.ascontiguousarray(joined[:, :frames], dtype=np.float32)


class DelayEffect(PedalboardEffect):
    """``delay``: JUCE's delay line (pedalboard.Delay), by a whole number of frames.

    pedalboard truncates ``delay_seconds · sample_rate`` computed in float32, so 0.01 s at
    48 kHz becomes 479 frames, not 480. We round the delay to the nearest frame N and hand
    pedalboard (N + 0.5) / sample_rate, which truncates to exactly N. A delay of 0 frames is a
    bypass (pedalboard's own rule): the input comes out unchanged whatever ``mix``.
    """

    def __init__(self, params: Mapping[str, ParamValue]) -> None:
        super().__init__("delay", params, self._make)

    def _pedalboard_seconds(self) -> float:
        n = round(self._float("delay_seconds") * self.sample_rate)
        return 0.0 if n == 0 else (n + 0.5) / self.sample_rate

    def _make(self, params: Mapping[str, ParamValue]) -> Any:
        import pedalboard

        return pedalboard.Delay(
            delay_seconds=self._pedalboard_seconds(),
            feedback=float(params["feedback"]),
            mix=float(params["mix"]),
        )

    def _apply(self, name: str) -> None:
        if name == "delay_seconds":
            self._plugin.delay_seconds = self._pedalboard_seconds()
        else:
            super()._apply(name)


#: JUCE's Convolution scales an impulse response so that its loudest channel has this L2 norm.
_JUCE_IR_NORM = 0.125


class ConvolutionEffect(Effect):
    """``convolution``: the input convolved with an impulse response, exactly as recorded.

    The convolution runs in JUCE (pedalboard.Convolution, uniform-partitioned FFT, no
    latency). JUCE normalises the IR (its loudest channel to an L2 norm of 0.125, −18 dB), so we
    scale its wet output back by ``max_c ‖ir_c‖₂ / 0.125``: a unit impulse as IR is the identity,
    a measured room keeps its level. The dry/wet ``mix`` is done here for the same reason
    (``out = (1 − mix)·dry + mix·wet``, the linear law JUCE uses too). An IR recorded at another
    rate is resampled with soxr (very high quality) and scaled by ``ir_rate / sample_rate`` so
    its frequency response, not its sample values, is kept. A mono IR is used on every
    channel, a stereo IR channel by channel (a mono signal takes the mean of its channels).

    ``ir`` : ndarray [shape=(ir_channels, ir_frames)], ``ir_rate`` its sample rate.
    """

    kind = "convolution"

    def __init__(self, params: Mapping[str, ParamValue], ir: Audio, ir_rate: int) -> None:
        super().__init__(params)
        self._ir_source = ir
        self._ir_rate = ir_rate
        self._unit: PedalboardEffect | None = None
        self._wet_scale = 1.0

    def _prepare(self) -> None:
        import pedalboard

        ir = self._ir_source.astype(np.float64)
        if ir.shape[0] > 2:
            raise UserError(
                f"convolution: impulse response has {ir.shape[0]} channels (1 or 2 allowed)"
            )
        if ir.shape[0] == 2 and self.channels == 1:
            ir = ir.mean(axis=0, keepdims=True)
        if self._ir_rate != self.sample_rate:
            ir = resample(as_audio(ir), self._ir_rate, self.sample_rate).astype(np.float64)
            ir = ir * (self._ir_rate / self.sample_rate)
        norm = float(np.sqrt(np.sum(ir**2, axis=1)).max())
        if norm == 0.0:
            raise UserError("convolution: the impulse response is silent")
        self._wet_scale = norm / _JUCE_IR_NORM
        ir32 = np.ascontiguousarray(ir, dtype=np.float32)
        self._unit = PedalboardEffect(
            "convolution",
            {},
            lambda p: pedalboard.Convolution(ir32, mix=1.0, sample_rate=float(self.sample_rate)),
        )
        self._unit.prepare(self.sample_rate, self.channels, self.max_block_frames)

    def _apply(self, name: str) -> None:
        if name != "mix":
            raise UserError(f"convolution.{name} cannot change while rendering")

    def process(self, audio: Audio) -> Audio:
        """Convolve one block (channels, frames); the same shape comes back."""
        assert self._unit is not None, "prepare() first"
        wet = self._unit.process(audio)
        mix = self._float("mix")
        out = (1.0 - mix) * audio.astype(np.float64) + (mix * self._wet_scale) * wet
        return np.asarray(out, dtype=np.float32)

    def reset(self) -> None:
        if self._unit is not None:
            self._unit.reset()


class FilterEffect(Effect):
    """``highpass``/``lowpass``: RBJ 12 dB/octave with Q (order 2), or JUCE's 6 dB/octave (1)."""

    def __init__(self, kind: str, params: Mapping[str, ParamValue]) -> None:
        super().__init__(params)
        self.kind = kind
        self._unit: Biquad | PedalboardEffect | None = None

    def _prepare(self) -> None:
        import pedalboard

        if int(self.params["order"]) == 1:
            cls = pedalboard.HighpassFilter if self.kind == "highpass" else pedalboard.LowpassFilter
            self._unit = PedalboardEffect(
                self.kind,
                {"cutoff_frequency_hz": self.params["cutoff_frequency_hz"]},
                lambda p: cls(cutoff_frequency_hz=float(p["cutoff_frequency_hz"])),
            )
        else:
            self._unit = Biquad(
                self.kind, self._float("cutoff_frequency_hz"), 0.0, self._float("q")
            )
        self._unit.prepare(self.sample_rate, self.channels, self.max_block_frames)

    def _apply(self, name: str) -> None:
        if name == "order":  # another filter: it starts afresh
            self._prepare()
        elif isinstance(self._unit, Biquad):
            self._unit.set(
                frequency_hz=self._float("cutoff_frequency_hz"), gain_db=0.0, q=self._float("q")
            )
        elif isinstance(self._unit, PedalboardEffect) and name == "cutoff_frequency_hz":
            self._unit.set_param(name, self.params[name])

    def process(self, audio: Audio) -> Audio:
        assert self._unit is not None, "prepare() first"
        return self._unit.process(audio)

    def pedalboard_plugins(self) -> list[Any] | None:
        return self._unit.pedalboard_plugins() if isinstance(self._unit, Effect) else None

    def reset(self) -> None:
        if self._unit is not None:
            self._unit.reset()


#: Filter types an ``eq`` band can take ("off" skips the band).
EQ_BAND_TYPES = ("off", "lowshelf", "peak", "highshelf", "highpass", "lowpass")
EQ_BANDS = 4


class EqEffect(Effect):
    """``eq``: up to ``EQ_BANDS`` bands in series, each an RBJ biquad.

    Shelves and peaks run on pedalboard's JUCE filters (the cookbook's formulas, as our tests
    check); high-/low-pass bands are 12 dB/octave :class:`Biquad`. A shelf or peak band is
    skipped while its gain is exactly 0 dB: an RBJ filter with A = 1 has b == a and passes the
    signal unchanged, and its transposed-direct-form state stays zero, so a band that starts at
    0 dB and is later automated gives the samples it would have given running all along.
    (A band automated back to exactly 0 dB drops its decaying filter memory: inaudible.)
    """

    kind = "eq"

    def __init__(self, params: Mapping[str, ParamValue]) -> None:
        super().__init__(params)
        self._bands: list[PedalboardEffect | Biquad | None] = []

    def _band(self, i: int) -> tuple[str, float, float, float]:
        p = self.params
        return (
            str(p[f"band{i}_type"]),
            float(p[f"band{i}_frequency_hz"]),
            float(p[f"band{i}_gain_db"]),
            float(p[f"band{i}_q"]),
        )

    def _make_band(self, i: int) -> PedalboardEffect | Biquad | None:
        import pedalboard

        band_type, frequency_hz, gain_db, q = self._band(i)
        unit: PedalboardEffect | Biquad
        if band_type == "off":
            return None
        if band_type in ("highpass", "lowpass"):
            unit = Biquad(band_type, frequency_hz, 0.0, q)
        else:
            cls = {
                "lowshelf": pedalboard.LowShelfFilter,
                "highshelf": pedalboard.HighShelfFilter,
                "peak": pedalboard.PeakFilter,
            }[band_type]
            unit = PedalboardEffect(
                band_type,
                {"cutoff_frequency_hz": frequency_hz, "gain_db": gain_db, "q": q},
                lambda p: cls(
                    cutoff_frequency_hz=float(p["cutoff_frequency_hz"]),
                    gain_db=float(p["gain_db"]),
                    q=float(p["q"]),
                ),
            )
        unit.prepare(self.sample_rate, self.channels, self.max_block_frames)
        return unit

    def _prepare(self) -> None:
        self._bands = [self._make_band(i) for i in range(1, EQ_BANDS + 1)]

    def _apply(self, name: str) -> None:
        i = int(name[4 : name.index("_")])
        unit = self._bands[i - 1]
        _, frequency_hz, gain_db, q = self._band(i)
        if name.endswith("_type") or unit is None:
            self._bands[i - 1] = self._make_band(i)
        elif isinstance(unit, Biquad):
            unit.set(frequency_hz=frequency_hz, gain_db=0.0, q=q)
        else:
            unit.set_param("cutoff_frequency_hz", frequency_hz)
            unit.set_param("gain_db", gain_db)
            unit.set_param("q", q)

    def process(self, audio: Audio) -> Audio:
        """The bands in series over one block (channels, frames); always a new array."""
        out = audio
        for i, unit in enumerate(self._bands, start=1):
            if unit is None:
                continue
            if isinstance(unit, PedalboardEffect) and self.params[f"band{i}_gain_db"] == 0:
                continue
            out = unit.process(out)
        return np.array(out, dtype=np.float32) if out is audio else out

    def pedalboard_plugins(self) -> list[Any] | None:
        plugins: list[Any] = []
        for i, unit in enumerate(self._bands, start=1):
            if unit is None:
                continue
            if not isinstance(unit, PedalboardEffect):
                return None  # a 12 dB/octave band: scipy's, not pedalboard's
            if self.params[f"band{i}_gain_db"] == 0:
                continue  # skipped by process() too
            found = unit.pedalboard_plugins()
            if found is None:
                return None
            plugins += found
        return plugins

    def reset(self) -> None:
        for unit in self._bands:
            if unit is not None:
                unit.reset()


class DynamicsEffect(Effect):
    """``compressor`` and ``gate``: :class:`producer.dsp.dynamics.Dynamics`, with sidechain."""

    def __init__(self, kind: str, params: Mapping[str, ParamValue]) -> None:
        super().__init__(params)
        self.kind = kind
        numeric = {k: float(v) for k, v in params.items()}
        self._unit = Dynamics(kind, **numeric)

    def _prepare(self) -> None:
        self._unit.prepare(self.sample_rate, self.channels, self.max_block_frames)

    def _apply(self, name: str) -> None:
        setattr(self._unit, name, self._float(name))

    def process(self, audio: Audio) -> Audio:
        return self._unit.process(audio)

    def process_sidechain(self, audio: Audio, key: Audio) -> Audio:
        return self._unit.process_sidechain(audio, key)

    def reset(self) -> None:
        self._unit.reset()


__all__ = [
    "EQ_BANDS",
    "EQ_BAND_TYPES",
    "ConvolutionEffect",
    "DelayEffect",
    "DynamicsEffect",
    "Effect",
    "EqEffect",
    "FilterEffect",
    "GainEffect",
    "PedalboardEffect",
    "PolarityEffect",
]
