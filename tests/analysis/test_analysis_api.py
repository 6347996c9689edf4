"""producer.analysis and producer.analysis.loudness: __all__ is the contract."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize(
    "name",
    [
        "producer.analysis",
        "producer.analysis.loudness",
        "producer.analysis.plots",
        "producer.analysis.truepeak",
        "producer.analysis.layouts",
        "producer.analysis.kweighting",
    ],
)
def test_all_names_exist(name: str) -> None:
    module = importlib.import_module(name)
    exported = module.__all__
    assert len(exported) == len(set(exported))
    for attr in exported:
        assert hasattr(module, attr), f"{name}.__all__ names missing {attr}"


def test_the_api_the_mastering_stage_codes_against() -> None:
    from producer.analysis import loudness

    for attr in (
        "integrated_loudness",
        "true_peak",
        "sample_peak",
        "loudness_range",
        "measure",
        "measure_file",
        "Meter",
        "LoudnessReport",
    ):
        assert attr in loudness.__all__
