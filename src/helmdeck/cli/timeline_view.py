"""A deploy timeline as a Gantt chart in the terminal: one row per component, its phases in shades
along a shared time axis, the critical chain in bold red with a marker, the floor marked on the axis.

Takes the timeline's JSON (``Timeline.as_dict``), as the SVG drawing does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

#: phase -> (character, style); a phase that overlaps another in one cell shows the later one
PHASE_CELLS: dict[str, tuple[str, str]] = {
    "preflight": ("░", "cyan"),
    "prepare": ("▒", "cyan"),
    "final-check": ("░", "cyan"),
    "render": ("░", "bright_cyan"),
    "install": ("▓", "blue"),
    "first-ready": ("▒", "yellow"),
    "last-ready": ("█", "dark_orange"),
    "undo": ("x", "magenta"),
}
_IDLE = ("·", "grey50")  # within the component's span but in none of its phases


def timeline_view(data: Mapping[str, Any], title: str = "", width: int = 60) -> RenderableType:
    """The chart; ``width`` is the bar's width in cells."""
    total = max(float(data.get("seconds") or 0.0), 0.001)
    comps = [c for c in data.get("components") or [] if c.get("start") is not None]
    comps.sort(key=lambda c: (float(c["start"]), str(c["component"])))
    chain = [str(n) for n in data.get("criticalChain") or []]
    floor = float(data.get("floor") or 0.0)

    table = Table(title=title or None, box=None, pad_edge=False, show_edge=False)
    table.add_column("component", no_wrap=True)
    table.add_column("start", justify="right")
    table.add_column("wait", justify="right")
    table.add_column(_axis(total, width, floor), no_wrap=True)
    platform = data.get("platformPhases") or []
    if platform:
        table.add_row(
            Text("(platform)", style="dim"),
            "",
            "",
            _bar(platform, None, total, width),
        )
    on_chain = set(chain)
    for c in comps:
        name = str(c["component"])
        critical = name in on_chain
        waits = [p for p in c["phases"] if p["phase"] in ("first-ready", "last-ready")]
        wait = sum(float(p["end"]) - float(p["start"]) for p in waits)
        table.add_row(
            Text(("▶ " if critical else "  ") + name, style="bold red" if critical else ""),
            f"{float(c['start']):.1f}",
            f"{wait:.1f}",
            _bar(c["phases"], (float(c["start"]), float(c["end"])), total, width),
        )
    seconds = float(data.get("seconds") or 0.0)
    ratio = f" ({seconds / floor:.2f}x)" if floor > 0 else ""
    summary = Text.assemble(
        ("deploy ", ""),
        (f"{seconds:.1f} s", "bold"),
        (", floor ", ""),
        (f"{floor:.1f} s", "bold red"),
        (ratio, ""),
        ("; critical chain: ", ""),
        (" > ".join(chain) or "-", "red"),
        (f"; overhead along it {float(data.get('overhead') or 0.0):.1f} s", ""),
    )
    return Group(table, _legend(), summary)


def _bar(phases: list[Mapping[str, Any]], span: tuple[float, float] | None, total: float, width: int) -> Text:
    cells: list[tuple[str, str]] = [(" ", "")] * width
    if span is not None:
        for i in range(_cell(span[0], total, width), _cell(span[1], total, width, end=True)):
            cells[i] = _IDLE
    for p in phases:
        look = PHASE_CELLS.get(str(p["phase"]), ("?", ""))
        for i in range(_cell(float(p["start"]), total, width), _cell(float(p["end"]), total, width, end=True)):
            cells[i] = look
    text = Text()
    for char, style in cells:
        text.append(char, style=style)
    return text


def _cell(t: float, total: float, width: int, *, end: bool = False) -> int:
    """The cell a time falls in; an end covers at least the cell its start is in."""
    pos = t / total * width
    index = int(pos) + (1 if end else 0)
    return max(0, min(width, index))


def _axis(total: float, width: int, floor: float) -> Text:
    """The header over the bars: 0, the end, and ▲ where the floor is."""
    line = [" "] * width
    end = f"{total:.1f}s"
    for i, ch in enumerate("0"):
        line[i] = ch
    for i, ch in enumerate(end):
        line[width - len(end) + i] = ch
    text = Text("".join(line))
    if floor > 0:
        at = min(width - 1, _cell(floor, total, width))
        text = Text("".join(line[:at])) + Text("▲", style="bold red") + Text("".join(line[at + 1 :]))
    return text


def _legend() -> Text:
    text = Text()
    for phase, label in (
        ("render", "render"),
        ("install", "install/upgrade"),
        ("first-ready", "wait first ready"),
        ("last-ready", "wait last ready"),
        ("undo", "rollback"),
    ):
        char, style = PHASE_CELLS[phase]
        text.append(char * 2, style=style)
        text.append(f" {label}  ")
    text.append("▲", style="bold red")
    text.append(" floor  ")
    text.append("▶", style="bold red")
    text.append(" critical chain")
    return text
