"""The ``helmdeck`` command: the root Typer app, its sub-command groups, and the error boundary."""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import traceback
from typing import Annotated

import typer

from helmdeck import __version__
from helmdeck.cli.output import err_console
from helmdeck.cli.sandbox import app as sandbox_app
from helmdeck.errors import HelmdeckError

app = typer.Typer(
    name="helmdeck",
    help="Deploy and operate research data platforms on Kubernetes.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(sandbox_app, name="sandbox")


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"helmdeck {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version_callback, is_eager=True, help="Print the version.")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress details to stderr.")] = False,
) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, format="%(levelname)s %(message)s")


def _wants_json(argv: list[str]) -> bool:
    for i, arg in enumerate(argv):
        if arg in ("-o", "--output") and i + 1 < len(argv) and argv[i + 1] == "json":
            return True
        if arg in ("-ojson", "--output=json"):
            return True
    return False


def main() -> None:
    """Entry point: user errors print a message and a fix, never a traceback."""
    argv = sys.argv[1:]
    try:
        app(args=argv, standalone_mode=False)
    except HelmdeckError as exc:
        if _wants_json(argv):
            sys.stdout.write(json.dumps(exc.as_dict(), indent=2) + "\n")
        else:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # the last line of defence: keep tracebacks out of users' terminals
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        fd, path = tempfile.mkstemp(prefix="helmdeck-crash-", suffix=".log")
        with os.fdopen(fd, "w") as fh:
            traceback.print_exc(file=fh)
        err_console.print(
            f"[bold red]internal error:[/] {type(exc).__name__}: {exc}\n"
            f"  details were written to {path}; please report them.",
            highlight=False,
        )
        sys.exit(70)


if __name__ == "__main__":
    main()
