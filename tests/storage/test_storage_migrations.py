"""format_version: ordered upgrades, older files backed up, newer ones refused."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from producer.errors import FormatError
from producer.storage import Project, migrations
from producer.workflows import project as wf


def test_older_document_is_upgraded_and_backed_up(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project.root
    calls: list[int] = []

    def v1_to_v2(d: dict[str, Any]) -> dict[str, Any]:
        calls.append(1)
        return {**d, "key": d["key"] or "C major"}  # stands in for a real change of the format

    def v2_to_v3(d: dict[str, Any]) -> dict[str, Any]:
        calls.append(2)
        return {**d, "title": d["title"].upper()}

    monkeypatch.setattr(migrations, "FORMAT_VERSION", 3)
    monkeypatch.setitem(migrations.UPGRADES, "song", {1: v1_to_v2, 2: v2_to_v3})
    monkeypatch.setitem(migrations.UPGRADES, "album", {1: lambda d: d, 2: lambda d: d})
    # The documents of this test are written at format 1 (as an older producer wrote them).
    for rel in ("album.json", "songs/first-song.json"):
        data = json.loads((root / rel).read_text())
        data["format_version"] = 1
        (root / rel).write_text(json.dumps(data, indent=2) + "\n")
    original = (root / "songs/first-song.json").read_bytes()

    p = Project.open(root)
    assert calls == [1, 2]  # in order
    song = p.song("first-song")
    assert (song.key, song.title) == ("C major", "FIRST SONG")
    backup = root / ".producer/backups/format-1/songs/first-song.json"
    assert backup.read_bytes() == original
    assert (root / "songs/first-song.json").read_bytes() == original  # reading never rewrites

    wf.track_add(root, "first-song", "Vox")  # the next save writes the current format
    saved = json.loads((root / "songs/first-song.json").read_text())
    assert saved["format_version"] == 3 and saved["key"] == "C major"
    wf.undo(root)  # and undo brings back the old file exactly
    assert (root / "songs/first-song.json").read_bytes() == original


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            migrations.FORMAT_VERSION + 1,
            f"format_version {migrations.FORMAT_VERSION + 1} is newer than this producer reads "
            f"({migrations.FORMAT_VERSION}); update producer",
        ),
        ("1", "format_version: '1' is not a positive whole number"),
        (0, "format_version: 0 is not a positive whole number"),
        (None, "format_version: None is not a positive whole number"),
    ],
)
def test_bad_format_version_refused(project: Project, value: object, message: str) -> None:
    path: Path = project.root / "album.json"
    data = json.loads(path.read_text())
    data["format_version"] = value
    path.write_text(json.dumps(data))
    with pytest.raises(FormatError, match="^" + re.escape(f"album.json: {message}")):
        Project.open(project.root).album  # noqa: B018  (the project opens; the album is refused)


def test_missing_format_version_refused(project: Project) -> None:
    path = project.root / "songs/first-song.json"
    data = json.loads(path.read_text())
    del data["format_version"]
    path.write_text(json.dumps(data))
    with pytest.raises(
        FormatError, match=re.escape("songs/first-song.json: format_version: required")
    ):
        Project.open(project.root).song("first-song")
