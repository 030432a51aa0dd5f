"""The sandbox behaves as a cluster: nodes, workloads, volumes, simulated failures, and Helm."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from lightkube import codecs
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.batch_v1 import Job
from lightkube.resources.core_v1 import Event, Namespace, Node, PersistentVolumeClaim, Pod

from helmdeck.sandbox.cluster import Sandbox
from tests.cluster.conftest import SandboxHandle, examples_dir
from tests.cluster.wait_support import wait_for

pytestmark = pytest.mark.cluster


def pods(client: Any, namespace: str, selector: str) -> list[Pod]:
    return list(client.list(Pod, namespace=namespace, labels={"app": selector}))


def deployment(
    name: str, namespace: str, *, annotations: dict[str, str] | None = None, init: bool = False, replicas: int = 2
) -> Any:
    spec: dict[str, Any] = {
        "containers": [{"name": "main", "image": "registry.example.org/app:1.0"}],
    }
    if init:
        spec["initContainers"] = [{"name": "migrate", "image": "registry.example.org/migrate:1.0"}]
    return codecs.from_dict(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": {"app": name}},
                "template": {
                    "metadata": {"labels": {"app": name}, "annotations": annotations or {}},
                    "spec": spec,
                },
            },
        }
    )


def test_nodes_ready_and_version(sandbox: SandboxHandle) -> None:
    client = sandbox.client()
    nodes = {n.metadata.name: n for n in client.list(Node)}
    assert {"sandbox-node-0", "sandbox-node-1", "sandbox-gpu-0"} <= set(nodes)
    for node in nodes.values():
        assert any(c.type == "Ready" and c.status == "True" for c in node.status.conditions)
    assert nodes["sandbox-gpu-0"].status.allocatable["nvidia.com/gpu"] == "4"
    status = sandbox.sandbox.status()
    assert status.version == sandbox.binaries.kube_version
    kubectl = subprocess.run(
        [str(sandbox.binaries["kubectl"]), "--kubeconfig", sandbox.kubeconfig, "version", "-o", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    versions = json.loads(kubectl.stdout)
    assert versions["serverVersion"]["gitVersion"] == sandbox.binaries.kube_version
    assert versions["clientVersion"]["gitVersion"] == sandbox.binaries.kube_version


def test_deployment_pods_run(sandbox: SandboxHandle, namespace: str) -> None:
    client = sandbox.client()
    client.create(deployment("web", namespace, replicas=3))

    def running() -> bool:
        ps = pods(client, namespace, "web")
        return len(ps) == 3 and all(
            p.status.phase == "Running" and all(c.ready for c in p.status.containerStatuses) for p in ps
        )

    wait_for("3 web pods Running and Ready", running)


def test_job_completes(sandbox: SandboxHandle, namespace: str) -> None:
    client = sandbox.client()
    client.create(
        codecs.from_dict(
            {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "metadata": {"name": "once", "namespace": namespace},
                "spec": {
                    "template": {
                        "spec": {
                            "restartPolicy": "Never",
                            "containers": [{"name": "task", "image": "registry.example.org/task:1.0"}],
                        }
                    }
                },
            }
        )
    )

    def complete() -> bool:
        job = client.get(Job, "once", namespace=namespace)
        return any(c.type == "Complete" and c.status == "True" for c in (job.status.conditions or []))

    wait_for("the Job to complete", complete)


def test_claim_binds_on_first_consumer(sandbox: SandboxHandle, namespace: str) -> None:
    client = sandbox.client()
    client.create(
        codecs.from_dict(
            {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": {"name": "data", "namespace": namespace},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
            }
        )
    )
    # the volume controller has seen the claim and decided to wait for a consumer (rather than
    # sleeping and hoping the provisioner would have acted by then)
    wait_for(
        "the controller to wait for a first consumer",
        lambda: [e for e in client.list(Event, namespace=namespace) if e.reason == "WaitForFirstConsumer"],
    )
    claim = client.get(PersistentVolumeClaim, "data", namespace=namespace)
    assert claim.spec.storageClassName == "standard"  # the default class was applied
    assert claim.status.phase == "Pending"  # WaitForFirstConsumer: nothing provisioned yet
    assert not claim.spec.volumeName
    client.create(
        codecs.from_dict(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "user", "namespace": namespace, "labels": {"app": "user"}},
                "spec": {
                    "containers": [
                        {
                            "name": "main",
                            "image": "registry.example.org/app:1.0",
                            "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                        }
                    ],
                    "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}],
                },
            }
        )
    )
    wait_for(
        "the claim to bind",
        lambda: client.get(PersistentVolumeClaim, "data", namespace=namespace).status.phase == "Bound",
    )
    wait_for("the pod using it to run", lambda: client.get(Pod, "user", namespace=namespace).status.phase == "Running")
    pod = client.get(Pod, "user", namespace=namespace)
    claim = client.get(PersistentVolumeClaim, "data", namespace=namespace)
    assert claim.metadata.annotations["volume.kubernetes.io/selected-node"] == pod.spec.nodeName


def _bound_claim(client: Any, namespace: str, name: str) -> str:
    """A claim of the immediate class, bound; returns its volume's name."""
    client.create(
        codecs.from_dict(
            {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": {"name": name, "namespace": namespace},
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "storageClassName": "standard-immediate",
                    "resources": {"requests": {"storage": "1Gi"}},
                },
            }
        )
    )
    wait_for(
        f"claim {name} to bind",
        lambda: client.get(PersistentVolumeClaim, name, namespace=namespace).status.phase == "Bound",
    )
    return str(client.get(PersistentVolumeClaim, name, namespace=namespace).spec.volumeName)


