"""A real process doing a long series of edits (songs and office documents), killed with
SIGKILL at random points, leaves a project that opens, validates and takes the next edit — with
working undo."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from producer.storage import Project
from producer.workflows import office as wo
from producer.workflows import project as wf


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


WORKER = r"""
import sys
from pathlib import Path
from producer.errors import NotFoundError
from producer.storage import Project
from producer.workflows import project as wf

from producer.workflows import office as wo

root = Path(sys.argv[1])
tag = sys.argv[2]
print("ready", flush=True)
i = 0
while True:
    i += 1
    k = i % 12
    if k == 2:  # an office edit: a booking at a new hour each time (never a conflict)
        day, hour = divmod(int(tag) * 1000 + i, 20)
        wo.book(root, ["first-song"], "tracking", "Studio A", f"2027-{1 + day // 28 % 12:02d}-{1 + day % 28:02d}T{hour + 2:02d}:00", hours=1, people=["Jane Doe:StudioMusician"])
    elif k == 6:
        wo.expense_add(root, "studio", f"{i}.50", note=f"round {tag}")
    elif k == 0:
        wf.add_song(root, f"Song {tag} {i}")
    elif k == 1:
        wf.track_set(root, "first-song", "Vox", wf.TrackSettings(gain_db=-(i % 20), pan=(i % 3) / 4))
    elif k == 10:
        wf.clip_move(root, "first-song", "Vox", "c1", (i % 10) / 10)
    elif k == 3:
        p = Project.open(root)
        extra = [s for s in p.album.songs if s != "first-song"]
        if extra:
            with p.transaction("remove a song") as tx:
                tx.remove_song(extra[0])
    elif k in (4, 11):
        try:
            wf.undo(root)
        except NotFoundError:
            pass
    elif k == 5:
        try:
            wf.redo(root)
        except NotFoundError:
            pass
    elif k == 7:
        wf.snapshot_restore(root, "base")
    elif k == 8:
        wf.clip_fade(root, "first-song", "Vox", "c1", in_seconds=(i % 5) / 100)
    else:
        wf.import_audio(root, "first-song", [Path(sys.argv[3])], at_seconds=i % 7)
"""


@pytest.fixture
def kill_project(project: Project, sine: Path) -> Path:
    root = project.root
    wf.import_audio(root, "first-song", [sine], track="Vox")
    wf.add_song(root, "Second")
    wo.person_add(root, "Jane Doe", wo.PersonFields(roles=["StudioMusician"]))
    wo.room_add(root, "Studio A", ["hour=50.00"])
    wf.snapshot_save(root, "base")
    return root


def test_sigkill_at_random_points(kill_project: Path, tmp_path: Path, make_wav: Any) -> None:
    root = kill_project
    rng = random.Random(20261127)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    steps_seen: list[int] = []
    journals: list[bool] = []
    office_steps: list[int] = []
    for round_ in range(6):
        # A new file each round: its import writes a new media file that a kill may cut.
        source = make_wav(tmp_path / f"take{round_}.wav", seconds=2.0, freq_hz=100.0 * (round_ + 1))
        worker = subprocess.Popen(
            [sys.executable, "-c", WORKER, str(root), str(round_), str(source)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 0.6))
        alive = worker.poll() is None
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        assert alive, worker.stderr.read() if worker.stderr else ""
        if worker.stderr:
            worker.stderr.close()
        worker.stdout.close()

        journals.append((root / ".producer" / "journal.json").exists())
        p = Project.open(root)  # finishes or discards the interrupted write
        assert not (root / ".producer" / "journal.json").exists()
        assert not [q for q in root.rglob("*.partial") if "cache" not in q.parts], "temp files left"
        assert Project.check(root) == []
        for media in (root / "media").iterdir():  # every pool file is whole (named by its hash)
            assert media.name.split(".")[0].split("-")[0] == sha256_of(media) or "-" in media.name
        vox = p.song("first-song").track("Vox")
        assert vox is not None
        steps_seen.append(len(p.history()))
        # It takes the next edit, and that edit undoes cleanly.
        wf.track_set(root, "first-song", "Vox", wf.TrackSettings(gain_db=-42.0))
        assert Project.open(root).song("first-song").track("Vox").gain_db == -42.0  # type: ignore[union-attr]
        wf.undo(root)
        assert Project.open(root).song("first-song").track("Vox").gain_db == vox.gain_db  # type: ignore[union-attr]
        # The office documents are whole and valid too, and take (and undo) an edit.
        office = p.office
        expenses = len(office.budget.expenses)
        wo.expense_add(root, "studio", "1.00")
        assert len(Project.open(root).office.budget.expenses) == expenses + 1
        wf.undo(root)
        assert Project.open(root).office == office
        office_steps.append(sum(any(x.startswith("office/") for x in e.paths) for e in p.history()))
    assert steps_seen[-1] > 5  # the workers did get work done between kills
    assert office_steps[-1] > 2  # the workers' office edits among them (2 came from the fixture)
    assert any(journals)  # and at least one kill landed mid-write, so recovery ran
