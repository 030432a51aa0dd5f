"""``helmdeck ext``: the extension catalog, installs, uninstalls and chart uploads."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from helmdeck.cli.options import Cluster, Output, Where, flag, grouped, target
from helmdeck.cli.output import OutputFormat, conclude, console, emit_json, err_console, show
from helmdeck.errors import ConfigError

if TYPE_CHECKING:
    from helmdeck.extensions.catalog import Catalog, Extension
    from helmdeck.extensions.report import ExtensionReport
    from helmdeck.spec import Platform

app = typer.Typer(help="Extensions: list the catalog, install, uninstall, upload charts.", no_args_is_help=True)

Env = Annotated[
    str | None,
    typer.Option(
        "-e",
        "--env",
        envvar="HELMDECK_ENV",
        help="Environment for shared values (default: the one the platform was deployed with).",
    ),
]
StateDir = Annotated[
    Path | None,
    typer.Option(
        "--state-dir",
        help="The platform's state directory (uploads); default $HELMDECK_STATE_DIR or "
        "~/.local/state/helmdeck/PLATFORM.",
    ),
]


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="ext")


def _platform(where: Where) -> Platform:
    from helmdeck.app.rules import target_platform

    return target_platform(target(where))


def _catalog(platform: Platform, state_dir: Path | None) -> Catalog:
    from helmdeck.app.extensions import platform_catalog

    return platform_catalog(platform, state_dir)


def _print_extension(ext: Extension) -> None:
    console.print(f"[bold]{ext.display_name}[/] ({ext.name} {ext.version}, {ext.kind})", highlight=False)
    if ext.description:
        console.print(f"  {ext.description}", highlight=False)
    flags = [f for f, on in (("multi-install", ext.multi_install), ("requires a GPU", ext.requires_gpu)) if on]
    flags += list(ext.flags)
    if ext.parameter_style == "kaapana":
        flags.append("Kaapana parameters (global.NAME)")
    if flags:
        console.print("  " + ", ".join(flags))
    if ext.requires:
        console.print("  requires: " + ", ".join(str(r) for r in ext.requires), highlight=False)
    if ext.docs:
        console.print(f"  docs: {ext.docs}", highlight=False)
    console.print(f"  from: {ext.source}", highlight=False)
    if not ext.parameters:
        console.print("  no parameters")
        return
    table = Table(title="parameters")
    for col in ("name", "type", "default", "required", "description"):
        table.add_column(col, overflow="fold")
    for p in ext.parameters:
        default = "(secret)" if p.secret else ("-" if not p.has_default else str(p.default))
        kind = p.expects if p.type in ("choice", "multichoice") else p.type
        required = "yes" if p.required else "; ".join(f"when {c.describe()}" for c in p.required_when)
        table.add_row(p.name, kind, default, required, p.description)
    console.print(table)


@grouped
def list_command(
    *,
    where: Where,
    state_dir: StateDir = None,
    installed: bool = flag("--installed", help="Installed extensions (needs the cluster)."),
    cluster: Cluster,
    output: Output = OutputFormat.human,
) -> None:
    """The catalog (or, with --installed, what is installed on the platform)."""
    from helmdeck.app.opening import open_platform
    from helmdeck.extensions.manager import ExtensionManager

    platform = _platform(where)
    catalog = _catalog(platform, state_dir)
    if installed:
        session = open_platform(target(where, None, cluster), platform=platform)
        rows = ExtensionManager(session, catalog).installed()
        if output is OutputFormat.json:
            emit_json({"platform": session.platform_id, "installed": [r.as_dict() for r in rows]})
            return
        table = Table(title=f"extensions installed on {session.platform_id}")
        for col in ("install", "extension", "version", "revision", "status", "namespace"):
            table.add_column(col)
        for r in rows:
            table.add_row(r.component, r.extension, r.version, str(r.revision), r.status, r.namespace)
        console.print(table if rows else "no extension is installed")
        return
    catalog.load()
    if output is OutputFormat.json:
        emit_json(
            {
                "extensions": [e.as_dict() for e in catalog.latest()],
                "problems": [p.as_dict() for p in catalog.problems],
            }
        )
        return
    table = Table(title="extension catalog")
    for col in ("name", "version", "kind", "display name", "multi", "gpu", "requires", "description"):
        table.add_column(col, overflow="fold")
    for e in catalog.latest():
        table.add_row(
            e.name,
            e.version,
            e.kind,
            e.display_name,
            "yes" if e.multi_install else "",
            "yes" if e.requires_gpu else "",
            ", ".join(str(r) for r in e.requires),
            e.description,
        )
    console.print(table)
    for p in catalog.problems:
        err_console.print(
            f"[yellow]skipped[/] {p.source}: {p.message}" + (f" (fix: {p.fix})" if p.fix else ""), highlight=False
        )


@grouped
def show_command(
    name: Annotated[str, typer.Argument(help="Extension name.")],
    *,
    where: Where,
    state_dir: StateDir = None,
    version: Annotated[str | None, typer.Option("--version", help="A catalog version (default: newest).")] = None,
    output: Output = OutputFormat.human,
) -> None:
    """An extension's metadata, requirements and parameters."""
    catalog = _catalog(_platform(where), state_dir)
    show(output, catalog.get(name, version), _print_extension)


