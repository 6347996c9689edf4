"""`producer gc` and the mix renders the review studio plays: a render a version names is kept
however old, an earlier render nothing names goes (with its analysis), and a studio database
that cannot be read keeps every render. On SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import SONG
from producer.cli import cli
from producer.workflows import mix
from producer.workflows import project as project_wf
from producer.workflows.studio import command_line_principal, open_studio, review

DAY = 86400.0


def gc_json(root: Path, *args: str, env: dict[str, str] | None = None) -> dict:  # type: ignore[type-arg]
    result = CliRunner().invoke(cli, ["-C", str(root), "gc", "--json", *args], env=env)
    assert result.exit_code == 0, (result.output, result.stderr, result.exception)
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def fader(root: Path, gain_db: float) -> None:
    project_wf.track_set(root, SONG, "Guitar", project_wf.TrackSettings(gain_db=gain_db))


def age(path: Path, days: float) -> None:
    then = time.time() - days * DAY
    os.utime(path, (then, then))


def test_gc_keeps_the_renders_the_studio_names_and_removes_the_rest(
    project_root: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project_root
    monkeypatch.setenv("PRODUCER_STUDIO_DB", db_url)  # what gc reads, as `serve --db` would
    studio = open_studio(root, db_url)
    try:
        published = review.publish(studio, command_line_principal(), SONG, "v1").render_id
    finally:
        studio.close()
    # Two later states of the mix, rendered (as `producer master` does) but never published.
    fader(root, -3.0)
    unnamed = mix.render_by_id(root, SONG).render_id
    fader(root, -6.0)
    current = mix.render_by_id(root, SONG).render_id
    assert len({published, unnamed, current}) == 3
    renders = root / "renders"
    for rid in (published, unnamed, current):
        age(renders / f"{rid}.wav", 30)
    analyses = root / ".producer" / "cache" / "analysis"
    analyses.mkdir(parents=True, exist_ok=True)
    (analyses / f"{unnamed}.json").write_text("{}")

    data = gc_json(root, "--dry-run")
    listed = {x["path"]: x["kind"] for x in data["would_remove"]}
    assert listed == {
        f"renders/{unnamed}.wav": "mix render",
        f".producer/cache/analysis/{unnamed}.json": "analysis",
    }
    assert data["kept_mix_renders"] == 2 and data["notes"] == []
    assert (renders / f"{unnamed}.wav").exists()  # a dry run

    data = gc_json(root)
    assert sorted(p.stem for p in renders.iterdir()) == sorted([published, current])
    assert not (analyses / f"{unnamed}.json").exists()
    # The studio still plays its version: the render it names is there.
    studio = open_studio(root, db_url)
    try:
        (version,) = studio.store.versions(SONG)
        assert mix.cached_render_path(root, version.render_id).is_file()
    finally:
        studio.close()


def test_a_young_render_is_kept_and_an_unreadable_studio_keeps_them_all(
    project_root: Path,
) -> None:
    root = project_root
    old = mix.render_by_id(root, SONG).render_id
    fader(root, -3.0)
    assert gc_json(root, "--dry-run")["would_remove"] == []  # made today: kept a week
    age(root / "renders" / f"{old}.wav", 8)
    assert [x["path"] for x in gc_json(root, "--dry-run")["would_remove"]] == [f"renders/{old}.wav"]
    assert [
        x["path"] for x in gc_json(root, "--dry-run", "--keep-days", "10")["would_remove"]
    ] == []
    # A database gc cannot reach: nothing of renders/ is guessed away, and gc says why.
    env = {"PRODUCER_STUDIO_DB": "postgresql+psycopg://nobody@127.0.0.1:1/studio"}
    data = gc_json(root, env=env)
    assert data["removed"] == [] and data["kept_mix_renders"] == 1
    (note,) = data["notes"]
    assert note.startswith("kept every mix render in renders/: the studio's database")
    assert "127.0.0.1:1" in note and (root / "renders" / f"{old}.wav").exists()
    result = CliRunner().invoke(cli, ["-C", str(root), "gc"], env=env)
    assert result.exit_code == 0 and "note: kept every mix render" in result.stdout
    # Undo makes the old state current again: its render is the current mix, kept.
    result = CliRunner().invoke(cli, ["-C", str(root), "undo"])
    assert result.exit_code == 0, result.output
    assert gc_json(root, "--dry-run")["would_remove"] == []
