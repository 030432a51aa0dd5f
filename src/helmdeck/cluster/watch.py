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
from helmdeck.cluster.crd_status import CRD_QUERY, custom_kinds, status_subresources
from helmdeck.cluster.failures import FailureReport, diagnose
from helmdeck.cluster.kinds import (
    KindInfo,
    ListQuery,
    get_object,
    kind_info,
    list_each,
    normalize,
    resource_class,
)
from helmdeck.cluster.objects import ObjRef
from helmdeck.cluster.pods import (
    OwnerIndex,
    PodSummary,
    current_pods,
    index_by_owner,
    pod_is_failing,
    summarize_pod,
)
from helmdeck.cluster.readiness import (
    NO_CONTRACTS,
    Health,
    KindContracts,
    KindRule,
    derived,
    failed,
    health,
    is_workload,
    missing,
    not_created_yet,
    pod_health,
    progressing,
)
from helmdeck.errors import ClusterError, HelmdeckError
from helmdeck.wording import counted

Outcome = Literal["ready", "failed", "timeout", "cancelled"]
_POD = KindInfo("v1", "Pod", "pods", True)
_REPLICASET = KindInfo("apps/v1", "ReplicaSet", "replicasets", True)
_JOB = KindInfo("batch/v1", "Job", "jobs", True)
_STORAGE_CLASS = KindInfo("storage.k8s.io/v1", "StorageClass", "storageclasses", False)
# the Job controller's last word on a Job (Completed, or why it failed)
_JOB_ENDINGS = frozenset(
    {"Completed", "BackoffLimitExceeded", "DeadlineExceeded", "PodFailurePolicy", "MaxFailedIndexesExceeded"}
)


@dataclass(frozen=True)
class ObjectStatus:
    ref: ObjRef
    health: Health
    pods: tuple[PodSummary, ...] = ()  # the current pods of a workload

    def as_dict(self) -> dict[str, Any]:
        return {
            "object": self.ref.as_dict(),
            "health": self.health.as_dict(),
            "pods": [p.as_dict() for p in self.pods],
        }


@dataclass(frozen=True)
class GateResult:
    outcome: Outcome
    statuses: tuple[ObjectStatus, ...]
    elapsed: float
    failed: ObjectStatus | None = None
    # what explains the failure, or (on timeout) what is still waiting
    reports: tuple[FailureReport, ...] = ()
    # seconds from the call until the first object was ready (None: none was), for the deploy timeline
    first_ready: float | None = None

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

    def as_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "elapsed": round(self.elapsed, 3),
            "message": self.message(),
            "failed": self.failed.as_dict() if self.failed else None,
            "statuses": [s.as_dict() for s in self.statuses],
            "reports": [r.as_dict() for r in self.reports],
        }


@dataclass(frozen=True)
class Stream:
    """One list+watch: a kind in a namespace (None for cluster-scoped), optionally a single name."""

    info: KindInfo
    namespace: str | None
    name: str | None = None


@dataclass
class Store:
    """What the watches have seen. Only touched from the gate's event loop (or a test)."""

    objects: dict[Stream, dict[str, dict[str, Any]]] = field(default_factory=dict)  # listed streams only
    errors: dict[Stream, str] = field(default_factory=dict)
    storage_classes: dict[str, str | None] = field(default_factory=dict)  # name -> binding mode; None: missing
    # a Job that is gone: what its last event said ("Completed", "BackoffLimitExceeded", ...)
    job_endings: dict[ObjRef, str] = field(default_factory=dict)

    # built when first asked, dropped whenever the stream changes
    _owner_indexes: dict[Stream, OwnerIndex] = field(default_factory=dict)

    def replace(self, stream: Stream, items: Iterable[dict[str, Any]]) -> None:
        self.objects[stream] = {str(o["metadata"]["name"]): o for o in items}
        self.errors.pop(stream, None)
        self._owner_indexes.pop(stream, None)

    def owner_index(self, stream: Stream) -> OwnerIndex:
        """The stream's objects by the uid of their owners."""
        index = self._owner_indexes.get(stream)
        if index is None:
            index = self._owner_indexes[stream] = index_by_owner((self.objects.get(stream) or {}).values())
        return index

    def apply(self, stream: Stream, event: str, obj: dict[str, Any]) -> None:
        self._owner_indexes.pop(stream, None)
        bucket = self.objects.setdefault(stream, {})
        name = str(obj["metadata"]["name"])
        if event == "DELETED":
            bucket.pop(name, None)
        else:
            bucket[name] = obj

    def listed(self, stream: Stream) -> dict[str, dict[str, Any]] | None:
        return self.objects.get(stream)


