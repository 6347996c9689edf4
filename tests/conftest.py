"""Shared fixtures: the third-party test material in ../shared/testdata/ (never copied here)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# librosa's numba functions cache their compiled code (cache=True) next to librosa's sources;
# two pytest-xdist workers compiling the same function at once can leave a cache entry that
# segfaults the next process loading it (seen on a fresh venv in chroma_cqt / pyin). A cache
# folder per worker, set before anything imports numba, takes the race away.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
if _WORKER or "NUMBA_CACHE_DIR" not in os.environ:
    # Workers inherit the controller's environment: each one sets its own folder.
    os.environ["NUMBA_CACHE_DIR"] = str(
        Path(tempfile.gettempdir()) / f"producer-tests-numba-{os.getuid()}-{_WORKER or 'main'}"
    )

TESTDATA = Path(
    os.environ.get("PRODUCER_TESTDATA", Path(__file__).resolve().parents[2] / "shared" / "testdata")
)


@pytest.fixture(scope="session")
def testdata() -> Path:
    """The shared test material; tests that need it skip where it is absent (a user's clone)."""
    if not TESTDATA.is_dir():
        pytest.skip(f"shared test material not found at {TESTDATA} (set PRODUCER_TESTDATA)")
    return TESTDATA
