"""Rollback from the command line on the sandbox: to the revision the platform is at, nothing is done
or recorded; past a `secrets rotate`, the dry run and the run name the secret whose old value comes
back and the components that get it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from tests.cluster.conftest import SandboxHandle
from tests.cluster.doctor_support import CHARTS


def _helmdeck(path: Path, kubeconfig: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "helmdeck.cli.main", *args, "-f", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "KUBECONFIG": kubeconfig},
    )


def test_rollback_to_the_current_revision_and_past_a_rotation(
    sandbox: SandboxHandle, tmp_path: Path, namespace: str
) -> None:
    doc = {
        "apiVersion": "helmdeck.dev/v1",
        "kind": "Platform",
        "metadata": {"name": namespace},
        "spec": {
            "namespaces": {key: namespace for key in ("services", "admin", "jobs", "extensions")},
            "secrets": {"api-key": {"generate": {"length": 24}, "into": ["api.apiKey"]}},
            "components": [
                {"name": "api", "chart": str(CHARTS / "app"), "namespace": "services"},
                {"name": "web", "chart": str(CHARTS / "app"), "namespace": "services"},
            ],
        },
    }
    path = tmp_path / "platform.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    kc = sandbox.kubeconfig
    try:
        assert _helmdeck(path, kc, "deploy", "-o", "json").returncode == 0

        run = _helmdeck(path, kc, "rollback", "1")
        assert run.returncode == 0, run.stdout + run.stderr
        assert f"platform {namespace} is already at revision 1, nothing to do" in " ".join(run.stdout.split())
        history = json.loads(_helmdeck(path, kc, "history", "-o", "json").stdout)
        assert len(history["revisions"] if isinstance(history, dict) else history) == 1

        assert _helmdeck(path, kc, "secrets", "rotate", "api-key").returncode == 0
        assert _helmdeck(path, kc, "deploy", "-o", "json").returncode == 0  # api gets the new value

        preview = json.loads(_helmdeck(path, kc, "rollback", "1", "--dry-run", "-o", "json").stdout)
        [restored] = preview["restoredSecrets"]
        assert restored["secret"] == "api-key" and restored["components"] == ["api"]
        run = _helmdeck(path, kc, "rollback", "1", "--dry-run")
        assert "secret api-key was rotated at" in " ".join(run.stderr.split())

        run = _helmdeck(path, kc, "rollback", "1")
        assert run.returncode == 0, run.stdout + run.stderr
        text = " ".join(run.stderr.split())
        assert "warning: secret api-key was rotated at" in text and "gives api its old value again" in text
    finally:
        _helmdeck(path, kc, "undeploy", "--purge-data", "--yes", "-o", "json")
