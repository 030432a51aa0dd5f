"""Readiness rules per kind, on object dicts shaped like the API returns them."""

from __future__ import annotations

from typing import Any

import pytest

from helmdeck.cluster.pod_readiness import pod_health
from helmdeck.cluster.readiness import (
    crd_health,
    daemonset_health,
    deployment_health,
    generic_health,
    health,
    job_health,
    pvc_health,
    service_health,
    statefulset_health,
)


def deployment(
    *,
    replicas: int = 3,
    generation: int = 2,
    observed: int = 2,
    updated: int = 3,
    total: int = 3,
    available: int = 3,
    conditions: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "backend",
            "namespace": "services",
            "generation": generation,
            "uid": "d-1",
            "annotations": {"deployment.kubernetes.io/revision": "2"},
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "backend"}},
            "template": {"metadata": {"labels": {"app": "backend"}}, "spec": {"containers": []}},
        },
        "status": {
            "observedGeneration": observed,
            "replicas": total,
            "updatedReplicas": updated,
            "readyReplicas": available,
            "availableReplicas": available,
            "conditions": conditions
            if conditions is not None
            else [
                {
                    "type": "Available",
                    "status": "True",
                    "reason": "MinimumReplicasAvailable",
                    "message": "Deployment has minimum availability.",
                },
                {
                    "type": "Progressing",
                    "status": "True",
                    "reason": "NewReplicaSetAvailable",
                    "message": 'ReplicaSet "backend-7d9f" has successfully progressed.',
                },
            ],
        },
    }


class TestDeployment:
    def test_rolled_out_and_available_is_ready(self) -> None:
        h = deployment_health(deployment())
        assert h.state == "ready"
        assert h.reason == "3/3 replicas available"

    def test_unobserved_generation_is_progressing(self) -> None:
        h = deployment_health(deployment(generation=3, observed=2))
        assert h.state == "progressing"
        assert "generation 3" in h.reason

    def test_missing_status_is_progressing(self) -> None:
        obj = deployment()
        del obj["status"]
        assert deployment_health(obj).state == "progressing"

    def test_partially_available(self) -> None:
        h = deployment_health(deployment(available=2))
        assert h.state == "progressing"
        assert h.reason == "2/3 replicas available"

    def test_not_all_updated(self) -> None:
        h = deployment_health(deployment(updated=1, total=4, available=3))
        assert (h.state, h.reason) == ("progressing", "1/3 replicas updated")

    def test_old_replicas_terminating(self) -> None:
        h = deployment_health(deployment(total=4))
        assert (h.state, h.reason) == ("progressing", "1 old replicas pending termination")

    def test_default_replicas_is_one(self) -> None:
        obj = deployment(total=1, updated=1, available=1)
        del obj["spec"]["replicas"]
        assert deployment_health(obj).reason == "1/1 replicas available"

    def test_progress_deadline_exceeded_is_terminal_failure(self) -> None:
        conds = [
            {
                "type": "Progressing",
                "status": "False",
                "reason": "ProgressDeadlineExceeded",
                "message": 'ReplicaSet "backend-7d9f" has timed out progressing.',
            }
        ]
        h = deployment_health(deployment(available=1, conditions=conds))
        assert h.state == "failed"
        assert h.terminal
        assert "ProgressDeadlineExceeded" in h.reason

    def test_stale_deadline_condition_before_new_generation_observed(self) -> None:
        conds = [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}]
        h = deployment_health(deployment(generation=4, observed=3, conditions=conds))
        assert h.state == "progressing"

    def test_replica_failure_from_quota_is_failed_but_not_terminal(self) -> None:
        conds = [
            {
                "type": "ReplicaFailure",
                "status": "True",
                "reason": "FailedCreate",
                "message": 'pods "backend-7d9f-x" is forbidden: exceeded quota: compute',
            }
        ]
        h = deployment_health(deployment(available=0, updated=0, total=0, conditions=conds))
        assert h.state == "failed"
        assert not h.terminal
        assert "exceeded quota" in h.reason

    def test_scaled_to_zero_is_ready(self) -> None:
        h = deployment_health(deployment(replicas=0, updated=0, total=0, available=0))
        assert h.state == "ready"


def statefulset(**status: Any) -> dict[str, Any]:
    base_status = {
        "observedGeneration": 1,
        "replicas": 3,
        "readyReplicas": 3,
        "currentReplicas": 3,
        "updatedReplicas": 3,
        "currentRevision": "mongo-5b7c",
        "updateRevision": "mongo-5b7c",
    }
    base_status.update(status)
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "mongo", "namespace": "services", "generation": 1, "uid": "s-1"},
        "spec": {
            "replicas": 3,
            "serviceName": "mongo",
            "selector": {"matchLabels": {"app": "mongo"}},
            "updateStrategy": {"type": "RollingUpdate"},
        },
        "status": base_status,
    }