def plan_streams(targets: Sequence[tuple[ObjRef, KindInfo | None]]) -> dict[ObjRef, Stream]:
    """The stream that carries each target: one per (kind, namespace), narrowed to the name when it
    is the only object of its kind there."""
    names: dict[tuple[KindInfo, str | None], set[str]] = {}
    for ref, info in targets:
        if info is not None:
            names.setdefault((info, ref.namespace), set()).add(ref.name)
    out: dict[ObjRef, Stream] = {}
    for ref, info in targets:
        if info is None:
            continue
        group = names[(info, ref.namespace)]
        out[ref] = Stream(info, ref.namespace, ref.name if len(group) == 1 else None)
    return out


class GateEvaluator:
    """Turns the Store into per-object statuses, applying the failure grace period. No I/O."""

    def __init__(
        self,
        targets: Sequence[tuple[ObjRef, KindInfo | None]],
        *,
        failure_grace: float = 10.0,
        require_lb_address: bool = False,
        finished_jobs: Iterable[ObjRef] = (),
        contracts: KindContracts = NO_CONTRACTS,
        absent_is_missing: bool = False,
    ) -> None:
        self.targets = list(targets)
        self.contracts = contracts
        # a snapshot of deployed releases: an object that is gone was deleted; during a deploy's
        # gate it may not have been created yet
        self.absent_is_missing = absent_is_missing
        # Jobs known to have finished before (a deployed release's Jobs with ttlSecondsAfterFinished):
        # their absence is their success. Any other Job that vanished needs proof (seen complete, or
        # its Completed event).
        self.finished_jobs = set(finished_jobs)
        self._seen_complete: set[ObjRef] = set()
        self.streams = plan_streams(self.targets)
        self.failure_grace = failure_grace
        self.require_lb_address = require_lb_address
        refs = [r for r, _ in self.targets if r.namespace]
        self.pod_namespaces = sorted({str(r.namespace) for r in refs if is_workload(r.api_version, r.kind)})
        self.rs_namespaces = sorted({str(r.namespace) for r in refs if r.kind == "Deployment" and r.group == "apps"})
        # failure grace: when a pod (by uid) or an object was first seen failing; cleared once ready.
        # Kept while a crash-looping container briefly runs between back-offs, so the loop is caught.
        self._pod_failing_since: dict[str, float] = {}
        self._obj_failing_since: dict[ObjRef, float] = {}

    def all_streams(self) -> list[Stream]:
        out = list(dict.fromkeys(self.streams.values()))
        out += [Stream(_POD, ns) for ns in self.pod_namespaces]
        out += [Stream(_REPLICASET, ns) for ns in self.rs_namespaces]
        return out

    def storage_class_names(self, store: Store) -> set[str]:
        names = set()
        for ref, stream in self.streams.items():
            if ref.kind == "PersistentVolumeClaim" and ref.group == "":
                obj = (store.listed(stream) or {}).get(ref.name)
                cls = (obj or {}).get("spec", {}).get("storageClassName")
                if cls:
                    names.add(str(cls))
        return names

    def evaluate(self, store: Store, now: float) -> list[ObjectStatus]:
        seen_pods: set[str] = set()
        out = [self._evaluate_one(ref, info, store, now, seen_pods) for ref, info in self.targets]
        for uid in set(self._pod_failing_since) - seen_pods:
            del self._pod_failing_since[uid]
        return out

    def _evaluate_one(
        self, ref: ObjRef, info: KindInfo | None, store: Store, now: float, seen_pods: set[str]
    ) -> ObjectStatus:
        if info is None:
            text = f"the cluster does not serve {ref.kind} ({ref.api_version})"
            return ObjectStatus(ref, Health("failed", text, terminal=True, rule="kstatus: kind not served"))
        stream = self.streams[ref]
        listed = store.listed(stream)
        if listed is None:
            error = store.errors.get(stream)
            text = f"cannot watch: {error}" if error else "not listed yet"
            return ObjectStatus(ref, Health("unknown", text))
        obj = listed.get(ref.name)
        if obj is None:
            self._obj_failing_since.pop(ref, None)
            return ObjectStatus(ref, self._missing(ref, store))
        base = self._object_health(ref, obj, store)
        if ref.kind == "Job" and base.ready:
            self._seen_complete.add(ref)
        pods: tuple[PodSummary, ...] = ()
        if ref.namespace and is_workload(ref.api_version, ref.kind):
            base, pods = self._with_pods(ref, obj, base, store, now, seen_pods)
        return ObjectStatus(ref, self._graced(ref, base, now), pods)

    def missing_jobs(self, store: Store) -> list[ObjRef]:
        """Jobs that are gone and whose ending is not known yet: their events may tell."""
        out = []
        for ref, stream in self.streams.items():
            listed = store.listed(stream)
            if ref.kind != "Job" or ref.group != "batch" or listed is None or ref.name in listed:
                continue
            if ref not in self._seen_complete and ref not in self.finished_jobs:
                out.append(ref)
        return out

    def _missing(self, ref: ObjRef, store: Store) -> Health:
        if ref.kind == "Job" and ref.group == "batch":
            rule = "kstatus: Job (removed after it finished)"
            if ref in self._seen_complete or ref in self.finished_jobs:
                return Health("ready", "completed, then removed (ttlSecondsAfterFinished)", rule=rule)
            ending = store.job_endings.get(ref)
            if ending == "Completed":
                text = "completed, then removed (ttlSecondsAfterFinished); its Completed event says so"
                return Health("ready", text, rule=rule)
            if ending:
                return Health("failed", f"job failed ({ending}), then was removed", terminal=True, rule=rule)
        return missing() if self.absent_is_missing else not_created_yet()

    def _object_health(self, ref: ObjRef, obj: Mapping[str, Any], store: Store) -> Health:
        if ref.kind == "PersistentVolumeClaim" and ref.group == "":
            cls = obj.get("spec", {}).get("storageClassName")
            missing = cls and cls in store.storage_classes and store.storage_classes[cls] is None
            # a claim naming its volume binds to it statically: its class is only a name to match
            static = bool(obj.get("spec", {}).get("volumeName"))
            if missing and not static and obj.get("status", {}).get("phase") != "Bound":
                return failed(f"StorageClass {cls} does not exist")
            mode = store.storage_classes.get(cls) if cls else None
            return health(obj, wait_for_first_consumer=mode == "WaitForFirstConsumer", contracts=self.contracts)
        return health(obj, require_lb_address=self.require_lb_address, contracts=self.contracts)

    def _with_pods(
        self,
        ref: ObjRef,
        obj: Mapping[str, Any],
        base: Health,
        store: Store,
        now: float,
        seen_pods: set[str],
    ) -> tuple[Health, tuple[PodSummary, ...]]:
        pods_by_name = store.listed(Stream(_POD, ref.namespace))
        if pods_by_name is None:
            return base, ()
        rs_stream = Stream(_REPLICASET, ref.namespace)
        current = current_pods(
            obj,
            pods_by_name.values(),
            (store.listed(rs_stream) or {}).values(),
            pod_index=store.owner_index(Stream(_POD, ref.namespace)),
            replicaset_index=store.owner_index(rs_stream),
        )
        summaries = tuple(summarize_pod(p) for p in current)
        if base.ready or base.terminal:
            for pod in current:
                self._pod_failing_since.pop(str(pod["metadata"].get("uid", "")), None)
            return base, summaries
        worst_failed: tuple[float, str] | None = None
        first_waiting: str | None = None
        for pod in current:
            uid = str(pod["metadata"].get("uid", ""))
            name = pod["metadata"]["name"]
            seen_pods.add(uid)
            why = pod_is_failing(pod)
            if why:
                since = self._pod_failing_since.setdefault(uid, now)
                if worst_failed is None or since < worst_failed[0]:
                    worst_failed = (since, f"pod {name}: {why}")
                continue
            pod_state = pod_health(pod)
            if pod_state.ready:
                self._pod_failing_since.pop(uid, None)
            elif first_waiting is None:
                first_waiting = f"pod {name}: {pod_state.reason}"
        if worst_failed is not None:
            since, text = worst_failed
            if now - since >= self.failure_grace:
                # the grace period is spent: marked terminal so _graced does not start another
                return derived(base, failed(f"{text} (for {now - since:.0f}s)", terminal=True)), summaries
            return derived(base, progressing(f"{base.reason}; {text}")), summaries
        if first_waiting is not None and not base.failed:
            return derived(base, progressing(f"{base.reason}; {first_waiting}")), summaries
        return base, summaries

    def _graced(self, ref: ObjRef, state: Health, now: float) -> Health:
        """A non-terminal failure counts once it has lasted the grace period."""
        if state.ready:
            self._obj_failing_since.pop(ref, None)
            return state
        if not state.failed or state.terminal:
            return state
        since = self._obj_failing_since.setdefault(ref, now)
        if now - since >= self.failure_grace:
            return state
        return derived(state, progressing(f"{state.reason} (failing for {now - since:.0f}s)"))


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
        res = cast(type[GenericGlobalResource], resource_class(_STORAGE_CLASS))
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


