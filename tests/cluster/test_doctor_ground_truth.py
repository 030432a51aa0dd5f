"""doctor on the sandbox checks what deploy will do: the instance asked for (--instance or
HELMDECK_INSTANCE) with the environment it was deployed with, the secret files a deploy reads, and
claims bound to volumes the chart ships (no class needed)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from helmdeck.doctor.preflight import run_preflight
from tests.cluster.conftest import SandboxHandle
from tests.cluster.doctor_support import CHARTS, of_check, platform_session


def _helmdeck(*args: str, kubeconfig: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "helmdeck.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "KUBECONFIG": kubeconfig, **(env or {})},
    )


def test_doctor_checks_the_instance_and_environment_deploy_uses(
    sandbox: SandboxHandle, tmp_path: Path, namespace: str
) -> None:
    # base values: a claim of a class the sandbox lacks (a doctor error); environment prod fixes it
    (tmp_path / "db.yaml").write_text(yaml.safe_dump({"persistence": {"enabled": True, "storageClass": "fast-ssd"}}))
    (tmp_path / "prod.yaml").write_text(yaml.safe_dump({"db": {"persistence": {"storageClass": "standard"}}}))
    doc = {
        "apiVersion": "helmdeck.dev/v1",
        "kind": "Platform",
        "metadata": {"name": namespace},
        "spec": {
            "namespaces": {key: namespace for key in ("services", "admin", "jobs", "extensions")},
            "environments": {"prod": {"values": ["prod.yaml"]}},
            "components": [
                {"name": "db", "chart": str(CHARTS / "app"), "namespace": "services", "values": ["db.yaml"]}
            ],
        },
    }
    path = tmp_path / "platform.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    instance_ns = f"lab2-{namespace}"
    try:
        deployed = _helmdeck(
            "deploy", "-f", str(path), "--instance", "lab2", "-e", "prod", "-o", "json", kubeconfig=sandbox.kubeconfig
        )
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr

        for how in ({"HELMDECK_INSTANCE": "lab2"}, None):
            args = ["doctor", "-f", str(path), "-o", "json", *([] if how else ["--instance", "lab2"])]
            run = _helmdeck(*args, kubeconfig=sandbox.kubeconfig, env=how)
            report = json.loads(run.stdout)
            assert report["platform"] == f"lab2-{namespace}", run.stderr
            assert report["environment"] == "prod"
            assert "the one last deployed" in run.stderr
            assert not [f for f in report["findings"] if f["check"] == "storage-class"], report["findings"]
            assert run.returncode == 0, report["findings"]

        # the base instance was never deployed: base values, and their missing class
        run = _helmdeck("doctor", "-f", str(path), "-o", "json", kubeconfig=sandbox.kubeconfig)
        report = json.loads(run.stdout)
        assert report["environment"] is None and run.returncode == 1
        assert [f["check"] for f in report["findings"] if f["severity"] == "error"] == ["storage-class"]
    finally:
        _helmdeck(
            "undeploy", "-f", str(path), "--instance", "lab2", "--purge-data", "--yes", kubeconfig=sandbox.kubeconfig
        )
        with contextlib.suppress(Exception):
            from lightkube.resources.core_v1 import Namespace

            sandbox.client().delete(Namespace, instance_ns)


def test_doctor_refuses_a_missing_secret_file(sandbox: SandboxHandle, tmp_path: Path, namespace: str) -> None:
    secrets = {"api-key": {"fromFile": str(tmp_path / "api-key.txt"), "into": ["web.apiKey"]}}
    session = platform_session(sandbox, tmp_path, namespace, [{"name": "web"}], spec={"secrets": secrets})
    report = run_preflight(session)
    [finding] = of_check(report, "secrets")
    assert finding.severity == "error" and not report.ok
    assert "api-key.txt" in finding.reason and "spec.secrets.api-key.fromFile" in finding.reason
    assert "no value was stored by an earlier deploy" in finding.reason

    (tmp_path / "api-key.txt").write_text("k3y\n")
    assert not of_check(run_preflight(session), "secrets")


def test_a_claim_bound_to_a_volume_the_chart_ships_needs_no_class(
    sandbox: SandboxHandle, tmp_path: Path, namespace: str
) -> None:
    values = {"persistence": {"enabled": True, "storageClass": "kaapana-hostdir", "volume": {"enabled": True}}}
    session = platform_session(sandbox, tmp_path, namespace, [{"name": "dags", "values": values}])
    report = run_preflight(session)
    assert not of_check(report, "storage-class") and not of_check(report, "volume-binding"), report.as_dict()

    # the same claim without the volume: its class is missing, and the fix names only classes
    # whose provisioner runs here (the sandbox's volume stages hold their Lease)
    values["persistence"]["volume"] = {"enabled": False}
    session = platform_session(sandbox, tmp_path, namespace, [{"name": "dags", "values": values}])
    [missing] = of_check(run_preflight(session), "storage-class")
    assert "one of: standard, standard-immediate" in missing.fix
