"""Undo/redo across restarts, and crash safety, through a write-ahead journal.

Layout under ``.producer/``::

    history/state.json          {"position": p, "top": t}: steps 1..p are applied, p+1..t redoable
    history/steps/000001.json   one step: label, time, and per changed document its text before
                                and after (null = the file does not exist)
    journal.json                the write in progress: target texts of every document it
                                changes, the step record to store and the new state

Every change of documents, whether a new step, an undo or a redo, goes through ``_apply``:
write the journal (atomic), write each document (atomic), store the step and the state, delete
the journal. A process killed anywhere in between leaves the journal; the next writer (under
the lock) replays it completely (roll forward; every action is idempotent), so a multi-document
step is never seen half applied once recovered. A kill before the journal exists leaves the
project as it was.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from producer.errors import FormatError, NotFoundError, ValidationError
from producer.storage.files import (
    atomic_write_text,
    dumps,
    loads,
    read_text,
    remove_durably,
)


@dataclass(frozen=True)
class Change:
    """One document's text before and after a step (``None``: the file does not exist)."""

    path: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class Step:
    number: int
    label: str
    time: float
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class HistoryEntry:
    """A line of ``producer history``: ``applied`` False for steps that ``redo`` would redo."""

    number: int
    label: str
    time: float
    paths: tuple[str, ...]
    applied: bool


def _step_to_json(step: Step) -> dict[str, Any]:
    return {
        "number": step.number,
        "label": step.label,
        "time": step.time,
        "changes": [{"path": c.path, "before": c.before, "after": c.after} for c in step.changes],
    }