def observe(
    client: lightkube.Client,
    objects: Sequence[ObjRef],
    *,
    require_lb_address: bool = False,
    finished_jobs: Iterable[ObjRef] = (),
    rules: KindRule | None = None,
    absent_is_missing: bool = False,
) -> list[ObjectStatus]:
    """The health of the objects right now, for ``status``: one list per (kind, namespace) plus the
    namespaces' pods and ReplicaSets, never a request per object or pod. Failing pods count at once
    (there is no grace period in a snapshot). ``finished_jobs``: Jobs whose absence means they
    finished and were removed by their TTL; ``absent_is_missing``: the objects are a deployed
    release's, so one that is gone was deleted (else: not created yet)."""
    return observe_snapshot(
        client,
        objects,
        require_lb_address=require_lb_address,
        finished_jobs=finished_jobs,
        rules=rules,
        absent_is_missing=absent_is_missing,
    ).statuses


@dataclass(frozen=True)
class Snapshot:
    """:func:`observe`'s statuses with what the lists brought besides, so a resource tree (workload,
    ReplicaSets, pods) needs no second reading. Only identities of the objects leave the port (a
    Secret's data stays here); pods and ReplicaSets whole, by namespace."""

    statuses: list[ObjectStatus]
    uids: dict[ObjRef, str]
    pods: dict[str, list[dict[str, Any]]]
    replicasets: dict[str, list[dict[str, Any]]]
    # the Jobs of the namespaces holding a CronJob (asked for with ``cronjob_jobs``): what it started
    jobs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    queries: list[ListQuery] = field(default_factory=list)  # the lists it took, for a next prefetch


