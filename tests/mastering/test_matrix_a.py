"""Acceptance matrix, part a: every input x these profiles is on target (libebur128, ±0.1 LU),
under the true-peak ceiling (8x interpolation), at the profile's rate and bit depth.

Split in two files so that `pytest -n 2 --dist loadfile` runs the halves on both cores.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from producer.mastering.profiles import load_profiles

from .conftest import Inputs
from .matrix import check_case
from .refs import INPUT_NAMES

PROFILES = list(load_profiles())
SELECTED = PROFILES[: len(PROFILES) // 2 + 1]


@pytest.mark.parametrize("profile_name", SELECTED)
@pytest.mark.parametrize("input_name", INPUT_NAMES)
def test_delivered_on_target(
    inputs: Inputs, input_name: str, profile_name: str, tmp_path: Path
) -> None:
    audio, rate = inputs[input_name]
    check_case(input_name, audio, rate, load_profiles()[profile_name], tmp_path)
