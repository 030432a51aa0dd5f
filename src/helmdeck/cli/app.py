"""The root Typer app and its sub-command groups (loaded by :mod:`helmdeck.cli.main` once a command
needs more than ``--version``)."""

from __future__ import annotations

import copy
import enum
import os
from typing import Annotated

import typer

from helmdeck.cli import (
    bundle_cmds,
    deploy_cmds,
    doctor_cmds,
    export_cmd,
    ext_cmds,
    history_cmds,
    render_cmds,
    serve_cmd,
    spec_cmds,
)
from helmdeck.cli.options import flag
from helmdeck.cli.sandbox import app as sandbox_app

app = typer.Typer(
    name="helmdeck",
    help="Deploy and operate research data platforms on Kubernetes.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,  # `helmdeck completion SHELL` instead of two more root options
)
app.add_typer(sandbox_app, name="sandbox")
spec_cmds.register(app)
deploy_cmds.register(app)
history_cmds.register(app)
render_cmds.register(app)
doctor_cmds.register(app)
ext_cmds.register(app)
serve_cmd.register(app)
bundle_cmds.register(app)
export_cmd.register(app)


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
    verbose: bool = flag("--verbose", "-v", help="Log progress details to stderr."),
    # taken anywhere on the command line by helmdeck.cli.main; declared here for --help
    debug: bool = flag("--debug", help="--verbose, and an internal error's traceback (anywhere on the line)."),
    no_color: bool = flag("--no-color", help="No colours (as NO_COLOR=1; anywhere on the line)."),
    allow_outside: bool = flag(
        "--allow-outside", help="Let the platform file name charts, values and secret files outside its own directory."
    ),
) -> None:
    import logging

    from helmdeck.cli.library_noise import OwnRecordsOnly
    from helmdeck.secrets.redact import RedactingFilter

    if allow_outside:
        from helmdeck.spec.checks import ALLOW_OUTSIDE_ENV

        os.environ[ALLOW_OUTSIDE_ENV] = "1"
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, format="%(levelname)s %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(OwnRecordsOnly())
        handler.addFilter(RedactingFilter())


class Shell(enum.StrEnum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


@app.command("completion")
def completion(shell: Annotated[Shell, typer.Argument(help="bash, zsh or fish.")]) -> None:
    """Print the shell completion script: e.g. `source <(helmdeck completion bash)` in ~/.bashrc,
    or `helmdeck completion fish > ~/.config/fish/completions/helmdeck.fish`."""
    # Typer answers the variable the script itself sets; asking for the script's source the same
    # way keeps the script and the answers from one implementation
    os.environ[COMPLETE_VAR] = f"source_{shell.value}"
    enable_completion()
    typer.main.get_command(app).main(args=[], prog_name="helmdeck")


def enable_completion() -> None:
    """Register Typer's completion classes, which only its --install-completion option would (and
    building that option costs every command's start 40 ms). A private module of the pinned Typer."""
    from typer._completion_classes import completion_init

    completion_init()


#: the variable the completion script sets when it asks helmdeck for candidates
COMPLETE_VAR = "_HELMDECK_COMPLETE"


def app_for(argv: list[str]) -> typer.Typer:
    """The root app holding only the command ``argv`` runs: Typer builds the Click command of every
    registered command before running one, a tenth of a short command's run. The whole app for
    the root's own help (or --version, or no command) and for a name it does not know (Click then
    suggests the closest)."""
    for arg in argv:
        if arg in _ROOT_FLAGS:
            continue
        if arg.startswith("-"):  # --help, --version, --, or an option the root does not know
            return app
        name = arg
        break
    else:
        return app
    if any(c.name is None for c in app.registered_commands) or any(g.name is None for g in app.registered_groups):
        return app  # a name Typer derives from the function: nothing to prune by
    commands = [c for c in app.registered_commands if c.name == name]
    groups = [g for g in app.registered_groups if g.name == name]
    if len(commands) + len(groups) != 1:
        return app
    only = copy.copy(app)
    only.registered_commands = commands
    only.registered_groups = groups
    return only


#: the root options, all flags (no value to skip before the command name); --help and --version
#: are not among them: they answer with the whole app
_ROOT_FLAGS = frozenset({"--verbose", "-v", "--allow-outside"})
