"""Running the web service on a port, and stopping it without losing what it was doing.

uvicorn alone stops listening on SIGTERM or SIGINT and ends the process in a fraction of a second,
killing an install in the middle of a component (the release installed, no platform revision, the
lock left to expire). Here the first signal does what Ctrl-C does to ``helmdeck deploy``: no new
operation is taken (503, while reads and progress streams still answer), the running ones start
no new component but finish the one they are in, within ``grace`` seconds; each then records its
platform revision, its operation record and releases the platform's lock itself. Only then does
uvicorn stop. When the grace period runs out while a release write (an install, upgrade, rollback
or uninstall, in its worker process) is running, the write is cancelled (its worker killed if Helm
has not stopped within ``HELMDECK_RELEASE_CANCEL_GRACE_SECONDS``): the operation then unwinds by
itself, records the release's state and releases the lock. An operation still running after that
is recorded as interrupted (with the last state of each component) before the process ends; a
second signal ends it at once, and the next start records what the journal says was left running.
"""

from __future__ import annotations

import logging
import threading
from types import FrameType

import uvicorn
from fastapi import FastAPI

from helmdeck.engine.release_writes import ReleaseLimits
from helmdeck.engine.release_writes import running as release_writes_running
from helmdeck.engine.release_writes import stop as stop_release_writes
from helmdeck.server.operations import OperationRunner

_log = logging.getLogger("helmdeck.serve")
#: after its release write was cancelled, what an operation may take to record its end and unlock
_UNWIND_SECONDS = 15.0


class GracefulServer(uvicorn.Server):
    """uvicorn's server whose first stop signal drains the operation runner first."""

    def __init__(self, config: uvicorn.Config, runner: OperationRunner, grace: float) -> None:
        super().__init__(config)
        self.runner = runner
        self.grace = grace
        self._draining: threading.Thread | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # uvicorn raises a caught signal again once it stopped, which makes a clean stop exit 143;
        # a drained service has nothing left to report by its exit status, so the signal is not kept
        if self._draining is not None:
            _log.warning("second stop signal: ending now; running operations are recorded as interrupted")
            self.runner.abandon("the web service was stopped again before it finished")
            self.force_exit = True
            self.should_exit = True
            return
        running = self.runner.close(f"signal {sig}")
        if running:
            names = ", ".join(f"{op.kind} {op.target}" for op in running)
            _log.warning(
                "stopping: finishing the running operation (%s) within %.0f s; no new one is taken", names, self.grace
            )
        self._draining = threading.Thread(target=self._drain, name="drain", daemon=True)
        self._draining.start()

    def _drain(self) -> None:
        if not self.runner.wait_idle(self.grace):
            why = f"the web service stopped and the operation did not finish within {self.grace:g} s"
            if release_writes_running():
                _log.warning("grace period over: cancelling the running release writes")
                stop_release_writes(why)
                self.runner.wait_idle(ReleaseLimits.from_env().cancel_grace + _UNWIND_SECONDS)
            left = self.runner.abandon(why)
            if left:
                _log.warning("stopped with %d operation(s) unfinished, recorded as interrupted", len(left))
        self.should_exit = True


def server_config(app: FastAPI, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        # X-Forwarded-For is read by the app, from the proxies the operator trusts (guard.client_of)
        proxy_headers=False,
        # progress streams of finished operations close by themselves; a browser left open does not
        timeout_graceful_shutdown=5,
    )


def serve(app: FastAPI, host: str, port: int, *, grace: float) -> None:
    """Serve ``app`` until a stop signal, then drain its operations (see the module's docstring)."""
    GracefulServer(server_config(app, host, port), app.state.runner, grace).run()
