"""``helmdeck history``: the platform revisions; ``history show REV`` one of them, and with
``--timeline`` where its deploy's time went (a Gantt chart, SVG or HTML with ``--out``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from helmdeck.cli.options import Cluster, Output, Where, flag, grouped, open_session
from helmdeck.cli.output import OutputFormat, console, emit_json, err_console
from helmdeck.spec import DEFAULT_FILE

if TYPE_CHECKING:
    from helmdeck.revisions.store import PlatformRevision, RevisionStore

app = typer.Typer(help="Platform revisions: every deploy and rollback; `history show REV --timeline` draws a deploy.")

TIMELINE_FORMATS = (".svg", ".html", ".htm")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="history")


def _store(where: Where, cluster: Cluster) -> RevisionStore:
    from helmdeck.revisions.store import RevisionStore

    session = open_session(where, cluster)
    return RevisionStore(session.client, session.admin_namespace, session.platform_id)


@app.callback(invoke_without_command=True)
@grouped
def history_command(
    ctx: typer.Context,
    *,
    where: Where,
    cluster: Cluster,
    output: Output = OutputFormat.human,
) -> None:
    """The platform revisions: every deploy and rollback, with each component's release revision."""
    if ctx.invoked_subcommand is not None:
        given = (
            where.file != Path(DEFAULT_FILE)
            or where.instance
            or cluster.kubeconfig
            or cluster.context
            or output is not OutputFormat.human
        )
        if given:
            raise typer.BadParameter(
                f"options before '{ctx.invoked_subcommand}' list the history; give them after it, "
                f"e.g. helmdeck history {ctx.invoked_subcommand} REV -f platform.yaml -o json"
            )
        return
    from helmdeck.revisions.timeline import listed_revision

    store = _store(where, cluster)
    revisions = store.list()
    if output is OutputFormat.json:
        emit_json({"platform": store.platform, "revisions": [listed_revision(r.to_json()) for r in revisions]})
        return
    table = Table(title=f"history of platform {store.platform}")
    for col in ("rev", "created", "operation", "env", "result", "user", "took (floor)", "components"):
        table.add_column(col, overflow="fold")
    for r in revisions:
        comps = ", ".join(f"{n}@{c.revision}" for n, c in sorted(r.components.items()))
        summary = listed_revision(r.to_json())["timelineSummary"]
        took = f"{summary['seconds']:.1f}s ({summary['floor']:.1f}s)" if summary else "-"
        table.add_row(str(r.revision), r.created, r.operation, r.environment or "-", r.result, r.user, took, comps)
    console.print(table)


@app.command("show")
@grouped
def show_command(
    revision: Annotated[int, typer.Argument(help="The platform revision (see `helmdeck history`).")],
    timeline: bool = flag(
        "--timeline",
        help="Where the deploy's time went: each component's render, install and readiness waits, "
        "the critical chain and the floor.",
    ),
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "--out-file", help="With --timeline: write the chart to FILE.svg, or FILE.html embedding it."
        ),
    ] = None,
    *,
    where: Where,
    cluster: Cluster,
    output: Output = OutputFormat.human,
) -> None:
    """One platform revision: its components, or with --timeline its deploy's timeline."""
    if out is not None and not timeline:
        raise typer.BadParameter("--out writes the timeline's chart: add --timeline")
    if out is not None and out.suffix.lower() not in TIMELINE_FORMATS:
        raise typer.BadParameter(f"--out {out}: the chart is written as .svg or .html, not {out.suffix or 'no suffix'}")
    store = _store(where, cluster)
    rev = store.get(revision)
    if not timeline:
        _show_revision(rev, output)
        return
    data = timeline_data(rev)
    if out is not None:
        _write_chart(out, data, f"platform {rev.platform}, revision {rev.revision}: {rev.operation}")
    if output is OutputFormat.json:
        emit_json(data)
        return
    from helmdeck.cli.timeline_view import timeline_view

    title = f"platform {rev.platform} revision {rev.revision}: {rev.operation} ({rev.result}, {rev.created})"
    # the bars take what the names and numbers leave of the terminal's width
    longest = max((len(c["component"]) for c in data["timeline"]["components"]), default=10)
    width = max(20, min(100, console.width - longest - 20))
    console.print(timeline_view(data["timeline"], title, width=width))


def timeline_data(rev: PlatformRevision) -> dict[str, Any]:
    from helmdeck.revisions.timeline import revision_timeline

    return revision_timeline(rev.to_json())


def _write_chart(out: Path, data: dict[str, Any], title: str) -> None:
    from helmdeck.server.timeline_svg import timeline_html, timeline_svg

    timeline = data["timeline"]
    text = timeline_svg(timeline, title) if out.suffix.lower() == ".svg" else timeline_html(timeline, title)
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        from helmdeck.errors import ConfigError

        raise ConfigError(f"cannot write {out}: {exc.strerror or exc}", fix="pick a writable path for --out") from exc
    err_console.print(f"wrote {out}", highlight=False)


def _show_revision(rev: PlatformRevision, output: OutputFormat) -> None:
    if output is OutputFormat.json:
        emit_json(rev.to_json())
        return
    console.print(
        f"platform {rev.platform} revision {rev.revision}: {rev.operation} by {rev.user}, {rev.created}, "
        f"environment {rev.environment or '-'}, {rev.result}" + (f" ({rev.message})" if rev.message else ""),
        highlight=False,
    )
    table = Table()
    for col in ("component", "release", "namespace", "chart", "revision", "status", "health"):
        table.add_column(col, overflow="fold")
    for name, c in sorted(rev.components.items()):
        chart = f"{c.chart}-{c.chart_version}"
        table.add_row(name, c.release, c.namespace, chart, str(c.revision), c.status, c.health or "-")
    console.print(table)
    if rev.timeline is not None:
        console.print(f"timeline: helmdeck history show {rev.revision} --timeline", highlight=False)
