"""``undeploy --dry-run`` and ``rollback --dry-run``: what would happen, as a table; nothing changed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape
from rich.table import Table

from helmdeck.cli.output import console, err_console, print_table

if TYPE_CHECKING:
    from helmdeck.deploy.undeploy_preview import UndeployPreview
    from helmdeck.revisions.rollback_preview import RollbackPreview


def print_undeploy_preview(preview: UndeployPreview, *, purge_data: bool) -> None:
    table = Table(title=f"undeploy of platform {preview.platform} would uninstall (dry run)")
    for col in ("step", "component", "namespace", "release", "status", "chart", "note"):
        table.add_column(col, overflow="fold")
    for r in preview.releases:
        table.add_row(str(r.step), r.component, r.namespace, r.release, f"{r.status} rev {r.revision}", r.chart, r.note)
    if preview.releases:
        print_table(table)
    else:
        console.print("no releases to uninstall")
    for ns in preview.namespaces:
        console.print(f"  {ns.sentence(done=False)}", highlight=False, markup=False)
    for item in preview.kept_data:
        console.print(f"  kept: {item}", highlight=False, markup=False)
    for item in preview.deleted_data:
        console.print(f"  [bold red]would be deleted:[/] {escape(item)}", highlight=False)
    for left in preview.left:
        console.print(f"  left: {left}", highlight=False, markup=False)
    if not purge_data:
        console.print("data is kept; --purge-data would delete it", highlight=False)
    console.print("dry run: nothing was changed", highlight=False)


def print_rollback_preview(preview: RollbackPreview) -> None:
    title = f"rollback of platform {preview.platform} to revision {preview.target} ({preview.target_operation}, "
    table = Table(title=title + f"{preview.target_created}) would (dry run)")
    for col in ("component", "action", "namespace", "now", "after", "note"):
        table.add_column(col, overflow="fold")
    colors = {"rollback": "yellow", "install": "green", "uninstall": "red", "unchanged": "dim"}
    for c in preview.changes:
        now = f"rev {c.from_revision} {c.from_chart} ({c.from_status})" if c.from_revision else c.from_status
        after = f"rev {c.to_revision} {c.to_chart}" if c.to_revision else "uninstalled (history kept)"
        table.add_row(c.component, f"[{colors[c.action]}]{c.action}[/]", c.namespace, now, after, c.note)
    print_table(table)
    for restored in preview.restored_secrets:
        err_console.print(f"[yellow]warning:[/] {restored.message()}", highlight=False)
    counts = ", ".join(f"{n} {action}" for action, n in preview.counts().items())
    console.print(f"{counts}; dry run: nothing was changed", highlight=False)
