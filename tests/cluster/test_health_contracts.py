"""Health by the kind's contract, on the sandbox: custom resources whose CRD declares no status are
healthy when they exist (status exits 0), ones whose CRD declares a status are waited on, a
platform rule (CEL) replaces a kind's own, and an object deleted by hand is reported missing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from lightkube import ApiError
from lightkube.generic_resource import create_namespaced_resource
from lightkube.resources.batch_v1 import Job
from lightkube.types import PatchType

from helmdeck.cluster.health_state import NO_STATUS_BY_DESIGN
from helmdeck.core.status import platform_status
from helmdeck.deploy.executor import Deployer
from helmdeck.deploy.undeploy import Undeployer
from tests.cluster.conftest import SandboxHandle
from tests.cluster.platform_files import CHARTS, platform, values_file

pytestmark = pytest.mark.cluster

QUIRKS = str(CHARTS / "health" / "quirks")
WIDGET_CRD = str(CHARTS / "doctor" / "widget-crd")


def _widget_platform(
    sandbox: SandboxHandle,
    tmp_path: Path,
    namespace: str,
    *,
    status_subresource: bool,
    spec: dict[str, Any] | None = None,
    timeout: str = "40s",
) -> tuple[Any, str]:
    """An operator's CRD (with or without a status subresource) and a component holding a Widget."""
    group = f"{namespace}.example.org"
    crd_values = {"group": group, "statusSubresource": status_subresource}
    components = [
        {
            "name": "crd",
            "chart": WIDGET_CRD,
            "namespace": "services",
            "values": [values_file(tmp_path, "crd", crd_values)],
        },
        {
            "name": "widget",
            "chart": QUIRKS,
            "namespace": "services",
            "needs": ["crd"],
            "values": [values_file(tmp_path, "widget", {"widget": {"enabled": True, "group": group}})],
            "health": {"timeout": timeout},
        },
    ]
    factory = platform(sandbox, tmp_path, namespace, {"services": namespace, "admin": namespace}, components, spec=spec)
    return factory, group


