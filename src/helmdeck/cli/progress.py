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
    "pending": "dim",
}


#: states after which a component's part of the operation is over
FINAL = frozenset({"installed", "upgraded", "unchanged", "removed", "failed", "skipped", "rolled back"})
#: without a terminal, a line at least this often while anything is still under way
HEARTBEAT_SECONDS = 30.0


class ProgressTable:
    """Thread-safe: deploy workers report from their own threads. With ``log_lines`` (no terminal)
    every state change is also printed as a line, so CI logs stay readable."""

    def __init__(self, title: str, *, log_lines: bool = False) -> None:
        self.title = title
        self.rows: dict[str, tuple[str, str]] = {}
        self.order: dict[str, int] = {}
        self.lock = threading.Lock()
        self.started = time.monotonic()
        self.last_line = self.started
        self.log_lines = log_lines

    def expect(self, names: list[str]) -> None:
        """Show these components from the start, in this (dependency) order, as pending."""
        with self.lock:
            for name in names:
                self.order.setdefault(name, len(self.order))
                self.rows.setdefault(name, ("pending", ""))

    def __call__(self, name: str, state: str, detail: str) -> None:
        detail = known_redactor().text(detail)
        with self.lock:
            changed = self.rows.get(name, ("", ""))[0] != state
            self.rows[name] = (state, detail)
            self.order.setdefault(name, len(self.order))
        if self.log_lines and changed:
            self._line(f"  {name}: {state} {detail}".rstrip() + f"  [{self.counter()}]")

    def _line(self, text: str) -> None:
        self.last_line = time.monotonic()
        err_console.print(text, highlight=False)

    def counter(self) -> str:
        """ "3/7": components whose part is over, of all expected."""
        with self.lock:
            components = [state for name, (state, _) in self.rows.items() if name != "*"]
        return f"{sum(state in FINAL for state in components)}/{len(components)}"

    def heartbeat(self) -> None:
        """Without a terminal: when nothing was printed for a while, what is still under way."""
        now = time.monotonic()
        if not self.log_lines or now - self.last_line < HEARTBEAT_SECONDS:
            return
        with self.lock:
            busy = [(n, st, d) for n, (st, d) in self._sorted() if n != "*" and st not in FINAL and st != "pending"]
        if busy:
            waiting = "; ".join(f"{n}: {st} {d}".rstrip() for n, st, d in busy)
            self._line(f"  still at work after {now - self.started:.0f}s [{self.counter()}]: {waiting}")

    def _sorted(self) -> list[tuple[str, tuple[str, str]]]:
        return sorted(self.rows.items(), key=lambda kv: (kv[0] != "*", self.order.get(kv[0], 0)))

    def render(self) -> Table:
        title = f"{self.title}  {self.counter()}  ({time.monotonic() - self.started:.0f}s)"
        table = Table(title=title, expand=False)
        table.add_column("component", no_wrap=True)
        table.add_column("state", no_wrap=True)
        table.add_column("detail", overflow="fold", max_width=90)
        with self.lock:
            rows = self._sorted()
        for name, (state, detail) in rows:
            style = _STYLE.get(state, "")
            table.add_row(name, f"[{style}]{state}[/]" if style else state, detail)
        return table


@contextmanager
def live_progress(title: str, enabled: bool, expect: list[str] | None = None) -> Iterator[ProgressTable | None]:
    """A live table on stderr when it is a terminal; plain lines otherwise (and one at least every
    HEARTBEAT_SECONDS while something is under way, never minutes of silence in a CI log).
    ``expect``: the components, in dependency order, shown from the start."""
    if not enabled:
        yield None
        return
    if not err_console.is_terminal:
        table = ProgressTable(title, log_lines=True)
        table.expect(expect or [])
        done = threading.Event()

        def beat() -> None:
            while not done.wait(1.0):
                table.heartbeat()

        thread = threading.Thread(target=beat, name="progress-heartbeat", daemon=True)
        thread.start()
        try:
            yield table
        finally:
            done.set()
            thread.join()
        return
    table = ProgressTable(title)
    table.expect(expect or [])
    with Live(get_renderable=table.render, console=err_console, refresh_per_second=4, transient=True):
        yield table
