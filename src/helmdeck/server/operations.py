"""Long operations (install, uninstall, rollback) run in a background thread; their progress is kept
as a list of events that server-sent-event streams replay and follow.

One change at a time per server: the platform's Lease would refuse a second one anyway, and
refusing it here answers at once (409) instead of after a cluster round trip.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from helmdeck.core.progress import acting_as
from helmdeck.errors import HelmdeckError
from helmdeck.secrets.redact import known_redactor

#: (component, state, detail), the executor's progress callback
Progress = Callable[[str, str, str], None]
Work = Callable[[Progress], dict[str, Any]]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass
class Operation:
    id: str
    kind: str
    target: str
    actor: str
    started: str = field(default_factory=_now)
    finished: str | None = None
    state: str = "running"  # running | succeeded | failed
    events: list[dict[str, Any]] = field(default_factory=list)
    result: dict[str, Any] | None = None
    error: str | None = None

    @property
    def done(self) -> bool:
        return self.state != "running"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "target": self.target,
            "actor": self.actor,
            "started": self.started,
            "finished": self.finished,
            "state": self.state,
            "events": list(self.events),
            "result": self.result,
            "error": self.error,
        }


class Busy(HelmdeckError):
    """Another change is running."""


class OperationRunner:
    def __init__(self, keep: int = 50) -> None:
        self._lock = threading.Lock()
        self._ops: dict[str, Operation] = {}
        self._keep = keep

    def start(
        self,
        kind: str,
        target: str,
        actor: str,
        work: Work,
        on_done: Callable[[Operation], None] | None = None,
        on_start: Callable[[Operation], None] | None = None,
    ) -> Operation:
        """Run ``work`` in the background; ``on_start`` runs before it can begin (so an audit log
        says "started" before "succeeded", however fast the work is), ``on_done`` after it ends."""
        with self._lock:
            running = [o for o in self._ops.values() if not o.done]
            if running:
                r = running[0]
                raise Busy(
                    f"another change is running: {r.kind} {r.target} by {r.actor} since {r.started}",
                    fix=f"wait for it to finish (GET /api/v1/operations/{r.id})",
                )
            op = Operation(secrets.token_hex(6), kind, target, actor)
            self._ops[op.id] = op
            for old in list(self._ops.values())[: max(0, len(self._ops) - self._keep)]:
                if old.done:
                    del self._ops[old.id]

        def progress(component: str, state: str, detail: str) -> None:
            redact = known_redactor()
            event = {
                "time": _now(),
                "component": component,
                "state": state,
                "detail": redact.text(detail),
            }
            with self._lock:
                op.events.append(event)

        def run() -> None:
            state, error, result = "failed", None, None
            try:
                with acting_as(f"{actor} (web)"):
                    result = known_redactor().redact(work(progress))
                state = "succeeded" if result.get("ok", True) else "failed"
            except HelmdeckError as exc:
                error = str(known_redactor().error(exc))
            except Exception as exc:  # a bug must still end the operation, visibly
                error = f"internal error: {type(exc).__name__}: {known_redactor().text(str(exc))}"
            final = {"time": _now(), "component": "*", "state": state, "detail": error or "done"}
            with self._lock:  # followers see the last event and the end together
                op.result, op.error, op.finished = result, error, final["time"]
                op.events.append(final)
                op.state = state
            if on_done is not None:
                on_done(op)

        if on_start is not None:
            on_start(op)
        threading.Thread(target=run, name=f"op-{op.id}", daemon=True).start()
        return op

    def get(self, op_id: str) -> Operation | None:
        with self._lock:
            return self._ops.get(op_id)

    def list(self) -> list[Operation]:
        with self._lock:
            return sorted(self._ops.values(), key=lambda o: o.started, reverse=True)

    def wait(self, op_id: str, timeout: float) -> Operation | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            op = self.get(op_id)
            if op is None or op.done:
                return op
            time.sleep(0.05)
        return self.get(op_id)

    async def follow(self, op_id: str, poll: float = 0.2) -> AsyncIterator[tuple[dict[str, Any], bool]]:
        """Every event of the operation, then new ones as they come: (event, is_last)."""
        sent = 0
        while True:
            op = self.get(op_id)
            if op is None:
                return
            with self._lock:
                new = op.events[sent:]
                done = op.done
            for i, event in enumerate(new):
                yield event, done and i == len(new) - 1
            sent += len(new)
            if done:
                return
            await asyncio.sleep(poll)
