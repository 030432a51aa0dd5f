"""Which pods belong to a workload's current revision, and what their containers say."""

from __future__ import annotations

from typing import Any

from helmdeck.cluster.pods import (
    current_pods,
    current_replicaset,
    index_by_owner,
    matches_selector,
    pod_is_failing,
    summarize_pod,
)


def owner(kind: str, name: str, uid: str) -> list[dict[str, Any]]:
    return [{"apiVersion": "apps/v1", "kind": kind, "name": name, "uid": uid, "controller": True}]


def rs(name: str, uid: str, revision: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": name,
            "namespace": "services",
            "uid": uid,
            "annotations": {"deployment.kubernetes.io/revision": revision},
            "ownerReferences": owner("Deployment", "backend", "dep-uid"),
        },
    }


def pod(name: str, owner_kind: str, owner_name: str, owner_uid: str, **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": "services",
            "uid": f"uid-{name}",
            "labels": {"app": "backend", **labels},
            "ownerReferences": owner(owner_kind, owner_name, owner_uid),
        },
        "spec": {
            "nodeName": "node-0",
            "volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}],
        },
        "status": {"phase": "Running"},
    }


DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {
        "name": "backend",
        "namespace": "services",
        "uid": "dep-uid",
        "annotations": {"deployment.kubernetes.io/revision": "2"},
    },
    "spec": {"selector": {"matchLabels": {"app": "backend"}}},
}


def test_deployment_current_pods_are_those_of_the_current_revision() -> None:
    old, new = rs("backend-old", "rs-1", "1"), rs("backend-new", "rs-2", "2")
    pods = [
        pod("old-a", "ReplicaSet", "backend-old", "rs-1"),
        pod("new-a", "ReplicaSet", "backend-new", "rs-2"),
    ]
    assert current_replicaset(DEPLOYMENT, [old, new]) is new
    assert [p["metadata"]["name"] for p in current_pods(DEPLOYMENT, pods, [old, new])] == ["new-a"]
    # the owner indexes (status and the gates build them once per namespace) give the same answer
    indexed = current_pods(
        DEPLOYMENT, pods, [old, new], pod_index=index_by_owner(pods), replicaset_index=index_by_owner([old, new])
    )
    assert [p["metadata"]["name"] for p in indexed] == ["new-a"]
    assert current_replicaset(DEPLOYMENT, [], index=index_by_owner([old, new])) is new


def test_deployment_without_matching_revision_takes_newest_replicaset() -> None:
    dep = {**DEPLOYMENT, "metadata": {**DEPLOYMENT["metadata"], "annotations": {}}}  # type: ignore[dict-item]
    old, new = rs("backend-old", "rs-1", "1"), rs("backend-new", "rs-2", "3")
    assert current_replicaset(dep, [new, old]) is new


def test_deployment_ignores_replicasets_of_others() -> None:
    stray = rs("other", "rs-9", "2")
    stray["metadata"]["ownerReferences"] = owner("Deployment", "other", "other-uid")
    assert current_replicaset(DEPLOYMENT, [stray]) is None
    assert current_pods(DEPLOYMENT, [pod("x", "ReplicaSet", "other", "rs-9")], [stray]) == []


def test_statefulset_current_pods_by_update_revision() -> None:
    sts = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "mongo", "uid": "sts-uid", "generation": 2},
        "spec": {"selector": {"matchLabels": {"app": "mongo"}}},
        "status": {"updateRevision": "mongo-2", "currentRevision": "mongo-1"},
    }
    pods = [
        pod("mongo-0", "StatefulSet", "mongo", "sts-uid", **{"controller-revision-hash": "mongo-1"}),
        pod("mongo-1", "StatefulSet", "mongo", "sts-uid", **{"controller-revision-hash": "mongo-2"}),
    ]
    assert [p["metadata"]["name"] for p in current_pods(sts, pods)] == ["mongo-1"]


def test_daemonset_current_pods_by_template_generation() -> None:
    ds = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "agent", "uid": "ds-uid", "generation": 3},
        "spec": {"selector": {"matchLabels": {"app": "agent"}}},
    }
    pods = [
        pod("a", "DaemonSet", "agent", "ds-uid", **{"pod-template-generation": "2"}),
        pod("b", "DaemonSet", "agent", "ds-uid", **{"pod-template-generation": "3"}),
    ]
    assert [p["metadata"]["name"] for p in current_pods(ds, pods)] == ["b"]


