"""Ctrl-C during a long operation: the first one lets the running steps finish and starts nothing
new (so no Helm release is left pending by us), the second one ends the process at once."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from helmdeck.cli.output import err_console

FIRST = "interrupt received, finishing current steps (press Ctrl-C again to abort at once)"
SECOND = "aborted: a release being changed may be left pending; the next deploy recovers it"


@contextmanager
def graceful_interrupt() -> Iterator[threading.Event]:
    """An event set by the first SIGINT while the body runs; the previous handler comes back after."""
    interrupted = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield interrupted  # only the main thread may handle signals; KeyboardInterrupt stays
        return

    def handler(_signum: int, _frame: FrameType | None) -> None:
        if interrupted.is_set():
            err_console.print(SECOND, highlight=False, markup=False)
            if err_console.is_terminal:
                err_console.show_cursor(True)  # a live display hid it, and nothing will restore it
            # worker threads are inside Helm calls that no exception reaches: leave without them
            os._exit(130)
        interrupted.set()
        err_console.print(FIRST, highlight=False, markup=False)

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield interrupted
    finally:
        signal.signal(signal.SIGINT, previous)
