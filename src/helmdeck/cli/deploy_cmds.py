"""``plan``, ``deploy``, ``status``, ``rollback`` and ``undeploy`` (``history`` is in history_cmds)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.table import Table
from rich.text import Text

from helmdeck.cli.doctor_cmds import print_doctor_report
from helmdeck.cli.options import (
    Cluster,
    DryRunOpt,
    Env,
    Output,
    Source,
    Values,
    Where,
    flag,
    grouped,
    open_session,
    target,
)
from helmdeck.cli.output import OutputFormat, chosen, conclude, console, emit_json, err_console, print_table, show

if TYPE_CHECKING:
    from collections.abc import Mapping

    from helmdeck.app.target import Target
    from helmdeck.core.session import PlatformSession
    from helmdeck.core.status import PlatformStatus
    from helmdeck.deploy.report import DeployReport
    from helmdeck.deploy.undeploy import UndeployReport
    from helmdeck.health import FinalHealth
    from helmdeck.revisions.rollback import RollbackReport


def register(app: typer.Typer) -> None:
    for name, fn in (
        ("plan", plan_command),
        ("deploy", deploy_command),
        ("status", status_command),
        ("rollback", rollback_command),
        ("undeploy", undeploy_command),
    ):
        app.command(name)(fn)


def note_environment(session: PlatformSession) -> None:
    if session.environment_from_last_deploy:
        err_console.print(
            f"environment: {session.environment}, the one last deployed (-e chooses another)", highlight=False
        )


# --- plan -----------------------------------------------------------------------------------


@grouped
def plan_command(
    *,
    where: Where,
    env: Env = None,
    cluster: Cluster,
    values: Values,
    no_diff: bool = flag("--no-diff", help="Actions only, no manifest diff."),
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "--out-file", help="Save the plan to FILE; `deploy --plan FILE` deploys exactly it, or refuses."
        ),
    ] = None,
    source: Source,
    output: Output = OutputFormat.human,
) -> None:
    """What deploy would change: install / upgrade / unchanged / remove per component, with the diff.

    Exit code 2 when there are changes, 0 when none.
    """
    from helmdeck.app.opening import LastDeployed, opened
    from helmdeck.cli.plan_view import print_plan
    from helmdeck.cli.saved_plan import save_plan
    from helmdeck.plan.planner import make_plan

    with opened(target(where, env, cluster, values, source), last_deployed=LastDeployed.adopt) as session:
        note_environment(session)
        plan = make_plan(session, with_diff=not no_diff)
        if out is not None:
            save_plan(session, plan, out)
    if output is OutputFormat.json:
        emit_json({**plan.as_dict(), "planFile": str(out) if out else None})
    else:
        print_plan(plan, out)
    raise typer.Exit(2 if plan.has_changes else 0)


# --- deploy ---------------------------------------------------------------------------------


def print_unhealthy(unhealthy: Mapping[str, FinalHealth]) -> None:
    """Components that are not healthy at the end of an operation, touched by it or not."""
    for name, h in unhealthy.items():
        console.print(f"[bold red]{name} is {h['health']}[/] after the operation: {h['reason']}", highlight=False)


def print_deploy_report(report: DeployReport) -> None:
    from helmdeck.deploy.report import Outcome

    table = Table(
        title=f"deploy of platform {report.platform}" + (f" ({report.environment})" if report.environment else "")
    )
    for col in ("component", "namespace", "outcome", "revision", "chart", "time", "detail"):
        table.add_column(col, overflow="fold")
    colors = {
        Outcome.installed: "green",
        Outcome.upgraded: "green",
        Outcome.unchanged: "dim",
        Outcome.failed: "bold red",
        Outcome.skipped: "yellow",
        Outcome.removed: "yellow",
    }
    for c in report.components:
        detail = c.message.splitlines()[0] if c.message else ""
        if c.rollback:
            detail += f"; {c.rollback}"
        if c.recovered:
            detail = f"recovered: {c.recovered}; {detail}"
        table.add_row(
            c.name,
            c.namespace,
            f"[{colors[c.outcome]}]{c.outcome.value}[/]",
            str(c.revision or "-"),
            c.chart or "-",
            f"{c.seconds:.1f}s",
            detail,
        )
    console.print(table)
    for c in report.components:
        if c.outcome is Outcome.failed and c.failure_text:
            console.rule(f"[red]{c.name} failed")
            for line in c.failure_text:
                console.print(line, highlight=False, markup=False)
    print_unhealthy(report.unhealthy())
    if report.took_over_from:
        err_console.print(f"took over the platform lock from {report.took_over_from}, whose lease had expired")
    if report.interrupted:
        done = [c.name for c in report.components if c.name not in report.not_started()]
        console.print(f"interrupted: done: {', '.join(done) or 'nothing'}", highlight=False)
        console.print(f"  not started: {', '.join(report.not_started()) or 'nothing'}", highlight=False)
    verdict = "[green]deployed[/]" if report.ok else "[bold red]deploy failed[/]"
    if report.interrupted:
        verdict = "[yellow]deploy interrupted[/]"
    if not report.recorded:
        console.print(
            f"{verdict} in {report.seconds:.1f}s; nothing changed, platform revision {report.platform_revision} stays"
        )
        return
    console.print(f"{verdict} in {report.seconds:.1f}s; platform revision {report.platform_revision}")
    if report.timeline is not None and report.platform_revision is not None:
        floor = report.timeline.floor()
        console.print(
            f"[dim]readiness waits along the critical chain (the floor): {floor:.1f}s; "
            f"helmdeck history show {report.platform_revision} --timeline draws where the time went[/]",
            highlight=False,
        )


@grouped
def deploy_command(
    *,
    where: Where,
    env: Env = None,
    only: Annotated[list[str] | None, typer.Option("--only", help="Deploy only these components.")] = None,
    parallel: Annotated[
        int,
        typer.Option(
            "--parallel",
            min=1,
            max=32,
            help="Helm writes at once (components waiting on their health gates do not count).",
        ),
    ] = 4,
    no_preflight: bool = flag("--no-preflight", help="Skip the preflight checks (helmdeck doctor)."),
    allow_destructive: bool = flag(
        "--allow-destructive",
        help="Deploy even when it deletes data (claims, CRDs) or must replace objects (see `plan`).",
    ),
    cluster: Cluster,
    values: Values,
    source: Source,
    plan_file: Annotated[
        Path | None,
        typer.Option(
            "--plan", help="Deploy exactly this saved plan (`plan --out`); refused if anything changed since."
        ),
    ] = None,
    output: Output = OutputFormat.human,
) -> None:
    """Install or upgrade every component in dependency order, each gated on health.

    With --bundle the platform, its charts and values come from an offline bundle (verified first);
    --offline refuses anything that needs the network, naming it.
    """
    from helmdeck.cli.saved_plan import open_plan

    planned = None
    if plan_file is not None:
        planned, env, instance = open_plan(plan_file, env, where.instance, only)
        where = replace(where, instance=instance)
    chosen = target(where, env, cluster, values, source)
    report = _deploy_target(chosen, planned, plan_file, only, parallel, no_preflight, output, allow_destructive)
    _finish_deploy(report, plan_file, output)


def _deploy_target(
    chosen: Target,
    planned: dict[str, Any] | None,
    plan_file: Path | None,
    only: list[str] | None,
    parallel: int,
    no_preflight: bool,
    output: OutputFormat,
    allow_destructive: bool,
) -> DeployReport:
    """Open the platform and deploy it, checked against the saved plan first when there is one."""
    from helmdeck.app.opening import LastDeployed, opened
    from helmdeck.cli.saved_plan import plan_guard

    with opened(chosen, last_deployed=LastDeployed.adopt) as session:
        human = output is OutputFormat.human
        guard = plan_guard(session, planned, plan_file, human=human) if planned is not None and plan_file else None
        return _deploy(session, only, parallel, no_preflight, output, allow_destructive, before_changes=guard)


def _finish_deploy(report: DeployReport, plan_file: Path | None, output: OutputFormat) -> NoReturn:
    """Show the report; the exit code says interrupted (130), failed (1) or deployed (0)."""
    if output is OutputFormat.json:
        emit_json({**report.as_dict(), "planFile": str(plan_file) if plan_file else None})
    else:
        print_deploy_report(report)
    raise typer.Exit(130 if report.interrupted else 0 if report.ok else 1)


def _deploy(
    session: PlatformSession,
    only: list[str] | None,
    parallel: int,
    no_preflight: bool,
    output: OutputFormat,
    allow_destructive: bool = False,
    before_changes: Callable[[], None] | None = None,
) -> DeployReport:
    from helmdeck.app.deploy import deploy_platform
    from helmdeck.cli.interrupt import graceful_interrupt
    from helmdeck.cli.progress import live_progress
    from helmdeck.doctor.findings import PreflightFailed

    note_environment(session)
    order = [n for level in session.platform.topological_order() for n in level if not only or n in only]
    with (
        graceful_interrupt() as interrupt,
        live_progress(f"deploying {session.platform_id}", output is OutputFormat.human, order) as progress,
    ):
        try:
            return deploy_platform(
                session,
                only=only or (),
                parallel=parallel,
                progress=progress,
                preflight=not no_preflight,
                allow_destructive=allow_destructive,
                interrupt=interrupt,
                before_changes=before_changes,
            )
        except PreflightFailed as failed:
            if output is OutputFormat.human:
                print_doctor_report(failed.report)
            raise


# --- status ---------------------------------------------------------------------------------


def print_status(status: PlatformStatus) -> None:
    wide = chosen.wide
    table = Table(title=f"platform {status.platform}")
    # names never wrap mid-word: at 80 columns they are cut with an ellipsis, -o wide shows them whole
    for col in ("component", "namespace", *(("release",) if wide else ()), "status", "revision", "chart"):
        table.add_column(col, no_wrap=True, overflow="ellipsis")
    table.add_column("health", no_wrap=True)
    if wide:
        table.add_column("not ready", no_wrap=True)
    table.add_column("reason")
    colors = {"healthy": "green", "progressing": "cyan", "failed": "bold red", "absent": "dim", "unknown": "yellow"}
    # cells are Text, not markup: a reason is the cluster's words ("containers with unready status:
    # [app]"), which markup would cut or turn into emoji; and parsing 7 cells of markup per row was
    # a fifth of printing a large platform's table
    for c in status.components:
        row = [c.name + (f" (ext {c.extension})" if c.extension else ""), c.namespace]
        if wide:
            row.append(c.release)
        row += [c.status, str(c.revision or "-"), c.chart or "-"]
        cells = [Text(cell) for cell in row]
        cells.append(Text.assemble((str(c.health), colors.get(c.health, ""))))  # the word coloured, not its cell
        if wide:
            refs = [o.get("object") or {} for o in c.objects]
            cells.append(Text(", ".join(f"{r.get('kind')}/{r.get('name')}" for r in refs) or "-"))
        table.add_row(*cells, Text(c.reason))
    print_table(table)
    for c in status.components:
        for pod in c.failing_pods:
            console.print(
                f"  {c.name}: pod {pod.get('name')} {pod.get('health', {}).get('reason', '')}",
                highlight=False,
                markup=False,
                emoji=False,
            )


@grouped
def status_command(
    *,
    where: Where,
    cluster: Cluster,
    watch: bool = flag("--watch", "-w", help="Refresh until interrupted."),
    interval: Annotated[
        float, typer.Option("--interval", min=0.2, max=3600, help="Seconds between refreshes with --watch.")
    ] = 2.0,
    output: Output = OutputFormat.human,
) -> None:
    """Each component's release, revision, chart and health, with failing pods and why."""
    from helmdeck.app.opening import open_platform
    from helmdeck.core.status import platform_status
    from helmdeck.gc_policy import paused

    with paused():
        # status asks from this thread alone: no decoding tables built up front for threads it never starts
        session = open_platform(target(where, None, cluster), concurrent=False)
    while True:
        with paused():
            status = platform_status(session)
            if output is OutputFormat.json:
                emit_json(status.as_dict())
            else:
                if watch:
                    console.clear()
                print_status(status)
        if not watch:
            raise typer.Exit(0 if status.healthy else 1)
        time.sleep(interval)


