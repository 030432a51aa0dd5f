"""The health gate's evaluation: statuses from what the watches saw, with the failure grace period."""

from __future__ import annotations

from typing import Any

from helmdeck.cluster.gate_state import GateEvaluator, Store, Stream, plan_streams
from helmdeck.cluster.kinds import KindInfo
from helmdeck.cluster.objects import ObjRef

DEPLOYMENT_KIND = KindInfo("apps/v1", "Deployment", "deployments", True)
CONFIGMAP_KIND = KindInfo("v1", "ConfigMap", "configmaps", True)
PVC_KIND = KindInfo("v1", "PersistentVolumeClaim", "persistentvolumeclaims", True)
POD_STREAM = Stream(KindInfo("v1", "Pod", "pods", True), "services")
RS_STREAM = Stream(KindInfo("apps/v1", "ReplicaSet", "replicasets", True), "services")
BACKEND = ObjRef("apps/v1", "Deployment", "backend", "services")


def deployment(available: int) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "backend",
            "namespace": "services",
            "uid": "dep-uid",
            "generation": 1,
            "annotations": {"deployment.kubernetes.io/revision": "1"},
        },
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "backend"}}},
        "status": {
            "observedGeneration": 1,
            "replicas": 1,
            "updatedReplicas": 1,
            "availableReplicas": available,
        },
    }


REPLICASET = {
    "apiVersion": "apps/v1",
    "kind": "ReplicaSet",
    "metadata": {
        "name": "backend-1",
        "namespace": "services",
        "uid": "rs-uid",
        "annotations": {"deployment.kubernetes.io/revision": "1"},
        "ownerReferences": [{"kind": "Deployment", "name": "backend", "uid": "dep-uid"}],
    },
}


def pod(state: dict[str, Any], ready: bool = False, restarts: int = 0) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "backend-1-abc",
            "namespace": "services",
            "uid": "pod-uid",
            "labels": {"app": "backend"},
            "ownerReferences": [{"kind": "ReplicaSet", "name": "backend-1", "uid": "rs-uid"}],
        },
        "spec": {},
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            "containerStatuses": [
                {
                    "name": "api",
                    "ready": ready,
                    "restartCount": restarts,
                    "state": state,
                    "lastState": {"terminated": {"exitCode": 1}} if restarts else {},
                }
            ],
        },
    }


CRASH: dict[str, Any] = {"waiting": {"reason": "CrashLoopBackOff"}}
RUNNING: dict[str, Any] = {"running": {}}


def gate_with(*pods: dict[str, Any], available: int = 0) -> tuple[GateEvaluator, Store]:
    evaluator = GateEvaluator([(BACKEND, DEPLOYMENT_KIND)], failure_grace=10)
    store = Store()
    store.replace(evaluator.streams[BACKEND], [deployment(available)])
    store.replace(RS_STREAM, [REPLICASET])
    store.replace(POD_STREAM, list(pods))
    return evaluator, store


def test_streams_per_kind_and_namespace_narrowed_to_a_single_name() -> None:
    a = ObjRef("v1", "ConfigMap", "a", "services")
    b = ObjRef("v1", "ConfigMap", "b", "services")
    c = ObjRef("v1", "ConfigMap", "c", "jobs")
    streams = plan_streams([(a, CONFIGMAP_KIND), (b, CONFIGMAP_KIND), (c, CONFIGMAP_KIND), (BACKEND, DEPLOYMENT_KIND)])
    assert streams[a] == streams[b] == Stream(CONFIGMAP_KIND, "services", None)
    assert streams[c] == Stream(CONFIGMAP_KIND, "jobs", "c")
    evaluator = GateEvaluator([(a, CONFIGMAP_KIND), (BACKEND, DEPLOYMENT_KIND)])
    # a Deployment brings the namespace's pods and ReplicaSets; a ConfigMap nothing more
    assert set(evaluator.all_streams()) == {
        Stream(CONFIGMAP_KIND, "services", "a"),
        Stream(DEPLOYMENT_KIND, "services", "backend"),
        POD_STREAM,
        RS_STREAM,
    }


def test_not_listed_then_missing_then_ready() -> None:
    evaluator = GateEvaluator([(BACKEND, DEPLOYMENT_KIND)])
    store = Store()
    assert evaluator.evaluate(store, 0)[0].health.state == "unknown"
    store.replace(evaluator.streams[BACKEND], [])
    assert evaluator.evaluate(store, 0)[0].health.reason == "does not exist yet"
    store.apply(evaluator.streams[BACKEND], "ADDED", deployment(1))
    assert evaluator.evaluate(store, 0)[0].health.state == "ready"
    store.apply(evaluator.streams[BACKEND], "DELETED", deployment(1))
    assert evaluator.evaluate(store, 0)[0].health.reason == "does not exist yet"


def test_waiting_reason_names_the_pod() -> None:
    evaluator, store = gate_with(pod({"waiting": {"reason": "ContainerCreating"}}))
    status = evaluator.evaluate(store, 0)[0]
    assert status.health.state == "progressing"
    assert (
        status.health.reason
        == "0/1 replicas available; pod backend-1-abc: containers not ready: api (ContainerCreating)"
    )
    assert [p.name for p in status.pods] == ["backend-1-abc"]


