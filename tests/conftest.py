"""Shared fixtures: the third-party test material in ../shared/testdata/ (never copied here)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

TESTDATA = Path(
    os.environ.get("PRODUCER_TESTDATA", Path(__file__).resolve().parents[2] / "shared" / "testdata")
)


@pytest.fixture(scope="session")
def testdata() -> Path:
    """The shared test material; tests that need it skip where it is absent (a user's clone)."""
    if not TESTDATA.is_dir():
        pytest.skip(f"shared test material not found at {TESTDATA} (set PRODUCER_TESTDATA)")
    return TESTDATA