# --- history and rollback -------------------------------------------------------------------


@grouped
def rollback_command(
    revision: Annotated[
        int | None, typer.Argument(min=1, max=10**9, help="Platform revision (default: the previous good one).")
    ] = None,
    *,
    where: Where,
    cluster: Cluster,
    dry_run: DryRunOpt = False,
    output: Output = OutputFormat.human,
) -> None:
    """Bring every component back to the release revision recorded in a platform revision."""
    from helmdeck.cli.progress import live_progress
    from helmdeck.revisions.rollback import rollback_platform

    session = open_session(where, cluster)
    if dry_run:
        from helmdeck.cli.dry_run import print_rollback_preview
        from helmdeck.revisions.rollback_preview import preview_rollback

        show(output, preview_rollback(session, revision), print_rollback_preview)
        return
    with live_progress(f"rolling back {session.platform_id}", output is OutputFormat.human) as progress:
        report = rollback_platform(session, revision, progress=progress)
    conclude(output, report, print_rollback_report)


def print_rollback_report(report: RollbackReport) -> None:
    if report.nothing_to_do:
        console.print(report.summary(), highlight=False)
        return
    for step in report.steps:
        console.print(f"  {step.component}: {step.action} {step.detail}", highlight=False)
    print_unhealthy(report.unhealthy())
    for restored in report.restored_secrets:
        err_console.print(f"[yellow]warning:[/] {restored.message()}", highlight=False)
    summary = report.summary()
    console.print(summary if report.ok else f"[bold red]{summary}[/]", highlight=False)


