"""``helmdeck schema``, ``helmdeck values`` and ``helmdeck secrets``: the platform file's own commands."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from helmdeck.cli.options import flag, set_flags
from helmdeck.cli.output import Output, OutputFormat, console, emit_json, err_console
from helmdeck.errors import ConfigError, HelmdeckError
from helmdeck.spec import DEFAULT_FILE

if TYPE_CHECKING:
    from helmdeck.secrets.store import SecretInfo, SecretStore
    from helmdeck.spec import Component, Platform
    from helmdeck.values import LayeredValues, Provenance
    from helmdeck.values.set_expressions import SetFlag

PlatformFile = Annotated[Path, typer.Option("-f", "--file", help="The platform file.", show_default=True)]
Kubeconfig = Annotated[
    Path | None,
    typer.Option("--kubeconfig", help="Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)."),
]


def register(app: typer.Typer) -> None:
    """Add ``schema``, ``values`` and the ``secrets`` group to the root app."""
    app.command("schema")(schema_command)
    app.command("values")(values_command)
    app.add_typer(secrets_app, name="secrets")


# --- schema ---------------------------------------------------------------------------------


def schema_command(output: Output = OutputFormat.human) -> None:
    """Print the JSON Schema of platform.yaml (for editors: save it and point yaml-language-server at it).

    The schema is JSON in both output forms.
    """
    from helmdeck.spec import json_schema

    sys.stdout.write(json.dumps(json_schema(), indent=2) + "\n")


# --- values ---------------------------------------------------------------------------------


def _show(value: Any) -> str:
    from helmdeck.values import NOTHING

    if value is NOTHING:
        return "-"
    if value is None:
        return "null (deletes the key)"
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _explain_table(entries: list[Provenance]) -> Table:
    table = Table(show_header=True, header_style="bold")
    for column in ("#", "layer", "set at", "key", "value", "overrode"):
        table.add_column(column, overflow="fold")
    for i, e in enumerate(entries, 1):
        table.add_row(str(i), e.layer, e.location, e.key, _show(e.value), _show(e.overrode))
    return table


def values_command(
    component: Annotated[str, typer.Argument(help="The component whose values to show.")],
    env: Annotated[str | None, typer.Option("-e", "--env", envvar="HELMDECK_ENV", help="Environment to apply.")] = None,
    explain: Annotated[str | None, typer.Option("--explain", help="Show every layer that set this dotted key.")] = None,
    file: PlatformFile = Path(DEFAULT_FILE),
    values_files: Annotated[
        list[Path] | None, typer.Option("--values", help="Extra values file (like helm -f); repeatable.")
    ] = None,
    sets: Annotated[
        list[str] | None, typer.Option("--set", help="Extra value, key=value (like helm --set); repeatable.")
    ] = None,
    set_string: Annotated[
        list[str] | None, typer.Option("--set-string", help="Extra string value, key=value (like helm --set-string).")
    ] = None,
    set_json: Annotated[
        list[str] | None, typer.Option("--set-json", help="Extra value, key=JSON (like helm --set-json).")
    ] = None,
    set_file: Annotated[
        list[str] | None, typer.Option("--set-file", help="Extra value from a file, key=PATH (like helm --set-file).")
    ] = None,
    output: Output = OutputFormat.human,
) -> None:
    """Show a component's merged values, or with --explain KEY which layer set that key."""
    cli_sets = set_flags(sets, set_string, set_json, set_file)
    platform, comp, layered = _layered_values(file, component, env, values_files or [], cli_sets)
    if explain is None:
        _show_merged(platform, comp, layered, env, output)
    else:
        _show_explain(comp, layered, explain, env, output)


def _layered_values(
    file: Path, component: str, env: str | None, values_files: list[Path], cli_sets: list[SetFlag]
) -> tuple[Platform, Component, LayeredValues]:
    """The component's values, layer by layer; an error's text never shows a secret."""
    from helmdeck.secrets.redact import Redactor
    from helmdeck.secrets.store import placeholder_secrets
    from helmdeck.spec import load_platform
    from helmdeck.values import compute_values, load_chart_defaults

    platform = load_platform(file)
    secret_values = placeholder_secrets(platform)
    try:
        comp = platform.component(component)
        layered = compute_values(
            platform,
            comp.name,
            env,
            chart_defaults=load_chart_defaults(comp),
            cli_files=values_files,
            cli_sets=cli_sets,
            secret_values=secret_values,
        )
    except HelmdeckError as exc:
        raise Redactor(secret_values).error(exc) from None
    return platform, comp, layered


def _show_merged(
    platform: Platform, comp: Component, layered: LayeredValues, env: str | None, output: OutputFormat
) -> None:
    merged = layered.redacted()
    if output is OutputFormat.json:
        emit_json({"component": comp.name, "environment": env, "values": merged})
        return
    import yaml
    from rich.syntax import Syntax

    text = yaml.safe_dump(merged, sort_keys=False, allow_unicode=True, default_flow_style=False)
    if console.is_terminal:
        console.print(Syntax(text, "yaml", background_color="default"))
    else:
        sys.stdout.write(text)
    if platform.secret_targets(comp):
        err_console.print("[dim]secret values are shown as <redacted:NAME>[/]")


