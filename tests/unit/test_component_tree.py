"""The resource tree of a release from one snapshot: workloads over the ReplicaSets and pods they
own (by owner uid), health from the readiness rules, container states per pod."""

from __future__ import annotations

from typing import Any

from helmdeck.cluster import Health, ObjRef, Snapshot
from helmdeck.cluster.gate_state import ObjectStatus
from helmdeck.core.resource_tree import build_tree

NS = "apps"


def _owned(kind: str, name: str, owner_uid: str, **extra: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1" if kind == "ReplicaSet" else "v1",
        "kind": kind,
        "metadata": {
            "name": name,
            "namespace": NS,
            "uid": f"uid-{name}",
            "ownerReferences": [{"uid": owner_uid}],
            **extra,
        },
    }


def _replicaset(name: str, owner_uid: str, revision: int, replicas: int) -> dict[str, Any]:
    rs = _owned("ReplicaSet", name, owner_uid, annotations={"deployment.kubernetes.io/revision": str(revision)})
    rs["spec"] = {"replicas": replicas}
    rs["status"] = {
        "replicas": replicas,
        "readyReplicas": replicas,
        "availableReplicas": replicas,
        "observedGeneration": 1,
    }
    return rs


def _pod(name: str, owner_uid: str, container: dict[str, Any], phase: str = "Running") -> dict[str, Any]:
    pod = _owned("Pod", name, owner_uid)
    ready = bool(container.get("ready"))
    pod["spec"] = {"nodeName": "node-0"}
    pod["status"] = {
        "phase": phase,
        "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        "containerStatuses": [container],
    }
    return pod


RUNNING = {"name": "web", "ready": True, "restartCount": 0, "state": {"running": {}}}
CRASHING = {
    "name": "job",
    "ready": False,
    "restartCount": 4,
    "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s"}},
    "lastState": {"terminated": {"exitCode": 2, "reason": "Error"}},
}


def _status(kind: str, name: str, state: str = "ready", reason: str = "") -> ObjectStatus:
    api = {"Deployment": "apps/v1", "StatefulSet": "apps/v1", "Job": "batch/v1"}.get(kind, "v1")
    return ObjectStatus(ObjRef(api, kind, name, NS), Health(state, reason))  # type: ignore[arg-type]


def _snapshot() -> Snapshot:
    statuses = [
        _status("Secret", "db-auth"),
        _status("Service", "web"),
        _status("Job", "migrate", "failed", "pod migrate-x: CrashLoopBackOff"),
        _status("StatefulSet", "db"),
        _status("Deployment", "web", reason="2/2 replicas available"),
        _status("ConfigMap", "web-config"),
    ]
    uids = {s.ref: f"uid-{s.ref.name}" for s in statuses}
    replicasets = [
        _replicaset("web-new", "uid-web", 3, 2),
        _replicaset("web-old", "uid-web", 2, 1),  # still scaling down: shown, as an old revision
        _replicaset("web-oldest", "uid-web", 1, 0),  # nothing left: not shown
        _replicaset("other", "uid-someone-else", 5, 1),
    ]
    pods = [
        _pod("web-new-b", "uid-web-new", RUNNING),
        _pod("web-new-a", "uid-web-new", RUNNING),
        _pod("web-old-a", "uid-web-old", RUNNING),
        _pod("db-0", "uid-db", RUNNING),
        _pod("migrate-x", "uid-migrate", CRASHING),
    ]
    return Snapshot(statuses, uids, {NS: pods}, {NS: replicasets})


def test_workloads_first_with_what_they_own() -> None:
    tree = build_tree(_snapshot())
    assert [(n.kind, n.name) for n in tree] == [
        ("Deployment", "web"),
        ("StatefulSet", "db"),
        ("Job", "migrate"),
        ("Service", "web"),
        ("ConfigMap", "web-config"),
        ("Secret", "db-auth"),
    ]
    web = tree[0]
    assert (web.health, web.reason) == ("healthy", "2/2 replicas available")
    assert [(rs.name, rs.current, rs.health) for rs in web.children] == [
        ("web-new", True, "healthy"),
        ("web-old", False, "healthy"),
    ]
    assert [p.name for p in web.children[0].children] == ["web-new-a", "web-new-b"]
    assert [p.name for p in tree[1].children] == ["db-0"]
    assert all(not n.children for n in tree[3:])


def test_pods_carry_their_container_states() -> None:
    job = build_tree(_snapshot())[2]
    assert (job.health, job.reason) == ("failed", "pod migrate-x: CrashLoopBackOff")
    (pod,) = job.children
    assert pod.health == "failed" and "CrashLoopBackOff" in pod.reason
    (container,) = pod.as_dict()["pod"]["containers"]
    assert container == {
        "name": "job",
        "init": False,
        "ready": False,
        "state": "waiting",
        "reason": "CrashLoopBackOff",
        "message": "back-off 40s",
        "restarts": 4,
        "exitCode": None,
        "lastReason": "Error",
        "image": None,
    }
    running = build_tree(_snapshot())[0].children[0].children[0].as_dict()["pod"]
    assert running["phase"] == "Running" and running["containers"][0]["ready"] is True


