"""producer.tracking's __init__ is its contract: __all__ lists exactly what it exports."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "name",
    [
        "producer.tracking",
        "producer.tracking.capture",
        "producer.tracking.latency",
        "producer.tracking.review",
        "producer.tracking.session",
        "producer.tracking.streams",
        "producer.tracking.takes",
        "producer.workflows.tracking",
    ],
)
def test_all_names_exist(name: str) -> None:
    module = importlib.import_module(name)
    assert len(module.__all__) == len(set(module.__all__))
    for attr in module.__all__:
        assert hasattr(module, attr), f"{name}.__all__ names missing {attr}"


def test_importing_tracking_needs_no_portaudio() -> None:
    """sounddevice raises OSError at import without PortAudio: only a device use imports it."""
    code = (
        "import sys, producer.tracking, producer.cli, producer.workflows.tracking; "
        "print('sounddevice' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