def test_crash_loop_fails_only_after_the_grace_period() -> None:
    evaluator, store = gate_with(pod(CRASH, restarts=1))
    early = evaluator.evaluate(store, 100.0)[0].health
    assert early.state == "progressing"
    assert "CrashLoopBackOff" in early.reason
    assert evaluator.evaluate(store, 105.0)[0].health.state == "progressing"
    late = evaluator.evaluate(store, 110.0)[0].health
    assert late.state == "failed"
    assert late.reason.startswith("pod backend-1-abc: container api: CrashLoopBackOff")


def test_crash_loop_timer_survives_the_brief_restarts() -> None:
    evaluator, store = gate_with(pod(CRASH, restarts=1))
    evaluator.evaluate(store, 0.0)
    store.replace(POD_STREAM, [pod(RUNNING, restarts=2)])  # restarted, not ready yet
    assert evaluator.evaluate(store, 6.0)[0].health.state == "progressing"
    store.replace(POD_STREAM, [pod(CRASH, restarts=2)])
    assert evaluator.evaluate(store, 11.0)[0].health.state == "failed"


def test_a_pod_that_became_ready_resets_its_timer() -> None:
    evaluator, store = gate_with(pod(CRASH, restarts=1))
    evaluator.evaluate(store, 0.0)
    store.replace(POD_STREAM, [pod(RUNNING, ready=True, restarts=1)])
    evaluator.evaluate(store, 5.0)
    store.replace(POD_STREAM, [pod(CRASH, restarts=2)])
    assert evaluator.evaluate(store, 12.0)[0].health.state == "progressing"
    assert evaluator.evaluate(store, 22.0)[0].health.state == "failed"


def test_ready_workload_is_not_failed_by_a_pod_state() -> None:
    evaluator, store = gate_with(pod(CRASH, restarts=1), available=1)
    assert evaluator.evaluate(store, 0)[0].health.state == "ready"
    assert evaluator.evaluate(store, 60)[0].health.state == "ready"


def test_old_revision_pods_are_ignored() -> None:
    old = pod(CRASH, restarts=9)
    old["metadata"]["ownerReferences"] = [{"kind": "ReplicaSet", "name": "backend-0", "uid": "old-rs"}]
    evaluator, store = gate_with(old)
    assert evaluator.evaluate(store, 0)[0].health.state == "progressing"
    assert evaluator.evaluate(store, 60)[0].health.state == "progressing"


def test_unserved_kind_fails_at_once() -> None:
    ref = ObjRef("mongodbcommunity.mongodb.com/v1", "MongoDBCommunity", "mongo", "services")
    status = GateEvaluator([(ref, None)]).evaluate(Store(), 0)[0]
    assert status.health.state == "failed"
    assert "does not serve MongoDBCommunity" in status.health.reason


def test_watch_error_is_reported() -> None:
    evaluator = GateEvaluator([(BACKEND, DEPLOYMENT_KIND)])
    store = Store()
    store.errors[evaluator.streams[BACKEND]] = "deployments.apps is forbidden"
    assert evaluator.evaluate(store, 0)[0].health.reason == "cannot watch: deployments.apps is forbidden"


def pvc(storage_class: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data", "namespace": "services"},
        "spec": {"storageClassName": storage_class},
        "status": {"phase": "Pending"},
    }


def test_pvc_uses_the_storage_class_binding_mode() -> None:
    ref = ObjRef("v1", "PersistentVolumeClaim", "data", "services")
    evaluator = GateEvaluator([(ref, PVC_KIND)], failure_grace=5)
    store = Store()
    store.replace(evaluator.streams[ref], [pvc("standard")])
    assert evaluator.storage_class_names(store) == {"standard"}
    assert evaluator.evaluate(store, 0)[0].health.reason == "waiting for claim to bind"
    store.storage_classes["standard"] = "WaitForFirstConsumer"
    assert evaluator.evaluate(store, 0)[0].health.state == "ready"
    store.replace(evaluator.streams[ref], [pvc("fast")])
    store.storage_classes["fast"] = None
    assert evaluator.evaluate(store, 1)[0].health.state == "progressing"
    late = evaluator.evaluate(store, 6)[0].health
    assert (late.state, late.reason) == ("failed", "StorageClass fast does not exist")


def test_a_claim_naming_its_volume_waits_to_bind_whatever_its_class() -> None:
    """Kaapana's claims name hostPath volumes its chart ships, with a class no provisioner serves:
    the volume binds them statically, so a missing StorageClass is no failure."""
    ref = ObjRef("v1", "PersistentVolumeClaim", "data", "services")
    evaluator = GateEvaluator([(ref, PVC_KIND)], failure_grace=5)
    store = Store()
    claim = pvc("host-dir")
    claim["spec"]["volumeName"] = "services-data-pv"
    store.replace(evaluator.streams[ref], [claim])
    store.storage_classes["host-dir"] = None
    late = evaluator.evaluate(store, 60)[0].health
    assert (late.state, late.reason) == ("progressing", "waiting for claim to bind")