def test_a_released_volume_is_deleted_only_when_its_reclaim_policy_says_delete(
    sandbox: SandboxHandle, namespace: str
) -> None:
    """As in a real cluster: deleting a claim deletes its volume under ``Delete``, and leaves it
    ``Released`` (the data still there) under ``Retain``, as an operator sets it to keep data."""
    from lightkube.resources.core_v1 import PersistentVolume

    client = sandbox.client()
    deleted, retained = _bound_claim(client, namespace, "scratch"), _bound_claim(client, namespace, "precious")
    client.patch(PersistentVolume, retained, {"spec": {"persistentVolumeReclaimPolicy": "Retain"}})
    for name in ("scratch", "precious"):
        client.delete(PersistentVolumeClaim, name, namespace=namespace)

    def phase(volume: str) -> str | None:
        found = list(client.list(PersistentVolume, fields={"metadata.name": volume}))
        return str(found[0].status.phase) if found else None

    wait_for("the Delete volume to go", lambda: phase(deleted) is None)
    wait_for("the Retain volume to be released", lambda: phase(retained) == "Released")
    # the stages act within a second; a volume still there a while after its release stays
    time.sleep(3)
    assert phase(retained) == "Released"
    client.delete(PersistentVolume, retained)


def _waiting_reason(pod: Pod, init: bool = False) -> str | None:
    statuses = (pod.status.initContainerStatuses if init else pod.status.containerStatuses) or []
    for st in statuses:
        if st.state and st.state.waiting:
            return str(st.state.waiting.reason)
    return None


def test_image_pull_failure(sandbox: SandboxHandle, namespace: str) -> None:
    client = sandbox.client()
    client.create(deployment("pull", namespace, replicas=1, annotations={"sandbox.helmdeck.dev/fail": "image-pull"}))
    pod = wait_for(
        "ImagePullBackOff",
        lambda: next((p for p in pods(client, namespace, "pull") if _waiting_reason(p) == "ImagePullBackOff"), None),
    )
    assert "registry.example.org/app:1.0" in pod.status.containerStatuses[0].state.waiting.message
    assert pod.status.phase == "Pending"


def test_crash_loop(sandbox: SandboxHandle, namespace: str) -> None:
    client = sandbox.client()
    client.create(
        deployment(
            "crash",
            namespace,
            replicas=1,
            annotations={"sandbox.helmdeck.dev/fail": "crash-loop", "sandbox.helmdeck.dev/exit-code": "137"},
        )
    )
    wait_for(
        "CrashLoopBackOff",
        lambda: any(_waiting_reason(p) == "CrashLoopBackOff" for p in pods(client, namespace, "crash")),
    )

    def restarts() -> int:
        ps = pods(client, namespace, "crash")
        return ps[0].status.containerStatuses[0].restartCount if ps else 0

    first = restarts()
    wait_for("a growing restart count", lambda: restarts() > first, timeout=30)
    status = pods(client, namespace, "crash")[0].status.containerStatuses[0]
    assert status.lastState.terminated.exitCode == 137
    assert status.lastState.terminated.reason == "Error"


