"""The driver: skip what the journals say is done, run the rest on an engine, retry the tasks
whose worker died, record every finished task, and say what happened to each input.

One loop for both engines (:mod:`.engines`): tasks are submitted through the
``concurrent.futures`` interface, at most ``window`` at a time (results stay small, and a
broken local pool has few tasks to resubmit), and collected as they finish.

Retries. A task's own failure (a corrupt, silent or non-audio input; a bug) is final: running
it again gives the same answer. A dead worker is not the task's fault: the task is submitted
again, on a new worker, up to ``retries`` more times. With a local pool one dead process breaks
the whole pool — every pending future fails with ``BrokenProcessPool`` and nothing says which
task was on the dead process — so the pool is recreated, every unfinished task resubmitted, and
an attempt is charged only to the oldest ``slots`` unfinished tasks: the pool runs tasks in
submission order, so those are the ones that were running (a task that kills its worker every
time is among them each time, and fails after ``retries + 1`` deaths). Dask reschedules a dead
worker's tasks by itself; after its own ``allowed-failures`` it raises ``KilledWorker`` and this
loop retries on top. Errors of the machine that a worker reports (an input it cannot see, a
full disk) are retried the same way.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from producer.errors import RenderError
from producer.workflows.batch import journal as journal_mod
from producer.workflows.batch.engines import Engine
from producer.workflows.batch.tasks import TASKS, Task, version
from producer.workflows.progress import report as progress_report

DEFAULT_RETRIES = 2


@dataclass
class Outcome:
    """What happened to one task: ``status`` is "done", "skipped" (done by an earlier run,
    unchanged) or "failed"; ``result`` holds what the task returned (or the journal kept)."""

    task: Task
    status: str
    result: dict[str, Any] = field(default_factory=dict)
    attempts: int = 0

    @property
    def passed(self) -> bool | None:
        value = self.result.get("passed")
        return None if value is None else bool(value)

    @property
    def succeeded(self) -> bool:
        """Done (or skipped) and, where the kind has a verdict, passed."""
        return self.status in ("done", "skipped") and self.passed is not False

    @property
    def error(self) -> str | None:
        if self.status == "failed":
            return str(self.result.get("error") or "failed")
        return None

    def output_paths(self) -> list[str]:
        return [str(o["path"]) for o in self.result.get("outputs", [])]

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` object of one input."""
        t = self.task
        return {
            "input": t.label,
            "kind": t.kind,
            "song": t.song or None,
            "profile": t.profile or None,
            "status": self.status,
            "passed": self.passed,
            "verdict": self.result.get("verdict"),
            "outputs": self.output_paths(),
            "figures": self.result.get("figures", {}),
            "problems": self.result.get("problems", []),
            "notes": self.result.get("notes", []),
            "error": self.error,
            "attempts": self.attempts,
            "worker": self.result.get("worker"),
            "seconds": self.result.get("seconds"),
            "cpu_seconds": self.result.get("cpu_seconds"),
            "peak_rss_mb": self.result.get("peak_rss_mb"),
            "threads": self.result.get("threads"),
            "key": t.key,
        }


@dataclass(frozen=True)
class Event:
    """Progress of the run, for a shell to show: ``kind`` is "start" (``total`` tasks to
    run), "finished" (``outcome``), or "retry" (``message`` says why)."""

    kind: str
    outcome: Outcome | None = None
    total: int = 0
    message: str = ""


OnEvent = Callable[[Event], None]


def _quiet(event: Event) -> None:
    return None


