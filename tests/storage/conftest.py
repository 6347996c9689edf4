"""Fixtures of the storage tests: a fresh project and generated audio files."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from producer.storage import Project


@pytest.fixture(autouse=True)
def _no_fsync(monkeypatch: pytest.MonkeyPatch) -> None:
    """fsync guards against power loss, which no test here simulates (a killed process's
    writes survive in the page cache); skipping it makes these tests ~7x faster on a busy
    disk. The kill test's workers are separate processes and keep the real fsync."""
    monkeypatch.setattr(os, "fsync", lambda fd: None)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    p = Project.create(tmp_path / "album", "Test Album", "Tester", 48000)
    from producer.workflows import project as wf

    wf.add_song(p.root, "First Song")
    return Project.open(p.root)


def write_sine(
    path: Path,
    rate: int = 48000,
    seconds: float = 0.5,
    channels: int = 2,
    freq_hz: float = 440.0,
    subtype: str = "PCM_24",
) -> Path:
    t = np.arange(int(rate * seconds)) / rate
    x = 0.5 * np.sin(2 * np.pi * freq_hz * t)
    sf.write(str(path), np.stack([x] * channels, axis=1), rate, subtype=subtype)
    return path


@pytest.fixture
def make_wav() -> object:
    """``make_wav(path, rate=..., seconds=..., channels=..., freq_hz=..., subtype=...)``."""
    return write_sine


@pytest.fixture
def sine(tmp_path: Path) -> Path:
    return write_sine(tmp_path / "sine.wav")