def observe_snapshot(
    client: lightkube.Client,
    objects: Sequence[ObjRef],
    *,
    require_lb_address: bool = False,
    finished_jobs: Iterable[ObjRef] = (),
    cronjob_jobs: bool = False,
    prelisted: Mapping[tuple[Any, ...], list[dict[str, Any]] | ClusterError] | None = None,
    rules: KindRule | None = None,
    absent_is_missing: bool = False,
) -> Snapshot:
    """:func:`observe`, keeping the uid of every object found and the namespaces' pods and ReplicaSets.
    With ``cronjob_jobs``, also the Jobs (and pods) of the namespaces holding a CronJob, for a tree of
    CronJob > Job > Pod; ``status`` does without those lists.

    ``prelisted``: lists the caller already made, by :attr:`ListQuery.key`, taken instead of
    listing again (a status lists them together with the release Secrets, in one round of lists).
    ``rules``: the platform file's health rules per kind; ``absent_is_missing``: as for :func:`observe`.
    """
    targets = resolve_targets(client, objects)
    prelisted = prelisted or {}
    evaluator = GateEvaluator(
        targets,
        failure_grace=0.0,
        require_lb_address=require_lb_address,
        finished_jobs=finished_jobs,
        contracts=kind_contracts(client, targets, rules, prelisted.get(CRD_QUERY.key)),
        absent_is_missing=absent_is_missing,
    )
    store = Store()
    cron_namespaces = sorted(
        {str(r.namespace) for r, info in targets if info and r.namespace and r.kind == "CronJob" and r.group == "batch"}
        if cronjob_jobs
        else set()
    )
    pod_namespaces = sorted({*evaluator.pod_namespaces, *cron_namespaces})
    # a namespace's Jobs may be listed already, for the release's own Jobs
    streams = list(
        dict.fromkeys(
            [
                *evaluator.all_streams(),
                *(Stream(_POD, ns) for ns in cron_namespaces),
                *(Stream(_JOB, ns) for ns in cron_namespaces),
            ]
        )
    )
    queries = [
        ListQuery(s.info.api_version, s.info.kind, s.namespace, fields={"metadata.name": s.name} if s.name else None)
        for s in streams
    ]
    missing = [q for q in queries if q.key not in prelisted]
    fetched = dict(zip((q.key for q in missing), list_each(client, missing), strict=True))
    results = [prelisted[q.key] if q.key in prelisted else fetched[q.key] for q in queries]
    for stream, listed in zip(streams, results, strict=True):
        if isinstance(listed, ClusterError):
            store.errors[stream] = listed.message
        else:
            store.replace(stream, listed)
    for name in evaluator.storage_class_names(store):
        storage_class = get_object(client, ObjRef(_STORAGE_CLASS.api_version, "StorageClass", name))
        store.storage_classes[name] = (
            str(storage_class.get("volumeBindingMode") or "Immediate") if storage_class else None
        )
    statuses = evaluator.evaluate(store, time.monotonic())
    uids: dict[ObjRef, str] = {}
    for ref, stream in evaluator.streams.items():
        found = (store.listed(stream) or {}).get(ref.name)
        uid = (found or {}).get("metadata", {}).get("uid")
        if uid:
            uids[ref] = str(uid)

    def by_namespace(info: KindInfo, namespaces: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        return {ns: list((store.listed(Stream(info, ns)) or {}).values()) for ns in namespaces}

    if custom_kinds(info for _, info in targets):
        queries.append(CRD_QUERY)  # listed: a next status lists it in its first round
    return Snapshot(
        statuses,
        uids,
        by_namespace(_POD, pod_namespaces),
        by_namespace(_REPLICASET, evaluator.rs_namespaces),
        by_namespace(_JOB, cron_namespaces),
        queries,
    )


def kind_contracts(
    client: lightkube.Client,
    targets: Sequence[tuple[ObjRef, KindInfo | None]],
    rules: KindRule | None,
    crds: list[dict[str, Any]] | ClusterError | None = None,
) -> KindContracts:
    """What decides the targets' health besides themselves: the platform's rules, and whether the
    CRDs of the custom kinds among them declare a status (read once, here; ``crds``: the CRDs'
    metadata when the caller listed it already)."""
    return KindContracts(rules, status_subresources(client, (info for _, info in targets), crds))


def resolve_targets(client: lightkube.Client, objects: Iterable[ObjRef]) -> list[tuple[ObjRef, KindInfo | None]]:
    """Each object with its kind as the cluster serves it (namespace dropped for cluster-scoped ones)."""
    out: dict[ObjRef, KindInfo | None] = {}
    for ref in objects:
        normal, info = normalize(client, ref)
        out.setdefault(normal, info)
    return list(out.items())


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
