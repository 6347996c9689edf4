"""CLI commands: ``producer batch master | mix | meter`` (thin: parse, call, show, exit code).

Progress is the CLI's one progress line on a terminal (``producer.cli.progress``: the driver
reports the tasks run, the inputs done, failed and skipped, tasks per minute and the time left) and nothing
otherwise; a task run again is said above it. The summary table (or ``--json``) goes to stdout.
Exit 0 when every input succeeded (and every master passed its profile), 1 otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.table import Table

from producer.cli.app import lazy_workflow, project_dir

if TYPE_CHECKING:
    from producer.workflows import batch as wf
else:
    wf = lazy_workflow("batch")


def _say_retry(event: Any) -> None:
    """A task run again is said on a terminal, above the progress line; silent elsewhere, like
    the progress itself (the summary counts the retries)."""
    from producer.cli.progress import on_terminal

    if event.kind == "retry" and on_terminal():
        click.echo(click.style("retry", fg="yellow") + f" {event.message}", err=True)


def _num(value: object, digits: int = 1) -> str:
    return f"{value:.{digits}f}" if isinstance(value, int | float) else "—"


def _verdict(o: wf.Outcome) -> str:
    """The master workflow's own verdict tag ("streaming: ok"), without the profile the row
    already shows; it follows from the requirement rows, as in ``producer master``."""
    if o.passed is None:
        return "—"
    tag = str(o.result.get("verdict") or ("ok" if o.passed else "FAILED"))
    word = tag.rsplit(": ", 1)[-1]
    return word if o.passed else f"[red]{word}[/red]"


def _outputs(o: wf.Outcome) -> str:
    paths = [p for p in o.output_paths() if ".report." not in p]
    if not paths:
        return "—"
    names = [Path(p).name for p in paths]
    return ", ".join(names)


def _status(o: wf.Outcome) -> str:
    colour = {"done": "green", "skipped": "cyan", "failed": "red"}.get(o.status, "")
    retried = f" ({o.attempts} tries)" if o.attempts > 1 else ""
    return f"[{colour}]{o.status}[/{colour}]{retried}"


def _print_summary(report: wf.BatchReport, journal_hint: str) -> None:
    console = Console(highlight=False)
    if not console.is_terminal:  # piped: do not squeeze the table into 80 columns
        console = Console(highlight=False, width=160)
    table = Table(title=f"batch {report.command}: {report.engine}")
    table.add_column("Input", overflow="fold")
    if report.command == "master":
        table.add_column("Profile")
    table.add_column("Status")
    if report.command == "master":
        table.add_column("Verdict")
    table.add_column("I\nLUFS", justify="right")
    table.add_column("True peak\ndBTP", justify="right")
    table.add_column("LRA\nLU", justify="right")
    if report.command != "meter":
        table.add_column("Outputs", overflow="fold")
    table.add_column("Error / notes", overflow="fold")
    for o in report.outcomes:
        f = o.result.get("figures", {})
        error = o.error
        for name in (o.task.label, o.task.path):  # the row names the input already
            if error and error.startswith(f"{name}: "):
                error = error[len(name) + 2 :]
        notes = error or "; ".join([*o.result.get("problems", []), *o.result.get("notes", [])])
        row = [o.task.label]
        if report.command == "master":
            row.append(o.task.profile)
        row.append(_status(o))
        if report.command == "master":
            row.append(_verdict(o))
        row += [
            _num(f.get("integrated_lufs")),
            _num(f.get("true_peak_dbtp"), 2),
            _num(f.get("loudness_range_lu")),
        ]
        if report.command != "meter":
            row.append(_outputs(o))
        row.append(notes or "")
        table.add_row(*row)
    console.print(table)
    t = report.totals()
    parts = [f"{t['done']} done", f"{t['skipped']} skipped", f"{t['failed']} failed"]
    if t["missed_profile"]:
        parts.append(f"{t['missed_profile']} missed the profile")
    if t["retries"]:
        parts.append(f"{t['retries']} retried")
    console.print(
        f"{_counted(report)}: {', '.join(parts)} in {t['seconds']:.1f} s{journal_hint}",
        soft_wrap=True,
    )
    if report.ignored:
        shown = ", ".join(report.ignored[:10])
        more = f" and {len(report.ignored) - 10} more" if len(report.ignored) > 10 else ""
        console.print(
            f"left out {len(report.ignored)} file(s) that are not audio by their extension: "
            f"{shown}{more}",
            soft_wrap=True,
        )


def _counted(report: wf.BatchReport) -> str:
    """ "13 input(s)", or "24 task(s) of 12 input(s)" when inputs go to several profiles."""
    tasks = len(report.outcomes)
    inputs = len({o.task.label for o in report.outcomes})
    return f"{tasks} input(s)" if tasks == inputs else f"{tasks} task(s) of {inputs} input(s)"


def _finish(ctx: click.Context, report: wf.BatchReport, as_json: bool, journal_hint: str) -> None:
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2))
    else:
        _print_summary(report, journal_hint)
    if not report.ok:
        t = report.totals()
        bad = t["failed"] + t["missed_profile"]
        click.echo(f"producer: {bad} of {_counted(report)} did not succeed", err=True)
        ctx.exit(1)


def _paths(ctx: click.Context, paths: tuple[Path, ...]) -> list[Path]:
    root = project_dir(ctx)
    return [p if p.is_absolute() else root / p for p in paths]


def _path(ctx: click.Context, path: Path | None) -> Path | None:
    if path is None:
        return None
    return path if path.is_absolute() else project_dir(ctx) / path


def _engine_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option(
        "--json", "as_json", is_flag=True, help="Print every input's outcome as JSON."
    )(f)
    f = click.option(
        "--force", is_flag=True, help="Redo every task, even those the journal lists as done."
    )(f)
    f = click.option(
        "--retries",
        type=int,
        default=2,
        show_default=True,
        help="Times a task whose worker died is run again.",
    )(f)
    f = click.option(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help='Run on this Dask cluster (pip install "producer[cluster]").',
    )(f)
    f = click.option(
        "--threads",
        type=int,
        default=None,
        help="Threads of each task (default: the CPUs over the workers, at least 1).",
    )(f)
    f = click.option(
        "--workers",
        type=int,
        default=None,
        help="Local worker processes (default: one per CPU).",
    )(f)
    return f


def register(cli: click.Group) -> None:
    """Add this module's commands to the `producer` group."""

    @cli.group("batch")
    def batch() -> None:
        """Master, mix or measure many inputs on every core, or on a Dask cluster.

        Resumable: a journal (batch.jsonl) in the output folder records every finished task;
        a rerun skips what is done and unchanged and redoes what changed.
        """

    @batch.command("master")
    @click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
    @click.option(
        "--profile",
        "profiles",
        multiple=True,
        help="Delivery profile (repeat for several: every input is mastered to each; a "
        "manifest row's profile replaces them).",
    )
    @click.option(
        "-o",
        "out_dir",
        required=True,
        type=click.Path(path_type=Path),
        help="Output folder (the journal batch.jsonl goes here too).",
    )
    @_engine_options
    @click.pass_context
    def master_cmd(
        ctx: click.Context,
        inputs: tuple[Path, ...],
        profiles: tuple[str, ...],
        out_dir: Path,
        workers: int | None,
        threads: int | None,
        scheduler: str | None,
        retries: int,
        force: bool,
        as_json: bool,
    ) -> None:
        """Master every INPUT to each --profile into -o DIR.

        INPUT is an audio file, a folder (walked recursively; files with an audio
        extension), a project folder (its songs) or a manifest CSV with the columns
        input,profile,output.
        """
        out = _path(ctx, out_dir)
        assert out is not None
        report = wf.master(
            _paths(ctx, inputs),
            list(profiles),
            out,
            workers=workers,
            scheduler=scheduler,
            threads=threads,
            retries=retries,
            force=force,
            on_event=_say_retry,
        )
        _finish(ctx, report, as_json, f" · journal {out / 'batch.jsonl'}")

    @batch.command("mix")
    @click.argument("projects", nargs=-1, required=True, type=click.Path(path_type=Path))
    @click.option(
        "-o",
        "out_dir",
        type=click.Path(path_type=Path),
        help="Output folder (default: each project's mixes/ folder).",
    )
    @click.option("--format", "file_format", type=click.Choice(["wav", "flac"]), default="wav")
    @click.option("--bit-depth", type=click.Choice(["16", "24", "32f"]), default="24")
    @_engine_options
    @click.pass_context
    def mix_cmd(
        ctx: click.Context,
        projects: tuple[Path, ...],
        out_dir: Path | None,
        file_format: str,
        bit_depth: str,
        workers: int | None,
        threads: int | None,
        scheduler: str | None,
        retries: int,
        force: bool,
        as_json: bool,
    ) -> None:
        """Render the mix of every song of each PROJECT_DIR (or folder of projects)."""
        out = _path(ctx, out_dir)
        report = wf.mix(
            _paths(ctx, projects),
            out,
            file_format=file_format,
            bit_depth=bit_depth,
            workers=workers,
            scheduler=scheduler,
            threads=threads,
            retries=retries,
            force=force,
            on_event=_say_retry,
        )
        hint = f" · journal {out / 'batch.jsonl'}" if out else " · journals in each mixes/"
        _finish(ctx, report, as_json, hint)

    @batch.command("meter")
    @click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
    @click.option(
        "--csv",
        "csv_out",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Also write one CSV row per input (the journal goes beside it).",
    )
    @click.option(
        "-o",
        "out_dir",
        type=click.Path(file_okay=False, path_type=Path),
        help="Keep the journal here (default: beside --csv; none without either).",
    )
    @_engine_options
    @click.pass_context
    def meter_cmd(
        ctx: click.Context,
        inputs: tuple[Path, ...],
        csv_out: Path | None,
        out_dir: Path | None,
        workers: int | None,
        threads: int | None,
        scheduler: str | None,
        retries: int,
        force: bool,
        as_json: bool,
    ) -> None:
        """Measure every INPUT (BS.1770-4 / EBU R 128): loudness, range, true peak.

        INPUT is an audio file, a folder (walked recursively), a project folder (each song's
        mix, rendered) or a manifest CSV (its input column).
        """
        csv_path = _path(ctx, csv_out)
        out = _path(ctx, out_dir)
        report = wf.meter(
            _paths(ctx, inputs),
            out,
            csv_path,
            workers=workers,
            scheduler=scheduler,
            threads=threads,
            retries=retries,
            force=force,
            on_event=_say_retry,
        )
        journal = out or (csv_path.parent if csv_path else None)
        hint = f" · journal {journal / 'batch.jsonl'}" if journal else ""
        if csv_path is not None and not as_json:
            hint += f" · CSV {csv_path}"
        _finish(ctx, report, as_json, hint)


__all__ = ["register"]
