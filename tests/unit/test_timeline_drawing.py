"""The deploy timeline drawn: the SVG (well-formed, CSP-safe, the critical chain and the floor
marked), the terminal Gantt chart, and ``history show REV --timeline`` on the in-memory fakes."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from helmdeck.cli import history_cmds
from helmdeck.cli.timeline_view import timeline_view
from helmdeck.deploy.executor import Deployer
from helmdeck.revisions.timeline import FIRST_READY, INSTALL, LAST_READY, ComponentTimeline, Span, Timeline
from helmdeck.server.timeline_svg import timeline_html, timeline_svg
from tests.fakes import fake_session, session_on, write_platform_file

HELLO = Path(__file__).resolve().parents[2] / "examples" / "charts" / "hello"
SVG = "{http://www.w3.org/2000/svg}"


def sample() -> dict[str, Any]:
    t = Timeline(seconds=12.0, platform={"preflight": Span(0.0, 0.8), "prepare": Span(0.8, 1.0)})
    for name, needs, start, wait in (
        ("db", (), 1.0, 4.0),
        ("cache", (), 1.0, 1.0),
        ("api<&>", ("db", "cache"), 5.6, 3.0),
        ("ui", ("api<&>",), 9.1, 2.0),
    ):
        gate = start + 0.4
        t.components[name] = ComponentTimeline(
            name,
            needs,
            "installed",
            Span(start, gate + wait),
            {
                INSTALL: Span(start, gate),
                FIRST_READY: Span(gate, gate + 0.5),
                LAST_READY: Span(gate + 0.5, gate + wait),
            },
        )
    return t.as_dict()


def test_the_svg_is_well_formed_csp_safe_and_marks_the_chain_and_the_floor() -> None:
    data = sample()
    text = timeline_svg(data, "platform x, revision 3")
    root = ET.fromstring(text)  # well-formed, names escaped
    assert root.tag == f"{SVG}svg"
    rows = {g.get("data-row"): g.get("data-critical") for g in root.iter(f"{SVG}g") if g.get("data-row")}
    assert rows == {"(platform)": "false", "db": "true", "cache": "false", "api<&>": "true", "ui": "true"}
    phases = {r.get("data-phase") for r in root.iter(f"{SVG}rect") if r.get("data-phase")}
    assert phases == {"preflight", "prepare", "install", "first-ready", "last-ready"}
    floor = [g for g in root.iter(f"{SVG}g") if g.get("data-testid") == "floor"]
    assert len(floor) == 1 and "floor 9.0 s" in "".join(floor[0].itertext())
    # the page's Content-Security-Policy allows no script, no style element and no style attribute
    assert not any(el.tag in (f"{SVG}script", f"{SVG}style") or "style" in el.attrib for el in root.iter())
    assert "http" not in text.replace("http://www.w3.org/2000/svg", "")  # nothing fetched


def test_the_html_file_embeds_the_svg_without_script() -> None:
    page = timeline_html(sample(), "t")
    assert page.startswith("<!doctype html>") and "<svg" in page and "<script" not in page


def test_an_empty_timeline_still_draws() -> None:
    ET.fromstring(timeline_svg(Timeline().as_dict()))


def test_the_terminal_chart_marks_the_chain_and_the_floor() -> None:
    console = Console(record=True, width=140, color_system=None)
    console.print(timeline_view(sample(), "deploy"))
    out = console.export_text()
    lines = {
        line.split()[1] if line.lstrip().startswith("▶") else line.split()[0]: line
        for line in out.splitlines()
        if line.strip()
    }
    assert "▶" in lines["db"] and "▶" in lines["ui"] and "▶" not in lines["cache"]
    assert "floor 9.0 s" in out and "▲" in out
    assert "█" in lines["db"]  # its install / readiness shades


# --- history show REV --timeline -------------------------------------------------------------


@pytest.fixture
def deployed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = write_platform_file(
        tmp_path,
        "fk",
        f"""
        components:
          - {{name: db, chart: {HELLO}, namespace: fk-data}}
          - {{name: api, chart: {HELLO}, namespace: fk-app, needs: [db]}}
        """,
    )
    session, kube, engine = fake_session(path)
    assert Deployer(session, preflight=False).run().ok
    monkeypatch.setattr(history_cmds, "open_session", lambda *a, **k: session_on(path, kube, engine))
    return path


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        return None

    history_cmds.register(app)
    return app


def test_history_show_timeline_gives_the_data_and_writes_svg_and_html(deployed: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(_app(), ["history", "show", "1", "--timeline", "-o", "json", "-f", str(deployed)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["revision"] == 1 and data["operation"] == "deploy"
    comps = {c["component"]: c for c in data["timeline"]["components"]}
    assert set(comps) == {"db", "api"} and data["timeline"]["criticalChain"] == ["db", "api"]
    assert all({"install", "first-ready", "last-ready"} <= {p["phase"] for p in c["phases"]} for c in comps.values())

    svg, html = tmp_path / "t.svg", tmp_path / "t.html"
    assert runner.invoke(_app(), ["history", "show", "1", "--timeline", "--out", str(svg)]).exit_code == 0
    assert runner.invoke(_app(), ["history", "show", "1", "--timeline", "--out", str(html)]).exit_code == 0
    ET.fromstring(svg.read_text())
    assert "<svg" in html.read_text()

    human = runner.invoke(_app(), ["history", "show", "1", "--timeline"])
    assert human.exit_code == 0 and "▶ db" in human.stdout and "floor" in human.stdout


def test_history_still_lists_and_show_explains_a_missing_timeline(deployed: Path) -> None:
    runner = CliRunner()
    listed = runner.invoke(_app(), ["history", "-o", "json"])
    assert listed.exit_code == 0 and json.loads(listed.stdout)["revisions"][0]["revision"] == 1
    plain = runner.invoke(_app(), ["history", "show", "1"])
    assert plain.exit_code == 0 and "history show 1 --timeline" in plain.stdout
    bad = runner.invoke(_app(), ["history", "show", "1", "--timeline", "--out", "chart.png"])
    assert bad.exit_code == 2 and ".svg or .html" in bad.output
    misplaced = runner.invoke(_app(), ["history", "-o", "json", "show", "1"])
    assert misplaced.exit_code == 2 and "give them after it" in misplaced.output


def test_a_revision_without_a_timeline_is_an_error_saying_why() -> None:
    from helmdeck.errors import ConfigError
    from helmdeck.revisions.store import PlatformRevision

    rev = PlatformRevision(2, "fk", None, "", "rollback", "ana")
    with pytest.raises(ConfigError, match="only deploys record a timeline"):
        history_cmds.timeline_data(rev)
