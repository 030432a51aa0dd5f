"""One health gate on the shared gate service's loop: it follows the streams its objects need
(shared with every other gate), reads its own objects where a stream was open before it began
(:mod:`helmdeck.cluster.gate_view`), looks up storage classes and the endings of Jobs that are
gone, and turns what it sees into statuses until they settle, one fails, time runs out or it is
cancelled. Its updates go back to the calling thread, which calls ``on_update`` there.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import httpx2
import lightkube
from lightkube.generic_resource import GenericGlobalResource
from lightkube.resources.core_v1 import Event

from helmdeck.cluster.gate_service import GateService
from helmdeck.cluster.gate_state import STORAGE_CLASS, GateEvaluator, ObjectStatus, Stream
from helmdeck.cluster.gate_view import GateView, resource_version
from helmdeck.cluster.kinds import resource_class
from helmdeck.cluster.objects import ObjRef

Outcome = Literal["ready", "failed", "timeout", "cancelled"]
# what a gate ends with: outcome, statuses, the failed object, seconds, when the first was ready (monotonic)
GateRun = tuple[Outcome, list[ObjectStatus], ObjectStatus | None, float, float | None]
#: seconds after which a gate reads its objects that still wait again, past its streams (an
#: informer's resync: a stream that missed a change must not hold a gate until its timeout)
RESYNC = 15.0
# the Job controller's last word on a Job (Completed, or why it failed)
_JOB_ENDINGS = frozenset(
    {"Completed", "BackoffLimitExceeded", "DeadlineExceeded", "PodFailurePolicy", "MaxFailedIndexesExceeded"}
)


def run_gate(
    service: GateService,
    evaluator: GateEvaluator,
    *,
    timeout: float,
    on_update: Callable[[Sequence[ObjectStatus]], None] | None,
    cancel: threading.Event | None,
    tick: float,
    since: float,
) -> GateRun:
    """Run one gate on ``service``'s loop, calling ``on_update`` from this thread."""
    updates: queue.SimpleQueue[list[ObjectStatus] | None] = queue.SimpleQueue()
    gate = _Gate(service, evaluator, timeout, updates.put if on_update else None, cancel, tick, since)
    return cast(GateRun, service.call(gate.run(updates), updates, on_update))


def _signature(statuses: Sequence[ObjectStatus]) -> tuple[tuple[ObjRef, str, str], ...]:
    return tuple((s.ref, s.health.state, s.health.reason) for s in statuses)


