"""Options every platform command shares, and the session they open."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from helmdeck.cli.output import Output as Output

if TYPE_CHECKING:
    from helmdeck.core.session import PlatformSession

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
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Say what would be done; change nothing.")]


BundleOpt = Annotated[Path | None, typer.Option("--bundle", help="Use an offline bundle instead of -f.")]
OfflineOpt = Annotated[
    bool, typer.Option("--offline", help="Refuse anything that needs the network; images IfNotPresent.")
]
ProvideOpt = Annotated[
    list[str] | None, typer.Option("--provide", help="NAME=PATH: a file the bundle leaves out (secrets).")
]


def open_session(
    file: Path,
    env: str | None,
    kubeconfig: str | None,
    context: str | None,
    values: list[Path] | None = None,
    sets: list[str] | None = None,
    *,
    instance: str | None = None,
) -> PlatformSession:
    from helmdeck.core.session import PlatformSession

    return PlatformSession(
        file,
        environment=env,
        kubeconfig=kubeconfig,
        context=context,
        cli_files=values or (),
        cli_sets=sets or (),
        instance=instance,
    )