class TestStatefulSet:
    def test_ready(self) -> None:
        assert statefulset_health(statefulset()).state == "ready"

    def test_revision_mismatch_during_rolling_update(self) -> None:
        h = statefulset_health(statefulset(updateRevision="mongo-6c8d", updatedReplicas=1))
        assert (h.state, h.reason) == ("progressing", "rolling update: 1/3 replicas updated")

    def test_not_all_ready(self) -> None:
        h = statefulset_health(statefulset(readyReplicas=2))
        assert (h.state, h.reason) == ("progressing", "2/3 replicas ready")

    def test_no_ready_replicas_field(self) -> None:
        obj = statefulset()
        del obj["status"]["readyReplicas"]
        assert statefulset_health(obj).reason == "0/3 replicas ready"

    def test_on_delete_strategy_ignores_revisions(self) -> None:
        obj = statefulset(updateRevision="mongo-6c8d", updatedReplicas=0)
        obj["spec"]["updateStrategy"] = {"type": "OnDelete"}
        assert statefulset_health(obj).state == "ready"

    def test_partition_done_when_pods_above_partition_updated(self) -> None:
        obj = statefulset(updateRevision="mongo-6c8d", updatedReplicas=1)
        obj["spec"]["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate": {"partition": 2}}
        assert statefulset_health(obj).state == "ready"
        obj["status"]["updatedReplicas"] = 0
        assert statefulset_health(obj).state == "progressing"

    def test_generation_pending(self) -> None:
        obj = statefulset(observedGeneration=0)
        assert statefulset_health(obj).state == "progressing"


def daemonset(**status: Any) -> dict[str, Any]:
    base = {
        "observedGeneration": 1,
        "desiredNumberScheduled": 2,
        "currentNumberScheduled": 2,
        "updatedNumberScheduled": 2,
        "numberReady": 2,
        "numberAvailable": 2,
        "numberMisscheduled": 0,
    }
    base.update(status)
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "agent", "namespace": "services", "generation": 1},
        "spec": {"selector": {"matchLabels": {"app": "agent"}}},
        "status": base,
    }


class TestDaemonSet:
    def test_ready(self) -> None:
        assert daemonset_health(daemonset()).reason == "2/2 pods available"

    def test_not_updated(self) -> None:
        assert daemonset_health(daemonset(updatedNumberScheduled=1)).reason == "1/2 pods updated"

    def test_not_available(self) -> None:
        h = daemonset_health(daemonset(numberAvailable=1, numberReady=1))
        assert (h.state, h.reason) == ("progressing", "1/2 pods ready")

    def test_no_matching_nodes_is_ready(self) -> None:
        h = daemonset_health(daemonset(desiredNumberScheduled=0, updatedNumberScheduled=0, numberAvailable=0))
        assert h.state == "ready"


def job(conditions: list[dict[str, Any]] | None = None, **status: Any) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "migrate", "namespace": "jobs", "uid": "j-1"},
        "spec": {"completions": 1, "parallelism": 1, "backoffLimit": 2},
        "status": {"conditions": conditions or [], **status},
    }


class TestJob:
    def test_complete(self) -> None:
        obj = job([{"type": "Complete", "status": "True"}], succeeded=1)
        assert job_health(obj).state == "ready"

    def test_failed_backoff_limit_is_terminal(self) -> None:
        obj = job(
            [
                {
                    "type": "Failed",
                    "status": "True",
                    "reason": "BackoffLimitExceeded",
                    "message": "Job has reached the specified backoff limit",
                }
            ],
            failed=3,
        )
        h = job_health(obj)
        assert h.state == "failed" and h.terminal
        assert "BackoffLimitExceeded" in h.reason

    def test_failure_target_counts_as_failed(self) -> None:
        obj = job([{"type": "FailureTarget", "status": "True", "reason": "DeadlineExceeded"}])
        assert job_health(obj).state == "failed"

    def test_running_with_failed_attempts(self) -> None:
        h = job_health(job(active=1, failed=1))
        assert h.state == "progressing"
        assert h.reason == "0/1 completions, 1 running, 1 failed attempts (backoffLimit 2)"

    def test_false_complete_condition_is_not_ready(self) -> None:
        assert job_health(job([{"type": "Complete", "status": "False"}])).state == "progressing"

    def test_suspended(self) -> None:
        obj = job()
        obj["spec"]["suspend"] = True
        assert job_health(obj).reason == "job is suspended"


