"""Plan against the desired state as the API server stores it (server-side apply dry run): no false
drift right after a deploy for fields the server defaults or drops, a no-change deploy writes no
Helm revision, an edit is still drift, and preflight stops what the API server would refuse before
anything is written."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from lightkube import ApiError
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.core_v1 import Namespace, Service
from lightkube.resources.scheduling_v1 import PriorityClass
from lightkube.types import PatchType

from helmdeck.cluster import ObjRef, apply_object, delete_object
from helmdeck.deploy.executor import Deployer
from helmdeck.deploy.undeploy import Undeployer
from helmdeck.doctor.findings import PreflightFailed
from helmdeck.plan.planner import Action, make_plan
from helmdeck.plan.state import ReleaseState
from tests.cluster.conftest import SandboxHandle
from tests.cluster.platform_files import CHARTS, platform, values_file

pytestmark = pytest.mark.cluster

DEFAULTS = str(CHARTS / "stored" / "defaults")


def _plan_cli(sandbox: SandboxHandle, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KUBECONFIG": sandbox.kubeconfig}
    cli = [sys.executable, "-m", "helmdeck.cli.main", "plan", "-f", str(tmp_path / "platform.yaml"), "-o", "json"]
    return subprocess.run(cli, capture_output=True, text=True, env=env, timeout=120)


def test_no_false_drift_for_what_the_api_server_defaults_or_drops(
    sandbox: SandboxHandle, tmp_path: Path, namespace: str
) -> None:
    """A PriorityClass with `globalDefault: false`, a Secret whose stringData key renders null, a
    Service and a Deployment left to the server's defaults: in sync right after the deploy, and a
    second deploy writes no Helm revision. Edits are still drift, the PriorityClass named without a
    namespace. An immutable field changed is stopped at preflight."""
    components = [{"name": "app", "chart": DEFAULTS, "namespace": "services"}]
    session = platform(sandbox, tmp_path, namespace, {"services": namespace, "admin": namespace}, components)
    client = session().client
    try:
        first = Deployer(session(), failure_grace=2).run()
        assert first.ok, first.as_dict()
        revision = session().live_releases()["app"].revision

        plan = make_plan(session()).by_name()["app"]
        assert plan.state is ReleaseState.in_sync, (plan.reason, plan.drift)
        assert plan.action is Action.unchanged and not plan.drift
        run = _plan_cli(sandbox, tmp_path)
        assert run.returncode == 0, run.stdout + run.stderr
        assert json.loads(run.stdout)["components"][0]["state"] == "in-sync"

        again = Deployer(session(), failure_grace=2).run()
        assert again.ok, again.as_dict()
        assert [c.outcome.value for c in again.components] == ["unchanged"]
        assert session().live_releases()["app"].revision == revision  # no Helm revision written

        # as `kubectl edit` / `kubectl scale` would: still drift, named by field
        priority = f"{namespace}-app"
        client.patch(PriorityClass, priority, {"description": "edited by hand"}, patch_type=PatchType.MERGE)
        client.patch(Deployment, "app", {"spec": {"replicas": 3}}, namespace=namespace, patch_type=PatchType.MERGE)
        ports = {"spec": {"ports": [{"name": "http", "port": 80, "targetPort": 9090}]}}
        client.patch(Service, "app", ports, namespace=namespace, patch_type=PatchType.STRATEGIC)
        drifted = make_plan(session()).by_name()["app"]
        assert drifted.state is ReleaseState.drifted and drifted.action is Action.upgrade
        shown = "\n".join(drifted.drift)
        assert f"PriorityClass {priority}: description: 'edited by hand' (the release has " in shown
        assert f"Deployment {namespace}/app: spec.replicas: 3 (the release has 1)" in shown
        assert f"Service {namespace}/app: spec.ports[0].targetPort: 9090 (the release has 8080)" in shown
        assert len(drifted.drift) == 3, shown  # nothing else: the defaults are no drift

        repaired = Deployer(session(), failure_grace=2).run()
        assert repaired.ok, repaired.as_dict()
        assert "repaired" in repaired.components[0].message
        assert make_plan(session()).by_name()["app"].state is ReleaseState.in_sync

        # an immutable field changed (a PriorityClass's value; not one the destructive checks
        # know): the API server's dry run refuses it, so the upgrade stops before Helm starts
        revision = session().live_releases()["app"].revision
        changed = session(sets=("app.priority=2000",))
        assert make_plan(changed).by_name()["app"].state is ReleaseState.out_of_sync
        with pytest.raises(PreflightFailed) as caught:
            Deployer(changed, failure_grace=2).run()
        [refused] = caught.value.report.errors
        assert refused.check == "dry-run" and refused.object == f"PriorityClass {priority}"
        assert "may not be changed in an update" in refused.reason, refused.reason
        assert session().live_releases()["app"].revision == revision
    finally:
        Undeployer(session(), purge_data=True, timeout=60).run()
        with contextlib.suppress(ApiError):  # purge deletes it (the release's), but not if the deploy failed first
            client.delete(PriorityClass, f"{namespace}-app")


REFUSALS: dict[str, tuple[dict[str, Any], str, str | None, str]] = {
    # the dry run skips node port allocation (kubernetes#75540): preflight checks the range itself
    "node-port-80": ({"nodePort": 80}, "node-ports", "nodePort", "outside the cluster's node port range 30000-32767"),
    # field validation, by the API server's dry run
    "port-70000": ({"port": 70000}, "dry-run", "port", "must be between 1 and 65535"),
    # the schema, by the API server's dry run (Helm's server-side apply fails on it the same way)
    "misspelt-field": ({"misspelt": True}, "dry-run", None, ".spec.minReadySecond: field not declared in schema"),
}


@pytest.mark.parametrize("fresh", [False, True], ids=["namespace-exists", "namespace-created-by-deploy"])
@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_what_the_api_server_refuses_stops_the_deploy_before_anything_is_written(
    sandbox: SandboxHandle, tmp_path: Path, namespace: str, fresh: bool, case: str
) -> None:
    """An object the API server refuses (nodePort 80, port 70000, a field not in the schema) stops
    the deploy at preflight, naming the component, the object, its template and the values file and
    key, with no namespace
    and no release created. A namespace the deploy would create is no hiding place: the Service is
    checked for what does not depend on it in `default`."""
    values, check, key, expected = REFUSALS[case]
    services = f"{namespace}-svc" if fresh else namespace
    admin = f"{namespace}-admin"  # a namespace the deploy would create first
    file = values_file(tmp_path, "app", values)
    components = [{"name": "app", "chart": DEFAULTS, "namespace": "services", "values": [file]}]
    session = platform(sandbox, tmp_path, namespace, {"services": services, "admin": admin}, components)
    client = session().client
    try:
        with pytest.raises(PreflightFailed) as caught:
            Deployer(session(), failure_grace=2).run()
    except BaseException:  # it deployed after all: leave no namespace behind
        Undeployer(session(), purge_data=True, timeout=60).run()
        raise
    refused = caught.value.report.errors
    assert len(refused) == 1, caught.value.report.as_dict()
    finding = refused[0]
    assert finding.check == check
    kind = "Service" if key else "Deployment"
    assert finding.component == "app" and finding.object == f"{kind} {services}/app"
    assert expected in finding.reason, finding.reason
    if key is not None:
        assert f"(values key {key}, set in " in finding.reason and "app.values.yaml:1)" in finding.reason
    assert finding.template == f"defaults/templates/{kind.lower()}.yaml"
    assert not session().live_releases()
    names = {ns.metadata.name for ns in client.list(Namespace) if ns.metadata is not None}
    assert admin not in names and (services not in names) == fresh
    assert not list(client.list(Service, namespace=namespace))


def test_an_admission_webhook_that_refuses_stops_the_deploy_before_anything_is_written(
    sandbox: SandboxHandle, tmp_path: Path, namespace: str
) -> None:
    """Admission runs on dry runs too: a webhook that refuses (here: one that cannot be reached, with
    failurePolicy Fail) stops the deploy at preflight, object by object, before Helm writes any."""
    hook = f"{namespace}-down"
    webhook = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": hook},
        "webhooks": [
            {
                "name": "down.helmdeck.dev",
                "sideEffects": "None",
                "admissionReviewVersions": ["v1"],
                "failurePolicy": "Fail",
                "timeoutSeconds": 2,
                "clientConfig": {"url": "https://127.0.0.1:9/validate"},  # nothing answers there
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}},
                "rules": [
                    {
                        "apiGroups": ["apps"],
                        "apiVersions": ["v1"],
                        "operations": ["CREATE", "UPDATE"],
                        "resources": ["deployments"],
                        "scope": "Namespaced",
                    }
                ],
            }
        ],
    }
    components = [{"name": "app", "chart": DEFAULTS, "namespace": "services"}]
    session = platform(sandbox, tmp_path, namespace, {"services": namespace, "admin": namespace}, components)
    client = session().client
    apply_object(client, webhook)
    try:
        with pytest.raises(PreflightFailed) as caught:
            Deployer(session(), failure_grace=2).run()
        [finding] = caught.value.report.errors
        assert finding.check == "dry-run" and finding.object == f"Deployment {namespace}/app"
        assert 'failed calling webhook "down.helmdeck.dev"' in finding.reason, finding.reason
        assert not session().live_releases()
    finally:
        delete_object(client, ObjRef("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", hook))
