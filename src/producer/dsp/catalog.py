"""The effect catalog: every effect kind, its parameters with units and ranges, and a factory.

Kind and parameter names are the product's interface: they appear in song files
(``EffectSlot.kind`` / ``EffectSlot.params``), in the CLI (``producer fx add SONG Vox compressor
threshold_db=-18 ratio=4``) and in automation targets (``Vox.fx.1.threshold_db``). Parameter
names carry their unit, as pedalboard's do.

>>> from producer.dsp import catalog
>>> catalog.check_params("compressor", {"ratio": 0.5})
['compressor.ratio = 0.5 is out of range [1, 100]']
>>> fx = catalog.create("compressor", {"ratio": 4}, 48000, 2, 1024)
>>> fx.set_param("threshold_db", -24.0)  # automation, between blocks
>>> fx.latency_frames
0

Latencies (frames, at any rate): every unit 0 except ``limiter``: its look-ahead
(``lookahead_ms``, 5 ms = 240 frames at 48 kHz) plus ``channels`` frames (see
``PedalboardEffect``: 242 for stereo at 48 kHz).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from producer.audio import Audio
from producer.dsp.effects import (
    EQ_BAND_TYPES,
    EQ_BANDS,
    ConvolutionEffect,
    DelayEffect,
    DynamicsEffect,
    Effect,
    EqEffect,
    FilterEffect,
    GainEffect,
    PedalboardEffect,
    PolarityEffect,
)
from producer.errors import NotFoundError, ProducerError, UserError, ValidationError
from producer.model import ParamValue


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of an effect kind.

    ``default`` fixes the value type: float (ints accepted), int, bool or str. Numbers must lie
    in ``[minimum, maximum]``; a str with ``choices`` must be one of them. Only float
    parameters are ``automatable`` (the engine interpolates them in their own unit).
    """

    name: str
    unit: str
    default: ParamValue
    minimum: float = -math.inf
    maximum: float = math.inf
    description: str = ""
    choices: tuple[str, ...] = ()
    fixed_while_rendering: bool = False
    """A float that restarts the unit when changed (a look-ahead): not automatable."""

    @property
    def value_type(self) -> str:
        """``"float"``, ``"int"``, ``"bool"`` or ``"str"``."""
        return type(self.default).__name__

    @property
    def automatable(self) -> bool:
        """Whether the engine may change it while rendering (``set_param`` between blocks)."""
        return self.value_type == "float" and not self.fixed_while_rendering

    def describe_range(self) -> str:
        """Range or choices as text, for ``producer fx kinds``."""
        if self.choices:
            return "|".join(self.choices)
        if self.value_type == "bool":
            return "true|false"
        if self.value_type == "str":
            return "text"
        return f"{_fmt(self.minimum)} .. {_fmt(self.maximum)}"

    def check(self, kind: str, value: object) -> str | None:
        """The problem with ``value`` for this parameter, or None."""
        where = f"{kind}.{self.name}"
        t = self.value_type
        if t == "bool":
            if not isinstance(value, bool):
                return f"{where}: expected true or false, got {value!r}"
            return None
        if t == "str":
            if not isinstance(value, str):
                return f"{where}: expected text, got {value!r}"
            if self.choices and value not in self.choices:
                return f"{where}: {value!r} is not one of {', '.join(self.choices)}"
            return None
        numeric_types: tuple[type, ...] = (int,) if t == "int" else (int, float)
        if isinstance(value, bool) or not isinstance(value, numeric_types):
            return f"{where}: expected {'an integer' if t == 'int' else 'a number'}, got {value!r}"
        number = float(value)  # type: ignore[arg-type]  # an int or float, checked above
        if not math.isfinite(number):
            return f"{where}: {value!r} is not a finite number"
        if not self.minimum <= number <= self.maximum:
            unit = f" {self.unit}" if self.unit else ""
            return (
                f"{where} = {_fmt(number)}{unit} is out of range "
                f"[{_fmt(self.minimum)}, {_fmt(self.maximum)}]"
            )
        return None


def _fmt(x: float) -> str:
    return f"{x:g}"


