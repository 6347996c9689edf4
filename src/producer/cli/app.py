"""The ``producer`` command: parse, call one workflow, print, map errors to exit codes.

No domain logic here. Each command group lives in its own module with a ``register(cli)``
function; errors raised as ``ProducerError`` become one line on stderr and their exit code.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import click

from producer.errors import ProducerError


class ProducerGroup(click.Group):
    """A click group that turns ProducerError into one stderr line and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        from producer.cli.progress import shown

        try:
            # Long work shows its progress on a terminal (producer.cli.progress).
            with shown(ctx.info_name or "producer"):
                return super().invoke(ctx)
        except ProducerError as exc:
            click.echo(f"producer: {exc.message}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("producer: interrupted", err=True)
            ctx.exit(130)
        except click.UsageError as exc:
            # One line like every other error (click would print the usage block first).
            where = f" (see {exc.ctx.command_path} --help)" if exc.ctx else ""
            click.echo(f"producer: {exc.format_message()}{where}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except OSError as exc:
            # A file the user named that cannot be read or written (permissions, full disk).
            name = f"{exc.filename}: " if exc.filename else ""
            click.echo(f"producer: {name}{exc.strerror or exc}", err=True)
            ctx.exit(2)
        except Exception as exc:  # a bug: one line by default, the traceback on request
            if os.environ.get("PRODUCER_DEBUG"):
                raise
            click.echo(
                f"producer: internal error: {type(exc).__name__}: {exc} "
                "(set PRODUCER_DEBUG=1 for the traceback)",
                err=True,
            )
            ctx.exit(1)


@click.group(cls=ProducerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-C",
    "project_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Run as if started in DIR (like git -C): the project is DIR, and every relative path "
    "a command is given (files to import, outputs, plots) is relative to DIR.",
)
@click.version_option(package_name="producer")
@click.pass_context
def cli(ctx: click.Context, project_dir: Path | None) -> None:
    """producer: an album from pre-production to delivered masters."""
    ctx.obj = Path(".")
    if project_dir is not None:
        ctx.obj = enter_folder(ctx, project_dir)


def enter_folder(ctx: click.Context, folder: Path) -> Path:
    """Make ``folder`` the working folder for the rest of the command, like ``git -C``: one rule
    for every path argument of every command (relative paths are relative to it), with no
    command left to resolve them its own way. The previous folder comes back when the command
    ends (the CLI also runs inside one process, in tests). Returns the folder, absolute."""
    if not folder.is_dir():
        raise click.UsageError(
            f"-C {folder}: no such folder"
            + (
                f" (make a project there with `producer new {folder}`)"
                if not folder.exists()
                else ""
            )
        )
    previous = os.getcwd()
    os.chdir(folder)
    ctx.call_on_close(lambda: os.chdir(previous))
    return Path(os.getcwd())


def project_dir(ctx: click.Context) -> Path:
    """The project folder chosen with -C (absolute), or the current folder ``.``."""
    root = ctx.find_root()
    obj = root.obj
    return obj if isinstance(obj, Path) else Path(".")


class _DeferredWorkflow(ModuleType):
    """Stands for a workflow module until first used, then hands every attribute over to it.

    The real module is imported the ordinary way on first use and is never replaced in
    ``sys.modules``. (importlib's LazyLoader put a not-yet-run package there: importing one of
    its submodules directly then ran the package's ``__init__`` in the middle of that import,
    which imported the submodule a second time — two ``batch.tasks`` modules, one of them
    ``runner``'s.)"""

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self.__name__), attr)


def lazy_workflow(name: str) -> ModuleType:
    """``producer.workflows.<name>``, loaded on first use rather than at start-up.

    The workflows pull in scipy, librosa, pedalboard and matplotlib (seconds of imports);
    ``producer --help`` or ``producer undo`` should not wait for them.
    """
    full = f"producer.workflows.{name}"
    return sys.modules.get(full) or _DeferredWorkflow(full)


def _register_all() -> None:
    from producer.cli import (
        analyze,
        batch,
        cleanup,
        master,
        meter,
        mix,
        play,
        preproduction,
        project,
        session,
        studio,
        tracking,
    )
    from producer.cli.office import board, bookings, budget, contracts, credits, people, splits

    for module in (
        project,
        meter,
        mix,
        master,
        preproduction,
        tracking,
        people,
        bookings,
        budget,
        contracts,
        splits,
        credits,  # after tracking: `take credit` joins its `take` group
        board,
        session,
        analyze,
        cleanup,
        play,
        studio,
        batch,
    ):
        module.register(cli)


_register_all()


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``producer`` script."""
    cli.main(args=argv, prog_name="producer", standalone_mode=True)


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
