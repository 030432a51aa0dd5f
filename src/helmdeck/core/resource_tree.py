"""A release's objects as a tree, as Argo CD draws an application: each workload over the
ReplicaSets and Pods it owns (a CronJob over the Jobs it started and their Pods), then the objects
that own nothing (Services, claims, ConfigMaps, Secrets by name only). Built from one
:func:`helmdeck.cluster.observe_snapshot`, so the health shown is the one ``status`` and the deploy
gate judge by."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from helmdeck.cluster import Health as ObjectHealth
from helmdeck.cluster import PodSummary, Snapshot, health, summarize_pod
from helmdeck.cluster.pods import ContainerSummary, index_by_owner
from helmdeck.health import Health
from helmdeck.serialize import JsonObject, json_field

# the order Argo CD lists an application's objects in: what runs first, then what it uses
_KIND_ORDER = {
    kind: i
    for i, kind in enumerate(
        [
            "Deployment",
            "StatefulSet",
            "DaemonSet",
            "Job",
            "CronJob",
            "Service",
            "Ingress",
            "PersistentVolumeClaim",
            "ConfigMap",
            "Secret",
        ]
    )
}


def health_word(state: str) -> Health:
    """The overview's word for a health state: an object that is ready is "healthy"."""
    return Health.of_state(state)


@dataclass(frozen=True)
class TreeContainer(JsonObject):
    """A container as the tree shows it: fewer keys than :class:`ContainerSummary`'s own JSON."""

    name: str
    init: bool
    ready: bool
    state: str
    reason: str | None
    message: str | None
    restarts: int
    exit_code: int | None
    last_reason: str | None
    image: str | None

    @classmethod
    def of(cls, c: ContainerSummary) -> TreeContainer:
        return cls(
            c.name, c.init, c.ready, c.state, c.reason, c.message, c.restart_count, c.exit_code, c.last_reason, c.image
        )


@dataclass(frozen=True)
class TreePod(JsonObject):
    """A pod as the tree shows it: its name, namespace and health are the node's own."""

    phase: str
    node: str | None
    containers: tuple[TreeContainer, ...]

    @classmethod
    def of(cls, pod: PodSummary) -> TreePod:
        return cls(pod.phase, pod.node, tuple(TreeContainer.of(c) for c in pod.containers))


@dataclass
class TreeNode(JsonObject):
    kind: str
    name: str
    namespace: str | None
    health: Health
    reason: str
    children: list[TreeNode] = field(default_factory=list)
    pod: PodSummary | None = field(default=None, metadata=json_field(convert=TreePod.of))
    current: bool = True  # a ReplicaSet of an older revision of its Deployment is not
    hook: str = ""  # a Helm hook's events ("pre-install, pre-upgrade"); empty for the release's objects

    __json_order__ = ("kind", "name", "namespace", "health", "reason", "current", "hook", "pod", "children")

    def walk(self) -> list[TreeNode]:
        return [self, *(n for child in self.children for n in child.walk())]


def _node(kind: str, obj: Mapping[str, Any], state: ObjectHealth, **extra: Any) -> TreeNode:
    meta = obj.get("metadata") or {}
    return TreeNode(
        kind, str(meta.get("name", "")), meta.get("namespace"), health_word(state.state), state.reason, **extra
    )


def _pod_node(pod: Mapping[str, Any]) -> TreeNode:
    summary = summarize_pod(pod)
    return TreeNode(
        "Pod", summary.name, summary.namespace, health_word(summary.health.state), summary.health.reason, pod=summary
    )


def _revision(obj: Mapping[str, Any]) -> int:
    value = ((obj.get("metadata") or {}).get("annotations") or {}).get("deployment.kubernetes.io/revision")
    try:
        return int(str(value))
    except ValueError:
        return -1


def _uid(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("uid", ""))


def _by_name(objs: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return sorted(objs, key=lambda o: str((o.get("metadata") or {}).get("name", "")))


def _newest_first(objs: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    def created(obj: Mapping[str, Any]) -> tuple[str, str]:
        meta = obj.get("metadata") or {}
        # RFC 3339 in UTC ("...Z"): ordered as text
        return str(meta.get("creationTimestamp") or ""), str(meta.get("name", ""))

    return sorted(objs, key=created, reverse=True)


def build_tree(snapshot: Snapshot, hooks: Mapping[tuple[str, str], str] | None = None) -> list[TreeNode]:
    """The release's objects, workloads with what they own. Old ReplicaSets of a Deployment show while
    they still have pods (a rolling update in progress), the current one always. A CronJob shows the
    Jobs it started that still exist (the newest first; its history limits and the Jobs' TTL remove
    the others), each over its pods. ``hooks``: the objects of the snapshot that are Helm hooks, by
    (kind, name), with their events; shown while they exist (their delete policy removes them)."""
    hooks = hooks or {}
    pods_by_owner = {ns: index_by_owner(pods) for ns, pods in snapshot.pods.items()}
    rs_by_owner = {ns: index_by_owner(rss) for ns, rss in snapshot.replicasets.items()}
    jobs_by_owner = {ns: index_by_owner(jobs) for ns, jobs in snapshot.jobs.items()}
    nodes: list[TreeNode] = []
    for status in snapshot.statuses:
        ref = status.ref
        uid = snapshot.uids.get(ref)
        hook = hooks.get((ref.kind, ref.name), "")
        if hook and not uid:
            continue  # deleted by its hook-delete-policy, or not run yet: nothing to show
        node = TreeNode(
            ref.kind, ref.name, ref.namespace, health_word(status.health.state), status.health.reason, hook=hook
        )
        ns = ref.namespace or ""
        owned_pods = pods_by_owner.get(ns, {})
        if uid and ref.kind == "Deployment" and ref.group == "apps":
            replicasets = list(rs_by_owner.get(ns, {}).get(uid, ()))
            newest = max((_revision(rs) for rs in replicasets), default=-1)
            for rs in sorted(replicasets, key=_revision, reverse=True):
                current = _revision(rs) == newest
                pods = owned_pods.get(_uid(rs), [])
                if not current and not pods and not (rs.get("status") or {}).get("replicas"):
                    continue
                child = _node("ReplicaSet", rs, health(rs), current=current)
                child.children = [_pod_node(p) for p in _by_name(pods)]
                node.children.append(child)
        elif uid and ref.kind == "CronJob" and ref.group == "batch":
            for job in _newest_first(jobs_by_owner.get(ns, {}).get(uid, [])):
                child = _node("Job", job, health(job))
                child.children = [_pod_node(p) for p in _by_name(owned_pods.get(_uid(job), []))]
                node.children.append(child)
        elif uid:
            node.children = [_pod_node(p) for p in _by_name(owned_pods.get(uid, []))]
        nodes.append(node)
    nodes.sort(key=lambda n: (_KIND_ORDER.get(n.kind, len(_KIND_ORDER)), n.kind, n.name))
    return nodes
