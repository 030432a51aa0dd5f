"""Ctrl-C during a long operation: the first one lets the running steps finish and starts nothing
new (so no Helm release is left pending by us). The second one cancels the release writes running
in their worker processes (Helm ends them and records them; a worker still busy after
``HELMDECK_RELEASE_CANCEL_GRACE_SECONDS`` is killed), so the operation unwinds by itself, reports
each release's state and releases the platform lock; with no write running it ends the process at
once. The third one always ends it at once."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from helmdeck.cli.output import err_console

FIRST = (
    "interrupt received, finishing current steps (press Ctrl-C again to cancel the running release "
    "writes, a third time to abort at once)"
)
SECOND = "aborted: a release being changed may be left pending; the next deploy recovers it"
STOPPING = (
    "stopping: cancelling the running release writes (a worker still busy after {grace:g} s is killed), "
    "then releasing the lock (press Ctrl-C again to abort at once)"
)
#: after the cancel grace, what the operation may take to record its end before the process goes
_UNWIND_SECONDS = 30.0


def _running_writes() -> int:
    # loaded only by a command that writes releases; Helm is not loaded just to learn there are none
    writes = sys.modules.get("helmdeck.engine.release_writes")
    return int(writes.running()) if writes is not None else 0


def _abort() -> None:
    err_console.print(SECOND, highlight=False, markup=False)
    if err_console.is_terminal:
        err_console.show_cursor(True)  # a live display hid it, and nothing will restore it
    # worker threads are inside calls that no exception reaches: leave without them
    os._exit(130)


def _stop_writes() -> None:
    from helmdeck.engine import release_writes

    grace = release_writes.ReleaseLimits.from_env().cancel_grace
    err_console.print(STOPPING.format(grace=grace), highlight=False, markup=False)
    release_writes.stop("interrupted by a second Ctrl-C")

    def watchdog() -> None:
        time.sleep(grace + _UNWIND_SECONDS)
        _abort()

    threading.Thread(target=watchdog, name="interrupt-watchdog", daemon=True).start()


@contextmanager
def graceful_interrupt() -> Iterator[threading.Event]:
    """An event set by the first SIGINT while the body runs; the previous handler comes back after."""
    interrupted = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield interrupted  # only the main thread may handle signals; KeyboardInterrupt stays
        return
    stopping = False

    def handler(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        if not interrupted.is_set():
            interrupted.set()
            err_console.print(FIRST, highlight=False, markup=False)
        elif stopping or not _running_writes():
            _abort()
        else:
            stopping = True
            _stop_writes()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield interrupted
    finally:
        signal.signal(signal.SIGINT, previous)
