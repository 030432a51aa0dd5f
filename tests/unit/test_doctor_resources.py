"""Pod resource arithmetic for the quota and LimitRange checks."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from helmdeck.doctor.rules.resources import (
    Quota,
    QuotaDemand,
    containers_of,
    format_quantity,
    limit_range_items,
    limit_range_violations,
    pod_quota_usage,
    pod_template,
    pod_totals,
    quota_shortfalls,
    with_defaults,
)


def deployment(replicas: int = 1, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "api"},
        "spec": {"replicas": replicas, "template": {"spec": spec}},
    }


def container(
    name: str, requests: dict[str, str] | None = None, limits: dict[str, str] | None = None
) -> dict[str, Any]:
    resources: dict[str, Any] = {}
    if requests:
        resources["requests"] = requests
    if limits:
        resources["limits"] = limits
    return {"name": name, "image": "x", "resources": resources}


def test_pod_totals_sum_containers_and_take_the_largest_init_container() -> None:
    spec = {
        "initContainers": [container("migrate", {"cpu": "2", "memory": "64Mi"})],
        "containers": [container("app", {"cpu": "500m", "memory": "256Mi"}), container("sidecar", {"cpu": "250m"})],
    }
    requests, limits = pod_totals(containers_of(spec))
    assert requests == {"cpu": Decimal("2"), "memory": Decimal(256 * 2**20)}
    assert limits == {}


def test_requests_default_to_limits_as_the_api_server_does() -> None:
    [c] = containers_of({"containers": [container("gpu", limits={"nvidia.com/gpu": "2", "cpu": "1"})]})
    assert c.requests == {"nvidia.com/gpu": Decimal(2), "cpu": Decimal(1)}


def test_limit_range_defaults_then_bounds() -> None:
    items = limit_range_items(
        {
            "metadata": {"name": "caps", "namespace": "svc"},
            "spec": {
                "limits": [
                    {
                        "type": "Container",
                        "default": {"cpu": "500m"},
                        "defaultRequest": {"cpu": "100m"},
                        "max": {"cpu": "1", "memory": "1Gi"},
                        "min": {"cpu": "50m"},
                    },
                    {"type": "Pod", "max": {"cpu": "1500m"}},
                ]
            },
        }
    )
    plain = containers_of({"containers": [container("app"), container("big", limits={"cpu": "2"})]})
    defaulted = with_defaults(plain, items)
    assert defaulted[0].limits == {"cpu": Decimal("0.5")} and defaulted[0].requests == {"cpu": Decimal("0.1")}
    assert defaulted[1].requests == {"cpu": Decimal(2)}  # its own limit, not the default request
    problems = limit_range_violations(defaulted, items)
    assert "container big: cpu limit 2 exceeds the maximum 1 per Container of LimitRange svc/caps" in problems
    assert "container app: LimitRange svc/caps caps memory at 1Gi per Container, but no memory limit is set" in problems
    assert "the pod: cpu limit 2500m exceeds the maximum 1500m per Pod of LimitRange svc/caps" in problems


def test_a_default_limit_below_the_request_is_reported() -> None:
    items = limit_range_items(
        {
            "metadata": {"name": "lr", "namespace": "n"},
            "spec": {"limits": [{"type": "Container", "default": {"memory": "128Mi"}}]},
        }
    )
    defaulted = with_defaults(containers_of({"containers": [container("app", {"memory": "256Mi"})]}), items)
    [problem] = limit_range_violations(defaulted, items)
    assert problem.startswith("container app: memory request 256Mi exceeds its limit 128Mi")


def test_replicas_parallelism_and_daemon_nodes() -> None:
    assert pod_template(deployment(3, containers=[container("a")])).count == 3  # type: ignore[union-attr]
    job = {
        "kind": "Job",
        "apiVersion": "batch/v1",
        "spec": {"parallelism": 5, "completions": 2, "template": {"spec": {"containers": [container("a")]}}},
    }
    assert pod_template(job).count == 2  # type: ignore[union-attr]
    daemon = {"kind": "DaemonSet", "apiVersion": "apps/v1", "spec": {"template": {"spec": {"containers": []}}}}
    assert pod_template(daemon, daemon_nodes=4).count == 4  # type: ignore[union-attr]
    assert pod_template({"kind": "ConfigMap", "apiVersion": "v1"}) is None


def quota(hard: dict[str, str], used: dict[str, str] | None = None, **spec: Any) -> Quota:
    return Quota.from_object(
        {"metadata": {"name": "q", "namespace": "svc"}, "spec": {"hard": hard, **spec}, "status": {"used": used or {}}}
    )


def demand(body: dict[str, Any], name: str = "api") -> QuotaDemand:
    template = pod_template(body)
    assert template is not None
    one = pod_quota_usage(template.containers)
    return QuotaDemand(name, f"Deployment svc/{name}", {k: v * template.count for k, v in one.items()}, one, template)


def test_quota_shortfall_names_the_object_that_crosses_the_line() -> None:
    q = quota({"requests.cpu": "2", "pods": "10"}, {"requests.cpu": "500m", "pods": "1"})
    small = demand(deployment(1, containers=[container("a", {"cpu": "500m"})]), "small")
    big = demand(deployment(2, containers=[container("a", {"cpu": "600m"})]), "big")
    [short] = quota_shortfalls(q, [small, big])
    assert short.demand is big and short.resource == "requests.cpu"
    assert (short.needed, short.remaining) == (Decimal("1.7"), Decimal("1.5"))
    assert short.reason() == (
        "ResourceQuota svc/q would reject pods: the platform needs requests.cpu 1700m up to this object, "
        "only 1500m of 2 is left (500m used)"
    )
    assert quota_shortfalls(q, [small]) == []


def test_one_pod_larger_than_what_is_left() -> None:
    q = quota({"limits.memory": "1Gi"})
    huge = demand(deployment(1, containers=[container("a", limits={"memory": "2Gi"})]))
    [short] = quota_shortfalls(q, [huge])
    assert short.single_pod and "one pod needs limits.memory 2Gi but only 1Gi of 1Gi is left" in short.reason()


def test_existing_workloads_count_by_their_growth() -> None:
    q = quota({"pods": "3"}, {"pods": "3"})
    grown = QuotaDemand("api", "Deployment svc/api", {"pods": Decimal(1)}, {})
    unchanged = QuotaDemand("api", "Deployment svc/api", {"pods": Decimal(0)}, {})
    assert quota_shortfalls(q, [unchanged]) == []
    assert [s.resource for s in quota_shortfalls(q, [grown])] == ["pods"]


def test_quota_scopes_select_pods() -> None:
    best_effort_only = quota({"pods": "0"}, scopes=["BestEffort"])
    with_requests = demand(deployment(1, containers=[container("a", {"cpu": "1"})]))
    without = demand(deployment(1, containers=[container("a")]))
    assert quota_shortfalls(best_effort_only, [with_requests]) == []
    assert len(quota_shortfalls(best_effort_only, [without])) == 1
    high = quota(
        {"pods": "0"},
        scopeSelector={"matchExpressions": [{"scopeName": "PriorityClass", "operator": "In", "values": ["high"]}]},
    )
    assert quota_shortfalls(high, [with_requests]) == []
    prioritised = demand(deployment(1, priorityClassName="high", containers=[container("a")]))
    assert len(quota_shortfalls(high, [prioritised])) == 1


def test_quota_on_cpu_needs_every_container_to_set_it() -> None:
    q = quota({"requests.cpu": "4", "limits.memory": "4Gi"})
    containers = containers_of({"containers": [container("app", {"cpu": "1"}, {"memory": "1Gi"}), container("log")]})
    assert q.missing_explicit(containers) == ["requests.cpu (not set for log)", "limits.memory (not set for log)"]


def test_quantities_format_for_people() -> None:
    assert format_quantity("requests.cpu", Decimal("1.5")) == "1500m"
    assert format_quantity("cpu", Decimal(2)) == "2"
    assert format_quantity("limits.memory", Decimal(3 * 2**30)) == "3Gi"
    assert format_quantity("memory", Decimal(1000)) == "1000"
    assert format_quantity("fast.storageclass.storage.k8s.io/requests.storage", Decimal(2**20 * 512)) == "512Mi"
    assert format_quantity("pods", Decimal(3)) == "3"
