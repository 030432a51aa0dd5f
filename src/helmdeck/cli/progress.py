"""Live progress for long operations: one row per component with its state and what it waits for."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.live import Live
from rich.table import Table

from helmdeck.cli.output import err_console
from helmdeck.secrets.redact import known_redactor

_STYLE = {
    "installed": "green",
    "upgraded": "green",
    "unchanged": "dim",
    "removed": "yellow",
    "failed": "bold red",
    "skipped": "yellow",
    "rolling back": "red",
    "waiting": "cyan",
}


class ProgressTable:
    """Thread-safe: deploy workers report from their own threads. With ``log_lines`` (no terminal)
    every state change is also printed as a line, so CI logs stay readable."""

    def __init__(self, title: str, *, log_lines: bool = False) -> None:
        self.title = title
        self.rows: dict[str, tuple[str, str]] = {}
        self.lock = threading.Lock()
        self.started = time.monotonic()
        self.log_lines = log_lines

    def __call__(self, name: str, state: str, detail: str) -> None:
        detail = known_redactor().text(detail)
        with self.lock:
            changed = self.rows.get(name, ("", ""))[0] != state
            self.rows[name] = (state, detail)
        if self.log_lines and changed:
            err_console.print(f"  {name}: {state} {detail}".rstrip(), highlight=False)

    def render(self) -> Table:
        table = Table(title=f"{self.title}  ({time.monotonic() - self.started:.0f}s)", expand=False)
        table.add_column("component")
        table.add_column("state")
        table.add_column("detail", overflow="fold", max_width=90)
        with self.lock:
            rows = sorted(self.rows.items(), key=lambda kv: (kv[0] != "*", kv[0]))
        for name, (state, detail) in rows:
            style = _STYLE.get(state, "")
            table.add_row(name, f"[{style}]{state}[/]" if style else state, detail)
        return table


@contextmanager
def live_progress(title: str, enabled: bool) -> Iterator[ProgressTable | None]:
    """A live table on stderr when it is a terminal; plain lines otherwise."""
    if not enabled:
        yield None
        return
    if not err_console.is_terminal:
        yield ProgressTable(title, log_lines=True)
        return
    table = ProgressTable(title)
    with Live(get_renderable=table.render, console=err_console, refresh_per_second=4, transient=True):
        yield table
