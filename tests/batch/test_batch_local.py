"""``producer batch master`` on the local process pool, run as a user runs it (a process),
with real faults: a worker process killed mid-batch, a corrupt input, an edited input, and a
``kill -9`` of the batch command itself followed by a rerun.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import psutil
import pytest
import soundfile as sf
from batch_support import (
    add_corrupt,
    assert_on_target,
    descendants_gone,
    journal_lines,
    kill,
    make_inputs,
    outputs_state,
    parse,
    pool_workers,
    run,
    start,
    wait_for_records,
)


@pytest.fixture(scope="module")
def inputs(testdata: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("batch-local") / "in"
    make_inputs(testdata, folder)
    add_corrupt(testdata, folder)
    return folder


def test_worker_killed_mid_batch_then_rerun_and_one_change(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ("batch", "master", inputs, "--profile", "streaming", "-o", out, "--workers", "2")
    proc = start(*args, "--json", cwd=tmp_path, out=tmp_path / "first.json")
    # Some tasks are done: kill one worker process while others are still queued.
    assert wait_for_records(out, 2, proc, timeout=240) >= 2
    workers = pool_workers(proc.pid)
    assert len(workers) == 2, workers
    kill(workers[0])
    assert proc.wait(timeout=300) == 1, proc.stderr.read() if proc.stderr else ""
    stderr = proc.stderr.read() if proc.stderr else ""
    # Not a terminal: no progress bar, only the one line that says what failed.
    assert stderr.strip().splitlines() == ["producer: 1 of 13 input(s) did not succeed"], stderr
    first = json.loads((tmp_path / "first.json").read_text())

    # Every good input is on target; the corrupt one is reported, the others went on.
    rows = {Path(i["input"]).name: i for i in first["inputs"]}
    assert len(rows) == 13
    bad = rows.pop("corrupt.wav")
    assert bad["status"] == "failed" and "not a readable audio file" in bad["error"]
    for row in rows.values():
        assert_on_target(row)
    # The dead worker broke the pool: it was recreated and the running tasks ran again.
    assert first["totals"]["pool_renewals"] >= 1
    assert any(r["attempts"] == 2 for r in rows.values()), [r["attempts"] for r in rows.values()]
    # workers × threads <= cores, read back inside the workers.
    cores = len(os.sched_getaffinity(0))
    for row in rows.values():
        assert 2 * row["threads"]["producer"] <= max(cores, 2)
        assert 2 * row["threads"]["native"] <= max(cores, 2)

    # A rerun does nothing: no output rewritten, nothing appended to the journal.
    outputs = [p for r in rows.values() for p in r["outputs"]]
    before = outputs_state(outputs)
    journal_before = (out / "batch.jsonl").read_bytes()
    again = parse(run(*args, "--json", cwd=tmp_path))
    assert again["totals"]["skipped"] == 12 and again["totals"]["done"] == 0
    assert again["totals"]["failed"] == 1  # the corrupt input, as recorded, not run again
    assert outputs_state(outputs) == before
    assert (out / "batch.jsonl").read_bytes() == journal_before

    # Changing one input redoes that one only.
    changed = inputs / "c03.wav"
    data, rate = sf.read(changed, dtype="float32")
    sf.write(changed, data * 0.5, rate, subtype="PCM_16")
    third = parse(run(*args, "--json", cwd=tmp_path))
    done = [i for i in third["inputs"] if i["status"] == "done"]
    assert [Path(i["input"]).name for i in done] == ["c03.wav"]
    assert_on_target(done[0])
    after = outputs_state(outputs)
    redone = {p for p in outputs if after[p] != before[p]}
    assert redone == set(done[0]["outputs"])


def test_kill_9_of_the_batch_then_rerun_finishes_the_rest(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ("batch", "master", inputs, "--profile", "streaming", "-o", out, "--workers", "2")
    proc = start(*args, "--json", cwd=tmp_path, out=tmp_path / "killed.json")
    assert wait_for_records(out, 3, proc, timeout=240, status="done") >= 3
    family = [p.pid for p in psutil.Process(proc.pid).children(recursive=True)]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    # Its fork server and workers notice and go: nothing is left running.
    assert descendants_gone(family, timeout=30) == []
    finished = [r for r in journal_lines(out) if r["status"] == "done"]
    assert 3 <= len(finished) < 12
    # A torn last record, as a kill during a write leaves it, is tolerated.
    with open(out / "batch.jsonl", "ab") as f:
        f.write(b'{"key":"torn-by-the-kill","status":"do')
    kept = [str(out / o["path"]) for r in finished for o in r["outputs"]]
    before = outputs_state(kept)

    rerun = parse(run(*args, "--json", cwd=tmp_path))
    rows = {Path(i["input"]).name: i for i in rerun["inputs"]}
    assert rows.pop("corrupt.wav")["status"] == "failed"
    assert sum(r["status"] == "skipped" for r in rows.values()) == len(finished)
    assert sum(r["status"] == "done" for r in rows.values()) == 12 - len(finished)
    for row in rows.values():
        assert_on_target(row)
    assert outputs_state(kept) == before  # finished outputs were not redone
    keys = [r["key"] for r in journal_lines(out) if r["status"] == "done"]
    assert len(keys) == len(set(keys)) == 12
