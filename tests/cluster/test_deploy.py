"""The deploy core on the sandbox: the dashboards reference platform deployed, changed, broken,
interrupted, raced, rolled back and undeployed. The Kubernetes API is never mocked here."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from lightkube.core.exceptions import ApiError
from lightkube.resources.core_v1 import PersistentVolumeClaim, Secret

from helmdeck.cluster import describe
from helmdeck.core.session import PlatformSession
from helmdeck.core.status import platform_status
from helmdeck.deploy.executor import Deployer
from helmdeck.deploy.report import Outcome
from helmdeck.deploy.undeploy import Undeployer
from helmdeck.engine.releases import ReleaseStatus
from helmdeck.errors import ClusterError
from helmdeck.plan.planner import Action, make_plan
from helmdeck.revisions.rollback import rollback_platform
from helmdeck.revisions.store import RevisionStore
from helmdeck.spec import parse_platform
from tests.cluster.conftest import SandboxHandle, examples_dir
from tests.cluster.wait_support import wait_for

pytestmark = pytest.mark.cluster

DASHBOARDS = examples_dir() / "dashboards" / "platform.yaml"
FAIL = "sandbox\\.helmdeck\\.dev/fail"
READY_AFTER = "sandbox\\.helmdeck\\.dev/ready-after"
COMPLETE_AFTER = "sandbox\\.helmdeck\\.dev/complete-after"


def instance_file(tmp_path: Path, instance: str) -> Path:
    """The dashboards platform as an instance of its own, so tests never share namespaces; a copy in
    ``tmp_path`` (charts and values beside it), so nothing is written into examples/."""
    copy = tmp_path / "dashboards"
    shutil.copytree(DASHBOARDS.parent, copy, ignore=shutil.ignore_patterns("secrets.yaml"))
    # hosts of its own too: another dashboards platform in the shared sandbox must not own its routes
    for env in (copy / "env").glob("*.yaml"):
        env.write_text(env.read_text().replace("dashboards.localtest.me", f"{instance}.dashboards.localtest.me"))
    text = DASHBOARDS.read_text().replace('instance: ""', f'instance: "{instance}"')
    assert f'instance: "{instance}"' in text
    path = copy / "platform.yaml"
    path.write_text(text)
    return path


@pytest.fixture
def dashboards(sandbox: SandboxHandle, tmp_path: Path) -> Any:
    instance = f"t{secrets.token_hex(3)}"
    path = instance_file(tmp_path, instance)
    made: list[PlatformSession] = []

    def session(env: str = "demo", sets: tuple[str, ...] = ()) -> PlatformSession:
        platform = parse_platform(path.read_text(), source=str(path), path=path)
        s = PlatformSession(platform=platform, environment=env, kubeconfig=sandbox.kubeconfig, cli_sets=sets)
        made.append(s)
        return s

    session.path = path  # type: ignore[attr-defined]
    session.instance = instance  # type: ignore[attr-defined]
    yield session
    Undeployer(session(), purge_data=True, timeout=60).run()


def helm_cli(sandbox: SandboxHandle, *args: str) -> Any:
    env = {**os.environ, "KUBECONFIG": sandbox.kubeconfig}
    out = subprocess.run(
        [str(sandbox.binaries["helm"]), *args, "-o", "json"], capture_output=True, text=True, check=True, env=env
    )
    return json.loads(out.stdout)


def revisions(session: PlatformSession) -> dict[str, int]:
    return {name: rel.revision for name, rel in session.live_releases().items()}


def test_deploy_from_nothing_then_nothing_changes(dashboards: Any, sandbox: SandboxHandle) -> None:
    s = dashboards()
    report = Deployer(s).run()
    assert report.ok, report.as_dict()
    assert {c.name: c.outcome for c in report.components} == {n: Outcome.installed for n in s.platform.component_names}
    status = platform_status(dashboards())
    assert status.healthy, status.as_dict()
    listed = helm_cli(sandbox, "ls", "-n", f"{dashboards.instance}-services")
    assert sorted(r["name"] for r in listed) == sorted(s.platform.component_names)
    assert all(r["status"] == "deployed" for r in listed)

    before = revisions(dashboards())
    again = Deployer(dashboards()).run()
    assert again.ok
    assert {c.outcome for c in again.components} == {Outcome.unchanged}
    assert revisions(dashboards()) == before  # no new release revisions
    assert not make_plan(dashboards()).has_changes


def test_one_value_changed_touches_only_that_component(dashboards: Any) -> None:
    assert Deployer(dashboards()).run().ok
    before = revisions(dashboards())
    changed = dashboards(sets=("viewer.replicas=2",))
    plan = make_plan(changed)
    actions = {c.name: c.action for c in plan.components}
    assert actions.pop("viewer") is Action.upgrade
    assert set(actions.values()) == {Action.unchanged}
    viewer_plan = plan.by_name()["viewer"]
    assert "-  replicas: 1" in viewer_plan.diff and "+  replicas: 2" in viewer_plan.diff

    report = Deployer(dashboards(sets=("viewer.replicas=2",))).run()
    outcomes = {c.name: c.outcome for c in report.components}
    assert outcomes.pop("viewer") is Outcome.upgraded
    assert set(outcomes.values()) == {Outcome.unchanged}
    after = revisions(dashboards())
    assert after["viewer"] == before["viewer"] + 1
    assert {k: v for k, v in after.items() if k != "viewer"} == {k: v for k, v in before.items() if k != "viewer"}


def test_failing_component_is_rolled_back_dependents_skipped(dashboards: Any) -> None:
    assert Deployer(dashboards()).run().ok
    before = revisions(dashboards())
    broken = dashboards(sets=(f"backend.podAnnotations.{FAIL}=crash-loop", "redis.resources.requests.cpu=60m"))
    report = Deployer(broken, failure_grace=3).run()
    assert not report.ok
    by = {c.name: c for c in report.components}
    backend = by["backend"]
    assert backend.outcome is Outcome.failed
    assert backend.rollback == f"rolled back to revision {before['backend']} (now revision {before['backend'] + 2})"
    text = "\n".join(backend.failure_text)
    assert "CrashLoopBackOff" in text and "pod backend-" in text, text
    assert by["redis"].outcome is Outcome.upgraded  # independent: goes on
    assert by["mongo"].outcome is Outcome.unchanged
    for dependent in ("celery-worker", "viewer", "ingress"):
        assert by[dependent].outcome is Outcome.skipped
    assert "backend" in by["celery-worker"].skipped_because
    live = dashboards().live_releases()
    assert live["backend"].status is ReleaseStatus.DEPLOYED
    assert live["backend"].revision == before["backend"] + 2


def test_first_install_failure_is_uninstalled(dashboards: Any) -> None:
    report = Deployer(dashboards(sets=(f"viewer.podAnnotations.{FAIL}=image-pull",)), failure_grace=2).run()
    by = {c.name: c for c in report.components}
    assert by["viewer"].outcome is Outcome.failed
    assert by["viewer"].rollback == "uninstalled (it was a first install)"
    assert "ImagePullBackOff" in "\n".join(by["viewer"].failure_text) or "ErrImagePull" in "\n".join(
        by["viewer"].failure_text
    )
    assert by["ingress"].outcome is Outcome.skipped
    assert by["backend"].outcome is Outcome.installed
    assert "viewer" not in dashboards().live_releases()


def _deploy_process(path: Path, kubeconfig: str, *sets: str) -> subprocess.Popen[str]:
    args = [sys.executable, "-m", "helmdeck.cli.main", "deploy", "-f", str(path), "-e", "demo", "-o", "json"]
    for expr in sets:
        args += ["--set", expr]
    return subprocess.Popen(
        args, env={**os.environ, "KUBECONFIG": kubeconfig}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_killed_deploy_is_recovered(dashboards: Any, sandbox: SandboxHandle) -> None:
    s = dashboards()
    # the migrations hook Job makes Helm hold backend in pending-install while it "runs"
    proc = _deploy_process(
        dashboards.path,
        sandbox.kubeconfig,
        "backend.migrations.enabled=true",
        f"backend.migrations.podAnnotations.{COMPLETE_AFTER}=60s",
    )
    try:
        wait_for(
            "backend pending-install",
            lambda: (r := s.live_releases().get("backend")) is not None and r.status is ReleaseStatus.PENDING_INSTALL,
        )
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert describe(s.client, s.admin_namespace, s.platform_id).holder  # the dead holder's lease stays
    report = Deployer(dashboards(sets=("backend.migrations.enabled=true",))).run()
    assert report.ok, report.as_dict()
    assert report.took_over_from and "pid" in report.took_over_from
    backend = {c.name: c for c in report.components}["backend"]
    assert backend.recovered.startswith("uninstalled the pending-install revision")
    live = dashboards().live_releases()
    assert all(rel.status is ReleaseStatus.DEPLOYED for rel in live.values()), {n: r.status for n, r in live.items()}


def test_second_deploy_is_refused_naming_the_holder(dashboards: Any, sandbox: SandboxHandle) -> None:
    s = dashboards()
    proc = _deploy_process(dashboards.path, sandbox.kubeconfig, f"viewer.podAnnotations.{READY_AFTER}=8s")
    try:
        info = wait_for("the first deploy to hold the lock", lambda: _holder(s))
        with pytest.raises(ClusterError) as refused:
            Deployer(dashboards()).run()
        assert f"platform {s.platform_id} is being changed by {info}" in refused.value.message
    finally:
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert json.loads(out)["ok"]


def _holder(s: PlatformSession) -> str | None:
    try:
        info = describe(s.client, s.admin_namespace, s.platform_id)
    except (ApiError, ClusterError):
        return None
    return info.holder if info and not info.free else None


def test_platform_rollback_to_revision_one(dashboards: Any) -> None:
    assert Deployer(dashboards()).run().ok
    assert Deployer(dashboards(sets=("viewer.replicas=2",))).run().ok
    assert Deployer(dashboards(sets=("viewer.replicas=3", "redis.resources.requests.cpu=70m"))).run().ok
    s = dashboards()
    store = RevisionStore(s.client, s.admin_namespace, s.platform_id)
    first = store.get(1)
    assert [r.revision for r in store.list()] == [1, 2, 3]
    report = rollback_platform(s, 1)
    assert report.ok and report.new_revision == 4
    for name, want in first.components.items():
        live_manifest = s.engine.get_manifest(want.release, namespace=want.namespace)
        recorded = s.engine.get_manifest(want.release, want.revision, namespace=want.namespace)
        assert live_manifest == recorded, name
    assert not make_plan(dashboards()).has_changes  # the file's demo values are revision 1 again


def test_undeploy_keeps_data_unless_purged(dashboards: Any, sandbox: SandboxHandle) -> None:
    assert Deployer(dashboards()).run().ok
    s = dashboards()
    services = f"{dashboards.instance}-services"
    claims = {p.metadata.name for p in s.client.list(PersistentVolumeClaim, namespace=services)}
    assert claims == {"data-mongo-0", "data-minio-0"}

    report = Undeployer(dashboards()).run()
    assert report.ok
    assert dashboards().live_releases() == {}
    leftovers = [r for r in helm_cli(sandbox, "ls", "-A") if r["namespace"].startswith(dashboards.instance)]
    assert leftovers == []
    assert {p.metadata.name for p in s.client.list(PersistentVolumeClaim, namespace=services)} == claims
    assert any("PersistentVolumeClaim" in k for k in report.kept)
    s.client.get(Secret, s.platform.secret_store_name, namespace=s.admin_namespace)  # secrets store kept

    asked: list[list[str]] = []
    purge = Undeployer(dashboards(), purge_data=True, confirm=lambda items: asked.append(items) or True).run()
    assert purge.ok
    assert any("data-mongo-0" in item for item in asked[0])
    assert list(s.client.list(PersistentVolumeClaim, namespace=services)) == []
    with pytest.raises(ApiError):
        s.client.get(Secret, s.platform.secret_store_name, namespace=s.admin_namespace)
