"""The health gate: wait until a release's objects are healthy, one fails, or time runs out.

Objects are followed by one list+watch per (kind, namespace), plus the namespace's Pods (and
ReplicaSets, for Deployments) to explain what workloads wait for; there is no per-object polling.
Each call runs its own event loop and async client, so gates for several components can run in
parallel threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, cast

import httpx2
import lightkube
from lightkube.generic_resource import GenericGlobalResource, GenericNamespacedResource
from lightkube.resources.core_v1 import Event

from helmdeck.cluster.client import make_async_client
from helmdeck.cluster.failures import FailureReport, diagnose
from helmdeck.cluster.gate_state import STORAGE_CLASS, GateEvaluator, ObjectStatus, Store, Stream
from helmdeck.cluster.kinds import KindInfo, kind_info, resource_class
from helmdeck.cluster.objects import ObjRef
from helmdeck.cluster.readiness import KindRule, is_workload
from helmdeck.cluster.snapshot import kind_contracts, resolve_targets
from helmdeck.errors import HelmdeckError
from helmdeck.serialize import JsonObject, json_field
from helmdeck.wording import counted

Outcome = Literal["ready", "failed", "timeout", "cancelled"]
# the Job controller's last word on a Job (Completed, or why it failed)
_JOB_ENDINGS = frozenset(
    {"Completed", "BackoffLimitExceeded", "DeadlineExceeded", "PodFailurePolicy", "MaxFailedIndexesExceeded"}
)


@dataclass(frozen=True)
class GateResult(JsonObject):
    outcome: Outcome
    statuses: tuple[ObjectStatus, ...]
    elapsed: float = field(metadata=json_field(round=3))
    failed: ObjectStatus | None = None
    # what explains the failure, or (on timeout) what is still waiting
    reports: tuple[FailureReport, ...] = ()
    # seconds from the call until the first object was ready (None: none was), for the deploy timeline
    first_ready: float | None = field(default=None, metadata=json_field(exclude=True))

    __json_computed__ = ("message",)
    __json_order__ = ("outcome", "elapsed", "message", "failed", "statuses", "reports")

    @property
    def ok(self) -> bool:
        return self.outcome == "ready"

    @property
    def waiting(self) -> tuple[ObjectStatus, ...]:
        return tuple(s for s in self.statuses if not s.health.ready)

    def message(self) -> str:
        if self.outcome == "ready":
            unknown = [s for s in self.statuses if not s.health.ready]
            if unknown:
                first = unknown[0]
                more = f" (+{len(unknown) - 1} more)" if len(unknown) > 1 else ""
                return (
                    f"{counted(len(self.statuses) - len(unknown), 'object')} healthy after {self.elapsed:.1f}s; "
                    f"health unknown: {first.ref}: {first.health.reason}{more}"
                )
            return f"{counted(self.statuses, 'object')} healthy after {self.elapsed:.1f}s"
        if self.outcome == "failed" and self.failed is not None:
            return f"{self.failed.ref} failed: {self.failed.health.reason}"
        waiting = "; ".join(f"{s.ref}: {s.health.reason}" for s in self.waiting[:5])
        more = f" (and {len(self.waiting) - 5} more)" if len(self.waiting) > 5 else ""
        verb = "timed out" if self.outcome == "timeout" else "cancelled"
        return f"{verb} after {self.elapsed:.0f}s waiting for {waiting}{more}"


UpdateCallback = Callable[[Sequence[ObjectStatus]], None]


class HealthGate(Protocol):
    """The shape of :func:`wait_healthy`, so a session can be given another gate (an in-memory fake)."""

    def __call__(
        self,
        client: lightkube.Client,
        objects: Sequence[ObjRef],
        timeout: float,
        on_update: UpdateCallback | None = None,
        *,
        failure_grace: float = 10.0,
        require_lb_address: bool = False,
        cancel: threading.Event | None = None,
        explain: bool = True,
        max_reports: int = 5,
        tick: float = 0.5,
        finished_jobs: Iterable[ObjRef] = (),
        since: float | None = None,
        rules: KindRule | None = None,
    ) -> GateResult: ...


def _signature(statuses: Sequence[ObjectStatus]) -> tuple[tuple[ObjRef, str, str], ...]:
    return tuple((s.ref, s.health.state, s.health.reason) for s in statuses)


class _Gate:
    def __init__(
        self,
        aclient: lightkube.AsyncClient,
        evaluator: GateEvaluator,
        timeout: float,
        on_update: UpdateCallback | None,
        cancel: threading.Event | None,
        tick: float,
        since: float,
    ) -> None:
        self.aclient = aclient
        self.evaluator = evaluator
        self.timeout = timeout
        self.on_update = on_update
        self.cancel = cancel
        self.tick = tick
        self.store = Store()
        self.changed = asyncio.Event()
        self._class_tasks: dict[str, asyncio.Task[None]] = {}
        self._job_tasks: dict[ObjRef, asyncio.Task[None]] = {}
        self.since = since
        self.first_ready_at: float | None = None  # monotonic

    async def run(self) -> tuple[Outcome, list[ObjectStatus], ObjectStatus | None, float]:
        start = time.monotonic()
        tasks = [asyncio.create_task(self._follow(s)) for s in self.evaluator.all_streams()]
        last: tuple[tuple[ObjRef, str, str], ...] | None = None
        try:
            while True:
                now = time.monotonic()
                self._fetch_storage_classes()
                statuses = self.evaluator.evaluate(self.store, now)
                if self.first_ready_at is None and any(s.health.ready for s in statuses):
                    self.first_ready_at = now
                signature = _signature(statuses)
                if self.on_update is not None and signature != last:
                    self.on_update(statuses)
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
                self.changed.clear()
                wait = max(0.0, min(self.tick, start + self.timeout - now))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.changed.wait(), timeout=wait)
        finally:
            helpers = [*self._class_tasks.values(), *self._job_tasks.values()]
            for task in [*tasks, *helpers]:
                task.cancel()
            await asyncio.gather(*tasks, *helpers, return_exceptions=True)

    def _fetch_job_endings(self) -> None:
        for ref in self.evaluator.missing_jobs(self.store):
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
            self.store.job_endings[ref] = max(endings)[1]
            self.changed.set()

    def _fetch_storage_classes(self) -> None:
        for name in self.evaluator.storage_class_names(self.store):
            if name not in self._class_tasks:
                self._class_tasks[name] = asyncio.create_task(self._storage_class(name))

    async def _storage_class(self, name: str) -> None:
        res = cast(type[GenericGlobalResource], resource_class(STORAGE_CLASS))
        for attempt in range(5):
            try:
                sc = await self.aclient.get(res, name)
            except lightkube.ApiError as err:
                if err.status.code == 404:
                    self.store.storage_classes[name] = None
                    self.changed.set()
                    return
            except (httpx2.HTTPError, OSError):
                pass
            else:
                self.store.storage_classes[name] = str(sc.get("volumeBindingMode") or "Immediate")
                self.changed.set()
                return
            await asyncio.sleep(0.5 * (attempt + 1))

    async def _follow(self, stream: Stream) -> None:
        """List then watch one stream for as long as the gate runs, relisting when the watch breaks."""
        res = resource_class(stream.info)
        fields: dict[str, Any] | None = {"metadata.name": stream.name} if stream.name else None
        events: AsyncIterable[tuple[str, Mapping[str, Any]]]
        failures = 0
        while True:
            try:
                if stream.info.namespaced:
                    nres = cast(type[GenericNamespacedResource], res)
                    listing = self.aclient.list(nres, namespace=stream.namespace, fields=fields)
                    items = [_typed(stream.info, o) async for o in listing]
                    version = _list_version(listing)
                    events = self.aclient.watch(
                        nres, namespace=stream.namespace, fields=fields, resource_version=version
                    )
                else:
                    gres = cast(type[GenericGlobalResource], res)
                    glisting = self.aclient.list(gres, fields=fields)
                    items = [_typed(stream.info, o) async for o in glisting]
                    version = _list_version(glisting)
                    events = self.aclient.watch(gres, fields=fields, resource_version=version)
                self.store.replace(stream, items)
                self.changed.set()
                failures = 0
                async for event, obj in events:
                    self.store.apply(stream, event, _typed(stream.info, obj))
                    self.changed.set()
            except lightkube.ApiError as err:
                if err.status.code == 410:  # resource version too old: list again
                    continue
                failures += 1
                self.store.errors[stream] = err.status.message or str(err)
                self.changed.set()
            except (httpx2.HTTPError, OSError) as err:
                failures += 1
                self.store.errors[stream] = f"{type(err).__name__}: {err}"
                self.changed.set()
            await asyncio.sleep(min(5.0, 0.25 * 2**failures))


def _typed(info: KindInfo, obj: Mapping[str, Any]) -> dict[str, Any]:
    # items of a list response carry no apiVersion/kind; the readiness rules dispatch on them
    return {"apiVersion": info.api_version, "kind": info.kind, **obj}


def _list_version(listing: Any) -> str | None:
    try:
        return str(listing.resourceVersion)
    except lightkube.NotReadyError:
        return None


def wait_healthy(
    client: lightkube.Client,
    objects: Sequence[ObjRef],
    timeout: float,
    on_update: UpdateCallback | None = None,
    *,
    failure_grace: float = 10.0,
    require_lb_address: bool = False,
    cancel: threading.Event | None = None,
    explain: bool = True,
    max_reports: int = 5,
    tick: float = 0.5,
    finished_jobs: Iterable[ObjRef] = (),
    since: float | None = None,
    rules: KindRule | None = None,
) -> GateResult:
    """Block until every object is ready, one has failed, ``timeout`` seconds pass or ``cancel`` is set.

    A workload fails when one of its current pods has been in a failure state (CrashLoopBackOff,
    image pull error, failed init container, ...) for ``failure_grace`` seconds, or at once on a
    terminal failure (Job failed, progress deadline exceeded). ``on_update`` is called from the
    calling thread with all statuses whenever one changes. With ``explain``, the result carries
    failure reports (pods, events, logs) for the failed object or for the objects still waiting.

    A Job that is gone counts as done when it was seen complete, is in ``finished_jobs`` (Jobs a
    deployed release ran before, removed by their TTL), or its Completed event is newer than
    ``since`` (wall-clock seconds; default: now). Objects of unknown health that waiting cannot
    settle (custom resources whose CRD could not be read and that report no status) do not hold
    the gate; they stay "unknown". ``rules``: the platform file's health rules per kind.

    Not for use inside a running event loop: call it from a worker thread there.
    """
    called = time.monotonic()
    targets = resolve_targets(client, objects)
    evaluator = GateEvaluator(
        targets,
        failure_grace=failure_grace,
        require_lb_address=require_lb_address,
        finished_jobs=finished_jobs,
        contracts=kind_contracts(client, targets, rules),
    )
    started = time.time() if since is None else since

    async def main() -> tuple[tuple[Outcome, list[ObjectStatus], ObjectStatus | None, float], float | None]:
        aclient = make_async_client(client)
        try:
            gate = _Gate(aclient, evaluator, timeout, on_update, cancel, tick, started)
            return await gate.run(), gate.first_ready_at
        finally:
            await aclient.close()

    (outcome, statuses, failed_one, elapsed), first_ready_at = asyncio.run(main())
    first_ready = None if first_ready_at is None else first_ready_at - called
    reports: list[FailureReport] = []
    if explain and outcome != "ready":
        chosen = [failed_one] if failed_one is not None else [s for s in statuses if not s.health.ready]
        chosen.sort(key=lambda s: not is_workload(s.ref.api_version, s.ref.kind))
        for status in chosen[:max_reports]:
            reports.append(_explain(client, status))
    return GateResult(outcome, tuple(statuses), elapsed, failed_one, tuple(reports), first_ready)


def _explain(client: lightkube.Client, status: ObjectStatus) -> FailureReport:
    served = kind_info(client, status.ref.api_version, status.ref.kind) is not None
    if status.health.state == "unknown" or not served:
        return FailureReport(status.ref, status.health)
    try:
        return diagnose(client, status.ref, observed=status.health)
    except HelmdeckError as err:  # the verdict stands even when its explanation cannot be fetched
        return FailureReport(status.ref, status.health, pods=status.pods, error=err.message)
