"""Shared fixtures: the third-party test material in ../shared/testdata/ (never copied here)."""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
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


@pytest.fixture(autouse=True)
def _one_sound_server_test_at_a_time(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tests marked ``soundserver`` share the machine's one sound server: what one plays, the
    other records. A file lock runs them one at a time, across pytest-xdist workers and
    across test suites run at once on the same machine."""
    if request.node.get_closest_marker("soundserver") is None:
        yield
        return
    lock = Path(tempfile.gettempdir()) / "producer-soundserver.lock"
    with open(lock, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
