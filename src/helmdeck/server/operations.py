"""Long operations (install, uninstall, rollback) run in a background thread; their progress is kept
as a list of events that server-sent-event streams replay and follow.

One change at a time per server: the platform's Lease would refuse a second one anyway, and
refusing it here answers at once (409) instead of after a cluster round trip.

With a journal (``revisions/journal.py``) each operation is also written to the cluster when it
starts, when a component reaches a new state and when it ends, so a service that is killed loses
no record: the next one marks it interrupted (``recover``). A service asked to stop (``close``)
refuses new operations (503), asks the running ones to start no new component, and waits for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import secrets
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol

from helmdeck.core.progress import acting_as
from helmdeck.errors import HelmdeckError
from helmdeck.revisions.journal import component_states
from helmdeck.secrets.redact import known_redactor
from helmdeck.serialize import JsonObject, json_field

#: (component, state, detail), the executor's progress callback
Progress = Callable[[str, str, str], None]
Work = Callable[[Progress], dict[str, Any]]


@dataclass(frozen=True)
class Running:
    """What the work of a running operation is handed: where it reports its progress, and the event
    asking it to start no new component (the service stops, or someone pressed Stop)."""

    progress: Progress
    cancel: threading.Event


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass
class Operation(JsonObject):
    """One long change; its JSON (``as_dict``) is what the API, the pages and the journal show."""

    id: str
    kind: str
    target: str
    actor: str
    started: str = field(default_factory=_now)
    finished: str | None = None
    state: str = "running"  # running | succeeded | failed | interrupted | stopped
    events: list[dict[str, Any]] = field(default_factory=list)
    result: dict[str, Any] | None = None
    error: str | None = None
    #: set to ask the work to start no new component (the service is stopping, or someone asked to stop)
    cancel: threading.Event = field(
        default_factory=threading.Event, repr=False, compare=False, metadata=json_field(exclude=True)
    )
    #: who asked to stop it (``stop``): an operation that then ends interrupted is ``stopped``
    stopped_by: str | None = field(default=None, repr=False, compare=False, metadata=json_field(exclude=True))

    @property
    def done(self) -> bool:
        return self.state != "running"

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Operation:
        """An operation as a journal kept it (one this service did not run)."""
        op = cls(str(record["id"]), str(record.get("kind", "")), str(record.get("target", "")), "")
        op.actor = str(record.get("actor", ""))
        op.started = str(record.get("started", ""))
        op.finished = record.get("finished")
        op.state = str(record.get("state", "failed"))
        op.events = list(record.get("events") or [])
        op.result = record.get("result")
        op.error = record.get("error")
        return op


class Busy(HelmdeckError):
    """Another change is running."""

    http_status: ClassVar[int] = 409


class ShuttingDown(HelmdeckError):
    """The service is stopping: it starts no new operation."""

    http_status: ClassVar[int] = 503


class NotRunning(HelmdeckError):
    """The operation asked to stop has already ended."""

    http_status: ClassVar[int] = 409


class NoSuchOperation(HelmdeckError):
    """No operation by that id in this service's journal."""

    http_status: ClassVar[int] = 404


class Journal(Protocol):
    """Where operations are written down as they run (``revisions.journal.OperationJournal``)."""

    def begin(self, record: dict[str, Any]) -> None: ...

    def update(self, record: dict[str, Any]) -> None: ...

    def records(self) -> list[dict[str, Any]]: ...

    def recover(self) -> list[dict[str, Any]]: ...