@runtime_checkable
class EffectProcessor(Protocol):
    """A Processor (see ``producer.dsp.processor``) with named, automatable parameters."""

    def prepare(self, sample_rate: int, channels: int, max_block_frames: int) -> None: ...

    def process(self, audio: Audio) -> Audio: ...

    def reset(self) -> None: ...

    @property
    def latency_frames(self) -> int: ...

    def set_param(self, name: str, value: ParamValue) -> None:
        """Change a parameter from the next block on; the unit's state is kept."""

    def process_sidechain(self, audio: Audio, key: Audio) -> Audio:
        """Only for ``accepts_sidechain`` kinds: ``key`` (k, frames) drives the detector."""


Factory = Callable[[Mapping[str, ParamValue], Path | None], Effect]


@dataclass(frozen=True)
class EffectSpec:
    """An effect kind: what it does, its parameters (in a stable order), sidechain support."""

    kind: str
    description: str
    params: Mapping[str, ParamSpec]
    accepts_sidechain: bool = False
    factory: Factory | None = field(default=None, repr=False, compare=False)

    def defaults(self) -> dict[str, ParamValue]:
        return {name: p.default for name, p in self.params.items()}


def _specs(*params: ParamSpec) -> dict[str, ParamSpec]:
    return {p.name: p for p in params}


def _frequency(default: float, name: str = "cutoff_frequency_hz") -> ParamSpec:
    return ParamSpec(name, "Hz", default, 10.0, 24000.0, "corner or centre frequency")


#: 1/√2: a maximally flat (Butterworth) second-order high-/low-pass; pedalboard's default Q.
BUTTERWORTH_Q = math.sqrt(0.5)


def _q(default: float = BUTTERWORTH_Q, name: str = "q") -> ParamSpec:
    return ParamSpec(name, "", default, 0.1, 20.0, "quality factor (RBJ cookbook Q)")


def _eq_gain(name: str = "gain_db") -> ParamSpec:
    return ParamSpec(name, "dB", 0.0, -30.0, 30.0, "boost (+) or cut (−)")


def _mix(default: float) -> ParamSpec:
    return ParamSpec("mix", "", default, 0.0, 1.0, "wet share: 0 dry only, 1 wet only")


def _pedalboard(
    kind: str, cls_name: str, rebuild_on: frozenset[str] = frozenset(), guard: bool = False
) -> Factory:
    """Factory of a pedalboard plugin whose constructor takes our parameter names."""

    def make(params: Mapping[str, ParamValue], base_dir: Path | None) -> Effect:
        import pedalboard

        cls = getattr(pedalboard, cls_name)
        return PedalboardEffect(kind, params, lambda p: cls(**dict(p)), rebuild_on, guard)

    return make


def _convolution(params: Mapping[str, ParamValue], base_dir: Path | None) -> Effect:
    from producer.audio import read

    path = Path(str(params["impulse_response_path"]))
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    if not path.exists():
        raise NotFoundError(f"{path}: impulse response file not found (convolution)")
    ir, ir_rate = read(path)
    return ConvolutionEffect(params, ir, ir_rate)


_DYN_TIMES = (
    ParamSpec("attack_ms", "ms", 10.0, 0.0, 1000.0, "time constant of gain reduction rising"),
    ParamSpec("release_ms", "ms", 100.0, 1.0, 5000.0, "time constant of gain reduction falling"),
)


