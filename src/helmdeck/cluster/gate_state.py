"""What a health gate knows and concludes, without I/O: the streams it follows (one list+watch per
kind and namespace), the :class:`Store` of what they have seen, and the :class:`GateEvaluator` that
turns the store into one :class:`ObjectStatus` per object, applying the failure grace period. The
watching gate (:mod:`helmdeck.cluster.watch`) and a one-off reading
(:mod:`helmdeck.cluster.snapshot`) share it; unit tests drive it with stores made by hand.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from helmdeck.cluster.health_state import Health, derived, failed, missing, not_created_yet, progressing
from helmdeck.cluster.kinds import KindInfo
from helmdeck.cluster.objects import ObjRef
from helmdeck.cluster.pods import (
    OwnerIndex,
    PodSummary,
    current_pods,
    index_by_owner,
    pod_is_failing,
    reindex_owner,
    summarize_pod,
)
from helmdeck.cluster.readiness import NO_CONTRACTS, KindContracts, health, is_workload
from helmdeck.serialize import JsonObject, json_field

POD = KindInfo("v1", "Pod", "pods", True)
REPLICASET = KindInfo("apps/v1", "ReplicaSet", "replicasets", True)
JOB = KindInfo("batch/v1", "Job", "jobs", True)
STORAGE_CLASS = KindInfo("storage.k8s.io/v1", "StorageClass", "storageclasses", False)


@dataclass(frozen=True)
class ObjectStatus(JsonObject):
    ref: ObjRef = field(metadata=json_field(name="object"))
    health: Health
    pods: tuple[PodSummary, ...] = ()  # the current pods of a workload


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

    # built when first asked, dropped when the stream lists again, kept up to date by its events
    # (rebuilt on every Pod event, it cost a deploy of 1000 components a pass over the namespace's
    # pods per event)
    _owner_indexes: dict[Stream, dict[str, list[Mapping[str, Any]]]] = field(default_factory=dict)

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

    def apply(self, stream: Stream, event: str, obj: dict[str, Any]) -> dict[str, Any] | None:
        """Take in one watch event; returns the object as the stream had it before (None: absent)."""
        bucket = self.objects.setdefault(stream, {})
        name = str(obj["metadata"]["name"])
        if event == "DELETED":
            old = bucket.pop(name, None)
        else:
            old = bucket.get(name)
            bucket[name] = obj
        index = self._owner_indexes.get(stream)
        if index is not None:
            reindex_owner(index, old, None if event == "DELETED" else obj)
        return old

    def listed(self, stream: Stream) -> Mapping[str, dict[str, Any]] | None:
        return self.objects.get(stream)

    def error(self, stream: Stream) -> str | None:
        """Why the stream could not be listed or watched, while it cannot."""
        return self.errors.get(stream)

    def drop(self, stream: Stream) -> None:
        """Forget a stream nobody follows any more."""
        self.objects.pop(stream, None)
        self.errors.pop(stream, None)
        self._owner_indexes.pop(stream, None)


@dataclass(eq=False)
class Interest:
    """Which changes to a stream concern a gate: those to the objects it names, and (on the Pods and
    ReplicaSets that explain its workloads) those to objects owned by ``owners``, uids the gate
    keeps up to date as it evaluates. Woken by every Pod and ReplicaSet of its namespace, a gate of
    a deploy of 1000 components (100 a namespace) evaluated itself again for each of theirs."""

    names: frozenset[str]
    owners: set[str] | None = None


def plan_streams(targets: Sequence[tuple[ObjRef, KindInfo | None]], *, shared: bool = False) -> dict[ObjRef, Stream]:
    """The stream that carries each target: one per (kind, namespace), narrowed to the name when it
    is the only object of its kind there. ``shared``: the streams serve other gates too, so a
    namespaced kind is followed whole (one stream for every gate there); a cluster-scoped kind stays
    narrowed to each name (the whole of a kind such as CustomResourceDefinition is large, and other
    gates rarely wait on the same cluster-scoped object), and so do Secrets (a namespace's Secrets
    hold Helm's release records: large, and written by every install there)."""
    names: dict[tuple[KindInfo, str | None], set[str]] = {}
    for ref, info in targets:
        if info is not None:
            names.setdefault((info, ref.namespace), set()).add(ref.name)
    out: dict[ObjRef, Stream] = {}
    for ref, info in targets:
        if info is None:
            continue
        if shared:
            narrow = ref.namespace is None or (info.api_version, info.kind) == ("v1", "Secret")
        else:
            narrow = len(names[(info, ref.namespace)]) == 1
        out[ref] = Stream(info, ref.namespace, ref.name if narrow else None)
    return out


def uids_of(objs: Iterable[Mapping[str, Any]]) -> set[str]:
    """The objects' own uids (:func:`~helmdeck.cluster.pods.owner_uids` gives their owners')."""
    return {str(o.get("metadata", {}).get("uid") or "") for o in objs} - {""}


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
        shared_streams: bool = False,
    ) -> None:
        """``shared_streams``: the streams are followed for other gates too (see :func:`plan_streams`)."""
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
        self.streams = plan_streams(self.targets, shared=shared_streams)
        self.failure_grace = failure_grace
        self.require_lb_address = require_lb_address
        refs = [r for r, _ in self.targets if r.namespace]
        self.pod_namespaces = sorted({str(r.namespace) for r in refs if is_workload(r.api_version, r.kind)})
        self.rs_namespaces = sorted({str(r.namespace) for r in refs if r.kind == "Deployment" and r.group == "apps"})
        # failure grace: when a pod (by uid) or an object was first seen failing; cleared once ready.
        # Kept while a crash-looping container briefly runs between back-offs, so the loop is caught.
        self._pod_failing_since: dict[str, float] = {}
        self._obj_failing_since: dict[ObjRef, float] = {}
        #: the uids of the workloads and of their Deployments' ReplicaSets, as of the last
        #: evaluation: the owners of the Pods and ReplicaSets whose changes concern the gate
        #: (updated in place: the streams' :class:`Interest` holds it)
        self.owners: set[str] = set()

    def all_streams(self) -> list[Stream]:
        out = list(dict.fromkeys(self.streams.values()))
        out += [Stream(POD, ns) for ns in self.pod_namespaces]
        out += [Stream(REPLICASET, ns) for ns in self.rs_namespaces]
        return list(dict.fromkeys(out))  # a Pod or ReplicaSet may be a target itself

    def interest(self) -> dict[Stream, Interest]:
        """Each stream the gate follows, with the changes that concern it: to the objects it names,
        and on the Pods and ReplicaSets that explain its workloads, to those its workloads (and
        their ReplicaSets) own, as of its last evaluation: a change to a workload's object (a new
        ReplicaSet of a Deployment) wakes it by that object's name or owner, and the evaluation
        that follows learns the new owner before any change to what it owns can be missed."""
        names: dict[Stream, set[str]] = {}
        for ref, stream in self.streams.items():
            names.setdefault(stream, set()).add(ref.name)
        whole = {Stream(POD, ns) for ns in self.pod_namespaces} | {Stream(REPLICASET, ns) for ns in self.rs_namespaces}
        return {
            s: Interest(frozenset(names.get(s, ())), self.owners if s in whole else None) for s in self.all_streams()
        }

    @property
    def timing(self) -> bool:
        """Whether a grace period runs: then the statuses change with time alone."""
        return bool(self._pod_failing_since or self._obj_failing_since)

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
        self.owners.clear()
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
            error = store.error(stream)
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
        uid = str(obj.get("metadata", {}).get("uid") or "")
        rs_stream = Stream(REPLICASET, ref.namespace)
        if uid:
            self.owners.add(uid)
            if ref.kind == "Deployment" and ref.group == "apps":
                self.owners.update(uids_of(store.owner_index(rs_stream).get(uid, ())))
        pods_by_name = store.listed(Stream(POD, ref.namespace))
        if pods_by_name is None:
            return base, ()
        current = current_pods(
            obj,
            pods_by_name.values(),
            (store.listed(rs_stream) or {}).values(),
            pod_index=store.owner_index(Stream(POD, ref.namespace)),
            replicaset_index=store.owner_index(rs_stream),
        )
        summaries = tuple(summarize_pod(p) for p in current)
        if base.ready or base.terminal:
            for pod in current:
                self._pod_failing_since.pop(str(pod["metadata"].get("uid", "")), None)
            return base, summaries
        worst_failed: tuple[float, str] | None = None
        first_waiting: str | None = None
        for pod, summary in zip(current, summaries, strict=True):
            uid = str(pod["metadata"].get("uid", ""))
            name = pod["metadata"]["name"]
            seen_pods.add(uid)
            why = pod_is_failing(pod)
            if why:
                since = self._pod_failing_since.setdefault(uid, now)
                if worst_failed is None or since < worst_failed[0]:
                    worst_failed = (since, f"pod {name}: {why}")
                continue
            pod_state = summary.health  # pod_health(pod), worked out once
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
