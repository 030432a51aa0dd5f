"""``doctor --live`` against the sandbox: each failure provoked for real through the sandbox's
failure annotations (or a quota, a GPU shortage, a missing class), then explained."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightkube
import pytest
from lightkube.models.core_v1 import ResourceQuotaSpec
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import ResourceQuota

from helmdeck.cluster import ObjRef, apply_object, make_client, observe
from helmdeck.core.session import PlatformSession
from helmdeck.doctor.findings import DoctorReport, Finding
from helmdeck.doctor.live import diagnose_platform, explain_statuses
from helmdeck.errors import HelmdeckError
from tests.cluster.conftest import SandboxHandle
from tests.cluster.doctor_support import FAIL, dump, eventually, install, of_check, platform_session

pytestmark = pytest.mark.cluster


@pytest.fixture
def client(sandbox: SandboxHandle) -> lightkube.Client:
    return make_client(sandbox.kubeconfig)


def deployed(
    sandbox: SandboxHandle, tmp_path: Path, namespace: str, values: dict[str, Any], *, name: str = "web"
) -> PlatformSession:
    session = platform_session(sandbox, tmp_path, namespace, [{"name": name, "values": values}])
    result = install(session, name)
    assert not isinstance(result, HelmdeckError), result
    return session


def diagnosed(session: PlatformSession, check: str, timeout: float = 60) -> tuple[Finding, DoctorReport]:
    """Diagnose until a finding of ``check`` shows up (the sandbox's failure stages take seconds)."""

    def probe() -> tuple[Finding, DoctorReport] | None:
        report = diagnose_platform(session)
        found = of_check(report, check)
        return (found[0], report) if found else None

    return eventually(probe, timeout=timeout)


def test_a_healthy_platform_has_nothing_to_report(sandbox: SandboxHandle, tmp_path: Path, namespace: str) -> None:
    session = deployed(sandbox, tmp_path, namespace, {})

    def healthy() -> DoctorReport | None:
        report = diagnose_platform(session)
        return report if not report.findings else None

    report = eventually(healthy)
    assert report.ok and report.mode == "live"


def test_image_pull_failure(sandbox: SandboxHandle, tmp_path: Path, namespace: str) -> None:
    values = {"podAnnotations": {FAIL: "image-pull"}, "imagePullSecrets": ["regcred"]}
    session = deployed(sandbox, tmp_path, namespace, values)
    finding, _ = diagnosed(session, "image-pull")
    assert finding.severity == "error"
    assert (finding.component, finding.object) == ("web", f"Deployment {namespace}/web")
    assert "cannot pull image registry.example.org/dash/app:1.0 from registry.example.org" in finding.reason
    assert "pull secret regcred is referenced but does not exist" in finding.reason
    assert finding.fix == f"create pull secret regcred in namespace {namespace} (or fix the reference in values)"
    assert finding.details["registry"] == "registry.example.org"


def test_crash_loop(sandbox: SandboxHandle, tmp_path: Path, namespace: str) -> None:
    session = deployed(sandbox, tmp_path, namespace, {"podAnnotations": {FAIL: "crash-loop"}})
    finding, _ = diagnosed(session, "crash-loop")
    assert finding.object == f"Deployment {namespace}/web"
    assert "container app of pod web-" in finding.reason
    assert "keeps crashing (CrashLoopBackOff): last exit code 1" in finding.reason
    # the sandbox serves container logs (kwok): the finding quotes the last line it read
    assert "; last log line: sandbox: " in finding.reason and finding.details["logs"]
    assert "kubectl logs --previous" in finding.fix


def test_a_failed_gate_explained_for_the_deploy_report(sandbox: SandboxHandle, tmp_path: Path, namespace: str) -> None:
    session = deployed(sandbox, tmp_path, namespace, {"podAnnotations": {FAIL: "crash-loop"}})
    ref = ObjRef("apps/v1", "Deployment", "web", namespace)

    def explained() -> list[Finding]:
        return [f for f in explain_statuses(session, "web", observe(session.client, [ref])) if f.check == "crash-loop"]

    [finding] = eventually(explained)
    assert finding.object == f"Deployment {namespace}/web" and "last exit code 1" in finding.reason


def test_failing_init_container(sandbox: SandboxHandle, tmp_path: Path, namespace: str) -> None:
    values = {"podAnnotations": {FAIL: "init-fail"}, "initContainer": {"enabled": True}}
    session = deployed(sandbox, tmp_path, namespace, values)
    finding, _ = diagnosed(session, "init-container")
    assert finding.object == f"Deployment {namespace}/web"
    assert "init container setup of pod web-" in finding.reason
    assert "failed with exit code 1 (Error), so the pod never starts" in finding.reason
    assert finding.fix.startswith("fix what init container setup does")
    assert finding.details["container"] == "setup"


def test_failed_job(sandbox: SandboxHandle, tmp_path: Path, namespace: str) -> None:
    values = {
        "deployment": {"enabled": False},
        "job": {"enabled": True, "backoffLimit": 0},
        "podAnnotations": {FAIL: "job-fail"},
    }
    session = deployed(sandbox, tmp_path, namespace, values)
    finding, _ = diagnosed(session, "job-failed")
    assert finding.object == f"Job {namespace}/web-migrate"
    assert "BackoffLimitExceeded" in finding.reason
    assert "1 failed pod with backoffLimit 0" in finding.reason
    assert "container app exited with code 1" in finding.reason
    assert finding.details["backoffLimit"] == 0
    assert "re-run the Job" in finding.fix


def test_failed_hook(sandbox: SandboxHandle, tmp_path: Path, namespace: str) -> None:
    values = {"hookJob": {"enabled": True, "annotations": {FAIL: "job-fail"}}}
    session = platform_session(sandbox, tmp_path, namespace, [{"name": "web", "values": values}])
    result = install(session, "web", timeout=30)
    assert isinstance(result, HelmdeckError)  # Helm waits for hooks: the install itself fails
    finding, _ = diagnosed(session, "hook-failed")
    assert finding.object == f"Job {namespace}/web-pre-install"
    assert "the pre-install, pre-upgrade hook" in finding.reason and "failed" in finding.reason
    assert "BackoffLimitExceeded" in finding.reason
    assert "Helm marked revision 1 failed" in finding.reason


def test_quota_rejecting_pods(sandbox: SandboxHandle, client: lightkube.Client, tmp_path: Path, namespace: str) -> None:
    client.create(
        ResourceQuota(metadata=ObjectMeta(name="pods", namespace=namespace), spec=ResourceQuotaSpec(hard={"pods": "1"}))
    )
    eventually(lambda: client.get(ResourceQuota, "pods", namespace=namespace).status)  # the controller counted
    session = deployed(sandbox, tmp_path, namespace, {"replicas": 3})
    finding, _ = diagnosed(session, "quota-rejected")
    assert finding.object == f"Deployment {namespace}/web"
    assert finding.reason.startswith(f"ResourceQuota {namespace}/pods rejects its pods")
    assert "exceeded quota: pods" in finding.reason
    assert f"kubectl -n {namespace} edit resourcequota pods" in finding.fix


def test_pending_pod_asking_for_more_gpus_than_any_node(sandbox: SandboxHandle, tmp_path: Path, namespace: str) -> None:
    session = deployed(sandbox, tmp_path, namespace, {"resources": {"limits": {"nvidia.com/gpu": 8}}})
    finding, _ = diagnosed(session, "unschedulable")
    assert finding.object == f"Deployment {namespace}/web"
    assert "is Pending: not enough nvidia.com/gpu on any node" in finding.reason
    assert "Insufficient nvidia.com/gpu" in finding.details["scheduler"]
    assert "the most one node has is 4" in finding.fix


def test_pending_pod_whose_claim_names_a_missing_class(sandbox: SandboxHandle, tmp_path: Path, namespace: str) -> None:
    values = {"persistence": {"enabled": True, "storageClass": "fast-ssd"}}
    session = deployed(sandbox, tmp_path, namespace, values)
    finding, report = diagnosed(session, "claim-unbound")
    assert finding.object in (f"Deployment {namespace}/web", f"PersistentVolumeClaim {namespace}/web-data")
    assert "names StorageClass fast-ssd, which does not exist, so it stays Pending" in finding.reason
    assert "standard, standard-immediate" in finding.fix
    assert len(of_check(report, "claim-unbound")) == 1, dump(report)


def test_ingress_host_conflict_across_the_cluster(
    sandbox: SandboxHandle, client: lightkube.Client, tmp_path: Path, namespace: str
) -> None:
    host = f"{namespace}.example.org"
    session = deployed(sandbox, tmp_path, namespace, {"ingress": {"enabled": True, "host": host}})
    apply_object(
        client,
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": "latecomer", "namespace": namespace},
            "spec": {
                "rules": [
                    {
                        "host": host,
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "pathType": "Prefix",
                                    "backend": {"service": {"name": "x", "port": {"number": 80}}},
                                }
                            ]
                        },
                    }
                ]
            },
        },
    )
    finding, _ = diagnosed(session, "ingress-conflict")
    assert (finding.component, finding.object) == ("web", f"Ingress {namespace}/web")
    assert f"host {host} path / is already routed by Ingress {namespace}/latecomer" in finding.reason


def test_a_claim_template_claim_is_the_releases_and_diagnosed_as_its_own(
    sandbox: SandboxHandle, tmp_path: Path, namespace: str
) -> None:
    """The claims of a StatefulSet's claim templates are in no manifest; doctor counts what the
    release holds as the inventory does (issue 21), so the claim gets a finding of its own, under
    the release's component, and the pod's says what it waits for."""
    values = {"statefulset": {"enabled": True, "storageClass": "fast-ssd"}}
    session = deployed(sandbox, tmp_path, namespace, values)
    claim = f"PersistentVolumeClaim {namespace}/data-web-db-0"

    def probe() -> DoctorReport | None:
        report = diagnose_platform(session)
        return report if any(f.object == claim for f in report.findings) else None

    report = eventually(probe)
    finding = next(f for f in report.findings if f.object == claim)
    assert (finding.check, finding.component) == ("claim-unbound", "web"), dump(report)
    assert "names StorageClass fast-ssd, which does not exist" in finding.reason
    assert len(of_check(report, "claim-unbound")) == 1, dump(report)