def pvc(phase: str = "Pending", annotations: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "minio-data", "namespace": "services", "annotations": annotations or {}},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": "10Gi"}},
            "storageClassName": "standard",
        },
        "status": {"phase": phase},
    }


class TestPersistentVolumeClaim:
    def test_bound(self) -> None:
        assert pvc_health(pvc("Bound")).state == "ready"

    def test_pending(self) -> None:
        h = pvc_health(pvc())
        assert (h.state, h.reason) == ("progressing", "waiting for claim to bind")

    def test_pending_wait_for_first_consumer_without_pod_is_ready(self) -> None:
        h = pvc_health(pvc(), wait_for_first_consumer=True)
        assert h.state == "ready"
        assert "WaitForFirstConsumer" in h.reason

    def test_pending_with_selected_node_waits_for_provisioning(self) -> None:
        obj = pvc(annotations={"volume.kubernetes.io/selected-node": "sandbox-node-0"})
        h = pvc_health(obj, wait_for_first_consumer=True)
        assert h.state == "progressing"
        assert "sandbox-node-0" in h.reason

    def test_lost(self) -> None:
        h = pvc_health(pvc("Lost"))
        assert h.state == "failed" and not h.terminal


class TestCustomResourceDefinition:
    def crd(self, conditions: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "mongodbcommunity.mongodbcommunity.mongodb.com"},
            "status": {"conditions": conditions},
        }

    def test_established(self) -> None:
        obj = self.crd(
            [
                {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts"},
                {"type": "Established", "status": "True", "reason": "InitialNamesAccepted"},
            ]
        )
        assert crd_health(obj).state == "ready"

    def test_not_yet_established(self) -> None:
        obj = self.crd([{"type": "NamesAccepted", "status": "True"}, {"type": "Established", "status": "False"}])
        assert crd_health(obj).state == "progressing"

    def test_names_conflict(self) -> None:
        obj = self.crd([{"type": "NamesAccepted", "status": "False", "reason": "ListKindConflict"}])
        assert crd_health(obj).state == "failed"


class TestService:
    def svc(self, svc_type: str, ingress: list[dict[str, str]] | None = None) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "viewer", "namespace": "services"},
            "spec": {"type": svc_type, "ports": [{"port": 80}]},
            "status": {"loadBalancer": {"ingress": ingress} if ingress else {}},
        }

    def test_cluster_ip_is_ready(self) -> None:
        assert service_health(self.svc("ClusterIP"), require_lb_address=True).state == "ready"

    def test_load_balancer_without_address_ready_unless_asked(self) -> None:
        assert service_health(self.svc("LoadBalancer")).state == "ready"
        h = service_health(self.svc("LoadBalancer"), require_lb_address=True)
        assert (h.state, h.reason) == ("progressing", "waiting for a load balancer address")

    def test_load_balancer_with_address(self) -> None:
        h = service_health(self.svc("LoadBalancer", [{"ip": "10.0.0.5"}]), require_lb_address=True)
        assert (h.state, h.reason) == ("ready", "load balancer at 10.0.0.5")


def pod(
    *,
    phase: str = "Running",
    ready: bool = True,
    containers: list[dict[str, Any]] | None = None,
    init: list[dict[str, Any]] | None = None,
    conditions: list[dict[str, Any]] | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    status: dict[str, Any] = {
        "phase": phase,
        "conditions": conditions
        if conditions is not None
        else [
            {"type": "PodScheduled", "status": "True"},
            {"type": "Initialized", "status": "True"},
            {"type": "ContainersReady", "status": "True" if ready else "False"},
            {"type": "Ready", "status": "True" if ready else "False"},
        ],
        "containerStatuses": containers
        if containers is not None
        else [
            {
                "name": "api",
                "ready": ready,
                "restartCount": 0,
                "image": "registry.example.org/dash/backend:1.2",
                "state": {"running": {"startedAt": "2024-05-01T10:00:00Z"}},
            }
        ],
    }
    if init is not None:
        status["initContainerStatuses"] = init
    if reason:
        status["reason"] = reason
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "backend-7d9f-abcde", "namespace": "services", "uid": "p-1"},
        "spec": {"containers": [{"name": "api", "image": "registry.example.org/dash/backend:1.2"}]},
        "status": status,
    }


def crash_looping() -> dict[str, Any]:
    return {
        "name": "api",
        "ready": False,
        "restartCount": 5,
        "image": "registry.example.org/dash/backend:1.2",
        "state": {
            "waiting": {
                "reason": "CrashLoopBackOff",
                "message": "back-off 2m40s restarting failed container=api pod=backend-7d9f-abcde",
            }
        },
        "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": "2024-05-01T10:05:00Z"}},
    }


