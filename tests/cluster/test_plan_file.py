"""Saved plans on the sandbox, through the CLI as an operator runs it: ``plan --out`` then
``deploy --plan`` deploys exactly the reviewed plan; a release another actor upgraded, or a values
file edited in between, makes ``deploy --plan`` refuse and change nothing."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from helmdeck.core.session import PlatformSession
from helmdeck.deploy.undeploy import Undeployer
from tests.cluster.conftest import SandboxHandle
from tests.cluster.platform_files import CHARTS, platform, values_file

pytestmark = pytest.mark.cluster

QUIRKS = str(CHARTS / "health" / "quirks")


def _cli(sandbox: SandboxHandle, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KUBECONFIG": sandbox.kubeconfig}
    return subprocess.run(
        [sys.executable, "-m", "helmdeck.cli.main", *args], capture_output=True, text=True, env=env, timeout=180
    )


def _revisions(session: PlatformSession) -> dict[str, tuple[int, str]]:
    return {name: (rel.revision, rel.status.value) for name, rel in session.live_releases().items()}


@pytest.fixture
def two_apps(sandbox: SandboxHandle, tmp_path: Path, namespace: str) -> Any:
    components = [
        {
            "name": "app",
            "chart": QUIRKS,
            "namespace": "services",
            "values": [values_file(tmp_path, "app", {"replicas": 1})],
        },
        {"name": "calm", "chart": QUIRKS, "namespace": "services", "needs": ["app"]},
    ]
    spec = {"secrets": {"db-password": {"generate": {"length": 24}, "into": ["app.password"]}}}
    session = platform(sandbox, tmp_path, namespace, {"services": namespace, "admin": namespace}, components, spec=spec)
    yield session
    Undeployer(session(), purge_data=True, timeout=60).run()


def _plan(sandbox: SandboxHandle, tmp_path: Path, out: Path, *, changes: bool = True) -> dict[str, Any]:
    run = _cli(sandbox, "plan", "-f", str(tmp_path / "platform.yaml"), "--out", str(out), "-o", "json")
    assert run.returncode == (2 if changes else 0), run.stdout + run.stderr
    shown: dict[str, Any] = json.loads(run.stdout)
    assert shown["planFile"] == str(out)
    return shown


def _deploy(sandbox: SandboxHandle, tmp_path: Path, plan: Path) -> subprocess.CompletedProcess[str]:
    return _cli(sandbox, "deploy", "-f", str(tmp_path / "platform.yaml"), "--plan", str(plan), "-o", "json")


def test_a_saved_plan_deploys_and_a_stale_one_changes_nothing(
    sandbox: SandboxHandle, tmp_path: Path, two_apps: Callable[..., PlatformSession]
) -> None:
    first = tmp_path / "first.plan.json"
    _plan(sandbox, tmp_path, first)
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    deployed = _deploy(sandbox, tmp_path, first)
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    report = json.loads(deployed.stdout)
    assert {c["component"]: c["outcome"] for c in report["components"]} == {"app": "installed", "calm": "installed"}
    assert report["planFile"] == str(first)
    password = two_apps().secrets(create=False)["db-password"]

    # a values file edited after the review: the reviewed plan no longer says what would happen
    second = tmp_path / "second.plan.json"
    _plan(sandbox, tmp_path, second, changes=False)
    saved = second.read_text()
    assert password not in saved  # digests of secrets only, never their values
    Path(tmp_path / "app.values.yaml").write_text(yaml.safe_dump({"replicas": 2}))
    before = _revisions(two_apps())
    refused = _deploy(sandbox, tmp_path, second)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    error = json.loads(refused.stdout)
    assert "changed since the plan" in error["error"] and "run `helmdeck plan --out FILE` again" in error["fix"]
    assert (
        "component app: values changed since the plan (or other -e, --values, --set)" in error["details"]["differences"]
    )
    assert _revisions(two_apps()) == before

    # another actor upgrades one release (helm itself) between the review and the deploy
    fresh = tmp_path / "third.plan.json"
    planned = _plan(sandbox, tmp_path, fresh)
    assert {c["component"]: c["action"] for c in planned["components"]} == {"app": "upgrade", "calm": "unchanged"}
    env = {**os.environ, "KUBECONFIG": sandbox.kubeconfig}
    namespace = two_apps().platform.namespace_of("calm")
    subprocess.run(
        [str(sandbox.binaries["helm"]), "upgrade", "calm", QUIRKS, "-n", namespace, "--reuse-values"],
        check=True,
        capture_output=True,
        env=env,
        timeout=120,
    )
    before = _revisions(two_apps())
    assert before["calm"][0] == 2
    refused = _deploy(sandbox, tmp_path, fresh)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    differences = json.loads(refused.stdout)["details"]["differences"]
    assert "release of calm: revision 1 (deployed) when planned, revision 2 (deployed) now" in differences
    assert _revisions(two_apps()) == before  # app was not upgraded either: nothing half-applied

    # planned again, the same deploy goes through, exactly as reviewed
    last = tmp_path / "last.plan.json"
    table = _cli(sandbox, "plan", "-f", str(tmp_path / "platform.yaml"), "--out", str(last))
    assert table.returncode == 2, table.stdout + table.stderr
    assert re.fullmatch(r"plan: 0 to install, [12] to change, 0 to remove", table.stdout.splitlines()[-1])
    assert "+  replicas: 2" in table.stdout and "\x1b[" not in table.stdout  # colours only on a terminal
    human = _cli(sandbox, "deploy", "-f", str(tmp_path / "platform.yaml"), "--plan", str(last))
    assert human.returncode == 0, human.stdout + human.stderr
    after = _revisions(two_apps())
    assert after["app"][0] == before["app"][0] + 1


def test_a_damaged_plan_file_is_refused_plainly(
    sandbox: SandboxHandle, tmp_path: Path, two_apps: Callable[..., PlatformSession]
) -> None:
    saved = tmp_path / "plan.json"
    _plan(sandbox, tmp_path, saved)
    doc = json.loads(saved.read_text())
    doc["components"][0]["action"] = "unchanged"
    saved.write_text(json.dumps(doc))
    for text, expected in (
        (None, "was changed after helmdeck wrote it"),
        ("not json {", "is not a helmdeck plan file"),
        ('{"kind": "Platform"}', "is not a helmdeck plan file"),
    ):
        if text is not None:
            saved.write_text(text)
        run = _deploy(sandbox, tmp_path, saved)
        assert run.returncode == 1, run.stdout + run.stderr
        assert expected in json.loads(run.stdout)["error"]
        assert "Traceback" not in run.stderr
    assert _revisions(two_apps()) == {}