@dataclass(eq=False)
class _Gate:
    service: GateService
    evaluator: GateEvaluator
    timeout: float
    #: hands statuses to the calling thread (None: nobody listens)
    report: Callable[[list[ObjectStatus]], None] | None
    cancel: threading.Event | None
    tick: float
    since: float  # wall-clock: Job events older than this are from before the gate
    changed: asyncio.Event = field(default_factory=asyncio.Event)  # binds to the loop that first waits
    first_ready_at: float | None = None  # monotonic
    _class_tasks: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    _job_tasks: dict[ObjRef, asyncio.Task[None]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.aclient = self.service.aclient
        self.view = GateView(self.service.cache, self.service.watermarks)

    async def run(self, done: queue.SimpleQueue[Any]) -> GateRun:
        changed = self.changed
        start = time.monotonic()
        streams = self.evaluator.interest()
        opened_before = self.service.subscribe(streams, changed)
        try:
            await self._read_own(lambda stream: stream in opened_before)
            outcome, statuses, failed_one, elapsed = await self._watch(changed, start)
            return outcome, statuses, failed_one, elapsed, self.first_ready_at
        finally:
            helpers = [*self._class_tasks.values(), *self._job_tasks.values()]
            for task in helpers:
                task.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)
            self.service.unsubscribe(streams, changed)
            done.put(None)

    async def _watch(
        self, changed: asyncio.Event, start: float
    ) -> tuple[Outcome, list[ObjectStatus], ObjectStatus | None, float]:
        last: tuple[tuple[ObjRef, str, str], ...] | None = None
        statuses: list[ObjectStatus] = []
        woken = True
        read_at = start
        while True:
            now = time.monotonic()
            if now - read_at >= RESYNC:
                # what a stream missed (one that stalls or lists in vain) holds a gate no longer
                # than this: its own objects, still waiting, are read again
                waiting = {s.ref for s in statuses if not s.health.settled}
                await self._read_own(lambda stream: True, waiting)
                read_at, woken, now = time.monotonic(), True, time.monotonic()
            if woken or self.evaluator.timing:  # else nothing it sees has changed
                self._fetch_storage_classes()
                statuses = self.evaluator.evaluate(self.view, now)
            if self.first_ready_at is None and any(s.health.ready for s in statuses):
                self.first_ready_at = now
            signature = _signature(statuses)
            if self.report is not None and signature != last:
                self.report(statuses)
            last = signature
            failed_one = next((s for s in statuses if s.health.failed), None)
            if failed_one is not None:
                return "failed", statuses, failed_one, now - start
            if all(s.health.settled for s in statuses):
                return "ready", statuses, None, now - start
            self._fetch_job_endings()
            if now - start >= self.timeout:
                return "timeout", statuses, None, now - start
            if self.cancel is not None and self.cancel.is_set():
                return "cancelled", statuses, None, now - start
            changed.clear()
            wait = max(0.0, min(self.tick, start + self.timeout - now))
            woken = False
            with contextlib.suppress(TimeoutError):
                woken = await asyncio.wait_for(changed.wait(), timeout=wait)

    async def _read_own(self, which: Callable[[Stream], bool], refs: set[ObjRef] | None = None) -> None:
        """This gate's objects (``refs``, default all) on the streams ``which`` picks, read as they
        are now: a stream that was open before the gate began may still hold what preceded the
        writes this gate checks, and any stream may have missed a change."""
        own = [
            (ref, stream)
            for ref, stream in self.evaluator.streams.items()
            if which(stream) and (refs is None or ref in refs)
        ]

        async def read(ref: ObjRef, stream: Stream) -> None:
            with contextlib.suppress(lightkube.ApiError, httpx2.HTTPError, OSError):  # the stream then
                items, version = await self.service.read(Stream(stream.info, stream.namespace, ref.name))
                number = resource_version(version)
                if number is not None:
                    self.view.read(stream, ref.name, number, items[0] if items else None)

        await asyncio.gather(*(read(ref, stream) for ref, stream in own))

    def _fetch_job_endings(self) -> None:
        for ref in self.evaluator.missing_jobs(self.view):
            task = self._job_tasks.get(ref)
            if task is None or task.done():
                self._job_tasks[ref] = asyncio.create_task(self._job_ending(ref))

    async def _job_ending(self, ref: ObjRef) -> None:
        """A Job removed right after it finished (ttlSecondsAfterFinished: 0) leaves its controller's
        last event behind; only events from this gate's time count, since names are reused."""
        await asyncio.sleep(1.0)  # at most one look per Job a second
        fields: dict[str, Any] = {"involvedObject.kind": "Job", "involvedObject.name": ref.name}
        try:
            events = [e async for e in self.aclient.list(Event, namespace=ref.namespace, fields=fields)]
        except (lightkube.ApiError, httpx2.HTTPError, OSError):
            return
        endings = []
        for event in events:
            created = event.metadata.creationTimestamp if event.metadata else None
            when = event.lastTimestamp or event.eventTime or created
            if when is None or when.timestamp() < self.since or event.reason not in _JOB_ENDINGS:
                continue
            endings.append((when.timestamp(), str(event.reason)))
        if endings:
            self.view.job_endings[ref] = max(endings)[1]
            self.changed.set()

    def _fetch_storage_classes(self) -> None:
        for name in self.evaluator.storage_class_names(self.view):
            if name not in self._class_tasks:
                self._class_tasks[name] = asyncio.create_task(self._storage_class(name))

    async def _storage_class(self, name: str) -> None:
        res = cast(type[GenericGlobalResource], resource_class(STORAGE_CLASS))
        for attempt in range(5):
            try:
                sc = await self.aclient.get(res, name)
            except lightkube.ApiError as err:
                if err.status.code == 404:
                    self.view.storage_classes[name] = None
                    self.changed.set()
                    return
            except (httpx2.HTTPError, OSError):
                pass
            else:
                self.view.storage_classes[name] = str(sc.get("volumeBindingMode") or "Immediate")
                self.changed.set()
                return
            await asyncio.sleep(0.5 * (attempt + 1))
