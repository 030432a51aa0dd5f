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
from helmdeck.cli import bundle_cmds, deploy_cmds, doctor_cmds, ext_cmds, render_cmds, serve_cmd, spec_cmds
from helmdeck.cli.output import err_console
from helmdeck.cli.sandbox import app as sandbox_app
from helmdeck.errors import HelmdeckError
from helmdeck.secrets.redact import RedactingFilter, known_redactor
from helmdeck.spec.checks import ALLOW_OUTSIDE_ENV

app = typer.Typer(
    name="helmdeck",
    help="Deploy and operate research data platforms on Kubernetes.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(sandbox_app, name="sandbox")
spec_cmds.register(app)
deploy_cmds.register(app)
render_cmds.register(app)
doctor_cmds.register(app)
ext_cmds.register(app)
serve_cmd.register(app)
bundle_cmds.register(app)


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
    allow_outside: Annotated[
        bool,
        typer.Option(
            "--allow-outside",
            help="Let the platform file name charts, values and secret files outside its own directory.",
        ),
    ] = False,
) -> None:
    if allow_outside:
        os.environ[ALLOW_OUTSIDE_ENV] = "1"
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, format="%(levelname)s %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactingFilter())


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
        # standalone mode lets Typer print usage errors itself; everything else comes back here
        app(args=argv, prog_name="helmdeck")
    except HelmdeckError as exc:
        exc = known_redactor().error(exc)
        if _wants_json(argv):
            sys.stdout.write(json.dumps(exc.as_dict(), indent=2) + "\n")
        else:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # the last line of defence: keep tracebacks out of users' terminals
        fd, path = tempfile.mkstemp(prefix="helmdeck-crash-", suffix=".log")
        with os.fdopen(fd, "w") as fh:
            traceback.print_exc(file=fh)
        err_console.print(
            f"[bold red]internal error:[/] {type(exc).__name__}: {known_redactor().text(str(exc))}\n"
            f"  details were written to {path}; please report them.",
            highlight=False,
        )
        sys.exit(70)


if __name__ == "__main__":
    main()