class OperationRunner:
    def __init__(self, keep: int = 50, journal: Journal | None = None) -> None:
        self._lock = threading.Lock()
        self._ops: dict[str, Operation] = {}
        self._keep = keep
        self.journal = journal
        self._closing: str | None = None
        self._abandoned: set[str] = set()
        self._on_done: dict[str, Callable[[Operation], None]] = {}  # running operation id -> its callback
        # one writer per operation at a time, so an older snapshot never overwrites a newer one
        self._writing: dict[str, threading.Lock] = {}

    # -- the journal -------------------------------------------------------------------------------
    def _write(self, op: Operation, *, first: bool = False) -> None:
        """Write ``op`` to the journal; a journal that cannot be written never fails the operation
        (the operation itself reports the cluster's trouble)."""
        if self.journal is None:
            return
        with self._writing.setdefault(op.id, threading.Lock()):
            with self._lock:
                record = op.as_dict()
            with contextlib.suppress(HelmdeckError):
                (self.journal.begin if first else self.journal.update)(record)

    def recover(self) -> list[Operation]:
        """At start-up: mark interrupted the journal's operations whose service died, and list the
        journal's operations here (so a restart loses no record). Returns those interrupted."""
        if self.journal is None:
            return []
        interrupted = [Operation.from_record(r) for r in self.journal.recover()]
        # one still running belongs to another live service: listing it here as running would
        # refuse every change of this one (one at a time) until a restart
        records = [r for r in self.journal.records() if r.get("state") != "running"]
        kept = [Operation.from_record(r) for r in records[: self._keep]]
        with self._lock:
            for op in kept:
                self._ops.setdefault(op.id, op)
        return interrupted

    # -- stopping ----------------------------------------------------------------------------------
    @property
    def closing(self) -> bool:
        return self._closing is not None

    def refuse_if_closing(self) -> None:
        if self._closing is not None:
            raise ShuttingDown(
                f"the web service is shutting down ({self._closing}): it starts no new operation",
                fix="try again once the service is back",
            )

    def close(self, reason: str) -> list[Operation]:
        """Take no new operation, and ask the running ones to start no new component; returns them."""
        with self._lock:
            self._closing = reason
            running = [o for o in self._ops.values() if not o.done]
        for op in running:
            op.cancel.set()
        return running

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no operation runs (True), or ``timeout`` seconds (False)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if all(o.done for o in self._ops.values()):
                    return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)

    def abandon(self, reason: str) -> list[Operation]:
        """The process ends with these operations still running: record them as interrupted, with
        the last state of each component, so the record says what was done."""
        with self._lock:
            running = [o for o in self._ops.values() if not o.done]
            now = _now()
            for op in running:
                states = component_states(op.events)
                op.error = f"interrupted: {reason}"
                op.result = {"ok": False, "interrupted": True, "components": states}
                op.finished = now
                op.events.append({"time": now, "component": "*", "state": "interrupted", "detail": op.error})
                op.state = "interrupted"
                self._abandoned.add(op.id)
        for op in running:
            self._write(op)
            on_done = self._on_done.pop(op.id, None)
            if on_done is not None:
                on_done(op)  # the audit log says it was interrupted
        return running

    def start(
        self,
        kind: str,
        target: str,
        actor: str,
        work: Work,
        on_done: Callable[[Operation], None] | None = None,
        on_start: Callable[[Operation], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> Operation:
        """Run ``work`` in the background; ``on_start`` runs before it can begin (so an audit log
        says "started" before "succeeded", however fast the work is), ``on_done`` after it ends.
        ``cancel`` is the event ``work`` watches to start no new step; it becomes ``op.cancel``."""
        self.refuse_if_closing()
        op = self._register(kind, target, actor, cancel)
        if on_start is not None:
            on_start(op)
        if on_done is not None:
            self._on_done[op.id] = on_done
        self._write(op, first=True)
        threading.Thread(target=self._run, args=(op, work, on_done), name=f"op-{op.id}", daemon=True).start()
        return op

    def _register(self, kind: str, target: str, actor: str, cancel: threading.Event | None) -> Operation:
        """A new running operation, refused (Busy) while another runs; the oldest finished ones are forgotten."""
        with self._lock:
            running = [o for o in self._ops.values() if not o.done]
            if running:
                r = running[0]
                raise Busy(
                    f"another change is running: {r.kind} {r.target} by {r.actor} since {r.started}",
                    fix=f"wait for it to finish (GET /api/v1/operations/{r.id})",
                )
            op = Operation(secrets.token_hex(6), kind, target, actor)
            if cancel is not None:
                op.cancel = cancel
            self._ops[op.id] = op
            for old in list(self._ops.values())[: max(0, len(self._ops) - self._keep)]:
                if old.done:
                    del self._ops[old.id]
        return op

    def _progress(self, op: Operation, component: str, state: str, detail: str) -> None:
        redact = known_redactor()
        event = {
            "time": _now(),
            "component": component,
            "state": state,
            "detail": redact.text(detail),
        }
        with self._lock:
            if op.state != "running":
                return  # abandoned: its record is final
            # the journal learns each new state of a component, not each progress line
            news = component_states(op.events).get(component) != state
            op.events.append(event)
        if news:
            self._write(op)

    def _run(self, op: Operation, work: Work, on_done: Callable[[Operation], None] | None) -> None:
        state, error, result = "failed", None, None
        try:
            with acting_as(f"{op.actor} (web)"):
                result = known_redactor().redact(work(functools.partial(self._progress, op)))
            state = "succeeded" if result.get("ok", True) else "failed"
            if op.stopped_by is not None and result.get("interrupted"):
                state = "stopped"  # as asked: what was running finished, the rest never started
        except HelmdeckError as exc:
            error = str(known_redactor().error(exc))
        except Exception as exc:  # a bug must still end the operation, visibly
            error = f"internal error: {type(exc).__name__}: {known_redactor().text(str(exc))}"
        final = {"time": _now(), "component": "*", "state": state, "detail": error or "done"}
        with self._lock:  # followers see the last event and the end together
            if op.id in self._abandoned:
                return  # recorded as interrupted already; the process is ending
            op.result, op.error, op.finished = result, error, final["time"]
            op.events.append(final)
            op.state = state
        self._write(op)
        self._writing.pop(op.id, None)
        self._on_done.pop(op.id, None)
        if on_done is not None:
            on_done(op)

    def get(self, op_id: str) -> Operation | None:
        with self._lock:
            return self._ops.get(op_id)

    def stop(self, op_id: str, actor: str) -> Operation:
        """Ask a running operation to start nothing new, as a first Ctrl-C asks the CLI: the
        components being changed finish (no release is left pending), the report says what was done
        and what never started, and the operation ends ``stopped``."""
        with self._lock:
            op = self._ops.get(op_id)
            if op is None:
                raise NoSuchOperation(f"no operation {op_id}", fix="GET /api/v1/operations lists the operations")
            if op.done:
                raise NotRunning(
                    f"operation {op_id} is not running (it {op.state})",
                    fix="GET /api/v1/operations lists the operations and their states",
                )
            first = op.stopped_by is None
            if first:
                op.stopped_by = actor
                op.events.append(
                    {
                        "time": _now(),
                        "component": "*",
                        "state": "stopping",
                        "detail": f"stop asked by {actor}: finishing the components being changed, starting no new one",
                    }
                )
        op.cancel.set()
        if first:
            self._write(op)
        return op

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
