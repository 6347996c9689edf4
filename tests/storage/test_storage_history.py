"""History: steps, undo/redo across restarts, the journal after a crash, snapshots, the lock."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from producer.errors import LockedError, NotFoundError, ValidationError
from producer.model import Song
from producer.storage import Project
from producer.storage.files import atomic_write_text
from producer.storage.history import History
from producer.storage.lock import WriteLock
from producer.workflows import project as wf


def gain(root: Path, track: str = "Vox") -> float:
    song = Project.open(root).song("first-song")
    return next(t.gain_db for t in song.tracks if t.name == track)


def test_undo_redo_across_new_objects(project: Project) -> None:
    root = project.root
    wf.track_add(root, "first-song", "Vox")
    wf.track_set(root, "first-song", "Vox", wf.TrackSettings(gain_db=-6.0))
    assert gain(root) == -6.0
    assert wf.undo(root).startswith("set first-song/Vox")
    assert gain(root) == 0.0
    wf.redo(root)
    assert gain(root) == -6.0
    labels = [(e.number, e.applied) for e in wf.history(root)]
    assert labels == [(1, True), (2, True), (3, True)]


def test_new_step_after_undo_drops_the_redo_branch(project: Project) -> None:
    root = project.root
    wf.track_add(root, "first-song", "Vox")
    wf.track_set(root, "first-song", "Vox", wf.TrackSettings(gain_db=-6.0))
    wf.undo(root)
    assert [e.applied for e in wf.history(root)] == [True, True, False]
    wf.track_set(root, "first-song", "Vox", wf.TrackSettings(pan=0.5))
    assert [e.applied for e in wf.history(root)] == [True, True, True]
    with pytest.raises(NotFoundError, match="nothing to redo"):
        wf.redo(root)
    assert gain(root) == 0.0


def test_undo_everything_then_nothing(project: Project) -> None:
    root = project.root
    wf.undo(root)  # the song added by the fixture
    assert Project.open(root).songs() == []
    assert not (root / "songs" / "first-song.json").exists()
    with pytest.raises(NotFoundError, match="nothing to undo"):
        wf.undo(root)
    wf.redo(root)
    assert [s.slug for s in Project.open(root).songs()] == ["first-song"]


def test_undo_refuses_to_overwrite_a_hand_edit(project: Project) -> None:
    root = project.root
    wf.track_add(root, "first-song", "Vox")
    doc = root / "songs" / "first-song.json"
    doc.write_text(doc.read_text().replace('"tempo_bpm": 120.0', '"tempo_bpm": 99.0'))
    with pytest.raises(ValidationError, match="changed outside producer"):
        wf.undo(root)
    assert Project.open(root).song("first-song").tempo_bpm == 99.0


def test_failed_edit_writes_nothing(project: Project) -> None:
    root = project.root
    wf.track_add(root, "first-song", "Vox")
    before = (root / "songs" / "first-song.json").read_bytes()
    with pytest.raises(ValidationError, match=r"--pan: 3 is outside -1 \(left\) \.\. \+1"):
        wf.track_set(root, "first-song", "Vox", wf.TrackSettings(pan=3.0))
    assert (root / "songs" / "first-song.json").read_bytes() == before
    assert len(wf.history(root)) == 2


def test_multi_document_step_interrupted_is_rolled_forward(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kill between the journal and the documents: the next writer finishes the step."""
    root = project.root

    def crash(self: History, journal: object) -> None:
        raise SystemExit("killed")

    monkeypatch.setattr(History, "_roll_forward", crash)
    p = Project.open(root)
    with pytest.raises(SystemExit), p.transaction("two songs") as tx:
        tx.put_song(Song(title="Second", slug="second", sample_rate=48000))
        tx.put_song(Song(title="Renamed", slug="first-song"))
    assert (root / ".producer" / "journal.json").exists()
    assert not (root / "songs" / "second.json").exists()
    monkeypatch.undo()
    p2 = Project.open(root)  # recovers
    assert not (root / ".producer" / "journal.json").exists()
    assert [s.title for s in p2.songs()] == ["Renamed", "Second"]
    assert wf.history(root)[-1].label == "two songs"
    wf.undo(root)
    assert [s.title for s in Project.open(root).songs()] == ["First Song"]