def test_init_container_failure(sandbox: SandboxHandle, namespace: str) -> None:
    client = sandbox.client()
    client.create(
        deployment("init", namespace, replicas=1, init=True, annotations={"sandbox.helmdeck.dev/fail": "init-fail"})
    )

    def init_error() -> Pod | None:
        for p in pods(client, namespace, "init"):
            for st in p.status.initContainerStatuses or []:
                if st.state.terminated and st.state.terminated.exitCode != 0:
                    return p
        return None

    pod = wait_for("Init:Error", init_error)
    assert pod.status.phase == "Pending"
    kubectl = subprocess.run(
        [
            str(sandbox.binaries["kubectl"]),
            "--kubeconfig",
            sandbox.kubeconfig,
            "get",
            "pods",
            "-n",
            namespace,
            "-l",
            "app=init",
            "--no-headers",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Init:Error" in kubectl.stdout


def test_helm_cli_installs_into_sandbox(sandbox: SandboxHandle, namespace: str) -> None:
    helm = str(sandbox.binaries["helm"])
    env = {**os.environ, "KUBECONFIG": sandbox.kubeconfig, "HELM_CACHE_HOME": "/tmp/helmdeck-test-helm"}
    version = subprocess.run([helm, "version", "--short"], capture_output=True, text=True, check=True, env=env)
    assert version.stdout.startswith("v4.")
    subprocess.run(
        [
            helm,
            "install",
            "hello",
            str(examples_dir() / "charts" / "hello"),
            "-n",
            namespace,
            "--wait",
            "--timeout",
            "60s",
        ],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    listing = subprocess.run(
        [helm, "ls", "-n", namespace, "-o", "json"], capture_output=True, text=True, check=True, env=env
    )
    releases = json.loads(listing.stdout)
    assert [(r["name"], r["status"]) for r in releases] == [("hello", "deployed")]


def test_status_names_dead_component_and_down_leaves_nothing() -> None:
    user_kubeconfig = Path.home() / ".kube" / "config"
    before = user_kubeconfig.read_bytes() if user_kubeconfig.exists() else None
    box = Sandbox("helmdeck-faults")
    box.up(nodes=1)
    after = user_kubeconfig.read_bytes() if user_kubeconfig.exists() else None
    assert after == before, "the sandbox must not touch the user's kubeconfig"
    try:
        status = box.status()
        assert status.running and not status.dead
        scheduler = next(c for c in status.components if c.name == "kube-scheduler")
        assert scheduler.pid
        os.kill(scheduler.pid, 9)
        wait_for("the scheduler to be reported dead", lambda: box.status().dead, timeout=10)
        dead = box.status().dead
        assert [c.name for c in dead] == ["kube-scheduler"]
        assert dead[0].log.name == "kube-scheduler.log"
        pids = [c.pid for c in status.components if c.pid]
    finally:
        assert box.down()

    def gone(pid: int) -> bool:
        stat = Path(f"/proc/{pid}/stat")
        try:
            return stat.read_text().split(") ")[1][0] == "Z"
        except (OSError, IndexError):
            return True

    wait_for("every process of the sandbox to end", lambda: all(gone(pid) for pid in pids), timeout=10)
    assert not box.exists()
    assert box.down() is False


def _listening(pids: set[int]) -> list[str]:
    """host:port of every TCP socket the given processes listen on."""
    out = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout
    found = []
    for line in out.splitlines():
        if any(f"pid={pid}," in line for pid in pids):
            found.append(line.split()[3])
    return found


def test_a_dead_scheduler_is_named_by_preflight_and_restarted_by_up_keeping_the_cluster(tmp_path: Path) -> None:
    from helmdeck.doctor.preflight import run_preflight

    box = Sandbox("helmdeck-revive")
    box.up(nodes=1)
    try:
        status = box.status()
        addresses = _listening({c.pid for c in status.components if c.pid})
        assert addresses and all(a.startswith("127.0.0.1:") for a in addresses), addresses  # nothing on 0.0.0.0
        client = box.client()
        node = client.get(Node, "sandbox-node-0")
        assert node.status.allocatable["ephemeral-storage"]  # bitnami-style presets ask for it
        client.create(Namespace(metadata=ObjectMeta(name="kept")))

        from lightkube.resources.coordination_v1 import Lease

        # the scheduler leads (renews its Lease) before it is killed
        wait_for(
            "the scheduler to lead",
            lambda: [x for x in client.list(Lease, namespace="kube-system") if x.metadata.name == "kube-scheduler"],
        )
        scheduler = next(c for c in status.components if c.name == "kube-scheduler")
        os.kill(scheduler.pid or 0, 9)
        session = _platform_in_kept(box, tmp_path, "revive")

        def named() -> Any:
            found = [f for f in run_preflight(session()).findings if f.check == "control-plane"]
            return found or None

        finding = wait_for("preflight to name the dead scheduler", named, timeout=90)[0]
        assert finding.severity == "error" and "kube-scheduler has not renewed its leader lease" in finding.reason
        assert "helmdeck sandbox up" in finding.fix

        again = box.up(nodes=1)
        assert again.reused and again.restarted == ["kube-scheduler"]
        client = box.client()
        client.get(Namespace, "kept")  # the same cluster, not a new empty one
        client.create(deployment("after", "kept", replicas=1))
        wait_for(
            "a pod of the new Deployment to be scheduled",
            lambda: [p for p in pods(client, "kept", "after") if p.spec and p.spec.nodeName],
            timeout=90,
        )
    finally:
        box.down()


def test_a_sandbox_whose_every_process_died_works_as_soon_as_up_returns(tmp_path: Path) -> None:
    """As after a reboot: every component is gone, one pid file names a process that is not ours, and
    the old processes' leases are still in etcd. `up` must hand back a cluster that places and runs pods
    at once (not one that waits out the dead holders' leases), and never touch the stranger."""
    from helmdeck.doctor.preflight import run_preflight

    box = Sandbox("helmdeck-reboot")
    box.up(nodes=1)
    try:
        client = box.client()
        client.create(Namespace(metadata=ObjectMeta(name="kept")))
        client.create(deployment("before", "kept", replicas=1))
        wait_for("the first pod to run", lambda: [p for p in pods(client, "kept", "before") if _running(p)])
        components = box.status().components
        for component in components:
            os.kill(component.pid or 0, 9)
        # a killed process lingers a moment: up must meet them dead, as after a reboot
        wait_for("every component to be dead", lambda: len(box.status().dead) == len(components), timeout=10)
        stranger = subprocess.Popen(["sleep", "300"])
        try:
            (box.cluster_dir / "pids" / "kube-scheduler.pid").write_text(str(stranger.pid))
            assert {c.name for c in box.status().dead} == {c.name for c in components}

            result = box.up(nodes=1)
            assert sorted(result.restarted) == sorted(c.name for c in components)
            assert stranger.poll() is None, "a process that is not the sandbox's was killed"
            assert not box.status().dead

            session = _platform_in_kept(box, tmp_path, "reboot")
            assert [f for f in run_preflight(session()).findings if f.check == "control-plane"] == []
            client = box.client()
            client.create(deployment("after", "kept", replicas=1))
            # kwok drives pods within a second or two; waiting out a dead holder's lease took minutes
            wait_for(
                "a pod of the new Deployment to run",
                lambda: [p for p in pods(client, "kept", "after") if _running(p)],
                timeout=20,
            )
        finally:
            stranger.kill()
            stranger.wait()
    finally:
        box.down()


def _platform_in_kept(box: Sandbox, tmp_path: Path, name: str) -> Callable[..., Any]:
    """Sessions on a one-component platform living in the namespace "kept" of ``box``."""
    from tests.cluster.platform_files import CHARTS, platform

    return platform(
        SandboxHandle(box, str(box.kubeconfig)),
        tmp_path,
        name,
        {"services": "kept", "admin": "kept"},
        [{"name": "web", "chart": str(CHARTS / "health" / "quirks"), "namespace": "services"}],
    )


def _running(pod: Pod) -> bool:
    return bool(pod.status and pod.status.phase == "Running")


def _limiter_wait_seconds(box: Sandbox, component: str) -> float:
    """Seconds ``component``'s API client has spent in its own client-side rate limiter so far."""
    documents = yaml.safe_load_all((box.cluster_dir / "kwok.yaml").read_text())
    config = next(d for d in documents if d and d.get("kind") == "KwokctlConfiguration")
    metric = next(c["metric"] for c in config["components"] if c["name"] == component)
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.load_cert_chain(metric["certPath"], metric["keyPath"])
    url = f"{metric['scheme']}://{metric['host']}{metric['path']}"
    with urllib.request.urlopen(url, context=context, timeout=10) as response:
        text = response.read().decode()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("rest_client_rate_limiter_duration_seconds_sum")
    )


def test_the_controller_manager_keeps_pace_with_many_deployments_at_once(
    sandbox: SandboxHandle, namespace: str
) -> None:
    # 40 Deployments at once take the controller manager some 240 requests (ReplicaSets, pods, their
    # status); under its default 20 requests a second they queued for over a minute in all and pods
    # turned ready seconds late, which benchmarks then counted against the deploy
    client = sandbox.client()
    before = _limiter_wait_seconds(sandbox.sandbox, "kube-controller-manager")
    for i in range(40):
        client.create(deployment(f"w{i}", namespace, replicas=1))

    def all_running() -> bool:
        ps = list(client.list(Pod, namespace=namespace))
        return len(ps) == 40 and all(p.status.phase == "Running" for p in ps)

    wait_for("40 pods Running", all_running, timeout=120)
    waited = _limiter_wait_seconds(sandbox.sandbox, "kube-controller-manager") - before
    assert waited < 2.0, f"the controller manager's requests waited {waited:.1f}s in its own rate limiter"