def _build() -> dict[str, EffectSpec]:
    band_params: list[ParamSpec] = []
    band_defaults = [("lowshelf", 100.0), ("peak", 400.0), ("peak", 2500.0), ("highshelf", 8000.0)]
    for i in range(1, EQ_BANDS + 1):
        band_type, frequency = band_defaults[i - 1]
        band_params += [
            ParamSpec(
                f"band{i}_type", "", band_type, description="filter type", choices=EQ_BAND_TYPES
            ),
            _frequency(frequency, f"band{i}_frequency_hz"),
            _eq_gain(f"band{i}_gain_db"),
            _q(BUTTERWORTH_Q, f"band{i}_q"),
        ]
    order = ParamSpec("order", "", 2, 1, 2, "1: 6 dB/octave (JUCE), 2: 12 dB/octave RBJ with q")
    specs = [
        EffectSpec(
            "gain",
            "fixed gain",
            _specs(ParamSpec("gain_db", "dB", 0.0, -120.0, 48.0, "gain")),
            factory=lambda p, d: GainEffect(p),
        ),
        EffectSpec("polarity", "inverts every channel", {}, factory=lambda p, d: PolarityEffect(p)),
        EffectSpec(
            "highpass",
            "high-pass filter (RBJ 12 dB/octave biquad, or first order)",
            _specs(_frequency(80.0), _q(), order),
            factory=lambda p, d: FilterEffect("highpass", p),
        ),
        EffectSpec(
            "lowpass",
            "low-pass filter (RBJ 12 dB/octave biquad, or first order)",
            _specs(_frequency(12000.0), _q(), order),
            factory=lambda p, d: FilterEffect("lowpass", p),
        ),
        EffectSpec(
            "lowshelf",
            "low shelf (RBJ biquad, JUCE)",
            _specs(_frequency(100.0), _eq_gain(), _q()),
            factory=_pedalboard("lowshelf", "LowShelfFilter"),
        ),
        EffectSpec(
            "highshelf",
            "high shelf (RBJ biquad, JUCE)",
            _specs(_frequency(8000.0), _eq_gain(), _q()),
            factory=_pedalboard("highshelf", "HighShelfFilter"),
        ),
        EffectSpec(
            "peak",
            "peaking EQ band (RBJ biquad, JUCE)",
            _specs(_frequency(1000.0), _eq_gain(), _q(1.0)),
            factory=_pedalboard("peak", "PeakFilter"),
        ),
        EffectSpec(
            "eq",
            f"parametric EQ of {EQ_BANDS} bands in series (band<n>_type off skips a band)",
            _specs(*band_params),
            factory=lambda p, d: EqEffect(p),
        ),
        EffectSpec(
            "compressor",
            "compressor, soft knee, stereo-linked peak detector; sidechain input",
            _specs(
                ParamSpec("threshold_db", "dB", -20.0, -80.0, 0.0, "level where reduction starts"),
                ParamSpec("ratio", "", 4.0, 1.0, 100.0, "input dB over threshold per output dB"),
                *_DYN_TIMES,
                ParamSpec("knee_db", "dB", 0.0, 0.0, 24.0, "width of the soft knee"),
                ParamSpec("makeup_db", "dB", 0.0, -24.0, 48.0, "gain after compression"),
            ),
            accepts_sidechain=True,
            factory=lambda p, d: DynamicsEffect("compressor", p),
        ),
        EffectSpec(
            "gate",
            "noise gate (downward expander), stereo-linked; sidechain input",
            _specs(
                ParamSpec("threshold_db", "dB", -50.0, -120.0, 0.0, "level below which it closes"),
                ParamSpec("ratio", "", 10.0, 1.0, 100.0, "expansion below the threshold"),
                ParamSpec("attack_ms", "ms", 1.0, 0.0, 1000.0, "time constant of opening"),
                ParamSpec("release_ms", "ms", 100.0, 1.0, 5000.0, "time constant of closing"),
                ParamSpec("range_db", "dB", 80.0, 0.0, 200.0, "largest reduction when closed"),
            ),
            accepts_sidechain=True,
            factory=lambda p, d: DynamicsEffect("gate", p),
        ),
        EffectSpec(
            "limiter",
            "look-ahead brick-wall limiter, no make-up gain (pedalboard BrickwallLimiter)",
            _specs(
                ParamSpec("ceiling_db", "dB", -1.0, -60.0, 0.0, "highest output peak"),
                ParamSpec("release_ms", "ms", 100.0, 1.0, 5000.0, "release time"),
                ParamSpec(
                    "lookahead_ms",
                    "ms",
                    5.0,
                    0.1,
                    20.0,
                    "look-ahead (its latency)",
                    fixed_while_rendering=True,
                ),
                ParamSpec("true_peak", "", False, description="detect inter-sample peaks (4x)"),
            ),
            factory=_pedalboard(
                "limiter", "BrickwallLimiter", frozenset({"lookahead_ms", "true_peak"}), True
            ),
        ),
        EffectSpec(
            "delay",
            "delay line with feedback (JUCE)",
            _specs(
                ParamSpec("delay_seconds", "s", 0.5, 0.0, 10.0, "delay, rounded to whole frames"),
                ParamSpec("feedback", "", 0.0, 0.0, 1.0, "share of the output fed back"),
                _mix(0.5),
            ),
            factory=lambda p, d: DelayEffect(p),
        ),
        EffectSpec(
            "reverb",
            "algorithmic reverb (JUCE, Freeverb)",
            _specs(
                ParamSpec("room_size", "", 0.5, 0.0, 1.0, "size of the room"),
                ParamSpec("damping", "", 0.5, 0.0, 1.0, "high-frequency damping"),
                ParamSpec("wet_level", "", 0.33, 0.0, 1.0, "level of the reverb"),
                ParamSpec("dry_level", "", 0.4, 0.0, 1.0, "level of the dry signal"),
                ParamSpec("width", "", 1.0, 0.0, 1.0, "stereo width of the reverb"),
            ),
            factory=_pedalboard("reverb", "Reverb"),
        ),
        EffectSpec(
            "convolution",
            "convolution reverb with an impulse-response audio file (JUCE)",
            _specs(
                ParamSpec(
                    "impulse_response_path",
                    "",
                    "",
                    description="audio file of the impulse response, relative to the project",
                ),
                _mix(1.0),
            ),
            factory=_convolution,
        ),
        EffectSpec(
            "chorus",
            "chorus (JUCE)",
            _specs(
                ParamSpec("rate_hz", "Hz", 1.0, 0.0, 99.0, "modulation rate"),
                ParamSpec("depth", "", 0.25, 0.0, 1.0, "modulation depth"),
                ParamSpec("centre_delay_ms", "ms", 7.0, 1.0, 100.0, "centre delay"),
                ParamSpec("feedback", "", 0.0, -0.95, 0.95, "feedback"),
                _mix(0.5),
            ),
            factory=_pedalboard("chorus", "Chorus"),
        ),
        EffectSpec(
            "distortion",
            "tanh waveshaper after a drive gain (JUCE)",
            _specs(ParamSpec("drive_db", "dB", 25.0, 0.0, 100.0, "gain before the waveshaper")),
            factory=_pedalboard("distortion", "Distortion"),
        ),
    ]
    return {s.kind: s for s in specs}