class TestPod:
    def test_ready(self) -> None:
        assert pod_health(pod()).state == "ready"

    def test_starting(self) -> None:
        containers = [
            {
                "name": "api",
                "ready": False,
                "restartCount": 0,
                "state": {"waiting": {"reason": "ContainerCreating"}},
            }
        ]
        h = pod_health(pod(ready=False, containers=containers))
        assert (h.state, h.reason) == ("progressing", "containers not ready: api (ContainerCreating)")

    def test_crash_loop(self) -> None:
        h = pod_health(pod(ready=False, containers=[crash_looping()]))
        assert h.state == "failed"
        assert not h.terminal
        assert h.reason == "container api: CrashLoopBackOff (last exit code 1, 5 restarts)"

    def test_crash_loop_after_one_restart_says_one_restart(self) -> None:
        h = pod_health(pod(ready=False, containers=[{**crash_looping(), "restartCount": 1}]))
        assert h.reason == "container api: CrashLoopBackOff (last exit code 1, 1 restart)"

    @pytest.mark.parametrize("reason", ["ImagePullBackOff", "ErrImagePull"])
    def test_image_pull(self, reason: str) -> None:
        containers = [
            {
                "name": "api",
                "ready": False,
                "restartCount": 0,
                "state": {"waiting": {"reason": reason, "message": 'Back-off pulling image "nope:1"'}},
            }
        ]
        h = pod_health(pod(phase="Pending", ready=False, containers=containers))
        assert h.state == "failed"
        assert h.reason == f'container api: {reason}: Back-off pulling image "nope:1"'

    def test_init_container_failed(self) -> None:
        init = [
            {
                "name": "wait-for-mongo",
                "ready": False,
                "restartCount": 0,
                "state": {"terminated": {"exitCode": 2, "reason": "Error"}},
            }
        ]
        containers = [
            {
                "name": "api",
                "ready": False,
                "restartCount": 0,
                "state": {"waiting": {"reason": "PodInitializing"}},
            }
        ]
        h = pod_health(pod(phase="Pending", ready=False, init=init, containers=containers))
        assert h.state == "failed"
        assert h.reason == "init container wait-for-mongo failed with exit code 2 (Init:Error)"

    def test_init_container_done_is_not_failure(self) -> None:
        init = [
            {
                "name": "migrate",
                "ready": False,
                "restartCount": 0,
                "state": {"terminated": {"exitCode": 0, "reason": "Completed"}},
            }
        ]
        assert pod_health(pod(init=init)).state == "ready"

    def test_init_container_running(self) -> None:
        init = [{"name": "migrate", "ready": False, "restartCount": 0, "state": {"running": {}}}]
        containers = [
            {
                "name": "api",
                "ready": False,
                "restartCount": 0,
                "state": {"waiting": {"reason": "PodInitializing"}},
            }
        ]
        conds = [{"type": "Initialized", "status": "False"}, {"type": "Ready", "status": "False"}]
        h = pod_health(pod(phase="Pending", init=init, containers=containers, conditions=conds))
        assert (h.state, h.reason) == ("progressing", "init container migrate running")

    def test_phase_failed_is_terminal(self) -> None:
        containers = [
            {
                "name": "api",
                "ready": False,
                "restartCount": 0,
                "state": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}},
            }
        ]
        h = pod_health(pod(phase="Failed", ready=False, containers=containers))
        assert h.state == "failed" and h.terminal
        assert h.reason == "pod failed: container api exited with code 137 (OOMKilled)"

    def test_evicted(self) -> None:
        h = pod_health(pod(phase="Failed", ready=False, containers=[], reason="Evicted"))
        assert h.reason.startswith("pod failed: Evicted")

    def test_unschedulable(self) -> None:
        conds = [
            {
                "type": "PodScheduled",
                "status": "False",
                "reason": "Unschedulable",
                "message": "0/2 nodes are available: 2 Insufficient nvidia.com/gpu.",
            }
        ]
        h = pod_health(pod(phase="Pending", containers=[], conditions=conds))
        assert h.state == "progressing"
        assert h.reason == "not scheduled: 0/2 nodes are available: 2 Insufficient nvidia.com/gpu."

    def test_succeeded(self) -> None:
        assert pod_health(pod(phase="Succeeded", ready=False)).state == "ready"

    def test_terminating(self) -> None:
        obj = pod()
        obj["metadata"]["deletionTimestamp"] = "2024-05-01T10:00:00Z"
        assert pod_health(obj).state == "progressing"