def _cli(sandbox: SandboxHandle, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KUBECONFIG": sandbox.kubeconfig}
    return subprocess.run(
        [sys.executable, "-m", "helmdeck.cli.main", *args], capture_output=True, text=True, env=env, timeout=120
    )


def _rules(status: dict[str, Any], component: str) -> dict[str, str]:
    (comp,) = [c for c in status["components"] if c["component"] == component]
    return {o["object"]["kind"]: o["health"]["rule"] for o in comp["objects"]}


def test_status_exits_0_on_a_healthy_platform_with_custom_resources_that_never_report_status(
    sandbox: SandboxHandle, tmp_path: Path, namespace: str
) -> None:
    session, _ = _widget_platform(sandbox, tmp_path, namespace, status_subresource=False)
    try:
        report = Deployer(session(), failure_grace=2).run()
        assert report.ok, report.as_dict()
        assert report.health["widget"]["health"] == "healthy", report.health
        result = _cli(sandbox, "status", "-f", str(tmp_path / "platform.yaml"), "-o", "json")
        assert result.returncode == 0, result.stdout + result.stderr
        status = json.loads(result.stdout)
        assert status["healthy"] is True
        rules = _rules(status, "widget")
        assert rules["Widget"] == NO_STATUS_BY_DESIGN
        assert rules["Deployment"] == "kstatus: Deployment"
        assert _rules(status, "crd")["CustomResourceDefinition"] == "kstatus: CustomResourceDefinition"
    finally:
        Undeployer(session(), purge_data=True, timeout=60).run()


def test_a_custom_resource_whose_crd_declares_a_status_is_waited_on(
    sandbox: SandboxHandle, tmp_path: Path, namespace: str
) -> None:
    session, group = _widget_platform(sandbox, tmp_path, namespace, status_subresource=True)
    widget = create_namespaced_resource(group, "v1", "Widget", "widgets")
    client = sandbox.client()
    seen: dict[str, Any] = {}

    def operator() -> None:
        """What the Widget's operator does: reports it Ready, a few seconds after it appears."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                client.get(widget, "widget", namespace=namespace)
            except Exception:  # not created yet (its kind too: a 404 of another shape)
                time.sleep(0.3)
                continue
            time.sleep(2)
            seen["before"] = {c.name: c for c in platform_status(session()).components}["widget"]
            ready = {"status": {"conditions": [{"type": "Ready", "status": "True", "reason": "Reconciled"}]}}
            client.patch(widget.Status, "widget", ready, namespace=namespace, patch_type=PatchType.MERGE)
            return

    thread = threading.Thread(target=operator, daemon=True)
    thread.start()
    try:
        start = time.monotonic()
        report = Deployer(session(), failure_grace=2).run()
        thread.join(timeout=60)
        assert report.ok, report.as_dict()
        assert time.monotonic() - start >= 2, "the gate did not wait for the Widget's status"
        before = seen["before"]
        assert before.health == "progressing", before.as_dict()
        assert "report a status" in before.reason
        after = {c.name: c for c in platform_status(session()).components}["widget"]
        assert after.health == "healthy", after.as_dict()
        rules = {o["object"]["kind"]: o["health"]["rule"] for o in after.checked}
        assert rules["Widget"] == "kstatus: generic (CRD declares a status)"
    finally:
        Undeployer(session(), purge_data=True, timeout=60).run()


def test_a_platform_rule_replaces_the_kinds_own_and_is_named(
    sandbox: SandboxHandle, tmp_path: Path, namespace: str
) -> None:
    group = f"{namespace}.example.org"
    # no operator will ever report this Widget's status: the platform says what healthy means
    rule = {"apiVersion": f"{group}/v1", "kind": "Widget", "current": "has(spec.size) && spec.size == 1"}
    session, _ = _widget_platform(
        sandbox, tmp_path, namespace, status_subresource=True, spec={"healthCheckExprs": [rule]}
    )
    try:
        report = Deployer(session(), failure_grace=2).run()
        assert report.ok, report.as_dict()
        result = _cli(sandbox, "status", "-f", str(tmp_path / "platform.yaml"), "-o", "json")
        assert result.returncode == 0, result.stdout + result.stderr
        assert _rules(json.loads(result.stdout), "widget")["Widget"] == f"platform rule: {group}/Widget"
    finally:
        Undeployer(session(), purge_data=True, timeout=60).run()


def test_a_job_deleted_by_hand_is_missing_not_starting(sandbox: SandboxHandle, tmp_path: Path, namespace: str) -> None:
    components = [
        {
            "name": "migrations",
            "chart": QUIRKS,
            "namespace": "services",
            "values": [values_file(tmp_path, "m", {"job": {"enabled": True, "ttlSecondsAfterFinished": None}})],
            "health": {"timeout": "40s"},
        },
        {
            # its Job goes away by its TTL once done: that is expected, not missing
            "name": "cleanup",
            "chart": QUIRKS,
            "namespace": "services",
            "values": [values_file(tmp_path, "c", {"job": {"enabled": True, "ttlSecondsAfterFinished": 0}})],
            "health": {"timeout": "40s"},
        },
    ]
    session: Any = platform(sandbox, tmp_path, namespace, {"services": namespace, "admin": namespace}, components)
    try:
        report = Deployer(session(), failure_grace=2).run()
        assert report.ok, report.as_dict()
        assert platform_status(session()).healthy
        client = sandbox.client()
        client.delete(Job, "migrations-migrate", namespace=namespace, grace_period=0)
        _wait_gone(client, "migrations-migrate", namespace)
        status = {c.name: c for c in platform_status(session()).components}
        assert status["cleanup"].health == "healthy", status["cleanup"].as_dict()
        migrations = status["migrations"]
        assert migrations.health == "failed", migrations.as_dict()
        assert migrations.reason.startswith("Job/migrations-migrate: missing: deleted outside helmdeck")
        assert "does not exist yet" not in json.dumps(migrations.as_dict())
        result = _cli(sandbox, "status", "-f", str(tmp_path / "platform.yaml"))
        assert result.returncode == 1
        doctor = _cli(sandbox, "doctor", "--live", "-f", str(tmp_path / "platform.yaml"), "-o", "json")
        findings = json.loads(doctor.stdout)["findings"]
        (missing,) = [f for f in findings if f["check"] == "missing"]
        assert missing["object"].endswith("migrations-migrate") and "deleted outside helmdeck" in missing["reason"]
        assert "still starting" not in doctor.stdout
    finally:
        Undeployer(session(), purge_data=True, timeout=60).run()


def _wait_gone(client: Any, name: str, namespace: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            client.get(Job, name, namespace=namespace)
        except ApiError:  # gone
            return
        time.sleep(0.3)
    raise AssertionError(f"Job {name} was not deleted")
