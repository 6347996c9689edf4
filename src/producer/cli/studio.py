"""CLI commands of the review studio: ``serve``, ``user``, ``share``, ``review`` (thin)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import TYPE_CHECKING

import click

from producer.cli.app import lazy_workflow, project_dir
from producer.errors import UserError

if TYPE_CHECKING:
    from producer.workflows import studio as wf
else:
    wf = lazy_workflow("studio")

DB_HELP = "Database URL (default: the one `serve --db` used, else .producer/studio.db)."


def _when(t: float) -> str:
    return dt.datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M")


def register(cli: click.Group) -> None:
    """Add this module's commands to the `producer` group."""

    @cli.command("serve")
    @click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
    @click.option("--port", type=click.IntRange(1, 65535), default=8750, show_default=True)
    @click.option(
        "--db", default=None, help="postgresql+psycopg://... for a team (kept for next time)."
    )
    @click.option(
        "--max-upload-mb", type=click.FloatRange(min=0.001), default=1024, show_default=True
    )
    @click.pass_context
    def serve(
        ctx: click.Context, host: str, port: int, db: str | None, max_upload_mb: float
    ) -> None:
        """Serve the review studio of the project (-C DIR) until Ctrl-C."""
        from producer.web import serve as run

        run(project_dir(ctx), host, port, db, max_upload_mb, announce=click.echo)

    @cli.group("user")
    def user() -> None:
        """Studio accounts: producer, engineer, artist, label, guest."""

    @user.command("add")
    @click.argument("email")
    @click.option("--name", required=True, help="The name people see.")
    @click.option(
        "--role",
        type=click.Choice(["producer", "engineer", "artist", "label", "guest"]),
        required=True,
    )
    @click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
    @click.option("--db", default=None, help=DB_HELP)
    @click.pass_context
    def user_add(
        ctx: click.Context, email: str, name: str, role: str, password_stdin: bool, db: str | None
    ) -> None:
        """Add an account (the password from stdin, or asked twice)."""
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        studio = wf.open_studio(project_dir(ctx), db)
        try:
            u = wf.accounts.add_user(studio, email, name, role, password)
        finally:
            studio.close()
        click.echo(f"added {u.role} {u.name} <{u.email}>")

    @user.command("list")
    @click.option("--json", "as_json", is_flag=True)
    @click.option("--db", default=None, help=DB_HELP)
    @click.pass_context
    def user_list(ctx: click.Context, as_json: bool, db: str | None) -> None:
        """The accounts."""
        studio = wf.open_studio(project_dir(ctx), db)
        try:
            users = wf.accounts.list_users(studio)
        finally:
            studio.close()
        if as_json:
            rows = [{"email": u.email, "name": u.name, "role": u.role} for u in users]
            click.echo(json.dumps(rows, indent=2))
            return
        for u in users:
            click.echo(f"{u.email:<32} {u.role:<9} {u.name}  (since {_when(u.created_at)})")
        if not users:
            click.echo("no accounts yet: producer user add EMAIL --name NAME --role ROLE")

    @user.command("remove")
    @click.argument("email")
    @click.option("--db", default=None, help=DB_HELP)
    @click.pass_context
    def user_remove(ctx: click.Context, email: str, db: str | None) -> None:
        """Disable an account and end its sessions (what it wrote stays)."""
        studio = wf.open_studio(project_dir(ctx), db)
        try:
            wf.accounts.remove_user(studio, email)
        finally:
            studio.close()
        click.echo(f"removed {email}")

    @cli.command("share")
    @click.argument("song", required=False)
    @click.option(
        "--role", type=click.Choice(["guest", "artist"]), default="guest", show_default=True
    )
    @click.option("--expires", default="7d", show_default=True, help="30m, 12h, 7d, 2w...")
    @click.option("--no-download", is_flag=True, help="Listen in the page only.")
    @click.option(
        "--url",
        "base_url",
        default="http://localhost:8750",
        show_default=True,
        help="Where the studio is served.",
    )
    @click.option("--list", "list_", is_flag=True, help="List the share links.")
    @click.option("--revoke", type=int, default=None, metavar="ID", help="Revoke link ID.")
    @click.option("--db", default=None, help=DB_HELP)
    @click.pass_context
    def share(
        ctx: click.Context,
        song: str | None,
        role: str,
        expires: str,
        no_download: bool,
        base_url: str,
        list_: bool,
        revoke: int | None,
        db: str | None,
    ) -> None:
        """Print a link that opens SONG's player for a guest or the artist."""
        studio = wf.open_studio(project_dir(ctx), db)
        me = wf.command_line_principal()
        try:
            if list_:
                for link in wf.accounts.list_shares(studio):
                    state = "revoked" if link.revoked else f"until {_when(link.expires_at)}"
                    dl = "" if link.allow_download else ", no download"
                    click.echo(f"{link.id:>4}  {link.song:<24} {link.role:<7} {state}{dl}")
                return
            if revoke is not None:
                link = wf.accounts.revoke_share(studio, me, revoke)
                click.echo(f"revoked link {link.id} to {link.song}")
                return
            if not song:
                raise UserError("give a SONG (or --list, --revoke ID)")
            new = wf.accounts.create_share(studio, me, song, role, expires, not no_download)
        finally:
            studio.close()
        click.echo(new.url(base_url))
        click.echo(
            f"link {new.link.id}: {role} access to {song} until {_when(new.link.expires_at)}"
            + ("" if new.link.allow_download else ", no download"),
            err=True,
        )

    @cli.group("review")
    def review() -> None:
        """Versions of the songs in the review studio."""

    @review.command("publish")
    @click.argument("song")
    @click.option("--note", default="", help="What changed in this version.")
    @click.option("--db", default=None, help=DB_HELP)
    @click.pass_context
    def review_publish(ctx: click.Context, song: str, note: str, db: str | None) -> None:
        """Render the current mix (reused when identical) and publish it as the next version."""
        studio = wf.open_studio(project_dir(ctx), db)
        try:
            v = wf.review.publish(
                studio,
                wf.command_line_principal(),
                song,
                note,
                progress=lambda m: click.echo(m, err=True),
            )
        finally:
            studio.close()
        click.echo(
            f"{song} v{v.number}: render {v.render_id[:12]}, {v.duration_s:.1f} s, "
            f"{v.integrated_lufs:.1f} LUFS, LRA {v.loudness_range_lu:.1f} LU, "
            f"{v.true_peak_dbtp:.1f} dBTP"
        )

    @review.command("list")
    @click.argument("song")
    @click.option("--json", "as_json", is_flag=True)
    @click.option("--db", default=None, help=DB_HELP)
    @click.pass_context
    def review_list(ctx: click.Context, song: str, as_json: bool, db: str | None) -> None:
        """The versions of SONG with their figures and approvals."""
        studio = wf.open_studio(project_dir(ctx), db)
        try:
            versions = wf.review.versions(studio, wf.command_line_principal(), song)
        finally:
            studio.close()
        if as_json:
            rows = [
                {
                    "number": v.number,
                    "render_id": v.render_id,
                    "duration_s": v.duration_s,
                    "integrated_lufs": v.integrated_lufs,
                    "true_peak_dbtp": v.true_peak_dbtp,
                    "approvals": [
                        {"role": a.role, "user": a.user, "render_id": a.render_id}
                        for a in v.approvals
                    ],
                }
                for v in versions
            ]
            click.echo(json.dumps(rows, indent=2))
            return
        for v in versions:
            ok = ", ".join(f"{a.role} {a.user_name}" for a in v.approvals) or "not approved"
            click.echo(
                f"v{v.number}  {_when(v.created_at)}  render {v.render_id[:12]}  "
                f"{v.integrated_lufs:.1f} LUFS  {v.true_peak_dbtp:.1f} dBTP  [{ok}]  {v.note}"
            )
        if not versions:
            click.echo(f"no versions of {song} yet: producer review publish {song}")