class TestGeneric:
    def cr(self, conditions: list[dict[str, Any]] | None, **status: Any) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "apiVersion": "mongodbcommunity.mongodb.com/v1",
            "kind": "MongoDBCommunity",
            "metadata": {"name": "mongo", "namespace": "services", "generation": 2},
        }
        if conditions is not None:
            obj["status"] = {"conditions": conditions, **status}
        return obj

    def test_no_status_is_unknown_not_healthy(self) -> None:
        h = generic_health(self.cr(None))
        assert (h.state, h.blocking, h.settled) == ("unknown", False, True)
        assert "reports no status" in h.reason
        # built-in kinds without status are ready once they exist
        assert health({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}).state == "ready"
        role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "x"}}
        assert health(role).state == "ready"

    def test_a_conventional_phase_is_read(self) -> None:
        cr = {"apiVersion": "example.org/v1", "kind": "Widget", "metadata": {"name": "x"}}
        assert health({**cr, "status": {"phase": "Running"}}).state == "ready"
        assert health({**cr, "status": {"phase": "Failed", "message": "no quota"}}).reason == "phase Failed: no quota"
        assert health({**cr, "status": {"phase": "Provisioning"}}).state == "progressing"

    def test_ready_condition(self) -> None:
        assert generic_health(self.cr([{"type": "Ready", "status": "True"}])).state == "ready"

    def test_ready_false(self) -> None:
        h = generic_health(self.cr([{"type": "Ready", "status": "False", "reason": "Reconciling"}]))
        assert (h.state, h.reason) == ("progressing", "Ready is False: Reconciling")

    def test_available_condition(self) -> None:
        assert generic_health(self.cr([{"type": "Available", "status": "True"}])).state == "ready"

    def test_ready_but_generation_not_observed(self) -> None:
        obj = self.cr([{"type": "Ready", "status": "True"}], observedGeneration=1)
        assert generic_health(obj).state == "progressing"

    def test_stalled_is_failed(self) -> None:
        h = generic_health(self.cr([{"type": "Stalled", "status": "True", "message": "bad spec"}]))
        assert h.state == "failed"


def test_dispatch_by_group_and_kind() -> None:
    assert health(deployment(available=1)).reason == "1/3 replicas available"
    assert health(job([{"type": "Complete", "status": "True"}])).state == "ready"
    # a custom kind called Deployment in another group is not judged as apps/v1 Deployment
    other = {"apiVersion": "example.org/v1", "kind": "Deployment", "metadata": {"name": "x"}, "status": {}}
    assert health(other).state == "unknown"
    lb = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"}, "spec": {"type": "LoadBalancer"}}
    assert health(lb, require_lb_address=True).state == "progressing"
    assert health(pvc(), wait_for_first_consumer=True).state == "ready"


def test_an_object_being_deleted_is_not_healthy_whatever_its_status() -> None:
    gone = deployment(available=3)
    gone["metadata"] = {**gone["metadata"], "deletionTimestamp": "2026-01-01T00:00:00Z", "finalizers": ["x/y"]}
    h = health(gone)
    assert (h.state, h.blocking) == ("unknown", True)
    assert h.reason == "terminating (being deleted; finalizers: x/y)"


def test_a_pod_no_node_can_take_is_failing_with_the_schedulers_reason() -> None:
    from helmdeck.cluster.pod_readiness import unschedulable
    from helmdeck.cluster.pods import pod_is_failing

    def pending(message: str) -> dict[str, object]:
        cond = {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": message}
        return {"metadata": {"name": "p"}, "status": {"phase": "Pending", "conditions": [cond]}}

    text = "0/3 nodes are available: 3 Insufficient cpu."
    assert unschedulable(pending(text)) == f"cannot be scheduled: {text}"
    assert pod_is_failing(pending(text)) == f"cannot be scheduled: {text}"
    assert pod_is_failing(pending('persistentvolumeclaim "gone" not found')) is not None
    # waiting for a claim to bind is a wait, not a failure
    assert unschedulable(pending("0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims.")) is None


def test_a_finished_job_being_removed_by_its_ttl_keeps_its_verdict() -> None:
    done = job([{"type": "Complete", "status": "True"}])
    done["metadata"] = {**done.get("metadata", {}), "deletionTimestamp": "2026-01-01T00:00:00Z"}
    assert health(done).state == "ready"
    running = job([])
    running["metadata"] = {**running.get("metadata", {}), "deletionTimestamp": "2026-01-01T00:00:00Z"}
    assert health(running).state == "unknown"
