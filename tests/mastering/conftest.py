"""Fixtures of the mastering tests: the varied inputs of the acceptance matrix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from .refs import make_inputs

Inputs = dict[str, tuple[np.ndarray, int]]


@pytest.fixture(scope="module")
def inputs(testdata: Path) -> Inputs:
    """Six generated inputs plus two real recordings (skips where the test data is absent)."""
    return make_inputs(testdata)
