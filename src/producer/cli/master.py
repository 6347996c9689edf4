"""CLI commands: ``producer master`` and ``producer profiles`` (thin: parse, call, print)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from producer.cli.app import lazy_workflow
from producer.errors import UserError

if TYPE_CHECKING:
    from producer.workflows import master as wf
else:
    wf = lazy_workflow("master")


def _print_rows(delivered: list[wf.Delivered], as_json: bool) -> None:
    rows = [d.row for d in delivered]
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for d in delivered:
        r = d.row
        click.echo(
            f"{r['path']}: {r['integrated_lufs']} LUFS, {r['true_peak_dbtp']} dBTP, "
            f"LRA {r['loudness_range_lu']} LU, {r['sample_rate']} Hz, {r['file_format']}, "
            f"gain {r['gain_db']} dB, limiter {r['limiter_max_gain_reduction_db']} dB "
            f"[{r['verdict']}]"
        )
        for req in r["requirements"]:
            if not req["passed"]:
                click.echo(
                    f"  FAIL {req['requirement']}: {req['achieved']}, required {req['required']}"
                )
        if d.replaced:
            click.echo(f"  replaced {d.replaced}")


def _album_notes(result: wf.AlbumDelivery, as_json: bool) -> None:
    """What the album run did besides the per-song masters (stderr under --json)."""
    first = result.masters[0].verdict.goal if result.masters else None
    lines = []
    if first is not None and first.kind == "album":
        lines.append(
            f"album-normalised: one gain of {first.album_gain_db:+.2f} dB for every song, set by "
            f"{first.loudest_song} at {first.target_lufs:.1f} LUFS; the others keep their "
            "differences"
        )
    if result.image is not None and result.cue is not None:
        again = " (replaced the earlier ones)" if result.image_replaced else ""
        lines.append(f"CD image and CUE sheet: {result.image}, {result.cue}{again}")
    for p in result.stale:
        lines.append(f"warning: {p} is from an earlier run and not part of this album")
    for line in lines:
        click.echo(line, err=as_json or line.startswith("warning"))


def register(cli: click.Group) -> None:
    """Add this module's commands to the `producer` group."""

    @cli.command("profiles")
    @click.option("--json", "as_json", is_flag=True, help="Print the profiles as JSON.")
    def profiles_cmd(as_json: bool) -> None:
        """List the delivery profiles (loudness target, true-peak ceiling, rate, depth)."""
        rows = wf.profile_rows()
        if as_json:
            click.echo(json.dumps(rows, indent=2))
            return
        for r in rows:
            click.echo(
                f"{r['name']:<15} {r['target_lufs']:>6.1f} LUFS ±{r['tolerance_lu']:.1f}  "
                f"{r['ceiling_dbtp']:>5.1f} dBTP  {r['sample_rate']} Hz/{r['bit_depth']}  "
                f"{','.join(r['formats'])}  {r['normalisation']}  {r['description']}"
            )

    @cli.command("master")
    @click.argument("target", required=False)
    @click.option("--profile", "profile", default="streaming", show_default=True)
    @click.option("-o", "out", type=click.Path(path_type=Path), help="Output file or folder.")
    @click.option("--reference", type=click.Path(path_type=Path), help="Match this track.")
    @click.option("--album", "album", is_flag=True, help="Master every song of the project.")
    @click.option("--target-lufs", type=float, help="Custom integrated loudness target.")
    @click.option("--ceiling-dbtp", type=float, help="Custom true-peak ceiling.")
    @click.option("--isrc", default="", help="ISRC of the track (CC-XXX-YY-NNNNN).")
    @click.option("--normalisation", type=click.Choice(["track", "album"]), help="Album mode gain.")
    @click.option("--gap", "gap_s", type=float, default=None, help="Album: default gap (s) [2.0].")
    @click.option("--fade-in", "fade_in_s", type=float, default=None, help="Album: fade-in (s).")
    @click.option("--fade-out", "fade_out_s", type=float, default=None, help="Album: fade-out (s).")
    @click.option("--tilt-db", type=float, default=0.0, help="Spectral tilt around 1 kHz (dB).")
    @click.option("--glue", is_flag=True, help="Add a gentle glue compressor (1.5:1).")
    @click.option("--noise-shaping", is_flag=True, help="Noise-shaped dither (44.1/48 kHz).")
    @click.option(
        "--max-limiting-db", type=float, default=15.0, show_default=True, help="Limiting budget."
    )
    @click.option(
        "--force", is_flag=True, help="Master even without the approvals the album requires."
    )
    @click.option("--json", "as_json", is_flag=True, help="Print the outputs as JSON.")
    @click.pass_context
    def master_cmd(
        ctx: click.Context,
        target: str | None,
        profile: str,
        out: Path | None,
        reference: Path | None,
        album: bool,
        target_lufs: float | None,
        ceiling_dbtp: float | None,
        isrc: str,
        normalisation: str | None,
        gap_s: float | None,
        fade_in_s: float | None,
        fade_out_s: float | None,
        tilt_db: float,
        glue: bool,
        noise_shaping: bool,
        max_limiting_db: float,
        force: bool,
        as_json: bool,
    ) -> None:
        """Master INPUT (an audio file), a project SONG, or the whole album (--album).

        A song goes to masters/PROFILE/singles/, the album to masters/PROFILE/."""
        from producer.cli.app import project_dir

        album_only = {
            "--normalisation": normalisation,
            "--gap": gap_s,
            "--fade-in": fade_in_s,
            "--fade-out": fade_out_s,
        }
        given = [name for name, value in album_only.items() if value is not None]
        if given and not album:
            raise UserError(f"{', '.join(given)}: only an album run (--album) uses it")
        opts = wf.MasterOptions(
            target_lufs=target_lufs,
            ceiling_dbtp=ceiling_dbtp,
            reference=reference,
            isrc=isrc,
            normalisation=normalisation,
            gap_s=2.0 if gap_s is None else gap_s,
            fade_in_s=fade_in_s or 0.0,
            fade_out_s=fade_out_s or 0.0,
            settings=wf.chain_settings(tilt_db, glue, noise_shaping, max_limiting_db),
        )
        root = project_dir(ctx)
        if album:
            if target:
                raise UserError("--album masters every song; give no INPUT or SONG with it")
            if isrc:
                raise UserError("--isrc names one recording; set each song's with song set --isrc")
            result = wf.master_project_album(root, profile, out, opts, force=force)
            rows = result.masters
            _print_rows(rows, as_json)
            _album_notes(result, as_json)
        elif not target:
            raise UserError("give an audio file, a song slug, or --album")
        else:
            if Path(target).is_file() or Path(target).suffix:
                rows = wf.master_file(Path(target), profile, out, opts)
            else:
                rows = wf.master_song(root, target, profile, out, opts, force=force)
            _print_rows(rows, as_json)
        failed = [d for d in rows if not d.passed]
        if failed:
            problems = "; ".join(p for d in failed for p in d.problems)
            click.echo(
                f"producer: {len(failed)} master(s) missed the profile: {problems}", err=True
            )
            ctx.exit(1)
