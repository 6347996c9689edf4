"""Fixtures of the tracking tests: a project with one song."""

from __future__ import annotations

from pathlib import Path

import pytest

from producer.workflows import project as wp


@pytest.fixture
def song_project(tmp_path: Path) -> tuple[Path, str]:
    """A project holding song ``s`` (120 BPM, 4/4, 48 kHz) with no tracks."""
    root = tmp_path / "p"
    wp.new_project(root, "Album", "Artist")
    return root, wp.add_song(root, "S")
