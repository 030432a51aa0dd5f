"""Drift on the sandbox: live objects edited or deleted behind helmdeck's back show in plan (exit 2,
fields named, Secret values never), deploy repairs them, and plan is clean again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.core_v1 import ConfigMap, Secret
from lightkube.types import PatchType

from helmdeck.deploy.executor import Deployer
from helmdeck.deploy.undeploy import Undeployer
from helmdeck.plan.planner import Action, make_plan
from tests.cluster.conftest import SandboxHandle
from tests.cluster.platform_files import CHARTS, platform, values_file

pytestmark = pytest.mark.cluster


def test_drift_is_planned_and_repaired(sandbox: SandboxHandle, tmp_path: Path, namespace: str) -> None:
    components = [
        {
            "name": "app",
            "chart": str(CHARTS / "health" / "quirks"),
            "namespace": "services",
            "values": [values_file(tmp_path, "app", {"replicas": 2, "password": "chart-default-pw"})],
        },
        {"name": "calm", "chart": str(CHARTS / "health" / "quirks"), "namespace": "services"},
    ]
    session = platform(sandbox, tmp_path, namespace, {"services": namespace, "admin": namespace}, components)
    try:
        assert Deployer(session(), failure_grace=2).run().ok
        assert not make_plan(session()).has_changes  # nothing drifted yet: no noise from defaults

        client = session().client
        patch = {
            "spec": {
                "replicas": 5,
                "template": {"spec": {"containers": [{"name": "app", "image": "evil.example.org/app:latest"}]}},
            }
        }
        client.patch(Deployment, "app", patch, namespace=namespace, patch_type=PatchType.STRATEGIC)
        client.delete(ConfigMap, "app-config", namespace=namespace)
        client.patch(Secret, "app-auth", {"stringData": {"password": "typed-by-hand"}}, namespace=namespace)

        plan = make_plan(session()).by_name()
        assert plan["calm"].action is Action.unchanged
        app = plan["app"]
        assert app.action is Action.upgrade and "drifted" in app.reason
        shown = "\n".join(app.drift)
        assert f"Deployment {namespace}/app: spec.replicas: 5 (the release has 2)" in shown
        assert "spec.template.spec.containers[0].image: 'evil.example.org/app:latest'" in shown
        assert f"ConfigMap {namespace}/app-config: deleted outside helmdeck" in shown
        assert f"Secret {namespace}/app-auth: data.password: changed" in shown
        assert "typed-by-hand" not in shown and "chart-default-pw" not in shown

        env = {**os.environ, "KUBECONFIG": sandbox.kubeconfig}
        cli = [sys.executable, "-m", "helmdeck.cli.main", "plan", "-f", str(tmp_path / "platform.yaml"), "-o", "json"]
        run = subprocess.run(cli, capture_output=True, text=True, env=env, timeout=120)
        assert run.returncode == 2, run.stderr
        assert any(c["drift"] for c in json.loads(run.stdout)["components"])

        report = Deployer(session(), failure_grace=2).run()
        assert report.ok, [(c.name, c.outcome.value, c.message, c.rollback) for c in report.components]
        repaired = next(c for c in report.components if c.name == "app")
        assert repaired.outcome.value == "upgraded" and "repaired" in repaired.message
        live = client.get(Deployment, "app", namespace=namespace)
        assert live.spec is not None and live.spec.replicas == 2
        assert live.spec.template.spec is not None
        assert live.spec.template.spec.containers[0].image == "registry.example.org/quirks/app:1.0"
        client.get(ConfigMap, "app-config", namespace=namespace)
        assert not make_plan(session()).has_changes

        # a real change on top of drift: the upgrade takes the drifted field back too
        client.patch(Deployment, "app", patch, namespace=namespace, patch_type=PatchType.STRATEGIC)
        changed = make_plan(session(sets=("app.replicas=3",))).by_name()["app"]
        assert changed.action is Action.upgrade and changed.drift
        assert Deployer(session(sets=("app.replicas=3",)), failure_grace=2).run().ok
        live = client.get(Deployment, "app", namespace=namespace)
        assert live.spec is not None and live.spec.replicas == 3
        assert live.spec.template.spec is not None
        assert live.spec.template.spec.containers[0].image == "registry.example.org/quirks/app:1.0"
    finally:
        Undeployer(session(), purge_data=True, timeout=60).run()


def test_plan_and_deploy_without_env_use_the_environment_last_deployed(
    sandbox: SandboxHandle, tmp_path: Path, namespace: str
) -> None:
    """Without -e, plan used to diff the running platform back to its base values (and deploy to roll
    them out): an operator who deployed prod and later types `helmdeck plan` must see prod, told so."""
    prod = tmp_path / "prod.values.yaml"
    prod.write_text("app:\n  replicas: 3\n")
    components = [{"name": "app", "chart": str(CHARTS / "health" / "quirks"), "namespace": "services"}]
    session = platform(
        sandbox,
        tmp_path,
        namespace,
        {"services": namespace, "admin": namespace},
        components,
        spec={"environments": {"prod": {"values": [str(prod)]}}},
    )
    env = {**os.environ, "KUBECONFIG": sandbox.kubeconfig}
    env.pop("HELMDECK_ENV", None)
    base = [sys.executable, "-m", "helmdeck.cli.main"]
    file = ["-f", str(tmp_path / "platform.yaml")]
    try:
        first = subprocess.run(
            [*base, "deploy", *file, "-e", "prod"], capture_output=True, text=True, env=env, timeout=180
        )
        assert first.returncode == 0, first.stderr

        planned = subprocess.run(
            [*base, "plan", *file, "-o", "json"], capture_output=True, text=True, env=env, timeout=120
        )
        assert planned.returncode == 0, planned.stdout + planned.stderr  # prod again: nothing to change
        assert json.loads(planned.stdout)["environment"] == "prod"
        assert "environment: prod, the one last deployed (-e chooses another)" in planned.stderr

        again = subprocess.run([*base, "deploy", *file], capture_output=True, text=True, env=env, timeout=180)
        assert again.returncode == 0, again.stderr
        live = session().client.get(Deployment, "app", namespace=namespace)
        assert live.spec is not None and live.spec.replicas == 3  # not rolled back to the base's 1
    finally:
        Undeployer(session(), purge_data=True, timeout=60).run()