KINDS: Mapping[str, EffectSpec] = _build()
"""Every effect kind, in the order ``producer fx kinds`` lists them."""


def check_params(kind: str, params: Mapping[str, object]) -> list[str]:
    """Every problem with ``params`` for ``kind`` (empty when they are all valid).

    Reports an unknown kind (listing the kinds), unknown parameters (listing the valid ones),
    wrong types and out-of-range values, one line each.
    """
    spec = KINDS.get(kind)
    if spec is None:
        return [f"unknown effect kind {kind!r} (kinds: {', '.join(KINDS)})"]
    problems: list[str] = []
    for name, value in params.items():
        param = spec.params.get(name)
        if param is None:
            valid = ", ".join(spec.params) or "none"
            problems.append(f"{kind}: unknown parameter {name!r} (valid: {valid})")
            continue
        problem = param.check(kind, value)
        if problem:
            problems.append(problem)
    return problems


def parse_value(kind: str, name: str, text: str) -> ParamValue:
    """Convert CLI text (``name=value``) to the parameter's type; raises UserError naming it."""
    spec = KINDS.get(kind)
    if spec is None:
        raise UserError(f"unknown effect kind {kind!r} (kinds: {', '.join(KINDS)})")
    param = spec.params.get(name)
    if param is None:
        valid = ", ".join(spec.params) or "none"
        raise UserError(f"{kind}: unknown parameter {name!r} (valid: {valid})")
    t = param.value_type
    try:
        if t == "bool":
            lowered = text.strip().lower()
            if lowered not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
                raise ValueError(text)
            return lowered in ("true", "1", "yes", "on")
        if t == "int":
            return int(text)
        if t == "float":
            return float(text)
    except ValueError:
        raise UserError(f"{kind}.{name}: cannot read {text!r} as {t}") from None
    return text


