"""CLI commands: meter. Parse, call ``producer.workflows.meter``, print."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.table import Table

from producer.cli.app import lazy_workflow, project_dir

if TYPE_CHECKING:
    from producer.workflows import meter as wf
else:
    wf = lazy_workflow("meter")


#: (JSON field, column title, unit) of the human table, in order.
_COLUMNS = (
    ("integrated_lufs", "I", "LUFS"),
    ("loudness_range_lu", "LRA", "LU"),
    ("true_peak_dbtp", "True peak", "dBTP"),
    ("sample_peak_dbfs", "Sample peak", "dBFS"),
    ("momentary_max_lufs", "Max M", "LUFS"),
    ("short_term_max_lufs", "Max S", "LUFS"),
)


def _cell(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.1f}" if math.isfinite(value) else "—"
    return str(value)


def _print_table(measurements: list[wf.FileMeasurement]) -> None:
    console = Console(highlight=False)
    if not console.is_terminal:  # piped: do not squeeze the table into 80 columns
        console = Console(highlight=False, width=140)
    table = Table(title="Loudness (ITU-R BS.1770-4 / EBU R 128)")
    table.add_column("File", overflow="fold")
    for _, title, unit in _COLUMNS:
        table.add_column(f"{title}\n{unit}", justify="right")
    table.add_column("Length\ns", justify="right")
    table.add_column("Format", justify="right")
    notes: list[str] = []
    for m in measurements:
        data = m.to_json()
        table.add_row(
            m.path.name,
            *(_cell(data[field]) for field, _, _ in _COLUMNS),
            f"{data['duration_s']:.2f}",
            f"{data['sample_rate'] / 1000:g} kHz, {data['channels']} ch",
        )
        for field, why in m.reasons().items():
            title = next((t for f, t, _ in _COLUMNS if f == field), field)
            notes.append(f"{m.path.name}: {title} not measured — {why}")
    console.print(table)
    for note in notes:
        console.print(note, soft_wrap=True)


def register(cli: click.Group) -> None:
    """Add this module's commands to the `producer` group."""

    @cli.command("meter")
    @click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
    @click.option("--json", "as_json", is_flag=True, help="Print JSON (a list for several files).")
    @click.option(
        "--plot",
        "plot_png",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Draw momentary/short-term loudness, I and true-peak events into this PNG.",
    )
    @click.pass_context
    def meter(
        ctx: click.Context, files: tuple[Path, ...], as_json: bool, plot_png: Path | None
    ) -> None:
        """Measure loudness (I, LRA, max M/S) and peaks (true, sample) of audio FILES.

        Values that do not exist (the loudness of silence) are shown as — and null in JSON,
        with the reason. Relative paths are taken from the -C folder.
        """
        root = project_dir(ctx)
        measurements = wf.meter_files([f if f.is_absolute() else root / f for f in files])
        replaced = False
        if plot_png is not None:
            plot_png = plot_png if plot_png.is_absolute() else root / plot_png
            replaced = plot_png.exists()
            wf.plot_measurements(measurements, plot_png, root)
        if as_json:
            data = [m.to_json() for m in measurements]
            click.echo(json.dumps(data[0] if len(data) == 1 else data, indent=2))
        else:
            _print_table(measurements)
            if plot_png is not None:
                again = " (replaced the earlier file)" if replaced else ""
                click.echo(f"plot written to {plot_png}{again}")
