"""``validate``, ``render`` and ``deps``: offline work on the platform file and its charts."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from helmdeck.cli.options import Cluster, Env, PlatformFile, Values, Where, flag, grouped, open_session
from helmdeck.cli.output import Output, OutputFormat, conclude, console, emit_json, err_console
from helmdeck.errors import ConfigError
from helmdeck.spec import DEFAULT_FILE
from helmdeck.wording import counted

if TYPE_CHECKING:
    from helmdeck.validation import ValidationReport


def register(app: typer.Typer) -> None:
    app.command("validate")(validate_command)
    app.command("render")(render_command)
    app.command("deps")(deps_command)


@grouped
def validate_command(
    *,
    where: Where,
    env: Env = None,
    values: Values,
    kubeconfig: Annotated[
        str | None,
        typer.Option("--kubeconfig", help="Also check against this cluster: namespaces of other platforms."),
    ] = None,
    output: Output = OutputFormat.human,
) -> None:
    """Check the platform file, render every component with Helm, and check the manifests together.

    Needs no cluster (secrets are placeholders); with --kubeconfig, objects placed in namespaces that
    belong to other platforms or instances are errors too. Exit code 1 when there are errors.
    """
    from helmdeck.cluster.namespaces import foreign_namespaces
    from helmdeck.validation import validate_platform

    session = open_session(where, Cluster(kubeconfig), env, values)
    foreign = foreign_namespaces(session.client, session.platform_id) if kubeconfig else None
    stored = session.stored_secret_names() if kubeconfig else None
    report = validate_platform(session, foreign_namespaces=foreign, stored_secrets=stored)
    conclude(output, report, lambda r: print_validation(r, with_environment=bool(env)))


def print_validation(report: ValidationReport, *, with_environment: bool) -> None:
    if report.findings:
        title = f"validation of {report.platform}" + (f" ({report.environment})" if with_environment else "")
        table = Table(title=title)
        for col in ("severity", "component", "object", "problem", "fix"):
            table.add_column(col, overflow="fold")
        colors = {"error": "bold red", "warning": "yellow", "info": "dim"}
        for f in report.findings:
            place = f.get("object") or f.get("template") or ""
            sev = f["severity"]
            table.add_row(
                f"[{colors.get(sev, '')}]{sev}[/]",
                f.get("component") or "-",
                place,
                f["reason"],
                f.get("fix") or "",
            )
        console.print(table)
    errors, warnings = len(report.errors), sum(1 for f in report.findings if f["severity"] == "warning")
    verdict = "[green]valid[/]" if report.ok else "[bold red]invalid[/]"
    console.print(
        f"{verdict}: {counted(report.rendered, 'component')} rendered, {counted(errors, 'error')}, "
        f"{counted(warnings, 'warning')}"
    )


@grouped
def render_command(
    component: Annotated[str | None, typer.Argument(help="Only this component.")] = None,
    *,
    where: Where,
    env: Env = None,
    values: Values,
    output_dir: Annotated[
        Path | None,
        typer.Option("--output-dir", help="Write one file per component here (else stdout), as helm template."),
    ] = None,
) -> None:
    """The manifests of the platform, like ``helm template``: one file per component.

    Secret values are placeholders: render never prints the real ones.
    """
    from helmdeck.secrets.store import placeholder_secrets

    session = open_session(where, env=env, values=values)
    names = [component] if component else session.platform.component_names
    if component is not None:
        session.platform.component(component)  # an unknown name fails with the closest one
    secrets = placeholder_secrets(session.platform)
    rendered = {name: session.desired_one(name, secrets) for name in names}
    if output_dir is not None:
        output_dir.mkdir(parents=True, exist_ok=True)
        for name, d in rendered.items():
            path = output_dir / f"{name}.yaml"
            path.write_text(d.rendered.template_text())
            err_console.print(f"wrote {path} ({counted(d.rendered.objects, 'object')})", highlight=False)
        return
    for name, d in rendered.items():
        sys.stdout.write(f"# component: {name} (release {d.release} in {d.namespace})\n")
        sys.stdout.write(d.rendered.template_text())
        if not d.rendered.template_text().endswith("\n"):
            sys.stdout.write("\n")


def deps_command(
    file: PlatformFile = Path(DEFAULT_FILE),
    update: bool = flag("--update", help="Resolve again and rewrite Chart.lock."),
    output: Output = OutputFormat.human,
) -> None:
    """Build each local chart's dependencies (Chart.yaml `dependencies`) and pin them in Chart.lock."""
    from helmdeck.engine import build_dependencies, dependency_status
    from helmdeck.spec import load_platform

    platform = load_platform(file)
    results: dict[str, list[dict[str, str]]] = {}
    seen: set[Path] = set()
    for comp in platform.components:
        path = comp.chart_path
        if comp.chart_kind != "dir" or path is None or path in seen or not (path / "Chart.yaml").is_file():
            continue
        seen.add(path)
        if not dependency_status(path):
            continue
        statuses = build_dependencies(path, update=update)
        results[comp.name] = [
            {"name": s.name, "version": s.version, "repository": s.repository, "status": s.status} for s in statuses
        ]
        broken = [s for s in statuses if not s.ok]
        if broken:
            raise ConfigError(
                f"chart {path}: dependencies not satisfied: "
                + ", ".join(f"{s.name} {s.version} ({s.status})" for s in broken),
                where=str(path / "Chart.yaml"),
                fix="check the repository and version in Chart.yaml, then run 'helmdeck deps --update'",
            )
    if output is OutputFormat.json:
        emit_json(results)
        return
    if not results:
        console.print("no chart of this platform declares dependencies")
    for name, deps in results.items():
        for d in deps:
            console.print(f"{name}: {d['name']} {d['version']} from {d['repository']}: {d['status']}", highlight=False)
