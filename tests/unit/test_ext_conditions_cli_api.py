"""A conditionally required parameter through the CLI and the REST API: refused with the condition
named and nothing installed, and shown in the extension's metadata."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from .ext_support import write_platform
from .server_support import bearer, make_app

NOWHERE = "/nonexistent/kubeconfig"


def helmdeck(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "helmdeck.cli.main", *args], capture_output=True, text=True, timeout=120
    )


def test_cli_install_refuses_a_missing_conditional_parameter_before_the_cluster(tmp_path: Path) -> None:
    write_platform(tmp_path)
    f = str(tmp_path / "platform.yaml")
    run = helmdeck("ext", "install", "tiny-storage", "-f", f, "--kubeconfig", NOWHERE, "-p", "storage=s3")
    text = " ".join((run.stdout + run.stderr).split())
    assert run.returncode == 1, text
    assert "parameter bucket: is required when storage is s3 (as are endpoint, accessKey)" in text
    assert "fix: give bucket text, or set storage to something other than s3" in text
    assert "nonexistent" not in text and "Traceback" not in text  # refused before any cluster contact

    json_run = helmdeck(
        "ext", "install", "tiny-storage", "-f", f, "--kubeconfig", NOWHERE, "-p", "backup=true", "-o", "json"
    )
    assert json_run.returncode == 1
    error = json.loads(json_run.stdout)
    assert error["error"] == "extension tiny-storage: parameter backupHour: is required when backup is true"
    assert error["details"]["requiredWhen"] == {"backup": [True]}


def test_cli_show_prints_the_condition(tmp_path: Path) -> None:
    write_platform(tmp_path)
    args = ["-f", str(tmp_path / "platform.yaml"), "--state-dir", str(tmp_path / "state")]
    human = helmdeck("ext", "show", "tiny-storage", *args)
    assert human.returncode == 0, human.stderr
    text = " ".join(human.stdout.split())
    assert "when storage is s3" in text and "when notifyEmail is given" in text
    data = json.loads(helmdeck("ext", "show", "tiny-storage", *args, "-o", "json").stdout)
    by = {p["name"]: p for p in data["parameters"]}
    assert by["endpoint"]["requiredWhen"] == [{"storage": ["s3"]}]


@pytest.fixture
def api(tmp_path: Path) -> Any:
    app, backend, tokens = make_app(tmp_path)
    with TestClient(app) as client:
        yield client, backend, tokens


def test_api_install_refuses_a_missing_conditional_parameter_and_installs_nothing(api: Any) -> None:
    client, backend, tokens = api
    response = client.post(
        "/api/v1/extensions/install",
        json={"name": "tiny-storage", "parameters": {"storage": "s3", "bucket": "scans", "accessKey": "k"}},
        headers=bearer(tokens["operator"]),
    )
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "extension tiny-storage: parameter endpoint: is required when storage is s3"
    assert body["where"] == "parameter endpoint"
    assert body["fix"] == "give endpoint text (e.g. https://s3.example.org), or set storage to something other than s3"
    assert body["details"]["requiredWhen"] == {"storage": ["s3"]}
    assert backend.calls == []
    # the same install while the condition does not hold goes ahead
    ok = client.post(
        "/api/v1/extensions/install",
        json={"name": "tiny-storage", "parameters": {"storage": "local"}},
        headers=bearer(tokens["operator"]),
    )
    assert ok.status_code == 202, ok.text


def test_api_catalog_shows_the_condition(api: Any) -> None:
    client, _, tokens = api
    ext = client.get("/api/v1/extensions/catalog/tiny-storage", headers=bearer(tokens["viewer"])).json()
    by = {p["name"]: p for p in ext["parameters"]}
    assert by["bucket"]["requiredWhen"] == [{"storage": ["s3"]}]
    assert by["notifyFrom"]["requiredWhen"] == [{"notifyEmail": None}]
    assert by["storage"].get("requiredWhen") is None