def print_report(report: ExtensionReport) -> None:
    from helmdeck.deploy.report import Outcome

    colors = {
        Outcome.installed: "green",
        Outcome.upgraded: "green",
        Outcome.removed: "yellow",
        Outcome.failed: "bold red",
        Outcome.skipped: "yellow",
        Outcome.unchanged: "dim",
    }
    for c in report.components:
        line = f"  {c.name}: [{colors[c.outcome]}]{c.outcome.value}[/]"
        if c.revision:
            line += f" (revision {c.revision})"
        detail = c.message.splitlines()[0] if c.message else ""
        if c.rollback:
            detail += f"; {c.rollback}"
        console.print(f"{line} {detail}".rstrip(), highlight=False)
        if c.outcome is Outcome.failed:
            for text in c.failure_text:
                console.print(f"    {text}", highlight=False, markup=False)
    verdict = "[green]done[/]" if report.ok else f"[bold red]{report.operation} failed[/]"
    console.print(f"{verdict} in {report.seconds:.1f}s; platform revision {report.platform_revision}")


@grouped
def install_command(
    name: Annotated[str, typer.Argument(help="Extension name.")],
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-p",
            help="NAME=VALUE (repeat). Visible to other local users: secret parameters are refused here.",
        ),
    ] = None,
    param_file: Annotated[
        list[Path] | None,
        typer.Option(
            "--param-file",
            help="YAML/JSON file of NAME: VALUE (repeat); for secrets, as are HELMDECK_PARAM_<NAME> variables.",
        ),
    ] = None,
    instance_name: Annotated[
        str | None, typer.Option("--instance-name", help="Names this install (multi-install extensions).")
    ] = None,
    version: Annotated[str | None, typer.Option("--version", help="A catalog version (default: newest).")] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", min=1, max=86400, help="Seconds to wait for each install's health.")
    ] = 300,
    insecure_argv: bool = flag(
        "--insecure-argv", help="Accept secret parameters in --param, readable by every user of the machine."
    ),
    *,
    where: Where,
    env: Env = None,
    state_dir: StateDir = None,
    cluster: Cluster,
    output: Output = OutputFormat.human,
) -> None:
    """Install an extension (and the extensions it requires) as components of the platform.

    Parameters come from --param-file files, then HELMDECK_PARAM_<NAME> variables (NAME upper-cased,
    other characters as _), then --param, each overriding the one before. Secret parameters belong
    in a file or a variable: a command line can be read by every user of the machine."""
    from helmdeck.app.extensions import extension_manager
    from helmdeck.cli.progress import live_progress
    from helmdeck.extensions.parameter_input import parse_param_args

    from_argv = parse_param_args(param or [])
    platform = _platform(where)
    catalog = _catalog(platform, state_dir)
    extension = catalog.get(name, version)
    params = _install_parameters(extension, param_file or [], from_argv, insecure_argv)
    manager = extension_manager(target(where, env, cluster), platform, catalog, timeout=timeout)
    title = f"installing {name} on {manager.session.platform_id}"
    with live_progress(title, output is OutputFormat.human) as progress:
        manager.progress = progress or manager.progress
        report = manager.install(name, params, instance_name=instance_name, version=version)
    conclude(output, report, print_report)


