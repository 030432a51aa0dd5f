"""The platform-wide capacity check: every pod fits some node, but all of them together do not."""

from __future__ import annotations

from typing import Any

from helmdeck.doctor.rules.capacity_total import check_total_capacity, free_capacity
from helmdeck.doctor.rules.desired import ComponentView, PlatformView
from helmdeck.manifests import ManifestObject


def ready_node(name: str, cpu: str = "4", memory: str = "16Gi", **labels: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "labels": labels},
        "spec": {},
        "status": {
            "allocatable": {"cpu": cpu, "memory": memory, "ephemeral-storage": "100Gi"},
            "conditions": [{"type": "Ready", "status": "True"}],
        },
    }


def workload(name: str, replicas: int, cpu: str, **spec: Any) -> ComponentView:
    body = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "template": {
                "spec": {
                    "containers": [{"name": "app", "image": "x", "resources": {"requests": {"cpu": cpu}}}],
                    **spec,
                }
            },
        },
    }
    return ComponentView(name, "lab-services", (ManifestObject(body=body, source="t.yaml"),), ())


def running_pod(node: str, cpu: str, namespace: str = "other", phase: str = "Running") -> dict[str, Any]:
    return {
        "metadata": {"name": f"p-{node}-{cpu}", "namespace": namespace},
        "spec": {"nodeName": node, "containers": [{"name": "c", "resources": {"requests": {"cpu": cpu}}}]},
        "status": {"phase": phase},
    }


NODES = [ready_node("n0"), ready_node("n1")]


def test_a_platform_that_fits_passes() -> None:
    view = PlatformView([workload("api", 3, "1"), workload("worker", 2, "2")])  # 7 of 8 cpu
    assert check_total_capacity(view, NODES, []) == []


def test_pods_that_each_fit_but_not_together_are_an_error_naming_the_largest() -> None:
    view = PlatformView([workload("api", 3, "1"), workload("worker", 4, "2")])  # 11 cpu, each pod fits a node
    [finding] = check_total_capacity(view, NODES, [])
    assert finding.severity == "error" and finding.check == "capacity"
    assert "ask for 11 cpu in all on nodes n0, n1, which have 8 free: 3 short" in finding.reason
    assert finding.fix.endswith("worker Deployment/worker (4 pods) 8; api Deployment/api (3 pods) 3")


def test_what_other_pods_use_counts_and_the_platforms_own_pods_do_not() -> None:
    view = PlatformView([workload("api", 3, "1")])
    others = [running_pod("n0", "3"), running_pod("n1", "3")]
    [finding] = check_total_capacity(view, NODES, others)
    assert "which have 2 free: 1 short" in finding.reason
    # its own pods are replaced by the deploy; finished pods hold nothing
    own_and_done = [running_pod("n0", "3", namespace="lab-services"), running_pod("n1", "3", phase="Succeeded")]
    assert check_total_capacity(view, NODES, own_and_done) == []
    assert free_capacity(NODES, others, set())["n0"]["cpu"] == 1


def test_each_node_pool_is_judged_on_its_own_nodes() -> None:
    nodes = [ready_node("cpu-0"), ready_node("big-0", cpu="16", pool="big")]
    view = PlatformView([workload("train", 3, "2", nodeSelector={"pool": "big"}), workload("api", 3, "2")])
    # train fits big-0 (6 of 16); api may use both nodes; together 12 of 20: fine
    assert check_total_capacity(view, nodes, []) == []
    pinned = PlatformView([workload("train", 5, "4", nodeSelector={"pool": "big"})])  # 20 cpu on a 16-cpu pool
    [finding] = check_total_capacity(pinned, nodes, [])
    assert "on nodes big-0, which have 16 free: 4 short" in finding.reason


def test_nodes_not_ready_give_nothing() -> None:
    down = ready_node("n0")
    down["status"]["conditions"] = [{"type": "Ready", "status": "False"}]
    view = PlatformView([workload("api", 3, "1")])
    [finding] = check_total_capacity(view, [down, ready_node("n1", cpu="2")], [])
    assert "on nodes n1, which have 2 free" in finding.reason
