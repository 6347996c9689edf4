"""The storage package's contract, and file checks on open."""

from __future__ import annotations

from pathlib import Path

import pytest

import producer.storage as storage
from producer.errors import ValidationError
from producer.model import Track
from producer.model import edit as ed
from producer.storage import Project
from producer.workflows import mix as wm
from producer.workflows import project as wf


def test_all_names_exist() -> None:
    assert len(storage.__all__) == len(set(storage.__all__))
    for name in storage.__all__:
        assert hasattr(storage, name)
    for method in (
        "create",
        "open",
        "song",
        "songs",
        "media_path",
        "transaction",
        "import_media",
        "undo",
        "redo",
        "history",
        "snapshot_save",
        "snapshot_restore",
    ):
        assert hasattr(Project, method)


def test_changed_media_file_is_reported(project: Project, sine: Path) -> None:
    (placed,) = wf.import_audio(project.root, "first-song", [sine])
    stored = project.root / placed.media.path
    with open(stored, "ab") as f:
        f.write(b"\0\0\0\0")
    opened = Project.open(project.root)  # the project still opens: the problem is listed
    assert any("does not match its sha256" in p for p in opened.song_problems("first-song"))
    assert any("sha256" in p for p in Project.check(project.root))
    with pytest.raises(ValidationError, match="does not match its sha256"):
        wm.render(project.root, "first-song")  # and a render refuses it


def test_song_not_listed_in_album_is_reported(project: Project) -> None:
    (project.root / "songs" / "stray.json").write_text(
        (project.root / "songs" / "first-song.json").read_text()
    )
    problems = Project.check(project.root)
    assert "songs/stray.json: not listed in album.json songs" in problems


def test_media_path_of_missing_file(project: Project, sine: Path) -> None:
    ref = project.import_media(sine)
    assert project.media_path(ref) == project.root / ref.path
    (project.root / ref.path).unlink()
    with pytest.raises(Exception, match="missing media file"):
        project.media_path(ref)


def test_other_process_edit_is_not_lost(project: Project) -> None:
    """A Project opened earlier re-reads documents another writer changed before editing."""
    early = Project.open(project.root)
    wf.track_add(project.root, "first-song", "Vox")  # another writer
    with early.transaction("add bass") as tx:
        song = tx.song("first-song")
        tx.put_song(ed.add_track(song, Track(name="Bass")))
    names = [t.name for t in Project.open(project.root).song("first-song").tracks]
    assert names == ["Vox", "Bass"]
