"""The live deploy view: every component from the start in dependency order, an "N/M" counter, and
without a terminal a line per state change and one at least every HEARTBEAT_SECONDS."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from helmdeck.cli import progress as progress_module
from helmdeck.cli.progress import ProgressTable


@pytest.fixture
def printed(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    out = io.StringIO()
    monkeypatch.setattr(progress_module, "err_console", Console(file=out, width=200, no_color=True))
    return out


def _text(table: ProgressTable) -> str:
    out = io.StringIO()
    Console(file=out, width=200, no_color=True).print(table.render())
    return out.getvalue()


def test_components_show_from_the_start_in_dependency_order() -> None:
    table = ProgressTable("deploying lab")
    table.expect(["mongo", "redis", "backend", "viewer"])
    table("*", "preparing", "secrets and rendering")
    table("viewer", "installing", "viewer-1.0.0")
    text = _text(table)
    rows = [line.split("│")[1].strip() for line in text.splitlines() if line.startswith("│")]
    assert rows == ["*", "mongo", "redis", "backend", "viewer"]
    assert "0/4" in text and text.count("pending") == 3


def test_the_counter_counts_components_whose_part_is_over() -> None:
    table = ProgressTable("deploying lab")
    table.expect(["a", "b", "c"])
    table("a", "installed", "revision 1")
    table("b", "failed", "timed out")
    table("c", "waiting", "health gate")
    assert table.counter() == "2/3"


def test_without_a_terminal_a_line_per_change_and_a_heartbeat(
    printed: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [100.0]
    monkeypatch.setattr(progress_module.time, "monotonic", lambda: now[0])
    table = ProgressTable("deploying lab", log_lines=True)
    table.expect(["db", "api"])
    table("db", "waiting", "StatefulSet/db: 0/1 ready")
    table("db", "waiting", "StatefulSet/db: 0/1 ready")  # no change, no line
    assert printed.getvalue().splitlines() == ["  db: waiting StatefulSet/db: 0/1 ready  [0/2]"]
    now[0] += progress_module.HEARTBEAT_SECONDS - 1
    table.heartbeat()
    assert len(printed.getvalue().splitlines()) == 1  # not yet
    now[0] += 2
    table.heartbeat()
    last = printed.getvalue().splitlines()[-1]
    assert last.startswith("  still at work after 31s [0/2]: db: waiting StatefulSet/db")
    assert "api" not in last  # pending components are not at work
    table("db", "installed", "revision 1")
    table("api", "installed", "revision 1")
    now[0] += 100
    table.heartbeat()  # nothing under way: silence is right
    assert printed.getvalue().splitlines()[-1] == "  api: installed revision 1  [2/2]"
