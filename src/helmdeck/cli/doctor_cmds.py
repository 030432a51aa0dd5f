"""``helmdeck doctor``: preflight checks of the platform against the cluster, or (``--live``) why
the deployed platform's workloads are unhealthy."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from helmdeck.cli.options import Cluster, Env, InstanceOpt, Output, PlatformFile, Values, Where, flag, grouped, target
from helmdeck.cli.output import OutputFormat, conclude, console
from helmdeck.spec import DEFAULT_FILE

if TYPE_CHECKING:
    from helmdeck.doctor.findings import DoctorReport

_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
_TITLE = {"error": "errors", "warning": "warnings", "info": "notes"}


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor_command)


def print_doctor_report(report: DoctorReport) -> None:
    """The findings as one table per severity (errors first), log lines below, then a verdict."""
    from helmdeck.doctor.findings import SEVERITIES

    what = "diagnosis" if report.mode == "live" else "preflight"
    where = f" on Kubernetes {report.cluster}" if report.cluster else ""
    who = f" as {report.user}" if report.user else ""
    env = f" ({report.environment})" if report.environment else ""
    console.print(f"{what} of platform {report.platform}{env}{where}{who}", highlight=False)
    for severity in SEVERITIES:
        findings = report.of(severity)
        if not findings:
            continue
        table = Table(title=f"[{_STYLE[severity]}]{_TITLE[severity]} ({len(findings)})[/]", title_justify="left")
        for column in ("check", "component", "object", "reason", "fix"):
            table.add_column(column, overflow="fold")
        for f in findings:
            table.add_row(f.check, f.component or "-", f.object or "-", f.reason, f.fix)
        console.print(table)
    for f in report.sorted():
        lines = f.details.get("logs")
        if lines:
            console.rule(f"{f.object}: last log lines")
            for line in lines:
                console.print(f"  | {line}", highlight=False, markup=False)
    checked = f"({', '.join(report.checks)}) in {report.seconds:.1f}s"
    if not report.findings:
        # the summary of no findings is the verdict itself: said once
        console.print(f"[green]{report.summary()}[/] {checked}")
        return
    verdict = "[green]no errors[/]" if report.ok else "[bold red]errors found[/]"
    console.print(f"{verdict}: {report.summary()} {checked}")


@grouped
def doctor_command(
    *,
    file: PlatformFile = Path(DEFAULT_FILE),
    env: Env = None,
    live: bool = flag("--live", help="Explain the deployed platform's unhealthy workloads instead."),
    offline: bool = flag("--offline", help="Also require every image to come from the platform's registry."),
    values: Values,
    cluster: Cluster,
    # after the cluster options: --instance came last, and the help keeps the order it had
    instance: InstanceOpt = None,
    output: Output = OutputFormat.human,
) -> None:
    """Check the platform against the cluster before a deploy (the deploy runs these checks too),
    or with --live explain what is wrong with the deployed one. Exit code 1 when there are errors.

    Without -e a deployed platform is checked with the environment it was last deployed with, as
    deploy's own preflight checks it."""
    from helmdeck.app.opening import LastDeployed, open_platform
    from helmdeck.cli.deploy_cmds import note_environment
    from helmdeck.doctor.live import diagnose_platform
    from helmdeck.doctor.preflight import run_preflight

    # the environment deploy would use; a kubeconfig that cannot be loaded is left to the
    # preflight's cluster check to report, as a finding
    chosen = target(Where(file, instance), env, cluster, values)
    session = open_platform(chosen, last_deployed=LastDeployed.adopt_if_reachable)
    note_environment(session)
    report = diagnose_platform(session) if live else run_preflight(session, offline=offline)
    conclude(output, report, print_doctor_report)