def _install_parameters(
    extension: Extension, param_files: list[Path], from_argv: dict[str, Any], insecure_argv: bool
) -> dict[str, Any]:
    """The install's parameters; a secret one on the command line is refused unless --insecure-argv."""
    from helmdeck.app.extensions import install_parameters
    from helmdeck.extensions.parameter_input import env_name, load_param_file

    files = [load_param_file(path) for path in param_files]
    exposed = [p.name for p in extension.parameters if p.secret and p.name in from_argv]
    if exposed:
        # /proc/PID/cmdline is readable by every local user for as long as the install runs
        where = (
            f"secret parameter {', '.join(exposed)} was given on the command line, where other users of this "
            "machine can read it"
        )
        if not insecure_argv:
            raise ConfigError(
                f"refused: {where}",
                where=f"--param {exposed[0]}",
                fix=f"pass it in --param-file FILE or the variable {env_name(exposed[0])} "
                "(or accept the exposure with --insecure-argv)",
            )
        err_console.print(f"[yellow]warning:[/] {where} (--insecure-argv)", highlight=False)
    # a missing or bad parameter is refused before the cluster is contacted (the install checks again)
    return install_parameters(extension, files, os.environ, from_argv)


@grouped
def uninstall_command(
    name: Annotated[str, typer.Argument(help="Install (component) name, or extension name if installed once.")],
    force: bool = flag("--force", help="Uninstall even if other extensions require it."),
    purge_data: bool = flag("--purge-data", help="Also delete the extension's volume claims (its data)."),
    yes: bool = flag("--yes", "-y", help="Do not ask before purging data."),
    *,
    where: Where,
    state_dir: StateDir = None,
    cluster: Cluster,
    output: Output = OutputFormat.human,
) -> None:
    """Uninstall an extension. Its history is kept, so a platform rollback can bring it back, and
    so are its volume claims unless --purge-data."""
    from helmdeck.app.extensions import extension_manager
    from helmdeck.cli.confirm import confirm_purge
    from helmdeck.cli.progress import live_progress

    platform = _platform(where)
    manager = extension_manager(target(where, None, cluster), platform, _catalog(platform, state_dir))
    confirm = None
    if purge_data:
        confirm = confirm_purge(manager.data_of(name), yes=yes, review=None, operation=f"uninstall of {name}")
    title = f"uninstalling {name} from {manager.session.platform_id}"
    with live_progress(title, output is OutputFormat.human) as progress:
        manager.progress = progress or manager.progress
        report = manager.uninstall(name, force=force, purge_data=purge_data, confirm=confirm)
    conclude(output, report, _print_uninstall)


def _print_uninstall(report: ExtensionReport) -> None:
    print_report(report)
    for item in report.kept_data:
        console.print(f"  kept: {item}", highlight=False, markup=False)
    for item in report.deleted_data:
        console.print(f"  deleted: {item}", highlight=False, markup=False)
    for item in report.left:
        console.print(f"  left: {item}", highlight=False, markup=False)


@grouped
def upload_command(
    chart: Annotated[Path, typer.Argument(help="The chart archive (.tgz from 'helm package').")],
    *,
    where: Where,
    state_dir: StateDir = None,
    allow_cluster_scoped: bool = flag(
        "--allow-cluster-scoped", help="Accept cluster-scoped objects (ClusterRoles, CRDs...)."
    ),
    max_size: Annotated[int, typer.Option("--max-size", min=1, max=1024, help="Largest accepted archive, in MiB.")] = 5,
    output: Output = OutputFormat.human,
) -> None:
    """Check a chart archive and add it to the platform's upload catalog."""
    from helmdeck.extensions.state import default_state_dir, upload_dir
    from helmdeck.extensions.upload import MiB, UploadPolicy, accept_upload

    platform = _platform(where)
    state = state_dir or default_state_dir(platform.prefixed(platform.name))
    policy = UploadPolicy(
        admin_namespace=platform.admin_namespace,
        extensions_namespace=platform.logical_namespace("extensions"),
        max_archive_bytes=max_size * MiB,
        allow_cluster_scoped=allow_cluster_scoped,
    )
    if not chart.is_file():
        raise ConfigError(f"{chart} is not a file", where=str(chart), fix="give the path of a .tgz chart archive")
    with chart.open("rb") as fh:
        data = fh.read(policy.max_archive_bytes + 1)
    result = accept_upload(data, chart.name, upload_dir(state), policy)
    if output is OutputFormat.json:
        emit_json(result.as_dict())
    else:
        console.print(
            f"accepted {result.extension.name} {result.extension.version} into {result.path}", highlight=False
        )


app.command("list")(list_command)
app.command("show")(show_command)
app.command("install")(install_command)
app.command("uninstall")(uninstall_command)
app.command("upload")(upload_command)