def resolve_params(kind: str, params: Mapping[str, ParamValue]) -> dict[str, ParamValue]:
    """Defaults of ``kind`` overlaid with ``params``; raises ValidationError on any problem."""
    problems = check_params(kind, params)
    # Checked here, not in check_params: that one also checks a single changed parameter.
    if kind == "convolution" and not params.get("impulse_response_path"):
        problems.append("convolution.impulse_response_path: required (an audio file)")
    if problems:
        raise ValidationError(problems[0], problems)
    values = KINDS[kind].defaults()
    values.update(params)
    # Ints given for float parameters become floats, so automation sees one type.
    for name, p in KINDS[kind].params.items():
        if p.value_type == "float":
            values[name] = float(values[name])
    return values


def _impulse_response_problem(value: object, base_dir: Path | None) -> str | None:
    """Why the convolution's impulse response cannot be used, or None (what ``create`` and
    ``ConvolutionEffect.prepare`` would refuse: absent, not audio, > 2 channels, silent)."""
    from producer import audio

    path = Path(str(value))
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    where = "convolution.impulse_response_path"
    if not path.is_file():
        return f"{where}: {value} is not a file (relative paths start at the project folder)"
    try:
        ir, _ = audio.read(path)
    except ProducerError as exc:
        return f"{where}: {exc.message}"
    if ir.shape[0] > 2:
        return f"{where}: {value} has {ir.shape[0]} channels (1 or 2 allowed)"
    if not ir.any():
        return f"{where}: {value} is silent"
    return None


def slot_problems(
    kind: str,
    params: Mapping[str, ParamValue],
    sample_rate: int,
    *,
    sidechain: str = "",
    base_dir: Path | None = None,
) -> list[str]:
    """Every reason ``create`` (and so a render) would refuse this insert, without making it.

    Parameters (kind, names, types, ranges, a required impulse response), frequencies at or
    above Nyquist at ``sample_rate``, the impulse-response file itself, and a sidechain on a
    kind that takes none. Edits and ``validate`` call this so that what they accept renders.
    """
    spec = KINDS.get(kind)
    if spec is None:
        return check_params(kind, params)
    try:
        values = resolve_params(kind, params)
    except ValidationError as exc:
        return list(exc.problems)
    problems: list[str] = []
    nyquist = sample_rate / 2.0
    for name, value in values.items():
        if name.endswith("frequency_hz") and float(value) >= nyquist:
            problems.append(
                f"{kind}.{name} = {_fmt(float(value))} Hz is not below Nyquist "
                f"({_fmt(nyquist)} Hz at {sample_rate} Hz)"
            )
    if kind == "convolution":
        why = _impulse_response_problem(values["impulse_response_path"], base_dir)
        if why:
            problems.append(why)
    if sidechain and not spec.accepts_sidechain:
        problems.append(f"{kind}: takes no sidechain input (sidechain {sidechain!r})")
    return problems


def create(
    kind: str,
    params: Mapping[str, ParamValue],
    sample_rate: int,
    channels: int,
    max_block_frames: int,
    *,
    base_dir: Path | None = None,
) -> Effect:
    """A prepared effect of ``kind``; parameters not given take their defaults.

    ``base_dir`` resolves relative file parameters (an impulse response). Raises
    ValidationError (exit 2) on bad params, NotFoundError for a missing file.
    """
    values = resolve_params(kind, params)
    nyquist = sample_rate / 2.0
    for name, value in values.items():
        if name.endswith("frequency_hz") and float(value) >= nyquist:
            raise ValidationError(
                f"{kind}.{name} = {_fmt(float(value))} Hz is not below Nyquist "
                f"({_fmt(nyquist)} Hz at {sample_rate} Hz)"
            )
    factory = KINDS[kind].factory
    assert factory is not None
    effect = factory(values, base_dir)
    effect.prepare(sample_rate, channels, max_block_frames)
    return effect


def set_param_checked(effect: Effect, name: str, value: ParamValue) -> None:
    """``effect.set_param`` after the catalog's check; raises UserError naming the parameter."""
    problems = check_params(effect.kind, {name: value})
    if problems:
        raise UserError(problems[0])
    effect.set_param(name, value)


__all__ = [
    "BUTTERWORTH_Q",
    "KINDS",
    "Effect",
    "EffectProcessor",
    "EffectSpec",
    "ParamSpec",
    "check_params",
    "create",
    "parse_value",
    "resolve_params",
    "set_param_checked",
    "slot_problems",
]
