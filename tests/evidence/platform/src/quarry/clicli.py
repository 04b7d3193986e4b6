"""quarry-admin (click): a group whose default command is `status`."""

from __future__ import annotations

import os
import signal

import click


@click.group(invoke_without_command=True)
@click.version_option("0.3.1", prog_name="quarry-admin")
@click.pass_context
def admin(ctx: click.Context) -> None:
    """Administer a quarry."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(status)


@admin.command()
def status() -> None:
    """Show the quarry's status (the default command)."""
    click.echo("quarry: 2 pits open")


@admin.command()
@click.option("--format", "fmt", default="csv")
def export(fmt: str) -> None:
    """Export the records."""
    # The planted fault: the exporter aborts the process (as a failed native assertion would).
    os.kill(os.getpid(), signal.SIGABRT)


if __name__ == "__main__":
    admin()
