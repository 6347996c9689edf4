"""CLI command `producer gc`: remove what no document, snapshot or recent history step needs.

Parse, call ``producer.workflows.cleanup.gc``, print what (and how many MB) was removed.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from producer.cli.app import lazy_workflow, project_dir

if TYPE_CHECKING:
    from producer.workflows import cleanup as wf
else:
    wf = lazy_workflow("cleanup")

MB = 1e6


def leftover_lines(found: wf.Survey) -> list[str]:
    """One line per leftover: size, path, why (shared with `producer validate`)."""
    return [f"{x.bytes / MB:9.1f} MB  {x.path}  ({x.kind}: {x.why})" for x in found.leftovers]


def register(cli: click.Group) -> None:
    """Add this module's commands to the `producer` group."""

    @cli.command("gc")
    @click.option("--dry-run", is_flag=True, help="Only list what would be removed.")
    @click.option(
        "--keep-days",
        type=float,
        default=wf.DEFAULT_KEEP_DAYS,
        show_default=True,
        help="Keep the rendered parts that history steps of the last N days use, and the mix "
        "renders of the last N days.",
    )
    @click.option("--json", "as_json", is_flag=True, help="The leftovers as JSON.")
    @click.pass_context
    def gc_cmd(ctx: click.Context, dry_run: bool, keep_days: float, as_json: bool) -> None:
        """Remove what the project no longer needs: media no document, snapshot or history step
        refers to; rendered MIDI parts that neither the documents, the snapshots nor the history
        steps of the last --keep-days days use (they render again when needed); mix renders
        (renders/) older than --keep-days that no song's current mix, studio version, approval
        or report names; partial files of killed renders and imports. Never a file something
        still refers to."""
        found, freed = wf.gc(project_dir(ctx), keep_days, dry_run)
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "dry_run": dry_run,
                        "keep_days": keep_days,
                        "removed" if not dry_run else "would_remove": [
                            {"path": x.path, "bytes": x.bytes, "kind": x.kind, "why": x.why}
                            for x in found.leftovers
                        ],
                        "bytes": found.bytes,
                        "kept_media_files": found.kept_media,
                        "kept_rendered_parts": found.kept_parts,
                        "kept_mix_renders": found.kept_renders,
                        "kept_bytes": found.kept_bytes,
                        "notes": list(found.notes),
                    },
                    indent=2,
                )
            )
            return
        for line in leftover_lines(found):
            click.echo(line)
        for note in found.notes:
            click.echo(f"note: {note}")
        verb = "would remove" if dry_run else "removed"
        total = found.bytes if dry_run else freed
        click.echo(
            f"{verb} {len(found.leftovers)} file(s), {total / MB:.1f} MB; kept "
            f"{found.kept_media} media file(s), {found.kept_parts} rendered part(s) and "
            f"{found.kept_renders} mix render(s), {found.kept_bytes / MB:.1f} MB (rendered parts "
            f"and mix renders that the documents, the studio or the last {keep_days:g} days use)"
        )