class _Counts:
    """The run's progress, said through ``producer.workflows.progress`` (the shell shows it or
    not): the tasks run of those to run; how many inputs are done, failed and skipped; the
    throughput (tasks per minute) and the time left at that pace (ETA, once a task has run)."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self.clock = clock
        self.total = 0
        self.ran = 0
        self.statuses = {"done": 0, "failed": 0, "skipped": 0}
        self.started = clock()

    def __call__(self, event: Event) -> None:
        if event.kind == "start":
            self.total, self.started = event.total, self.clock()
        elif event.kind == "finished" and event.outcome is not None:
            status = event.outcome.status
            self.statuses[status] = self.statuses.get(status, 0) + 1
            # Skipped inputs (and inputs unusable from the start) are not part of the work
            # the progress measures: only the tasks that run move it.
            self.ran += 1 if event.outcome.attempts > 0 else 0
        else:
            return
        n = self.statuses
        progress_report(
            f"{self.ran}/{self.total} run · done {n['done']} · failed {n['failed']} · "
            f"skipped {n['skipped']}{self.pace()}",
            self.ran,
            self.total,
        )

    def pace(self) -> str:
        """The pace, as " · 4.2/min · ETA 3:10", once a task has run (none is known before)."""
        elapsed = self.clock() - self.started
        if not self.ran or elapsed <= 0:
            return ""
        left = max(self.total - self.ran, 0) * elapsed / self.ran
        return f" · {self.ran / (elapsed / 60.0):.1f}/min · ETA {_clock_time(left)}"


def _clock_time(seconds: float) -> str:
    """``m:ss``, or ``h:mm:ss`` from an hour."""
    s = round(seconds)
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _reported(on_event: OnEvent) -> OnEvent:
    """``on_event``, the run's progress also reported (:class:`_Counts`)."""
    counts = _Counts()

    def both(event: Event) -> None:
        counts(event)
        on_event(event)

    return both


# ---------------------------------------------------------------- skipping what is done


def _absolute(folder: Path, path: str) -> Path:
    p = Path(path)
    return p if p.is_absolute() else folder / p


def _still_there(entry: journal_mod.Entry, folder: Path) -> bool:
    """Every output the record lists is on disk with the size it was written with."""
    for out in entry.data.get("outputs", []):
        p = _absolute(folder, str(out.get("path", "")))
        try:
            if p.stat().st_size != out.get("bytes"):
                return False
        except OSError:
            return False
    return True


def _settled(entry: journal_mod.Entry, folder: Path) -> bool:
    """Whether a rerun has nothing to do for this record's task: done with every output
    still there, or failed through the input's own fault (the same input fails the same)."""
    if entry.status == "done":
        return _still_there(entry, folder)
    return entry.status == "failed" and bool(entry.data.get("final"))


def _from_journal(task: Task, entry: journal_mod.Entry, folder: Path) -> Outcome:
    data = dict(entry.data)
    data["outputs"] = [
        {**o, "path": str(_absolute(folder, str(o["path"])))} for o in data.get("outputs", [])
    ]
    if entry.status == "failed":
        note = (
            f"failed the same way in an earlier run ({data.get('finished', '?')}); unchanged since"
        )
        data["notes"] = [*data.get("notes", []), note]
        return Outcome(task, "failed", data, attempts=0)
    return Outcome(task, "skipped", data, attempts=0)


_PARTIAL = re.compile(r"\..+\.(\d+)\.partial")  # producer.fileio.temporary_name


def sweep_partials(folder: Path) -> int:
    """Remove half-written files a killed worker of this machine left in ``folder`` (pid
    gone); returns how many. Files of live processes (or of other machines' pids that happen
    to be alive here) are left alone."""
    removed = 0
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            m = _PARTIAL.fullmatch(name)
            if m is None:
                continue
            try:
                os.kill(int(m.group(1)), 0)
            except ProcessLookupError:
                Path(dirpath, name).unlink(missing_ok=True)
                removed += 1
            except (PermissionError, OverflowError):
                continue
    return removed


# ---------------------------------------------------------------- the run