# --- undeploy -------------------------------------------------------------------------------


@grouped
def undeploy_command(
    *,
    where: Where,
    purge_data: bool = flag("--purge-data", help="Also delete volumes (PVCs), secrets and history."),
    yes: bool = flag("--yes", "-y", help="Do not ask before purging data."),
    cluster: Cluster,
    dry_run: DryRunOpt = False,
    output: Output = OutputFormat.human,
) -> None:
    """Remove every release (reverse dependency order). Data stays unless --purge-data."""
    from helmdeck.app.undeploy import data_to_purge, undeploy_platform
    from helmdeck.cli.confirm import confirm_purge
    from helmdeck.cli.progress import live_progress

    session = open_session(where, cluster)
    if dry_run:
        from helmdeck.cli.dry_run import print_undeploy_preview
        from helmdeck.deploy.undeploy_preview import preview_undeploy

        preview = preview_undeploy(session, purge_data=purge_data)
        show(output, preview, lambda p: print_undeploy_preview(p, purge_data=purge_data))
        return
    confirm = None
    if purge_data:
        confirm = confirm_purge(data_to_purge(session), yes=yes)
    if not purge_data and output is OutputFormat.human:
        err_console.print(
            f"undeploying {session.platform_id}: every release is removed; "
            "the platform's volume claims (in any namespace), secrets and history are kept"
        )
    with live_progress(f"undeploying {session.platform_id}", output is OutputFormat.human) as progress:
        report = undeploy_platform(session, purge_data=purge_data, confirm=confirm, progress=progress)
    conclude(output, report, lambda r: print_undeploy_report(r, session.platform_id))


def print_undeploy_report(report: UndeployReport, platform_id: str) -> None:
    if not report.releases:  # undeployed already, or never deployed: say so, not "undeployed"
        console.print(f"  no releases to uninstall: platform {platform_id} has none in the cluster")
    for r in report.releases:
        mark = "removed" if r.ok else "[bold red]FAILED[/]"
        console.print(f"  {r.component}: {mark} (was {r.status_before}) {r.note}".rstrip(), highlight=False)
    for item in report.kept:
        console.print(f"  kept: {item}", highlight=False)
    for item in report.deleted:
        console.print(f"  deleted: {item}", highlight=False)
    for ns in report.fates:
        console.print(f"  {ns.sentence(done=True)}", highlight=False, markup=False)
    for left in report.left:
        console.print(f"  left: {left}", highlight=False, markup=False)
    console.print(f"undeployed in {report.seconds:.1f}s" if report.ok else "[bold red]undeploy incomplete[/]")