def test_an_object_not_found_has_no_children() -> None:
    snapshot = _snapshot()
    snapshot.uids.clear()  # nothing listed: its pods cannot be told apart from anyone's
    tree = build_tree(snapshot)
    assert all(not n.children for n in tree)


def _job(name: str, owner_uid: str, created: str, status: dict[str, Any]) -> dict[str, Any]:
    job = _owned("Job", name, owner_uid, creationTimestamp=created)
    job["apiVersion"] = "batch/v1"
    job["spec"] = {"completions": 1, "backoffLimit": 0}
    job["status"] = status
    return job


COMPLETE = {"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]}
FAILED = {"failed": 1, "conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}]}
DONE = {"name": "report", "ready": False, "restartCount": 0, "state": {"terminated": {"exitCode": 0}}}


def _cron_snapshot() -> Snapshot:
    statuses = [
        ObjectStatus(ObjRef("batch/v1", "CronJob", "report", NS), Health("ready", "exists")),
        # the release's own Job, removed by its TTL once it finished: no uid, nothing under it
        ObjectStatus(ObjRef("batch/v1", "Job", "seed", NS), Health("ready", "completed, then removed")),
        _status("Job", "migrate", reason="complete (1 succeeded)"),
    ]
    uids = {statuses[0].ref: "uid-report", statuses[2].ref: "uid-migrate"}
    jobs = [
        _job("report-100", "uid-report", "2026-12-04T10:00:00Z", COMPLETE),
        _job("report-102", "uid-report", "2026-12-04T10:02:00Z", {"active": 1}),
        _job("report-101", "uid-report", "2026-12-04T10:01:00Z", FAILED),
        _job("someone-else", "uid-other-cron", "2026-12-04T10:03:00Z", {"active": 1}),
    ]
    pods = [
        _pod("report-100-a", "uid-report-100", DONE, phase="Succeeded"),
        _pod("report-102-a", "uid-report-102", RUNNING),
        _pod("migrate-a", "uid-migrate", DONE, phase="Succeeded"),
    ]
    return Snapshot(statuses, uids, {NS: pods}, {}, {NS: jobs})


def test_a_cronjob_shows_the_jobs_it_started_newest_first_each_over_its_pods() -> None:
    *_, cron = build_tree(_cron_snapshot())
    assert (cron.kind, cron.name) == ("CronJob", "report")
    assert [(j.kind, j.name, j.health) for j in cron.children] == [
        ("Job", "report-102", "progressing"),
        ("Job", "report-101", "failed"),
        ("Job", "report-100", "healthy"),
    ]
    running, failed, complete = cron.children
    assert "1 running" in running.reason and "BackoffLimitExceeded" in failed.reason
    assert "1 succeeded" in complete.reason
    assert [p.name for p in running.children] == ["report-102-a"]
    assert [p.name for p in complete.children] == ["report-100-a"]
    assert failed.children == []  # its pod is gone already
    (pod,) = cron.as_dict()["children"][2]["children"]
    assert pod["pod"]["phase"] == "Succeeded" and pod["pod"]["containers"][0]["exitCode"] == 0


def test_the_releases_own_jobs_show_their_pods_and_a_job_its_ttl_removed_is_a_leaf() -> None:
    tree = {n.name: n for n in build_tree(_cron_snapshot())}
    assert [p.name for p in tree["migrate"].children] == ["migrate-a"]
    seed = tree["seed"]
    assert (seed.health, seed.children) == ("healthy", [])
    assert [n.kind for n in build_tree(_cron_snapshot())] == ["Job", "Job", "CronJob"]


def test_without_the_jobs_listed_a_cronjob_is_a_leaf() -> None:
    snapshot = _cron_snapshot()
    snapshot.jobs.clear()  # a status reading, which does not list them
    cron = next(n for n in build_tree(snapshot) if n.kind == "CronJob")
    assert cron.children == []


def test_hooks_that_exist_show_with_their_events_and_their_pods_those_deleted_do_not() -> None:
    statuses = [
        _status("Job", "db-init", reason="complete (1 succeeded)"),
        # hook-succeeded deleted it: the gate's reading says "does not exist yet", which is no news
        ObjectStatus(ObjRef("batch/v1", "Job", "db-check", NS), Health("progressing", "does not exist yet")),
        _status("Deployment", "web"),
    ]
    uids = {statuses[0].ref: "uid-db-init", statuses[2].ref: "uid-web"}
    pods = [_pod("db-init-a", "uid-db-init", DONE, phase="Succeeded")]
    snapshot = Snapshot(statuses, uids, {NS: pods}, {NS: []})
    hooks = {("Job", "db-init"): "pre-install, pre-upgrade", ("Job", "db-check"): "post-install"}
    tree = build_tree(snapshot, hooks=hooks)
    assert [(n.kind, n.name, n.hook) for n in tree] == [
        ("Deployment", "web", ""),
        ("Job", "db-init", "pre-install, pre-upgrade"),
    ]
    assert [p.name for p in tree[1].children] == ["db-init-a"]
    assert tree[1].as_dict()["hook"] == "pre-install, pre-upgrade"
