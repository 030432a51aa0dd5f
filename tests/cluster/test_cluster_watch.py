"""The health gate against the sandbox: workloads becoming ready, the simulated failure modes, PVC
binding with the WaitForFirstConsumer class, timeouts and gates running in parallel threads."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

import lightkube
import pytest

from helmdeck.cluster.client import make_client
from helmdeck.cluster.gate_state import ObjectStatus
from helmdeck.cluster.kinds import apply_object, get_object, list_objects
from helmdeck.cluster.objects import ObjRef
from helmdeck.cluster.snapshot import observe
from helmdeck.cluster.watch import GateResult, wait_healthy

pytestmark = pytest.mark.cluster


@pytest.fixture
def client(sandbox: Any) -> lightkube.Client:
    return make_client(sandbox.kubeconfig)


def deployment(
    name: str,
    namespace: str,
    *,
    replicas: int = 1,
    annotations: dict[str, str] | None = None,
    init: bool = False,
    volumes: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    pod_spec: dict[str, Any] = {"containers": [{"name": "app", "image": "registry.example.org/dash/app:1.0"}]}
    if init:
        pod_spec["initContainers"] = [{"name": "setup", "image": "registry.example.org/dash/setup:1.0"}]
    if volumes:
        pod_spec["volumes"] = volumes
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}, "annotations": annotations or {}},
                "spec": pod_spec,
            },
        },
    }


def create(client: lightkube.Client, *docs: dict[str, Any]) -> list[ObjRef]:
    return [ObjRef.from_manifest(apply_object(client, doc)) for doc in docs]


class Recorder:
    def __init__(self) -> None:
        self.updates: list[list[tuple[str, str, str]]] = []
        self.threads: set[str] = set()

    def __call__(self, statuses: Sequence[ObjectStatus]) -> None:
        self.threads.add(threading.current_thread().name)
        self.updates.append([(str(s.ref), s.health.state, s.health.reason) for s in statuses])


def test_deployment_becoming_ready(client: lightkube.Client, namespace: str) -> None:
    refs = create(
        client,
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web-config", "namespace": namespace}},
        deployment("web", namespace, replicas=2, annotations={"sandbox.helmdeck.dev/ready-after": "2s"}),
    )
    recorder = Recorder()
    result = wait_healthy(client, refs, timeout=60, on_update=recorder)
    assert result.ok, result.message()
    assert result.elapsed >= 1.5  # it did wait for the pods
    assert [s.health.reason for s in result.statuses] == ["exists", "2/2 replicas available"]
    web = result.statuses[1]
    assert len(web.pods) == 2 and all(p.health.ready for p in web.pods)
    # progress was reported while waiting, with the pods explaining the wait
    waiting = [u[1] for u in recorder.updates if u[1][1] == "progressing"]
    assert waiting, recorder.updates
    assert any("replicas" in reason for _, _, reason in waiting)
    assert recorder.threads == {threading.current_thread().name}
    assert result.reports == ()


def assert_failed(result: GateResult, ref: ObjRef, *needles: str) -> None:
    assert result.outcome == "failed", result.message()
    assert result.failed is not None and result.failed.ref == ref
    for needle in needles:
        assert needle in result.failed.health.reason, result.failed.health.reason
    [report] = result.reports
    assert report.ref == ref
    assert report.pods, "the report names the failing pod"
    assert report.pods[0].name.startswith(ref.name + "-")


def test_crash_loop_fails_after_the_grace_period(client: lightkube.Client, namespace: str) -> None:
    [ref] = create(client, deployment("api", namespace, annotations={"sandbox.helmdeck.dev/fail": "crash-loop"}))
    start = time.monotonic()
    result = wait_healthy(client, [ref], timeout=90, failure_grace=4)
    assert 4 <= time.monotonic() - start < 60
    assert_failed(result, ref, "CrashLoopBackOff", "last exit code 1")
    report = result.reports[0]
    pod = report.pods[0]
    app = next(c for c in pod.containers if c.name == "app")
    assert app.restart_count >= 1 and app.last_exit_code == 1
    assert any(e.reason == "BackOff" and e.kind == "Pod" for e in report.events)
    # the sandbox serves container logs (kwok, through the API server's pods/log): the report
    # carries the crashing container's last lines
    [log] = report.logs
    assert (log.pod, log.container) == (pod.name, "app")
    assert not log.unavailable and log.lines and all(line.startswith("sandbox: ") for line in log.lines)
    text = "\n".join(report.lines())
    assert pod.name in text and "CrashLoopBackOff" in text


def test_image_pull_failure(client: lightkube.Client, namespace: str) -> None:
    [ref] = create(client, deployment("viewer", namespace, annotations={"sandbox.helmdeck.dev/fail": "image-pull"}))
    result = wait_healthy(client, [ref], timeout=90, failure_grace=3)
    assert_failed(result, ref)
    assert result.failed is not None
    reason = result.failed.health.reason
    assert "ImagePullBackOff" in reason or "ErrImagePull" in reason
    assert "registry.example.org/dash/app:1.0" in reason
    assert any(e.type == "Warning" for e in result.reports[0].events)


def test_failing_init_container(client: lightkube.Client, namespace: str) -> None:
    [ref] = create(
        client, deployment("worker", namespace, init=True, annotations={"sandbox.helmdeck.dev/fail": "init-fail"})
    )
    result = wait_healthy(client, [ref], timeout=90, failure_grace=3)
    assert_failed(result, ref, "init container setup failed with exit code", "Init:")
    [log] = result.reports[0].logs
    assert log.container == "setup"


def test_timeout_reports_what_is_still_waiting(client: lightkube.Client, namespace: str) -> None:
    refs = create(
        client,
        deployment("slow", namespace, annotations={"sandbox.helmdeck.dev/fail": "stuck-creating"}),
        deployment("fine", namespace),
    )
    result = wait_healthy(client, refs, timeout=4)
    assert result.outcome == "timeout"
    assert result.elapsed >= 4
    [waiting] = result.waiting
    assert waiting.ref == refs[0]
    assert "0/1 replicas available" in waiting.health.reason
    assert "pod slow-" in waiting.health.reason
    assert "timed out after" in result.message() and "Deployment" in result.message()
    assert [r.ref for r in result.reports] == [refs[0]]


def test_claim_binds_once_its_pod_is_scheduled(client: lightkube.Client, namespace: str) -> None:
    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data", "namespace": namespace},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    }
    [claim_ref] = create(client, claim)
    # alone, a claim of the WaitForFirstConsumer default class is healthy: it binds with its first pod
    alone = wait_healthy(client, [claim_ref], timeout=30)
    assert alone.ok, alone.message()
    assert "WaitForFirstConsumer" in alone.statuses[0].health.reason

    volumes = [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]
    [dep_ref] = create(client, deployment("minio", namespace, volumes=volumes))
    result = wait_healthy(client, [claim_ref, dep_ref], timeout=60)
    assert result.ok, result.message()
    # the gate waited for the real binding, not just the WaitForFirstConsumer shortcut
    live = get_object(client, claim_ref)
    assert live is not None and live["status"]["phase"] == "Bound"
    assert result.statuses[0].health.reason == "bound"


def test_missing_storage_class_fails(client: lightkube.Client, namespace: str) -> None:
    [ref] = create(
        client,
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data", "namespace": namespace},
            "spec": {
                "storageClassName": "no-such-class",
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "1Gi"}},
            },
        },
    )
    result = wait_healthy(client, [ref], timeout=30, failure_grace=1)
    assert result.outcome == "failed"
    assert result.failed is not None
    assert result.failed.health.reason == "StorageClass no-such-class does not exist"


def test_job_complete_and_job_failed(client: lightkube.Client, namespace: str) -> None:
    def job(name: str, annotations: dict[str, str]) -> dict[str, Any]:
        return {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {
                "backoffLimit": 0,
                "template": {
                    "metadata": {"annotations": annotations},
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [{"name": "run", "image": "registry.example.org/dash/migrate:1"}],
                    },
                },
            },
        }

    ok_ref, bad_ref = create(
        client,
        job("migrate", {"sandbox.helmdeck.dev/complete-after": "1s"}),
        job("broken", {"sandbox.helmdeck.dev/fail": "job-fail"}),
    )
    done = wait_healthy(client, [ok_ref], timeout=60)
    assert done.ok, done.message()
    failed = wait_healthy(client, [bad_ref], timeout=60)
    assert failed.outcome == "failed", failed.message()
    assert failed.failed is not None and "BackoffLimitExceeded" in failed.failed.health.reason


def test_custom_resource_kind_not_served_fails_at_once(client: lightkube.Client, namespace: str) -> None:
    ref = ObjRef("mongodbcommunity.mongodb.com/v1", "MongoDBCommunity", "mongo", namespace)
    result = wait_healthy(client, [ref], timeout=30)
    assert result.outcome == "failed" and result.elapsed < 5
    assert result.failed is not None
    assert "does not serve MongoDBCommunity" in result.failed.health.reason


def test_gates_run_in_parallel_threads(client: lightkube.Client, namespace: str) -> None:
    names = [f"svc{i}" for i in range(4)]
    refs = create(
        client, *(deployment(n, namespace, annotations={"sandbox.helmdeck.dev/ready-after": "3s"}) for n in names)
    )
    refs.append(
        create(client, deployment("bad", namespace, annotations={"sandbox.helmdeck.dev/fail": "crash-loop"}))[0]
    )
    results: dict[str, GateResult] = {}
    recorders = {ref.name: Recorder() for ref in refs}

    def gate(ref: ObjRef) -> None:
        results[ref.name] = wait_healthy(client, [ref], timeout=60, on_update=recorders[ref.name], failure_grace=3)

    threads = [threading.Thread(target=gate, args=(ref,), name=f"gate-{ref.name}") for ref in refs]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    assert all(results[n].ok for n in names), {n: results[n].message() for n in names}
    assert results["bad"].outcome == "failed"
    # parallel, not one after the other (each waits >= 3s)
    assert elapsed < 3 * len(names)
    for ref in refs:
        assert recorders[ref.name].threads == {f"gate-{ref.name}"}


def test_cancel(client: lightkube.Client, namespace: str) -> None:
    refs = create(client, deployment("slow", namespace, annotations={"sandbox.helmdeck.dev/fail": "stuck-creating"}))
    cancel = threading.Event()
    threading.Timer(1.0, cancel.set).start()
    result = wait_healthy(client, refs, timeout=60, cancel=cancel, explain=False)
    assert result.outcome == "cancelled"
    assert result.elapsed < 5


def test_observe_is_a_snapshot_for_status(client: lightkube.Client, namespace: str) -> None:
    refs = create(
        client,
        deployment("good", namespace),
        deployment("bad", namespace, annotations={"sandbox.helmdeck.dev/fail": "image-pull"}),
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": namespace}},
    )
    assert wait_healthy(client, refs[:1], timeout=30).ok
    deadline = time.monotonic() + 30
    while True:
        statuses = observe(client, [*refs, ObjRef("v1", "Secret", "absent", namespace)])
        states = [s.health.state for s in statuses]
        if states[1] == "failed" or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert states == ["ready", "failed", "ready", "progressing"]
    assert "ImagePullBackOff" in statuses[1].health.reason or "ErrImagePull" in statuses[1].health.reason
    assert [p.name.startswith("bad-") for p in statuses[1].pods] == [True]
    assert statuses[3].health.reason == "does not exist yet"


def test_statefulset_with_claims_and_a_rolling_update(client: lightkube.Client, namespace: str) -> None:
    def mongo(image: str) -> dict[str, Any]:
        return {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "mongo", "namespace": namespace},
            "spec": {
                "replicas": 2,
                "serviceName": "mongo",
                "selector": {"matchLabels": {"app": "mongo"}},
                "template": {
                    "metadata": {"labels": {"app": "mongo"}},
                    "spec": {"containers": [{"name": "mongo", "image": image}]},
                },
                "volumeClaimTemplates": [
                    {
                        "metadata": {"name": "data"},
                        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
                    }
                ],
            },
        }

    [ref] = create(client, mongo("mongo:7.0"))
    first = wait_healthy(client, [ref], timeout=90)
    assert first.ok, first.message()
    assert first.statuses[0].health.reason == "2/2 replicas ready"
    claims = list(list_objects(client, "v1", "PersistentVolumeClaim", namespace=namespace))
    assert sorted(c["metadata"]["name"] for c in claims) == ["data-mongo-0", "data-mongo-1"]
    assert all(c["status"]["phase"] == "Bound" for c in claims)

    create(client, mongo("mongo:7.1"))
    recorder = Recorder()
    second = wait_healthy(client, [ref], timeout=90, on_update=recorder)
    assert second.ok, second.message()
    assert recorder.updates[-1][0][1] == "ready"
    live = get_object(client, ref)
    assert live is not None
    assert live["status"]["currentRevision"] == live["status"]["updateRevision"]
    assert all(p.name.startswith("mongo-") for p in second.statuses[0].pods)
