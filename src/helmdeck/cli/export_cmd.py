"""``helmdeck export --flux|--argocd``: the platform as GitOps manifests in a directory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from helmdeck.cli.options import Env, GitValues, OptionGroup, Where, flag, grouped, target
from helmdeck.cli.output import Output, OutputFormat, console, err_console, print_table, show
from helmdeck.errors import ConfigError
from helmdeck.wording import counted

if TYPE_CHECKING:
    from helmdeck.gitops import ExportResult, GitopsTool


@dataclass(frozen=True)
class ExportOptions(OptionGroup):
    """Where the exported objects live and point, which values files are secrets, and how Argo CD syncs them."""

    namespace: Annotated[
        str | None,
        typer.Option(
            "--namespace",
            help="Namespace of the exported objects (default: the platform's admin namespace for Flux, "
            "argocd for Argo CD).",
        ),
    ] = None
    git_url: Annotated[
        str | None,
        typer.Option("--git-url", help="Repository the local charts are pushed to (default: the origin remote)."),
    ] = None
    git_branch: Annotated[
        str | None, typer.Option("--git-branch", help="Branch of --git-url (default: the current branch).")
    ] = None
    secret: Annotated[
        list[Path] | None,
        typer.Option("--secret", help="Treat this values file as a secret: referenced as a Secret, never copied."),
    ] = None
    project: Annotated[str, typer.Option("--project", help="Argo CD project of the Applications.")] = "default"
    auto_sync: Annotated[bool, typer.Option("--auto-sync", help="Argo CD: sync automatically (prune, self-heal).")] = (
        False
    )


def register(app: typer.Typer) -> None:
    app.command("export")(export_command)


@grouped
def export_command(
    output_dir: Annotated[
        Path, typer.Option("--output-dir", help="Write the manifests here (created if missing), as render does.")
    ],
    flux: bool = flag("--flux", help="Flux HelmReleases (helm.toolkit.fluxcd.io/v2)."),
    argocd: bool = flag("--argocd", help="Argo CD Applications (argoproj.io/v1alpha1)."),
    *,
    where: Where,
    env: Env = None,
    # no --set-file: the export is committed to Git, and a file's text would be copied into it
    # in the clear (a values file marked --secret becomes a Secret reference instead)
    values: GitValues,
    options: ExportOptions,
    output: Output = OutputFormat.human,
) -> None:
    """The platform as GitOps manifests: a Flux HelmRelease or an Argo CD Application per component.

    Dependencies become dependsOn (Flux) or sync waves (Argo CD); plain values are written out,
    secret values only as references to Kubernetes Secrets. Needs no cluster.
    """
    tool = _check_tool(flux, argocd, options)
    result = _write_export(tool, output_dir, where, env, values, options)
    show(output, result, lambda r: _show_export(r, tool.value, env))


def _check_tool(flux: bool, argocd: bool, options: ExportOptions) -> GitopsTool:
    """The one GitOps tool chosen, with only options it takes."""
    from helmdeck.gitops import GitopsTool

    if flux == argocd:
        raise ConfigError(
            "choose one GitOps tool" if flux else "no GitOps tool chosen",
            where="--flux/--argocd",
            fix="pass either --flux or --argocd",
        )
    tool = GitopsTool.flux if flux else GitopsTool.argocd
    if tool is GitopsTool.flux and (options.project != "default" or options.auto_sync):
        raise ConfigError(
            "--project and --auto-sync are Argo CD options",
            where="--project/--auto-sync",
            fix="drop them, or export with --argocd",
        )
    return tool


def _write_export(
    tool: GitopsTool,
    output_dir: Path,
    where: Where,
    env: str | None,
    values: GitValues,
    options: ExportOptions,
) -> ExportResult:
    from helmdeck.app.rules import target_platform
    from helmdeck.gitops import export_platform
    from helmdeck.values.layers import check_umbrella_input

    platform = target_platform(target(where))
    files, sets = list(values.values or ()), values.flags()
    check_umbrella_input(platform, sets, files)
    return export_platform(
        platform,
        env,
        tool,
        output_dir,
        namespace=options.namespace,
        git_url=options.git_url,
        git_branch=options.git_branch,
        project=options.project,
        auto_sync=options.auto_sync,
        cli_files=files,
        cli_sets=sets,
        secret_files=options.secret or [],
    )


def _show_export(result: ExportResult, tool: str, env: str | None) -> None:
    table = Table(title=f"{tool} export of {result.platform}" + (f" ({env})" if env else ""))
    for col in ("component", "namespace", "needs", "wave", "chart", "secrets by reference"):
        table.add_column(col, overflow="fold")
    for c in result.components:
        refs = [s["secret"] for s in c["secretValues"]] + [f["file"] for f in c["secretFiles"]]
        table.add_row(
            c["name"], c["namespace"], ", ".join(c["dependsOn"]) or "-", str(c["syncWave"]), c["chart"], ", ".join(refs)
        )
    print_table(table)
    for s in result.secrets_to_create:
        err_console.print(
            f"[yellow]to create:[/] Secret {s['namespace']}/{s['name']} (key values.yaml) from {s['from']}",
            highlight=False,
        )
    console.print(
        f"[green]wrote[/] {counted(result.files, 'file')} to {result.directory} "
        f"(objects in namespace {result.namespace}); "
        f"see {result.directory / 'README.md'}",
        highlight=False,
    )
