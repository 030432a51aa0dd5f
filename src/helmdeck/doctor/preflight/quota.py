"""Preflight of the platform's pods and claims against the ResourceQuotas and LimitRanges of the
namespaces they go to, read from the cluster (with the running state of objects a quota counts)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from helmdeck.cluster import KubeClient, ObjRef, get_object, list_objects
from helmdeck.doctor.preflight.run import PreflightRun
from helmdeck.doctor.rules.desired import PlatformView
from helmdeck.doctor.rules.quota import check_quotas
from helmdeck.doctor.rules.resources import LimitRangeItem, Quota, limit_range_items
from helmdeck.errors import HelmdeckError
from helmdeck.manifests import PlacedObject

T = TypeVar("T")


def check_namespace_quotas(run: PreflightRun, view: PlatformView, node_count: int) -> None:
    client = run.client
    assert client is not None
    namespaces = sorted(
        {p.key.namespace for p in view if p.key.namespace and run.namespaces.get(p.key.namespace) is not False}
    )
    quotas: dict[str, list[Quota]] = {}
    limits: dict[str, list[LimitRangeItem]] = {}
    for ns in namespaces:
        quotas[ns] = run.fact(
            f"list ResourceQuotas in {ns}", _reader(_quotas_in, client, ns), [], f"quota checks in {ns}"
        )
        limits[ns] = run.fact(
            f"list LimitRanges in {ns}", _reader(_limits_in, client, ns), [], f"LimitRange checks in {ns}"
        )

    def live(placed: PlacedObject) -> Mapping[str, Any] | None:
        if not quotas.get(placed.key.namespace or ""):
            return None  # only quotas need the running state
        try:
            return get_object(
                client, ObjRef(placed.obj.api_version, placed.key.kind, placed.key.name, placed.key.namespace)
            )
        except HelmdeckError:
            return None

    run.report.extend(check_quotas(view, quotas, limits, live, daemon_nodes=node_count))


def _reader(read: Callable[[KubeClient, str], T], client: KubeClient, namespace: str) -> Callable[[], T]:
    return lambda: read(client, namespace)


def _quotas_in(client: KubeClient, namespace: str) -> list[Quota]:
    return [Quota.from_object(q) for q in list_objects(client, "v1", "ResourceQuota", namespace=namespace)]


def _limits_in(client: KubeClient, namespace: str) -> list[LimitRangeItem]:
    return [i for lr in list_objects(client, "v1", "LimitRange", namespace=namespace) for i in limit_range_items(lr)]
