"""``batch.jsonl``: records survive a torn last line, one writer per folder, last record wins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from producer.errors import LockedError
from producer.workflows.batch import journal


def test_a_torn_last_line_is_skipped_and_cut_before_the_next_record(tmp_path: Path) -> None:
    path = tmp_path / journal.NAME
    path.write_text(
        json.dumps({"key": "a", "status": "done"})
        + "\n"
        + json.dumps({"key": "b", "status": "failed", "final": True})
        + "\n"
        + '{"key": "c", "status": "do'  # the kill came in the middle of this write
    )
    assert set(journal.read(tmp_path)) == {"a", "b"}
    with journal.Journal(tmp_path) as j:
        assert j.last("a") is not None and j.last("a").status == "done"  # type: ignore[union-attr]
        assert j.last("c") is None
        j.append({"key": "c", "status": "done", "figures": {"integrated_lufs": -14.0}})
    lines = path.read_text().splitlines()
    assert [json.loads(line)["key"] for line in lines] == ["a", "b", "c"]
    assert journal.read(tmp_path)["c"].data["figures"] == {"integrated_lufs": -14.0}


def test_the_last_record_of_a_key_counts(tmp_path: Path) -> None:
    with journal.Journal(tmp_path) as j:
        j.append({"key": "k", "status": "failed"})
        j.append({"key": "k", "status": "done"})
    assert journal.read(tmp_path)["k"].status == "done"
    assert len((tmp_path / journal.NAME).read_text().splitlines()) == 2


def test_one_batch_at_a_time_per_folder(tmp_path: Path) -> None:
    first = journal.Journal(tmp_path)
    try:
        with pytest.raises(LockedError, match="is running a batch into this folder"):
            journal.Journal(tmp_path)
    finally:
        first.close()
    journal.Journal(tmp_path).close()  # free again once the first one is done


def test_a_journal_of_only_a_torn_line_starts_empty(tmp_path: Path) -> None:
    (tmp_path / journal.NAME).write_bytes(b'{"key":"x","sta')
    with journal.Journal(tmp_path) as j:
        assert j.entries == {}
        j.append({"key": "y", "status": "done"})
    assert (tmp_path / journal.NAME).read_text() == '{"key":"y","status":"done"}\n'
