"""The health gate tells the truth about what Helm installed, on the sandbox: charts that draw
random object names, Jobs removed by their TTL, pods no node can take, and components that broke
while nothing about them changed."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lightkube.resources.apps_v1 import Deployment
from lightkube.types import PatchType

from helmdeck.core.session import PlatformSession
from helmdeck.core.status import platform_status
from helmdeck.deploy.executor import Deployer
from helmdeck.deploy.report import Outcome
from helmdeck.deploy.undeploy import Undeployer
from helmdeck.revisions.rollback import rollback_platform
from helmdeck.revisions.store import RevisionStore
from tests.cluster.conftest import SandboxHandle
from tests.cluster.platform_files import CHARTS, platform, values_file

pytestmark = pytest.mark.cluster

QUIRKS = str(CHARTS / "health" / "quirks")
FAIL = "sandbox.helmdeck.dev/fail"
Factory = Callable[..., PlatformSession]


@pytest.fixture
def make(sandbox: SandboxHandle, tmp_path: Path, namespace: str) -> Any:
    """Builds a platform in the test's namespace from (name, values[, extra]) triples."""
    made: list[Factory] = []

    def build(*components: tuple[Any, ...], timeout: str = "40s") -> Factory:
        entries = []
        for name, values, *extra in components:
            entry: dict[str, Any] = {
                "name": name,
                "chart": QUIRKS,
                "namespace": "services",
                "values": [values_file(tmp_path, name, values)],
                "health": {"timeout": timeout},
            }
            for more in extra:
                entry.update(more)
            entries.append(entry)
        factory = platform(sandbox, tmp_path, namespace, {"services": namespace, "admin": namespace}, entries)
        made.append(factory)
        return factory

    yield build
    for factory in made:
        Undeployer(factory(), purge_data=True, timeout=60).run()


def test_a_chart_with_random_object_names_passes_its_gate(make: Any) -> None:
    session = make(("admin", {"randomName": True}))
    report = Deployer(session(), failure_grace=2).run()
    assert report.ok, report.as_dict()
    (admin,) = report.components
    assert admin.outcome is Outcome.installed
    assert "1 object healthy" in admin.message
    # and a deploy with nothing changed checks what is installed, not a fresh random render
    again = Deployer(session(), failure_grace=2).run()
    assert again.ok and again.components[0].outcome is Outcome.unchanged, again.as_dict()


def test_a_job_removed_by_its_ttl_counts_as_done(make: Any) -> None:
    session = make(("migrations", {"job": {"enabled": True, "ttlSecondsAfterFinished": 0}}))
    report = Deployer(session(), failure_grace=2).run()
    assert report.ok, report.as_dict()
    status = platform_status(session())
    assert status.healthy, status.as_dict()
    assert Deployer(session(), failure_grace=2).run().ok  # unchanged: the Job stays gone, and done


def test_a_failed_job_removed_by_its_ttl_fails_the_gate(make: Any) -> None:
    job = {"enabled": True, "ttlSecondsAfterFinished": 0, "annotations": {FAIL: "job-fail"}}
    session = make(("migrations", {"job": job}))
    report = Deployer(session(), failure_grace=2).run()
    (migrations,) = report.components
    assert migrations.outcome is Outcome.failed, report.as_dict()
    assert "job failed" in migrations.message


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"resources": {"requests": {"cpu": "1000"}}}, "Insufficient cpu"),
        ({"claim": "nowhere"}, 'persistentvolumeclaim "nowhere" not found'),
    ],
    ids=["no-node-fits", "missing-claim"],
)
def test_a_pod_that_can_never_schedule_fails_fast_with_the_reason(
    make: Any, values: dict[str, Any], reason: str
) -> None:
    session = make(("web", values), timeout="5m")
    start = time.monotonic()
    # preflight would refuse 1000 CPUs up front; this is about the gate, as when the cluster's
    # free capacity is gone rather than its largest node too small
    report = Deployer(session(), failure_grace=3, preflight=False).run()
    took = time.monotonic() - start
    (web,) = report.components
    assert web.outcome is Outcome.failed
    assert "cannot be scheduled" in web.message and reason in web.message
    assert "pod web-" in web.message
    assert took < 90, f"took {took:.0f}s: the gate waited instead of failing fast"


