"""The health of a set of objects right now, for ``status`` and ``doctor --live``: one list per
(kind, namespace) plus the namespaces' pods and ReplicaSets, judged by the same
:class:`~helmdeck.cluster.gate_state.GateEvaluator` as the health gate, without its grace period.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import lightkube

from helmdeck.cluster.crd_status import CRD_QUERY, custom_kinds, status_subresources
from helmdeck.cluster.gate_state import JOB, POD, REPLICASET, STORAGE_CLASS, GateEvaluator, ObjectStatus, Store, Stream
from helmdeck.cluster.kinds import KindInfo, ListQuery, get_object, list_each, normalize
from helmdeck.cluster.objects import ObjRef
from helmdeck.cluster.readiness import KindContracts, KindRule
from helmdeck.errors import ClusterError


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
    cron_namespaces = _cronjob_namespaces(targets) if cronjob_jobs else []
    pod_namespaces = sorted({*evaluator.pod_namespaces, *cron_namespaces})
    # a namespace's Jobs may be listed already, for the release's own Jobs
    streams = [*evaluator.all_streams(), *(Stream(POD, ns) for ns in cron_namespaces)]
    streams = list(dict.fromkeys([*streams, *(Stream(JOB, ns) for ns in cron_namespaces)]))
    queries = _fill(client, store, streams, prelisted)
    _read_storage_classes(client, evaluator, store)
    statuses = evaluator.evaluate(store, time.monotonic())
    uids = _uids(evaluator, store)

    def by_namespace(info: KindInfo, namespaces: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        return {ns: list((store.listed(Stream(info, ns)) or {}).values()) for ns in namespaces}

    if custom_kinds(info for _, info in targets):
        queries.append(CRD_QUERY)  # listed: a next status lists it in its first round
    return Snapshot(
        statuses,
        uids,
        by_namespace(POD, pod_namespaces),
        by_namespace(REPLICASET, evaluator.rs_namespaces),
        by_namespace(JOB, cron_namespaces),
        queries,
    )


def _cronjob_namespaces(targets: Sequence[tuple[ObjRef, KindInfo | None]]) -> list[str]:
    return sorted(
        {str(r.namespace) for r, info in targets if info and r.namespace and r.kind == "CronJob" and r.group == "batch"}
    )


def _fill(
    client: lightkube.Client,
    store: Store,
    streams: Sequence[Stream],
    prelisted: Mapping[tuple[Any, ...], list[dict[str, Any]] | ClusterError],
) -> list[ListQuery]:
    """List every stream once (those not listed by the caller already) into ``store``; the queries."""
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
    return queries


def _read_storage_classes(client: lightkube.Client, evaluator: GateEvaluator, store: Store) -> None:
    """The binding mode of each StorageClass the claims name (None: it does not exist)."""
    for name in evaluator.storage_class_names(store):
        storage_class = get_object(client, ObjRef(STORAGE_CLASS.api_version, "StorageClass", name))
        store.storage_classes[name] = (
            str(storage_class.get("volumeBindingMode") or "Immediate") if storage_class else None
        )


def _uids(evaluator: GateEvaluator, store: Store) -> dict[ObjRef, str]:
    uids: dict[ObjRef, str] = {}
    for ref, stream in evaluator.streams.items():
        found = (store.listed(stream) or {}).get(ref.name)
        uid = (found or {}).get("metadata", {}).get("uid")
        if uid:
            uids[ref] = str(uid)
    return uids


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