def test_job_pods_by_owner() -> None:
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "migrate", "uid": "job-uid"},
        "spec": {},
    }
    pods = [pod("migrate-x", "Job", "migrate", "job-uid"), pod("other", "Job", "other", "o")]
    assert [p["metadata"]["name"] for p in current_pods(job, pods)] == ["migrate-x"]


def test_not_live_object_falls_back_to_selector() -> None:
    manifest = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "backend"},
        "spec": DEPLOYMENT["spec"],
    }
    other = pod("y", "ReplicaSet", "x", "x")
    other["metadata"]["labels"] = {"app": "viewer"}
    assert [p["metadata"]["name"] for p in current_pods(manifest, [pod("x", "ReplicaSet", "x", "x"), other])] == ["x"]


def test_selector_expressions() -> None:
    labels = {"app": "backend", "tier": "api"}
    assert matches_selector({"matchLabels": {"app": "backend"}}, labels)
    assert not matches_selector({"matchLabels": {"app": "viewer"}}, labels)
    assert matches_selector({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["api", "web"]}]}, labels)
    assert not matches_selector({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["api"]}]}, labels)
    assert matches_selector({"matchExpressions": [{"key": "gpu", "operator": "DoesNotExist"}]}, labels)
    assert not matches_selector({"matchExpressions": [{"key": "gpu", "operator": "Exists"}]}, labels)
    assert matches_selector({}, labels)
    assert not matches_selector(None, labels)


def test_summarize_crash_looping_pod() -> None:
    p = pod("api-1", "ReplicaSet", "backend-new", "rs-2")
    p["status"] = {
        "phase": "Running",
        "initContainerStatuses": [
            {
                "name": "init",
                "ready": True,
                "restartCount": 0,
                "state": {"terminated": {"exitCode": 0, "reason": "Completed"}},
            }
        ],
        "containerStatuses": [
            {
                "name": "api",
                "ready": False,
                "restartCount": 4,
                "image": "backend:1",
                "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s"}},
                "lastState": {"terminated": {"exitCode": 3, "reason": "Error"}},
            }
        ],
    }
    s = summarize_pod(p)
    assert s.claims == ("data",)
    assert s.health.failed
    api = s.containers[1]
    assert (api.state, api.reason, api.last_exit_code, api.restart_count) == (
        "waiting",
        "CrashLoopBackOff",
        3,
        4,
    )
    assert s.failing_container is api
    assert pod_is_failing(p) == "container api: CrashLoopBackOff (last exit code 3, 4 restarts)"


def test_failed_init_container_is_the_failing_one() -> None:
    p = pod("api-1", "ReplicaSet", "backend-new", "rs-2")
    p["status"] = {
        "phase": "Pending",
        "initContainerStatuses": [
            {
                "name": "setup",
                "ready": False,
                "restartCount": 0,
                "state": {"terminated": {"exitCode": 1, "reason": "Error"}},
            }
        ],
        "containerStatuses": [
            {
                "name": "api",
                "ready": False,
                "restartCount": 0,
                "state": {"waiting": {"reason": "PodInitializing"}},
            }
        ],
    }
    failing = summarize_pod(p).failing_container
    assert failing is not None and failing.init and failing.name == "setup"


def test_replaced_pods_do_not_fail_their_workload() -> None:
    p = pod("api-1", "ReplicaSet", "backend-new", "rs-2")
    p["status"] = {
        "phase": "Failed",
        "reason": "Evicted",
        "containerStatuses": [
            {
                "name": "api",
                "ready": False,
                "restartCount": 0,
                "state": {"waiting": {"reason": "ErrImagePull"}},
            }
        ],
    }
    assert pod_is_failing(p) is None
    p["status"]["phase"] = "Pending"
    assert pod_is_failing(p) == "container api: ErrImagePull"
    p["metadata"]["deletionTimestamp"] = "2024-05-01T10:00:00Z"
    assert pod_is_failing(p) is None