def _step_from_json(data: Any, name: str) -> Step:
    try:
        return Step(
            number=int(data["number"]),
            label=str(data["label"]),
            time=float(data["time"]),
            changes=tuple(Change(str(c["path"]), c["before"], c["after"]) for c in data["changes"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise FormatError(f"{name}: damaged history step ({exc})") from None


class History:
    """The history of one project folder. Callers hold the project's write lock for writes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.meta = root / ".producer"
        self.state_path = self.meta / "history" / "state.json"
        self.steps_dir = self.meta / "history" / "steps"
        self.journal_path = self.meta / "journal.json"

    # ------------------------------------------------------------ state

    def state(self) -> tuple[int, int]:
        """(position, top). A damaged state file is rebuilt from the steps and the documents
        (``damaged_state`` then says so), so that it does not stop every edit."""
        if not self.state_path.exists():
            return 0, 0
        name = ".producer/history/state.json"
        try:
            data = loads(read_text(self.state_path, name), name)
            return int(data["position"]), int(data["top"])
        except (FormatError, KeyError, TypeError, ValueError) as exc:
            why = exc.message if isinstance(exc, FormatError) else f"{name}: damaged history state"
            position, top = self._rebuilt_state()
            self.damaged_state = (
                f"{why}; taken from the steps and the documents: step {position} of {top}"
            )
            return position, top

    damaged_state: str | None = None
    """Why the state file could not be read, once ``state`` has rebuilt it; else None."""

    def _rebuilt_state(self) -> tuple[int, int]:
        """(position, top) from the stored steps: top is the last step; position the last step
        whose documents are as it left them (undone steps left theirs as they were before)."""
        numbers = (
            sorted(int(p.stem) for p in self.steps_dir.glob("*.json") if p.stem.isdigit())
            if self.steps_dir.is_dir()
            else []
        )
        top = numbers[-1] if numbers else 0
        for n in reversed(numbers):
            try:
                step = self.step(n)
            except FormatError:
                continue
            if all(self._current(c.path) == c.after for c in step.changes):
                return n, top
        return 0, top

    def _current(self, rel: str) -> str | None:
        path = self.root / rel
        try:
            return read_text(path, rel) if path.exists() else None
        except FormatError:
            return "\0damaged"

    def _step_path(self, number: int) -> Path:
        return self.steps_dir / f"{number:06d}.json"

    def step(self, number: int) -> Step:
        path = self._step_path(number)
        name = f".producer/history/steps/{path.name}"
        if not path.exists():
            raise FormatError(f"{name}: history step is missing")
        return _step_from_json(loads(read_text(path, name), name), name)

    def entries(self) -> list[HistoryEntry]:
        position, top = self.state()
        out = []
        for n in range(1, top + 1):
            try:
                s = self.step(n)
            except FormatError as exc:  # one damaged step does not hide the others
                out.append(HistoryEntry(n, f"(damaged: {exc.message})", 0.0, (), n <= position))
                continue
            out.append(
                HistoryEntry(n, s.label, s.time, tuple(c.path for c in s.changes), n <= position)
            )
        return out

    def last_version(self, path: str) -> tuple[Step, str | None] | None:
        """The text of document ``path`` as the last applied step that changed it wrote it
        (None for the text: that step deleted it), or None when no applied step touched it."""
        position, _ = self.state()
        for n in range(position, 0, -1):
            try:
                step = self.step(n)
            except FormatError:
                continue  # a damaged step: look further back
            for c in step.changes:
                if c.path == path:
                    return step, c.after
        return None

    # ------------------------------------------------------------ the journaled write

    def recover(self) -> bool:
        """Finish a write a killed process left in the journal; True if there was one."""
        if not self.journal_path.exists():
            return False
        name = ".producer/journal.json"
        try:
            data = loads(read_text(self.journal_path, name), name)
        except FormatError:
            # The journal is written atomically, so a damaged one was never committed.
            remove_durably(self.journal_path)
            return False
        self._roll_forward(data)
        return True

    def pending_files(self) -> dict[str, str | None]:
        """The documents of a write in progress (empty when there is none): what a reader
        should see, as the writer (or the next one, recovering) will finish it."""
        if not self.journal_path.exists():
            return {}
        try:
            data = loads(read_text(self.journal_path, "journal"), "journal")
            files = data["files"]
        except (OSError, FormatError, KeyError, TypeError):
            return {}  # finished and removed meanwhile; the caller's fingerprint check retries
        return dict(files) if isinstance(files, dict) else {}

    def _roll_forward(self, journal: dict[str, Any]) -> None:
        for rel, text in journal["files"].items():
            target = self.root / rel
            if text is None:
                remove_durably(target)
            else:
                atomic_write_text(target, text)
        if journal.get("step") is not None:
            step = journal["step"]
            atomic_write_text(self._step_path(int(step["number"])), dumps(step))
        position, top = int(journal["position"]), int(journal["top"])
        atomic_write_text(self.state_path, dumps({"position": position, "top": top}))
        # Steps above a new top are an abandoned redo branch.
        if self.steps_dir.exists():
            for p in self.steps_dir.glob("*.json"):
                if p.stem.isdigit() and int(p.stem) > top:
                    p.unlink()
        remove_durably(self.journal_path)

    def _apply(
        self, files: dict[str, str | None], position: int, top: int, step: Step | None
    ) -> None:
        journal = {
            "position": position,
            "top": top,
            "step": None if step is None else _step_to_json(step),
            "files": files,
        }
        atomic_write_text(self.journal_path, dumps(journal))
        self._roll_forward(journal)

    # ------------------------------------------------------------ operations

    def commit(self, label: str, changes: list[Change]) -> Step | None:
        """Write ``changes`` as a new step (dropping the redo branch); None if nothing changed."""
        changes = [c for c in changes if c.before != c.after]
        if not changes:
            return None
        position, _ = self.state()
        step = Step(position + 1, label, time.time(), tuple(changes))
        self._apply({c.path: c.after for c in changes}, position + 1, position + 1, step)
        return step

    def _check_unchanged(self, step: Step, expect_after: bool) -> None:
        for c in step.changes:
            expected = c.after if expect_after else c.before
            target = self.root / c.path
            current = read_text(target, c.path) if target.exists() else None
            if current != expected:
                raise ValidationError(
                    f"{c.path}: changed outside producer since step {step.number} "
                    f"({step.label!r}); undo/redo would overwrite that change"
                )

    def undo(self) -> Step:
        position, top = self.state()
        if position == 0:
            raise NotFoundError("nothing to undo")
        step = self.step(position)
        self._check_unchanged(step, expect_after=True)
        self._apply({c.path: c.before for c in step.changes}, position - 1, top, None)
        return step

    def redo(self) -> Step:
        position, top = self.state()
        if position >= top:
            raise NotFoundError("nothing to redo")
        step = self.step(position + 1)
        self._check_unchanged(step, expect_after=False)
        self._apply({c.path: c.after for c in step.changes}, position + 1, top, None)
        return step


__all__ = ["Change", "History", "HistoryEntry", "Step"]
