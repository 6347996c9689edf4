"""Use cases of ``producer batch``: master, mix and measure many inputs, in parallel, resumably.

One module per concern:

* :mod:`.inputs` — INPUT arguments → audio files and project songs (folders, manifests);
* :mod:`.plan` — where each output goes, which journal records it, each task's key;
* :mod:`.tasks` — the task functions a worker runs (one per kind), plain picklable data in,
  a JSON-ready dict out;
* :mod:`.engines` — a local process pool or a Dask cluster, behind ``concurrent.futures``;
* :mod:`.journal` — ``batch.jsonl``: finished tasks, appended and fsynced;
* :mod:`.runner` — the driver loop: skip what is done, submit, retry dead workers, record.

The functions here glue them: :func:`master`, :func:`mix`, :func:`meter` each return a
:class:`BatchReport` with one outcome per input; the shell prints it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from producer.errors import UserError
from producer.fileio import atomic_output
from producer.workflows.batch.engines import Engine, open_engine
from producer.workflows.batch.inputs import Expansion, expand
from producer.workflows.batch.plan import Plan, plan_master, plan_meter, plan_mix
from producer.workflows.batch.runner import (
    DEFAULT_RETRIES,
    Event,
    OnEvent,
    Outcome,
    run_tasks,
)


def _quiet(event: Event) -> None:
    return None


@dataclass
class BatchReport:
    """What a batch did: one :class:`Outcome` per task (input × profile), in input order."""

    command: str
    engine: str
    outcomes: list[Outcome]
    facts: dict[str, Any] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def missed(self) -> int:
        """Done (or skipped) but its verdict failed (a master that missed its profile)."""
        return sum(1 for o in self.outcomes if o.status != "failed" and o.passed is False)

    @property
    def ok(self) -> bool:
        return all(o.succeeded for o in self.outcomes)

    def totals(self) -> dict[str, Any]:
        return {
            "inputs": len(self.outcomes),
            "done": self.count("done"),
            "skipped": self.count("skipped"),
            "failed": self.count("failed"),
            "missed_profile": self.missed,
            "ignored_files": len(self.ignored),
            **self.facts,
        }

    def to_json(self) -> dict[str, Any]:
        """``--json``: the command, the engine, the totals, every input, the ignored files."""
        return {
            "command": self.command,
            "engine": self.engine,
            "ok": self.ok,
            "totals": self.totals(),
            "inputs": [o.to_json() for o in self.outcomes],
            "ignored": self.ignored,
        }


def _run(
    command: str,
    expansion: Expansion,
    engine: Engine,
    make_plan: Any,
    retries: int,
    force: bool,
    on_event: OnEvent,
) -> BatchReport:
    try:
        plan: Plan = make_plan(engine.threads)
        outcomes, facts = run_tasks(
            plan.tasks,
            engine,
            unusable=plan.unusable,
            retries=retries,
            force=force,
            on_event=on_event,
        )
        return BatchReport(
            command, engine.describe(), outcomes, facts, [str(p) for p in expansion.ignored]
        )
    finally:
        engine.close()


def _check_retries(retries: int) -> None:
    if not 0 <= retries <= 10:
        raise UserError(f"--retries {retries}: give 0 to 10")


def master(
    inputs: Sequence[Path],
    profiles: Sequence[str],
    out_dir: Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    threads: int | None = None,
    retries: int = DEFAULT_RETRIES,
    force: bool = False,
    on_event: OnEvent = _quiet,
) -> BatchReport:
    """Master every input to every profile into ``out_dir`` (``producer batch master``)."""
    _check_retries(retries)
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"-o {out_dir}: is a file; batch master writes into a folder")
    expansion = expand(inputs, exclude=out_dir)
    engine = open_engine(workers, scheduler, "master", threads)
    return _run(
        "master",
        expansion,
        engine,
        lambda threads: plan_master(expansion.items, profiles, out_dir, threads),
        retries,
        force,
        on_event,
    )


FORMATS = ("wav", "flac")
BIT_DEPTHS = ("16", "24", "32f")


def mix(
    projects: Sequence[Path],
    out_dir: Path | None = None,
    *,
    file_format: str = "wav",
    bit_depth: str = "24",
    workers: int | None = None,
    scheduler: str | None = None,
    threads: int | None = None,
    retries: int = DEFAULT_RETRIES,
    force: bool = False,
    on_event: OnEvent = _quiet,
) -> BatchReport:
    """Render every song of each project (``producer batch mix``)."""
    _check_retries(retries)
    if file_format not in FORMATS:
        raise UserError(f"--format {file_format!r}: use one of {', '.join(FORMATS)}")
    if bit_depth not in BIT_DEPTHS:
        raise UserError(f"--bit-depth {bit_depth!r}: use one of {', '.join(BIT_DEPTHS)}")
    expansion = expand(projects, exclude=out_dir)
    engine = open_engine(workers, scheduler, "mix", threads)
    return _run(
        "mix",
        expansion,
        engine,
        lambda threads: plan_mix(expansion.items, out_dir, file_format, bit_depth, threads),
        retries,
        force,
        on_event,
    )


def meter(
    inputs: Sequence[Path],
    out_dir: Path | None = None,
    csv_path: Path | None = None,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    threads: int | None = None,
    retries: int = DEFAULT_RETRIES,
    force: bool = False,
    on_event: OnEvent = _quiet,
) -> BatchReport:
    """Measure every input with our BS.1770-4 meter (``producer batch meter``); ``csv_path``
    gets one row per input. The journal goes in ``out_dir``, else beside the CSV."""
    _check_retries(retries)
    journal_dir = out_dir if out_dir is not None else (csv_path.parent if csv_path else None)
    expansion = expand(inputs, exclude=out_dir)
    engine = open_engine(workers, scheduler, "meter", threads)
    report = _run(
        "meter",
        expansion,
        engine,
        lambda threads: plan_meter(expansion.items, journal_dir, threads),
        retries,
        force,
        on_event,
    )
    if csv_path is not None:
        write_csv(report, csv_path)
    return report


#: Columns of ``batch meter --csv`` after input and status (the meter's JSON fields).
CSV_FIGURES = (
    "integrated_lufs",
    "loudness_range_lu",
    "true_peak_dbtp",
    "sample_peak_dbfs",
    "momentary_max_lufs",
    "short_term_max_lufs",
    "duration_s",
    "sample_rate",
    "channels",
)


def write_csv(report: BatchReport, path: Path) -> Path:
    """One row per input: input, status, the meter's figures (empty where none), error."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["input", "status", *CSV_FIGURES, "error"])
    for o in report.outcomes:
        figures = o.result.get("figures", {})
        cells = ["" if figures.get(k) is None else figures[k] for k in CSV_FIGURES]
        writer.writerow([o.task.label, o.status, *cells, o.error or ""])
    with atomic_output(path) as tmp:
        tmp.write_text(buf.getvalue(), encoding="utf-8")
    return path


__all__ = ["BatchReport", "Event", "Outcome", "master", "meter", "mix", "write_csv"]
