"""A workload's pods: which are current, what their containers are doing, and their last log lines."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx2
import lightkube

from helmdeck.cluster.health_state import FAILING_WAIT_REASONS, Health, as_list, as_map, group_of
from helmdeck.cluster.pod_readiness import pod_failure, pod_health, unschedulable
from helmdeck.serialize import JsonObject, json_field


@dataclass(frozen=True)
class ContainerSummary(JsonObject):
    name: str
    init: bool
    ready: bool
    state: str  # running | waiting | terminated | unknown
    reason: str | None  # of the waiting or terminated state
    message: str | None
    exit_code: int | None  # of the current terminated state
    last_exit_code: int | None  # of the previous run (lastState.terminated)
    last_reason: str | None
    restart_count: int
    image: str | None

    @property
    def failing(self) -> bool:
        if self.state == "waiting":
            return self.reason in FAILING_WAIT_REASONS
        return self.init and self.state == "terminated" and (self.exit_code or 0) != 0


@dataclass(frozen=True)
class PodSummary(JsonObject):
    namespace: str
    name: str
    uid: str = field(metadata=json_field(exclude=True))
    phase: str
    node: str | None
    health: Health
    containers: tuple[ContainerSummary, ...] = ()
    # PersistentVolumeClaims the pod mounts
    claims: tuple[str, ...] = field(default=(), metadata=json_field(exclude=True))

    @property
    def failing_container(self) -> ContainerSummary | None:
        """The container whose logs explain the failure: a failing one, else one that restarted."""
        for container in self.containers:
            if container.failing:
                return container
        restarted = [c for c in self.containers if c.restart_count and c.last_exit_code]
        return restarted[0] if restarted else None


def _container_summary(status: Mapping[str, Any], *, init: bool) -> ContainerSummary:
    state = as_map(status.get("state"))
    kind, detail = "unknown", as_map(None)
    for key in ("waiting", "running", "terminated"):
        if key in state:
            kind, detail = key, as_map(state.get(key))
            break
    last = as_map(as_map(status.get("lastState")).get("terminated"))
    exit_code = detail.get("exitCode") if kind == "terminated" else None
    return ContainerSummary(
        name=str(status.get("name", "")),
        init=init,
        ready=bool(status.get("ready")),
        state=kind,
        reason=detail.get("reason"),
        message=detail.get("message"),
        exit_code=exit_code if isinstance(exit_code, int) else None,
        last_exit_code=last.get("exitCode") if isinstance(last.get("exitCode"), int) else None,
        last_reason=last.get("reason"),
        restart_count=int(status.get("restartCount") or 0),
        image=status.get("image"),
    )


def summarize_pod(pod: Mapping[str, Any]) -> PodSummary:
    meta, spec, status = as_map(pod.get("metadata")), as_map(pod.get("spec")), as_map(pod.get("status"))
    containers = tuple(
        _container_summary(s, init=key == "initContainerStatuses")
        for key in ("initContainerStatuses", "containerStatuses")
        for s in as_list(status.get(key))
        if isinstance(s, Mapping)
    )
    claims = tuple(
        str(as_map(v.get("persistentVolumeClaim")).get("claimName"))
        for v in as_list(spec.get("volumes"))
        if isinstance(v, Mapping) and as_map(v.get("persistentVolumeClaim")).get("claimName")
    )
    return PodSummary(
        namespace=str(meta.get("namespace", "")),
        name=str(meta.get("name", "")),
        uid=str(meta.get("uid", "")),
        phase=str(status.get("phase") or "Pending"),
        node=spec.get("nodeName"),
        health=pod_health(pod),
        containers=containers,
        claims=claims,
    )


def matches_selector(selector: Mapping[str, Any] | None, labels: Mapping[str, Any] | None) -> bool:
    """A metav1.LabelSelector (matchLabels + matchExpressions) against an object's labels.

    An empty selector matches everything, as the API defines it; a missing one matches nothing.
    """
    if selector is None:
        return False
    labels = labels or {}
    for key, value in as_map(selector.get("matchLabels")).items():
        if labels.get(key) != value:
            return False
    for expr in as_list(selector.get("matchExpressions")):
        key, op, values = expr.get("key"), expr.get("operator"), as_list(expr.get("values"))
        present = key in labels
        if op == "In" and not (present and labels[key] in values):
            return False
        if op == "NotIn" and present and labels[key] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


def owned_by(obj: Mapping[str, Any], uid: str) -> bool:
    # hot: status and every health gate match each workload against every pod of its namespace
    meta = obj.get("metadata")
    refs = meta.get("ownerReferences") if isinstance(meta, Mapping) else None
    if not isinstance(refs, list):
        return False
    return any(isinstance(ref, Mapping) and ref.get("uid") == uid for ref in refs)


#: uid of an owner -> the objects it owns
OwnerIndex = Mapping[str, list[Mapping[str, Any]]]


def owner_uids(obj: Mapping[str, Any] | None) -> list[str]:
    """The uids of the object's owners (none for None)."""
    refs = as_map(obj.get("metadata")).get("ownerReferences") if obj is not None else None
    if not isinstance(refs, list):
        return []
    return [str(uid) for ref in refs if isinstance(ref, Mapping) and (uid := ref.get("uid"))]