def _break_by_hand(session: PlatformSession, namespace: str, deployment: str) -> None:
    """What an operator's kubectl edit or a node problem does: the pods start crash-looping."""
    patch = {"spec": {"template": {"metadata": {"annotations": {FAIL: "crash-loop"}}}}}
    session.client.patch(Deployment, deployment, patch, namespace=namespace, patch_type=PatchType.MERGE)


def test_deploy_reports_and_records_an_unchanged_component_that_is_failing(make: Any, namespace: str) -> None:
    session = make(("db", {}), ("api", {}, {"needs": ["db"]}))
    assert Deployer(session(), failure_grace=2).run().ok
    _break_by_hand(session(), namespace, "db")

    report = Deployer(session(), failure_grace=2).run()
    assert not report.ok
    db = next(c for c in report.components if c.name == "db")
    assert db.outcome is Outcome.failed
    assert db.message.startswith("up to date but unhealthy: ")
    assert "CrashLoopBackOff" in db.message
    record = RevisionStore(session().client, namespace, session().platform_id).get(report.platform_revision or 0)
    assert record.result == "failed"
    assert record.components["db"].health == "failed"
    assert "db" in record.message


def test_rollback_reports_and_records_a_failing_component_it_did_not_touch(make: Any, namespace: str) -> None:
    session = make(("db", {}), ("api", {}))
    first = Deployer(session(), failure_grace=2).run()
    assert first.ok
    assert Deployer(session(sets=("api.replicas=2",)), failure_grace=2).run().ok
    _break_by_hand(session(), namespace, "db")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # until the crash loop shows
        if {c.name: c.health for c in platform_status(session()).components}["db"] == "failed":
            break
        time.sleep(0.5)

    report = rollback_platform(session(), first.platform_revision)
    assert [s.action for s in report.steps if s.component == "api"] == ["rollback"]
    assert not report.ok
    assert report.health["db"]["health"] == "failed"
    record = RevisionStore(session().client, namespace, session().platform_id).get(report.new_revision or 0)
    assert record.result == "failed" and record.components["db"].health == "failed"


# --- what plan shows after a secret is rotated ------------------------------------------------


def _cli(sandbox: SandboxHandle, *args: str) -> subprocess.CompletedProcess[str]:
    """The real command in a process of its own: it has seen no secret value before."""
    env = {**os.environ, "KUBECONFIG": sandbox.kubeconfig}
    return subprocess.run(
        [sys.executable, "-m", "helmdeck.cli.main", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_plan_after_a_rotation_shows_neither_the_old_nor_the_new_value(
    sandbox: SandboxHandle, tmp_path: Path, namespace: str
) -> None:
    components = [{"name": "app", "chart": QUIRKS, "namespace": "services"}]
    spec = {"secrets": {"db-password": {"generate": {"length": 24}, "into": ["app.password"]}}}
    session = platform(sandbox, tmp_path, namespace, {"services": namespace, "admin": namespace}, components, spec=spec)
    try:
        assert Deployer(session(), failure_grace=2).run().ok
        old = session().secrets(create=False)["db-password"]
        rotated = _cli(sandbox, "secrets", "rotate", "db-password", "-f", str(tmp_path / "platform.yaml"))
        assert rotated.returncode == 0, rotated.stderr
        new = session().secrets(create=False)["db-password"]
        assert new != old

        human = _cli(sandbox, "plan", "-f", str(tmp_path / "platform.yaml"))
        as_json = _cli(sandbox, "plan", "-f", str(tmp_path / "platform.yaml"), "-o", "json")
        for run in (human, as_json):
            assert run.returncode == 2, run.stderr  # changes
            shown = run.stdout + run.stderr
            for value in (old, new, base64.b64encode(old.encode()).decode(), base64.b64encode(new.encode()).decode()):
                assert value not in shown
        diff = json.loads(as_json.stdout)["components"][0]["diff"]
        assert "<redacted:db-password (previous)>" in diff and "<redacted:db-password>" in diff
        # the Secret's markers: its changed key on both sides, its unchanged key on neither
        assert "-  password: <redacted, live value>" in diff and "+  password: <redacted, new value>" in diff, diff
        assert "user: <redacted" not in "".join(line for line in diff.splitlines(keepends=True) if line[:1] in "+-")
    finally:
        Undeployer(session(), purge_data=True, timeout=60).run()