def test_exception_inside_transaction_writes_nothing(project: Project) -> None:
    before = (project.root / "album.json").read_bytes()
    with pytest.raises(RuntimeError), project.transaction("x") as tx:
        tx.put_song(Song(title="Second", slug="second", sample_rate=48000))
        raise RuntimeError("boom")
    assert (project.root / "album.json").read_bytes() == before
    assert not (project.root / "songs" / "second.json").exists()


def test_snapshot_save_restore_is_undoable(project: Project) -> None:
    root = project.root
    wf.track_add(root, "first-song", "Vox")
    wf.snapshot_save(root, "mix-1")
    wf.track_remove(root, "first-song", "Vox")
    wf.add_song(root, "Second Song")
    wf.snapshot_restore(root, "mix-1")
    p = Project.open(root)
    assert [s.slug for s in p.songs()] == ["first-song"]
    assert [t.name for t in p.song("first-song").tracks] == ["Vox"]
    assert wf.snapshot_list(root) == ["mix-1"]
    wf.undo(root)
    assert [s.slug for s in Project.open(root).songs()] == ["first-song", "second-song"]
    with pytest.raises(NotFoundError, match="no snapshot 'nope'"):
        wf.snapshot_restore(root, "nope")


def test_two_writers_second_gets_locked_error(project: Project) -> None:
    """A real second process holds the lock; our write fails at once, naming its pid."""
    code = (
        "import sys, time\n"
        "from producer.storage import Project\n"
        "p = Project.open(sys.argv[1])\n"
        "with p.transaction('slow') as tx:\n"
        "    print('locked', flush=True)\n"
        "    time.sleep(30)\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(project.root)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(LockedError, match=f"process {holder.pid} is writing"):
            wf.track_add(project.root, "first-song", "Vox")
        Project.open(project.root)  # reading is fine meanwhile
    finally:
        holder.kill()
        holder.wait()
    # The kernel dropped the dead holder's lock: no stale lock blocks the next write.
    wf.track_add(project.root, "first-song", "Vox")


def test_create_refuses_existing_project(project: Project) -> None:
    with pytest.raises(Exception, match="holds a project already"):
        Project.create(project.root, "x", "y")


def test_history_files_are_json(project: Project) -> None:
    state = json.loads((project.root / ".producer/history/state.json").read_text())
    assert state == {"position": 1, "top": 1}
    step = json.loads((project.root / ".producer/history/steps/000001.json").read_text())
    assert [c["path"] for c in step["changes"]] == ["album.json", "songs/first-song.json"]
    assert step["changes"][1]["before"] is None


def test_nested_writer_in_same_process_is_named(project: Project) -> None:
    other = Project.open(project.root)
    with project.transaction("outer"):
        with pytest.raises(LockedError, match="this process is already writing"):
            other.snapshot_save("x")
        project.snapshot_save("y")  # the same object re-enters its own lock
    assert wf.snapshot_list(project.root) == ["y"]


def test_reader_sees_a_step_whole_while_it_is_written(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer stopped half way through a two-document step, still holding the lock: a
    reader gets the whole step (from the journal), never album.json listing a missing song."""
    root = project.root

    def half(self: History, journal: dict[str, dict[str, str]]) -> None:
        first = next(iter(journal["files"]))
        atomic_write_text(root / first, journal["files"][first])
        raise SystemExit("stopped")

    monkeypatch.setattr(History, "_roll_forward", half)
    with pytest.raises(SystemExit), Project.open(root).transaction("two") as tx:
        tx.put_song(Song(title="Second", slug="second", sample_rate=48000))
    monkeypatch.undo()
    assert '"second"' in (root / "album.json").read_text()
    assert not (root / "songs" / "second.json").exists()

    writer = WriteLock(root / ".producer" / "lock", str(root))
    writer.acquire()  # the writer is still alive: the reader must not recover for it
    try:
        reader = Project.open(root)
        assert [s.slug for s in reader.songs()] == ["first-song", "second"]
        assert (root / ".producer" / "journal.json").exists()
    finally:
        writer.release()
    Project.open(root)  # now the next opener finishes it
    assert (root / "songs" / "second.json").exists()
    assert not (root / ".producer" / "journal.json").exists()


def test_album_change_is_checked_against_every_song(project: Project) -> None:
    with (
        pytest.raises(ValidationError, match="sample_rate: 48000 differs from the album's 44100"),
        project.transaction("rate") as tx,
    ):
        tx.put_album(dataclasses.replace(tx.album, sample_rate=44100))
    assert Project.open(project.root).album.sample_rate == 48000
