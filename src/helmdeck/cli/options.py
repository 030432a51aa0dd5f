"""Options every platform command shares, and the session they open."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from helmdeck.cli.output import Output as Output

if TYPE_CHECKING:
    from collections.abc import Sequence

    from helmdeck.app.target import Target
    from helmdeck.core.session import PlatformSession
    from helmdeck.values.set_expressions import SetFlag

PlatformFile = Annotated[Path, typer.Option("-f", "--file", help="The platform file.")]
Env = Annotated[
    str | None, typer.Option("-e", "--env", envvar="HELMDECK_ENV", help="Environment (values overlays) to use.")
]
Kubeconfig = Annotated[
    str | None, typer.Option("--kubeconfig", help="Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).")
]
Context = Annotated[
    str | None,
    typer.Option("--kube-context", "--context", envvar="HELMDECK_KUBE_CONTEXT", help="Kubeconfig context (as helm's)."),
]
ValuesOpt = Annotated[
    list[Path] | None,
    typer.Option("--values", help="Umbrella-style values file ({global: ..., COMPONENT: ...}), above the environment."),
]
InstanceOpt = Annotated[
    str | None,
    typer.Option(
        "--instance",
        envvar="HELMDECK_INSTANCE",
        help="Run as this instance: its namespaces get the prefix (spec.instance).",
    ),
]
SetOpt = Annotated[
    list[str] | None, typer.Option("--set", help="COMPONENT.key=value (or global.key=value), as helm --set.")
]
SetStringOpt = Annotated[
    list[str] | None,
    typer.Option("--set-string", help="COMPONENT.key=value, the value always a string (as helm --set-string)."),
]
SetJsonOpt = Annotated[
    list[str] | None,
    typer.Option("--set-json", help="COMPONENT.key=JSON, or a JSON object {COMPONENT: {...}} (as helm --set-json)."),
]
SetFileOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set-file", help="COMPONENT.key=PATH: the file's text as the value (as helm --set-file; relative to cwd)."
    ),
]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Say what would be done; change nothing.")]


BundleOpt = Annotated[Path | None, typer.Option("--bundle", help="Use an offline bundle instead of -f.")]
OfflineOpt = Annotated[
    bool, typer.Option("--offline", help="Refuse anything that needs the network; images IfNotPresent.")
]
ProvideOpt = Annotated[
    list[str] | None, typer.Option("--provide", help="NAME=PATH: a file the bundle leaves out (secrets).")
]


def set_flags(
    set_: list[str] | None,
    set_string: list[str] | None = None,
    set_json: list[str] | None = None,
    set_file: list[str] | None = None,
) -> list[SetFlag]:
    """Every ``--set*`` expression of the command line, in the order Helm applies the flags."""
    from helmdeck.values.set_expressions import SetFlag, in_helm_order

    given = [("--set", set_), ("--set-string", set_string), ("--set-json", set_json), ("--set-file", set_file)]
    return in_helm_order(SetFlag(flag, e) for flag, expressions in given for e in expressions or ())


def target(
    file: Path,
    env: str | None = None,
    kubeconfig: str | None = None,
    context: str | None = None,
    values: Sequence[Path] | None = None,
    sets: Sequence[str | SetFlag] | None = None,
    *,
    instance: str | None = None,
    bundle: Path | None = None,
    offline: bool = False,
    provide: Sequence[str] | None = None,
) -> Target:
    """What the command's options name, as the application layer takes it."""
    from helmdeck.app.target import Target

    return Target(
        file=file,
        bundle=bundle,
        provided=tuple(provide or ()),
        offline=offline,
        environment=env,
        instance=instance,
        kubeconfig=kubeconfig,
        context=context,
        values=tuple(values or ()),
        sets=tuple(sets or ()),
    )


def open_session(
    file: Path,
    env: str | None,
    kubeconfig: str | None,
    context: str | None,
    values: list[Path] | None = None,
    sets: Sequence[str | SetFlag] | None = None,
    *,
    instance: str | None = None,
) -> PlatformSession:
    """The session on the platform file (no bundle, no environment but the one given)."""
    from helmdeck.app.opening import open_platform

    return open_platform(target(file, env, kubeconfig, context, values, sets, instance=instance))
