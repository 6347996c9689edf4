"""The effect catalog: kinds and parameter names of issue 4, every problem reported, factories."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from producer.dsp import catalog
from producer.dsp.processor import Processor
from producer.errors import NotFoundError, UserError, ValidationError

ISSUE_KINDS = [
    "gain",
    "polarity",
    "highpass",
    "lowpass",
    "lowshelf",
    "highshelf",
    "peak",
    "eq",
    "compressor",
    "gate",
    "limiter",
    "delay",
    "reverb",
    "convolution",
    "chorus",
    "distortion",
]

# Parameter names the issue spells out (pedalboard's names, units in the name).
ISSUE_PARAMS = {
    "gain": {"gain_db"},
    "highpass": {"cutoff_frequency_hz", "q"},
    "lowpass": {"cutoff_frequency_hz", "q"},
    "lowshelf": {"cutoff_frequency_hz", "gain_db", "q"},
    "highshelf": {"cutoff_frequency_hz", "gain_db", "q"},
    "peak": {"cutoff_frequency_hz", "gain_db", "q"},
    "compressor": {"threshold_db", "ratio", "attack_ms", "release_ms", "knee_db", "makeup_db"},
    "gate": {"threshold_db", "ratio", "attack_ms", "release_ms"},
    "limiter": {"release_ms"},
    "delay": {"delay_seconds", "feedback", "mix"},
    "reverb": {"room_size", "damping", "wet_level", "dry_level", "width"},
    "convolution": {"impulse_response_path", "mix"},
    "chorus": {"rate_hz", "depth", "centre_delay_ms", "feedback", "mix"},
    "distortion": {"drive_db"},
}


def test_kinds_are_the_issues_in_a_stable_order() -> None:
    assert list(catalog.KINDS) == ISSUE_KINDS


@pytest.mark.parametrize("kind", sorted(ISSUE_PARAMS))
def test_parameter_names_of_the_issue(kind: str) -> None:
    assert ISSUE_PARAMS[kind] <= set(catalog.KINDS[kind].params)


@pytest.mark.parametrize("kind", ISSUE_KINDS)
def test_every_spec_is_printable_and_its_defaults_valid(kind: str) -> None:
    spec = catalog.KINDS[kind]
    assert spec.kind == kind and spec.description
    for name, p in spec.params.items():
        assert p.name == name and p.description
        assert p.describe_range()
        if p.value_type in ("float", "int"):
            assert p.minimum <= float(p.default) <= p.maximum  # type: ignore[arg-type]
    assert catalog.check_params(kind, spec.defaults()) == []


def test_sidechain_kinds() -> None:
    assert [k for k, s in catalog.KINDS.items() if s.accepts_sidechain] == ["compressor", "gate"]


@pytest.mark.parametrize(
    ("kind", "params", "expected"),
    [
        ("compressor", {"ratio": 4.0, "threshold_db": -20}, []),
        ("compressor", {"ratio": 4}, []),  # an int is a number
        (
            "compresor",
            {},
            [
                "unknown effect kind 'compresor' (kinds: gain, polarity, highpass, lowpass, "
                "lowshelf, highshelf, peak, eq, compressor, gate, limiter, delay, reverb, "
                "convolution, chorus, distortion)"
            ],
        ),
        (
            "compressor",
            {"treshold_db": -20},
            [
                "compressor: unknown parameter 'treshold_db' (valid: threshold_db, ratio, "
                "attack_ms, release_ms, knee_db, makeup_db)"
            ],
        ),
        ("compressor", {"ratio": 0.5}, ["compressor.ratio = 0.5 is out of range [1, 100]"]),
        (
            "highpass",
            {"cutoff_frequency_hz": 5},
            ["highpass.cutoff_frequency_hz = 5 Hz is out of range [10, 24000]"],
        ),
        ("gain", {"gain_db": "loud"}, ["gain.gain_db: expected a number, got 'loud'"]),
        ("gain", {"gain_db": True}, ["gain.gain_db: expected a number, got True"]),
        ("gain", {"gain_db": math.nan}, ["gain.gain_db: nan is not a finite number"]),
        ("highpass", {"order": 1.0}, ["highpass.order: expected an integer, got 1.0"]),
        ("highpass", {"order": 3}, ["highpass.order = 3 is out of range [1, 2]"]),
        ("limiter", {"true_peak": 1}, ["limiter.true_peak: expected true or false, got 1"]),
        (
            "eq",
            {"band2_type": "notch"},
            [
                "eq.band2_type: 'notch' is not one of off, lowshelf, peak, highshelf, highpass, "
                "lowpass"
            ],
        ),
        ("polarity", {"x": 1}, ["polarity: unknown parameter 'x' (valid: none)"]),
        (
            "compressor",
            {"ratio": 0, "attack_ms": -1, "foo": 1},
            [
                "compressor.ratio = 0 is out of range [1, 100]",
                "compressor.attack_ms = -1 ms is out of range [0, 1000]",
                "compressor: unknown parameter 'foo' (valid: threshold_db, ratio, attack_ms, "
                "release_ms, knee_db, makeup_db)",
            ],
        ),
    ],
)
def test_check_params_reports_every_problem(
    kind: str, params: dict[str, object], expected: list[str]
) -> None:
    assert catalog.check_params(kind, params) == expected


def test_create_raises_a_validation_error_with_all_problems() -> None:
    with pytest.raises(ValidationError) as err:
        catalog.create("compressor", {"ratio": 0, "attack_ms": -1}, 48000, 2, 512)
    assert err.value.exit_code == 2
    assert len(err.value.problems) == 2
    assert str(err.value).startswith("compressor.ratio = 0 is out of range")


def test_create_refuses_a_frequency_above_nyquist() -> None:
    with pytest.raises(ValidationError, match=r"peak.cutoff_frequency_hz = 23000 Hz is not below"):
        catalog.create("peak", {"cutoff_frequency_hz": 23000.0}, 44100, 2, 512)


def test_missing_impulse_response_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match=r"nope\.wav: impulse response file not found"):
        catalog.create(
            "convolution", {"impulse_response_path": "nope.wav"}, 48000, 2, 512, base_dir=tmp_path
        )


@pytest.mark.parametrize(
    ("kind", "name", "text", "value"),
    [
        ("compressor", "ratio", "4", 4.0),
        ("highpass", "order", "1", 1),
        ("limiter", "true_peak", "yes", True),
        ("limiter", "true_peak", "false", False),
        ("eq", "band1_type", "peak", "peak"),
    ],
)
def test_parse_value(kind: str, name: str, text: str, value: object) -> None:
    parsed = catalog.parse_value(kind, name, text)
    assert parsed == value and type(parsed) is type(value)


@pytest.mark.parametrize(
    ("kind", "name", "text", "message"),
    [
        ("compressor", "ratio", "four", "compressor.ratio: cannot read 'four' as float"),
        ("compressor", "rat", "4", "compressor: unknown parameter 'rat'"),
        ("flanger", "rate_hz", "4", "unknown effect kind 'flanger'"),
        ("limiter", "true_peak", "maybe", "limiter.true_peak: cannot read 'maybe' as bool"),
    ],
)
def test_parse_value_errors(kind: str, name: str, text: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        catalog.parse_value(kind, name, text)


@pytest.mark.parametrize("kind", [k for k in ISSUE_KINDS if k != "convolution"])
def test_created_effect_is_a_processor_with_float_params(kind: str) -> None:
    fx = catalog.create(kind, {}, 48000, 2, 256)
    assert isinstance(fx, Processor)
    assert isinstance(fx, catalog.EffectProcessor)
    for name, p in catalog.KINDS[kind].params.items():
        if p.automatable:
            assert isinstance(fx.params[name], float)
    out = fx.process(np.zeros((2, 0), dtype=np.float32))
    assert out.shape == (2, 0)


def test_set_param_checked() -> None:
    fx = catalog.create("gain", {"gain_db": 0.0}, 48000, 1, 64)
    catalog.set_param_checked(fx, "gain_db", -6.0)
    out = fx.process(np.ones((1, 4), dtype=np.float32))
    assert out[0, 0] == pytest.approx(10 ** (-6 / 20), rel=1e-6)
    with pytest.raises(UserError, match=r"gain.gain_db = 100 dB is out of range"):
        catalog.set_param_checked(fx, "gain_db", 100.0)


def test_sidechain_on_a_kind_without_one_is_an_error() -> None:
    from producer.errors import RenderError

    fx = catalog.create("reverb", {}, 48000, 2, 64)
    x = np.zeros((2, 8), dtype=np.float32)
    with pytest.raises(RenderError, match="reverb"):
        fx.process_sidechain(x, x)


def test_set_param_of_an_unknown_name_is_a_user_error() -> None:
    fx = catalog.create("compressor", {}, 48000, 2, 64)
    with pytest.raises(UserError, match=r"compressor: unknown parameter 'thresh'"):
        fx.set_param("thresh", -10.0)


def test_automatable_parameters() -> None:
    automatable = {
        kind: [n for n, p in spec.params.items() if p.automatable]
        for kind, spec in catalog.KINDS.items()
    }
    assert automatable["limiter"] == ["ceiling_db", "release_ms"]
    assert automatable["highpass"] == ["cutoff_frequency_hz", "q"]
    assert automatable["convolution"] == ["mix"]
    assert "band1_type" not in automatable["eq"] and "band1_gain_db" in automatable["eq"]


def test_a_convolution_needs_its_impulse_response() -> None:
    assert catalog.check_params("convolution", {"mix": 0.5}) == []  # one parameter changed
    with pytest.raises(ValidationError, match=r"convolution.impulse_response_path: required"):
        catalog.create("convolution", {"mix": 0.5}, 48000, 2, 512)
