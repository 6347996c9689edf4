"""CLI commands of session interchange: ``session export`` and ``session import``.

Parse, call one ``producer.workflows.session`` function, print the loss report (``--json``:
``{"carried": [...], "lost": [{"what", "where", "why"}]}``). The loss report is never silent:
every export and import prints it. Rendering stems, copying media and rendering MIDI parts show
their progress on a terminal through the CLI's one progress line (``producer.cli.progress``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from producer.cli.app import lazy_workflow, project_dir

if TYPE_CHECKING:
    from producer.workflows import session as wf
else:
    wf = lazy_workflow("session")

EXPORT_FORMATS = ("dawproject", "rpp", "aaf", "otio", "stems")
IMPORT_FORMATS = ("dawproject", "rpp", "aaf", "otio", "ardour")


def _print_report(report: Any, as_json: bool, extra: dict[str, Any]) -> None:
    if as_json:
        click.echo(json.dumps({**extra, **report.to_json()}, indent=2, ensure_ascii=False))
        return
    for line in report.lines():
        click.echo(line)


def register(cli: click.Group) -> None:
    """Add this module's commands to the `producer` group."""

    @cli.group("session")
    def session() -> None:
        """Exchange sessions with other DAWs (DAWproject, REAPER, AAF, OTIO, Ardour, stems)."""

    @session.command("export")
    @click.argument("song")
    @click.option(
        "-o",
        "--output",
        "out",
        required=True,
        type=click.Path(path_type=Path),
        help="File to write (.dawproject, .rpp, .aaf, .otio) or a folder for stems.",
    )
    @click.option(
        "--format",
        "fmt",
        type=click.Choice(EXPORT_FORMATS),
        default=None,
        help="Default: from the extension of OUT (no extension: stems).",
    )
    @click.option("--json", "as_json", is_flag=True, help="Print the loss report as JSON.")
    @click.pass_context
    def export(ctx: click.Context, song: str, out: Path, fmt: str | None, as_json: bool) -> None:
        """Write SONG for another DAW; print what the format carried and what it lost."""
        result = wf.export_session(project_dir(ctx), song, out, fmt)
        extra = {"path": str(result.path), "files": [str(p) for p in result.files]}
        _print_report(result.report, as_json, extra)
        if not as_json:
            click.echo(
                f"wrote {result.path}"
                + (f" ({len(result.files)} files)" if result.format == "stems" else "")
            )

    @session.command("import")
    @click.argument("file", type=click.Path(path_type=Path))
    @click.option("--title", default=None, help="Title of the new song (default: the session's).")
    @click.option(
        "--media-dir",
        "media_dirs",
        multiple=True,
        type=click.Path(file_okay=False, path_type=Path),
        help="Also look for the session's audio here (by file name; may repeat).",
    )
    @click.option(
        "--format",
        "fmt",
        type=click.Choice(IMPORT_FORMATS),
        default=None,
        help="Default: from the extension of FILE.",
    )
    @click.option("--json", "as_json", is_flag=True, help="Print the loss report as JSON.")
    @click.pass_context
    def import_(
        ctx: click.Context,
        file: Path,
        title: str | None,
        media_dirs: tuple[Path, ...],
        fmt: str | None,
        as_json: bool,
    ) -> None:
        """Create a new song from another DAW's session FILE (audio copied into media/)."""
        result = wf.import_session(project_dir(ctx), file, title, tuple(media_dirs), fmt)
        extra = {"song": result.slug, "title": result.title, "offline": list(result.offline)}
        _print_report(result.report, as_json, extra)
        if not as_json:
            click.echo(f"created song {result.slug} ({result.title!r})")
            if result.offline:
                click.echo(
                    f"{len(result.offline)} audio file(s) offline (clips play silence): "
                    + ", ".join(result.offline)
                )
