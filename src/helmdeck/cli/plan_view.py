"""``helmdeck plan``'s human output: the actions table, then each component's diff and drift."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.table import Table

from helmdeck.cli.output import console, err_console

if TYPE_CHECKING:
    from helmdeck.plan.planner import Plan


def plan_table(plan: Plan) -> Table:
    from helmdeck.plan.planner import Action

    table = Table(title=f"plan for platform {plan.platform}" + (f" ({plan.environment})" if plan.environment else ""))
    for col in ("component", "namespace", "action", "state", "chart", "live", "why"):
        table.add_column(col)
    colors = {
        Action.install: "green",
        Action.upgrade: "yellow",
        Action.remove: "red",
        Action.unchanged: "dim",
        Action.blocked: "bold red",
    }
    for c in plan.components:
        live = f"rev {c.live_revision} {c.live_status}" if c.live_revision else "-"
        state = c.state.value if c.state is not None else "-"
        action = f"[{colors[c.action]}]{c.action.value}[/]"
        table.add_row(c.name, c.namespace, action, state, c.chart or "-", live, c.reason)
    return table


def print_changes(plan: Plan) -> None:
    """Each component's manifest diff and drift, then the destructive changes deploy refuses."""
    from helmdeck.cli.saved_plan import diff_text

    for c in plan.components:
        if c.diff:
            console.rule(f"{c.name}: {c.action.value}")
            console.print(diff_text(c.diff), highlight=False)
        if c.drift:
            console.rule(f"{c.name}: drift (deploy re-applies the release)")
            for line in c.drift:
                console.print(f"  {line}", highlight=False, markup=False)
    if plan.destructive:
        console.rule("[bold red]destructive changes[/] (deploy refuses them without --allow-destructive)")
        for change in plan.destructive:
            console.print(f"  [red]{change.change}[/] {change}", highlight=False)


def print_plan(plan: Plan, out: Path | None) -> None:
    console.print(plan_table(plan))
    print_changes(plan)
    if plan.placeholder_secrets:
        err_console.print("note: some secrets are not generated yet; the plan used placeholders for them")
    if out is not None:
        console.print(f"saved the plan to {out}: `helmdeck deploy --plan {out}` deploys exactly it", highlight=False)
    console.print(f"plan: {plan.summary()}" + ("" if plan.has_changes else " (no changes)"), highlight=False)