def _show_explain(comp: Component, layered: LayeredValues, explain: str, env: str | None, output: OutputFormat) -> None:
    from helmdeck.spec.platform import did_you_mean

    entries = layered.explain(explain)
    found, final = layered.get(explain)
    if not entries:
        raise ConfigError(
            f"no layer sets '{explain}' for component '{comp.name}'",
            where=comp.name,
            fix=did_you_mean(explain, layered.leaf_keys(), "key")
            + " (write nested keys with dots, a literal dot as \\.)",
        )
    final = layered.redactor.redact(final)
    if output is OutputFormat.json:
        emit_json(
            {
                "component": comp.name,
                "environment": env,
                "key": explain,
                "found": found,
                "value": final if found else None,
                "layers": [e.as_dict() for e in entries],
            }
        )
        return
    console.print(_explain_table(entries))
    if found:
        console.print(f"final value of [bold]{explain}[/]: {_show(final)}", highlight=False)
    else:
        console.print(f"[bold]{explain}[/] is not set in the final values (deleted by a null)", highlight=False)


# --- secrets --------------------------------------------------------------------------------

secrets_app = typer.Typer(
    help="The platform's secrets, kept in a Secret in its admin namespace (values are never printed "
    "unless you ask with --reveal).",
    no_args_is_help=True,
)


def open_store(platform: Platform, kubeconfig: Path | None) -> SecretStore:
    """The platform's in-cluster secret store (tests replace this function)."""
    from helmdeck.cluster import make_client
    from helmdeck.secrets.kube_store import KubeSecretStore

    client = make_client(str(kubeconfig) if kubeconfig else None, check=False)
    return KubeSecretStore(platform, client)


def _secrets_store(file: Path, kubeconfig: Path | None) -> SecretStore:
    from helmdeck.spec import load_platform

    platform = load_platform(file)
    return open_store(platform, kubeconfig)


def _when(info: SecretInfo) -> tuple[str, str]:
    created = info.created.isoformat() if info.created else "-"
    rotated = info.rotated.isoformat() if info.rotated else "-"
    return created, rotated


@secrets_app.command("list")
def secrets_list(
    file: PlatformFile = Path(DEFAULT_FILE),
    kubeconfig: Kubeconfig = None,
    output: Output = OutputFormat.human,
) -> None:
    """List the platform's secrets: name, source, created and rotated times (never values)."""
    store = _secrets_store(file, kubeconfig)
    infos = store.list()
    if output is OutputFormat.json:
        emit_json(
            {
                "platform": store.platform.name,
                "store": store.location,
                "secrets": [i.as_dict() for i in infos],
            }
        )
        return
    table = Table(title=f"secrets of {store.platform.name} ({store.location})", title_justify="left")
    for column in ("name", "source", "stored", "created", "rotated"):
        table.add_column(column)
    for info in infos:
        created, rotated = _when(info)
        stored = "yes" if info.stored else "not yet"
        name = info.name if info.declared else f"{info.name} (no longer declared)"
        table.add_row(name, info.source, stored, created, rotated)
    console.print(table)


@secrets_app.command("show")
def secrets_show(
    name: Annotated[str, typer.Argument(help="The secret's name.")],
    reveal: bool = flag("--reveal", help="Print the value itself."),
    file: PlatformFile = Path(DEFAULT_FILE),
    kubeconfig: Kubeconfig = None,
    output: Output = OutputFormat.human,
) -> None:
    """Show one secret; its value only with --reveal (then human output is just the value)."""
    from helmdeck.secrets.redact import placeholder

    store = _secrets_store(file, kubeconfig)
    info = store.info(name)
    value = store.reveal(name) if reveal else placeholder(name)
    if output is OutputFormat.json:
        emit_json({**info.as_dict(), "value": value if info.stored or reveal else None}, reveal=reveal)
        return
    if reveal:
        sys.stdout.write(value + "\n")
        return
    created, rotated = _when(info)
    console.print(
        f"[bold]{info.name}[/]\n  source:  {info.source}\n  stored:  {'yes' if info.stored else 'not yet'}"
        f"\n  created: {created}\n  rotated: {rotated}\n  value:   {value} (--reveal prints it)",
        highlight=False,
        markup=True,
    )


@secrets_app.command("rotate")
def secrets_rotate(
    name: Annotated[str, typer.Argument(help="The secret to give a new value.")],
    file: PlatformFile = Path(DEFAULT_FILE),
    kubeconfig: Kubeconfig = None,
    output: Output = OutputFormat.human,
) -> None:
    """Give a secret a new value (generated anew, or re-read from its variable or file)."""
    store = _secrets_store(file, kubeconfig)
    info = store.rotate(name)
    if output is OutputFormat.json:
        emit_json(info.as_dict())
        return
    console.print(
        f"rotated [bold]{info.name}[/] ({info.source}) at {_when(info)[1]}; "
        "deploy the platform to roll the new value out",
        highlight=False,
    )
