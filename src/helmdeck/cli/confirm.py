"""The confirmation ``undeploy --purge-data`` and ``ext uninstall --purge-data`` ask for, before any
live display starts (a prompt under a live table is hidden and redrawn over), and refused when
nobody can answer it."""

from __future__ import annotations

import sys
from collections.abc import Callable

import typer

from helmdeck.cli.output import err_console
from helmdeck.errors import ConfigError, HelmdeckError
from helmdeck.wording import counted


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def confirm_purge(
    items: list[str],
    *,
    yes: bool,
    review: str | None = "helmdeck undeploy --purge-data --dry-run",
    operation: str = "undeploy",
) -> Callable[[list[str]], bool]:
    """Ask about ``items`` now; returns the check the operation runs on what it then finds, which
    refuses anything not confirmed here (data that appeared meanwhile). ``review`` is the command
    that lists them without changing anything."""
    if not items or yes:
        return lambda _found: True
    if not stdin_is_terminal():
        if review is None:
            for item in items:
                err_console.print(f"  - {item}", highlight=False, markup=False)
        raise ConfigError(
            f"--purge-data would permanently delete {counted(items, 'item')} and there is no terminal to confirm it; "
            "nothing was changed",
            fix=f"review them with `{review}`, then pass --yes"
            if review
            else "review them (listed above), then pass --yes",
            details={"wouldDelete": items},
        )
    err_console.print("--purge-data will permanently delete:")
    for item in items:
        err_console.print(f"  - {item}", highlight=False, markup=False)
    if not typer.confirm("Delete all of this?", default=False, err=True):
        raise HelmdeckError(f"{operation} cancelled: nothing was changed", exit_code=1)
    from helmdeck.app.undeploy import only_confirmed

    return only_confirmed(
        items,
        lambda new: HelmdeckError(
            f"data to purge appeared since it was confirmed ({'; '.join(new)}): nothing was changed",
            fix=f"run the {operation} again to review and confirm it",
        ),
    )
