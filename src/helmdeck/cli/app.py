"""The root Typer app and its sub-command groups (loaded by :mod:`helmdeck.cli.main` once a command
needs more than ``--version``)."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from helmdeck.cli import bundle_cmds, deploy_cmds, doctor_cmds, ext_cmds, render_cmds, serve_cmd, spec_cmds
from helmdeck.cli.sandbox import app as sandbox_app

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
        from helmdeck import __version__

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
    import logging

    from helmdeck.secrets.redact import RedactingFilter

    if allow_outside:
        from helmdeck.spec.checks import ALLOW_OUTSIDE_ENV

        os.environ[ALLOW_OUTSIDE_ENV] = "1"
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, format="%(levelname)s %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactingFilter())