@dataclass
class Run:
    """The state of one run of the loop (kept together so the helpers stay small)."""

    engine: Engine
    journals: dict[str, journal_mod.Journal]
    retries: int
    on_event: OnEvent
    outcomes: dict[int, Outcome] = field(default_factory=dict)
    attempts: dict[int, int] = field(default_factory=dict)
    pending: list[int] = field(default_factory=list)
    inflight: dict[Future[dict[str, Any]], int] = field(default_factory=dict)
    order: list[int] = field(default_factory=list)  # submission order of in-flight tasks
    retried: int = 0

    def record(self, task: Task, outcome: Outcome) -> None:
        if not task.journal:
            return
        folder = Path(task.journal)
        r = outcome.result
        outputs = [
            {**o, "path": os.path.relpath(str(o["path"]), folder)} for o in r.get("outputs", [])
        ]
        self.journals[task.journal].append(
            {
                "key": task.key,
                "status": outcome.status,
                "kind": task.kind,
                "input": task.label,
                "path": task.path,
                "song": task.song,
                "profile": task.profile,
                "input_sha256": task.input_sha256,
                "version": version(),
                "outputs": outputs,
                "figures": r.get("figures", {}),
                "passed": r.get("passed"),
                "verdict": r.get("verdict"),
                "problems": r.get("problems", []),
                "notes": r.get("notes", []),
                "error": r.get("error"),
                "final": bool(r.get("final")),
                "attempts": outcome.attempts,
                "worker": r.get("worker"),
                "seconds": r.get("seconds"),
                "cpu_seconds": r.get("cpu_seconds"),
                "peak_rss_mb": r.get("peak_rss_mb"),
                "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            }
        )


def _finish(run: Run, tasks: Sequence[Task], i: int, status: str, result: dict[str, Any]) -> None:
    outcome = Outcome(tasks[i], status, result, run.attempts.get(i, 0))
    run.record(tasks[i], outcome)
    run.outcomes[i] = outcome
    run.on_event(Event("finished", outcome))


def _give_up_or_retry(run: Run, tasks: Sequence[Task], i: int, why: str) -> None:
    if run.attempts[i] <= run.retries:
        run.retried += 1
        run.pending.insert(0, i)  # first in line: it has waited already
        run.on_event(Event("retry", message=f"{tasks[i].label}: {why}; retrying"))
    else:
        error = f"{why}, {run.attempts[i]} time(s); not retried again"
        _finish(run, tasks, i, "failed", {"error": error, "retryable": True})


def _submit(run: Run, tasks: Sequence[Task], window: int) -> None:
    while run.pending and len(run.inflight) < window:
        i = run.pending.pop(0)
        task = tasks[i]
        try:
            future = run.engine.executor.submit(TASKS[task.kind], task)
        except Exception as exc:
            if not run.engine.broken(exc):
                raise RenderError(
                    f"{run.engine.describe()}: cannot take tasks any more ({exc}); what "
                    "finished is in the journal: run the batch again to do the rest"
                ) from None
            run.pending.insert(0, i)
            _on_broken(run, tasks)
            continue
        run.attempts[i] = run.attempts.get(i, 0) + 1
        run.inflight[future] = i
        run.order.append(i)


def _on_broken(run: Run, tasks: Sequence[Task]) -> None:
    """The local pool broke: charge the tasks that were running, resubmit all unfinished."""
    running = set(run.order[: run.engine.slots])
    unfinished = list(run.order)
    run.inflight.clear()
    run.order.clear()
    for i in unfinished:
        if i not in running:
            run.attempts[i] -= 1  # it never ran: this submission does not count
    run.engine.renew()
    # Resubmit in the original order; the ones that were running go first.
    for i in reversed(unfinished):
        if i in running:
            _give_up_or_retry(run, tasks, i, "its worker process died (killed, or out of memory)")
        else:
            run.pending.insert(0, i)


def _is_broken(run: Run, future: Future[dict[str, Any]]) -> bool:
    if future.cancelled():
        return False
    exc = future.exception()
    return exc is not None and run.engine.broken(exc)


def _collect(run: Run, tasks: Sequence[Task], future: Future[dict[str, Any]]) -> None:
    """Take one finished future (not one of a broken pool: see :func:`_on_broken`)."""
    i = run.inflight.pop(future)
    run.order.remove(i)
    if future.cancelled():  # Dask cancels a task when it loses it (scheduler restart)
        _give_up_or_retry(run, tasks, i, "the cluster cancelled it")
        return
    exc = future.exception()
    if exc is not None:
        if run.engine.worker_died(exc):
            _give_up_or_retry(run, tasks, i, "its worker died (killed, or out of memory)")
        else:
            _give_up_or_retry(run, tasks, i, f"{type(exc).__name__}: {exc}")
        return
    result = future.result()
    theirs = result.get("version")
    if theirs is not None and theirs != version():
        # The key promises producer <ours>: a worker running another one may master
        # differently, so what it made is not recorded as this task's result.
        where = result.get("worker", "a worker")
        error = f"{where} runs producer {theirs}, this command {version()}: install one version"
        _finish(run, tasks, i, "failed", {**result, "status": "failed", "error": error})
        return
    if result.get("status") == "failed" and result.get("retryable"):
        _give_up_or_retry(run, tasks, i, str(result.get("error")))
        return
    _finish(run, tasks, i, str(result.get("status", "failed")), result)


def run_tasks(
    tasks: Sequence[Task],
    engine: Engine,
    *,
    unusable: Mapping[int, str] | None = None,
    retries: int = DEFAULT_RETRIES,
    force: bool = False,
    on_event: OnEvent = _quiet,
) -> tuple[list[Outcome], dict[str, Any]]:
    """Run ``tasks`` (keyed, with their journal folders) on ``engine``.

    ``unusable`` maps the index of a task whose input could not be used at all (a name that
    does not exist, a project that does not open) to the reason: it fails without running.
    Returns one :class:`Outcome` per task, in the order given, and the run's facts (counts,
    seconds, retries, pool renewals, partial files swept). ``force`` redoes tasks the
    journals list as done.
    """
    started = time.perf_counter()
    on_event = _reported(on_event)
    unusable = unusable or {}
    journals: dict[str, journal_mod.Journal] = {}
    run = Run(engine, journals, retries, on_event)
    swept = 0
    try:
        for task in tasks:
            if task.journal and task.journal not in journals:
                folder = Path(task.journal)
                journals[task.journal] = journal_mod.Journal(folder)
                swept += sweep_partials(folder)
        skipped: list[int] = []
        for i, task in enumerate(tasks):
            if i in unusable:
                continue
            entry = None
            if task.journal and not force:
                entry = journals[task.journal].last(task.key)
            if entry is not None and _settled(entry, Path(task.journal)):
                run.outcomes[i] = _from_journal(task, entry, Path(task.journal))
                skipped.append(i)
            else:
                run.pending.append(i)
        on_event(Event("start", total=len(run.pending)))
        for i in sorted(unusable):
            run.outcomes[i] = Outcome(tasks[i], "failed", {"error": unusable[i]})
            on_event(Event("finished", run.outcomes[i]))
        for i in skipped:
            on_event(Event("finished", run.outcomes[i]))
        window = max(2 * engine.slots, 8)
        while run.pending or run.inflight:
            _submit(run, tasks, window)
            if not run.inflight:
                continue
            done, _ = wait(list(run.inflight), return_when=FIRST_COMPLETED)
            broken = [f for f in done if _is_broken(run, f)]
            for future in done:
                if future not in broken:
                    _collect(run, tasks, future)
            if broken:
                _on_broken(run, tasks)
    finally:
        for j in journals.values():
            j.close()
    facts = {
        "seconds": round(time.perf_counter() - started, 3),
        "retries": run.retried,
        "pool_renewals": getattr(engine, "renewals", 0),
        "partials_swept": swept,
    }
    return [run.outcomes[i] for i in range(len(tasks))], facts


__all__ = ["DEFAULT_RETRIES", "Event", "Outcome", "run_tasks", "sweep_partials"]