def index_by_owner(objs: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    """The objects by the uid of each of their owners: matching every workload against every pod of
    its namespace is quadratic (a 100-component status spent most of its own time there)."""
    index: dict[str, list[Mapping[str, Any]]] = {}
    for obj in objs:
        for uid in owner_uids(obj):
            index.setdefault(uid, []).append(obj)
    return index


def reindex_owner(
    index: dict[str, list[Mapping[str, Any]]], old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
) -> None:
    """Update ``index`` (:func:`index_by_owner`) for one object that changed from ``old`` to ``new``
    (None: absent), keeping each owner's list in the order a rebuild would give: a watch event costs
    this, not a rebuild over the whole namespace."""
    before, after = owner_uids(old), owner_uids(new)
    kept = set()
    for uid in before:
        owned = index.get(uid, [])
        at = next((i for i, o in enumerate(owned) if o is old), None)
        if at is not None and new is not None and uid in after:
            owned[at] = new  # same owner: the object keeps its place
            kept.add(uid)
        elif at is not None:
            del owned[at]
            if not owned:
                del index[uid]
    if new is not None:
        for uid in after:
            if uid not in kept:
                index.setdefault(uid, []).append(new)


def _owned(uid: str, objs: Iterable[Mapping[str, Any]], index: OwnerIndex | None) -> list[Mapping[str, Any]]:
    if not uid:
        return []
    if index is not None:
        return list(index.get(uid, ()))
    return [o for o in objs if owned_by(o, uid)]


def _revision(obj: Mapping[str, Any]) -> int:
    value = as_map(as_map(obj.get("metadata")).get("annotations")).get("deployment.kubernetes.io/revision")
    try:
        return int(value) if value is not None else -1
    except ValueError:
        return -1


def current_replicaset(
    deployment: Mapping[str, Any], replicasets: Iterable[Mapping[str, Any]], *, index: OwnerIndex | None = None
) -> Mapping[str, Any] | None:
    """The ReplicaSet of the Deployment's current revision (the newest when the revisions disagree).
    ``index``: the ReplicaSets by owner (:func:`index_by_owner`), when already built."""
    owned = _owned(str(as_map(deployment.get("metadata")).get("uid", "")), replicasets, index)
    if not owned:
        return None
    want = _revision(deployment)
    for rs in owned:
        if want >= 0 and _revision(rs) == want:
            return rs
    return max(owned, key=_revision)


def current_pods(
    workload: Mapping[str, Any],
    pods: Iterable[Mapping[str, Any]],
    replicasets: Iterable[Mapping[str, Any]] = (),
    *,
    pod_index: OwnerIndex | None = None,
    replicaset_index: OwnerIndex | None = None,
) -> list[Mapping[str, Any]]:
    """The pods that make up the workload's current revision (old-revision pods of a rolling update
    are left out: their failures are what the update is replacing). The indexes, when given, are
    ``pods`` and ``replicasets`` by owner (:func:`index_by_owner`)."""
    kind = workload.get("kind")
    group = group_of(str(workload.get("apiVersion", "")))
    meta, spec = as_map(workload.get("metadata")), as_map(workload.get("spec"))
    status = as_map(workload.get("status"))
    uid = str(meta.get("uid", ""))
    pods = list(pods)
    if group == "" and kind == "Pod":
        return [workload]
    if not uid:  # not a live object: fall back to the selector
        selector = as_map(spec.get("selector"))
        return [p for p in pods if matches_selector(selector, _labels(p))]
    if group == "apps" and kind == "Deployment":
        rs = current_replicaset(workload, replicasets, index=replicaset_index)
        if rs is None:
            return []
        uid = str(as_map(rs.get("metadata")).get("uid", ""))
    owned = _owned(uid, pods, pod_index)
    if group == "apps" and kind == "StatefulSet" and status.get("updateRevision"):
        return [p for p in owned if _labels(p).get("controller-revision-hash") == status["updateRevision"]]
    if group == "apps" and kind == "DaemonSet" and meta.get("generation") is not None:
        generation = str(meta["generation"])
        return [p for p in owned if _labels(p).get("pod-template-generation", generation) == generation]
    return owned


def _labels(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return as_map(as_map(obj.get("metadata")).get("labels"))


def pod_is_failing(pod: Mapping[str, Any]) -> str | None:
    """Why a controller-owned pod is failing, by its container states only: a pod in phase Failed is
    replaced by its controller (or counted by its Job), so it does not fail the workload by itself."""
    if as_map(pod.get("metadata")).get("deletionTimestamp"):
        return None
    if as_map(pod.get("status")).get("phase") in ("Failed", "Succeeded"):
        return None
    return pod_failure(pod) or unschedulable(pod)


@dataclass(frozen=True)
class LogTail(JsonObject):
    pod: str
    container: str
    lines: tuple[str, ...] = ()
    # why there are no lines
    unavailable: str | None = field(default=None, metadata=json_field(omit_if_empty=True))


def tail_logs(client: lightkube.Client, namespace: str, pod: str, container: str, lines: int = 20) -> LogTail:
    """The last ``lines`` log lines of a container. Never raises for unavailable logs (a node without a
    kubelet, as in the sandbox, a container that never started, missing permission): it says why."""
    try:
        text = list(client.log(pod, namespace=namespace, container=container, tail_lines=lines, newlines=False))
    except lightkube.ApiError as err:
        why = err.status.message or err.status.reason
        return LogTail(pod, container, unavailable=f"logs unavailable: {why}")
    except (httpx2.HTTPError, OSError) as err:
        return LogTail(pod, container, unavailable=f"logs unavailable: {type(err).__name__}: {err}")
    return LogTail(pod, container, tuple(text[-lines:]) if lines > 0 else ())
