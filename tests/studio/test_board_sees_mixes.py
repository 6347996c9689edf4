"""The album board and credits know a song was mixed however its mix was made: a version in
the review studio, its current mix rendered by id into renders/ (as ``master`` and the studio
do), or ``producer mix``. A studio database that cannot be read is said, not guessed. On
SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import SONG
from producer.cli import cli
from producer.workflows import mix
from producer.workflows import project as project_wf
from producer.workflows.studio import command_line_principal, open_studio, review


def stage(root: Path, env: dict[str, str] | None = None) -> tuple[str, list[str]]:
    result = CliRunner().invoke(cli, ["-C", str(root), "status", "--json"], env=env)
    assert result.exit_code == 0, (result.output, result.stderr, result.exception)
    board = json.loads(result.stdout)
    (row,) = [s for s in board["songs"] if s["song"] == SONG]
    return row["stage"], board["notes"]


def test_a_song_published_in_the_studio_is_in_mixing_whatever_changed_since(
    project_root: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project_root
    monkeypatch.setenv("PRODUCER_STUDIO_DB", db_url)
    shutil.rmtree(root / "renders", ignore_errors=True)
    shutil.rmtree(root / "mixes", ignore_errors=True)
    assert stage(root) == ("tracking", [])
    studio = open_studio(root, db_url)
    try:
        review.publish(studio, command_line_principal(), SONG, "v1")
    finally:
        studio.close()
    assert stage(root) == ("mixing", [])
    # A fader moved after publishing: the current mix is not rendered, the studio's version
    # still says the song is being mixed.
    project_wf.track_set(root, SONG, "Guitar", project_wf.TrackSettings(gain_db=-4.0))
    assert stage(root) == ("mixing", [])


def test_a_render_by_id_is_a_mix_and_an_unreadable_studio_is_said(
    project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project_root
    monkeypatch.delenv("PRODUCER_STUDIO_DB", raising=False)
    shutil.rmtree(root / "renders", ignore_errors=True)
    shutil.rmtree(root / "mixes", ignore_errors=True)
    assert stage(root) == ("tracking", [])
    mix.render_by_id(root, SONG)  # what `producer master SONG` renders first
    assert stage(root) == ("mixing", [])
    for p in (root / "renders").iterdir():
        p.unlink()
    down = {"PRODUCER_STUDIO_DB": "postgresql+psycopg://nobody@127.0.0.1:1/studio"}
    got, notes = stage(root, down)
    assert got == "tracking" and len(notes) == 1
    assert "from the project's files only" in notes[0] and "127.0.0.1:1" in notes[0]
    text = CliRunner().invoke(cli, ["-C", str(root), "status"], env=down)
    assert text.exit_code == 0 and "note: stages and credits" in text.stdout
    credits = CliRunner().invoke(cli, ["-C", str(root), "credits", "--json"], env=down)
    assert credits.exit_code == 0, credits.stderr
    json.loads(credits.stdout)  # the RIN JSON stays clean; the warning is on stderr
    assert "producer: warning: stages and credits" in credits.stderr
