"""The deploy, rollback and undeploy state machines on in-memory fakes of the cluster and the Helm
engine: every failure branch, fast and without a cluster. tests/cluster runs the same services on
the sandbox."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from helmdeck.core.session import PlatformSession
from helmdeck.deploy.executor import Deployer
from helmdeck.deploy.report import Outcome
from helmdeck.deploy.undeploy import Undeployer
from helmdeck.engine.releases import ReleaseStatus
from helmdeck.errors import ClusterError, ConfigError
from helmdeck.revisions.rollback import rollback_platform
from helmdeck.revisions.store import RevisionStore
from tests.fakes import FakeEngine, FakeKube, api_error, fake_session, session_on

HELLO = Path(__file__).resolve().parents[2] / "examples" / "charts" / "hello"


@pytest.fixture
def platform_file(tmp_path: Path) -> Path:
    path = tmp_path / "platform.yaml"
    path.write_text(
        textwrap.dedent(
            f"""
            apiVersion: helmdeck.dev/v1
            kind: Platform
            metadata: {{name: fk}}
            spec:
              components:
                - {{name: db, chart: {HELLO}, namespace: fk-data}}
                - {{name: api, chart: {HELLO}, namespace: fk-app, needs: [db]}}
                - {{name: web, chart: {HELLO}, namespace: fk-app}}
            """
        )
    )
    return path


def outcomes(report: object) -> dict[str, str]:
    return {c.name: c.outcome.value for c in report.components}  # type: ignore[attr-defined]


def history(session: PlatformSession) -> list[tuple[int, str, str]]:
    store = RevisionStore(session.client, session.admin_namespace, session.platform_id)
    return [(r.revision, r.operation, r.result) for r in store.list()]


def lease_holder(kube: FakeKube) -> str | None:
    lease = kube.one("Lease", "helmdeck-lock-fk", "admin")
    assert lease is not None, "the operation never took the platform's lease"
    return (lease.get("spec") or {}).get("holderIdentity")


def deploy(platform_file: Path, kube: FakeKube, engine: FakeEngine, sets: tuple[str, ...] = ()) -> object:
    return Deployer(session_on(platform_file, kube, engine, *sets), preflight=False, parallel=2).run()


# --- deploy -------------------------------------------------------------------------------------


def test_first_deploy_installs_in_order_records_a_revision_and_frees_the_lease(platform_file: Path) -> None:
    session, kube, engine = fake_session(platform_file)
    report = Deployer(session, preflight=False).run()
    assert report.ok
    assert outcomes(report) == {"db": "installed", "api": "installed", "web": "installed"}
    installs = [name for op, name, _ in engine.calls if op == "install"]
    assert installs.index("db") < installs.index("api")
    assert history(session) == [(1, "deploy", "succeeded")]
    assert {ns["metadata"]["name"] for ns in kube.find("Namespace")} >= {"admin", "fk-app", "fk-data"}
    assert lease_holder(kube) is None  # released


def test_a_second_deploy_changes_nothing_and_still_checks_health(platform_file: Path) -> None:
    session, kube, engine = fake_session(platform_file)
    Deployer(session, preflight=False).run()
    engine.calls.clear()
    report = deploy(platform_file, kube, engine)
    assert outcomes(report) == {"db": "unchanged", "api": "unchanged", "web": "unchanged"}
    assert engine.calls == []
    # the installed objects went through the gate: a Deployment broken since is reported
    deployment = kube.find("Deployment", "fk-app")[0]
    deployment["status"]["availableReplicas"] = 0
    deployment["status"]["conditions"][0].update(status="False", reason="ProgressDeadlineExceeded")
    kube.put(deployment)
    broken = deploy(platform_file, kube, engine)
    assert not broken.ok  # type: ignore[attr-defined]
    assert "failed" in outcomes(broken).values()


def test_a_new_component_that_fails_its_gate_is_uninstalled_and_its_dependents_skipped(platform_file: Path) -> None:
    session, kube, engine = fake_session(platform_file)
    engine.broken.add("db")
    report = Deployer(session, preflight=False).run()
    assert not report.ok
    assert outcomes(report) == {"db": "failed", "api": "skipped", "web": "installed"}
    db = next(c for c in report.components if c.name == "db")
    assert db.rollback.startswith("uninstalled")
    assert ("uninstall", "db", None) in engine.calls
    assert kube.find("Deployment", "fk-data") == []  # nothing of it left behind
    api = next(c for c in report.components if c.name == "api")
    assert api.skipped_because == ["db"]
    assert history(session) == [(1, "deploy", "failed")]
    assert lease_holder(kube) is None


def test_a_failed_upgrade_is_rolled_back_to_the_last_good_revision(platform_file: Path) -> None:
    _, kube, engine = fake_session(platform_file)
    assert deploy(platform_file, kube, engine).ok  # type: ignore[attr-defined]
    engine.broken.add("web")
    report = deploy(platform_file, kube, engine, sets=("web.replicas=3",))
    web = next(c for c in report.components if c.name == "web")  # type: ignore[attr-defined]
    assert web.outcome is Outcome.failed
    assert web.rollback == "rolled back to revision 1 (now revision 3)"
    assert ("rollback", "web", 3) in engine.calls
    assert engine.status("web", namespace="fk-app").status is ReleaseStatus.DEPLOYED
    assert outcomes(report)["db"] == "unchanged"


def test_a_helm_error_fails_only_that_component(platform_file: Path) -> None:
    session, kube, engine = fake_session(platform_file)
    engine.fail[("install", "web")] = ConfigError("template error in hello/templates/deployment.yaml:3")
    report = Deployer(session, preflight=False).run()
    assert outcomes(report) == {"db": "installed", "api": "installed", "web": "failed"}
    web = next(c for c in report.components if c.name == "web")
    assert "deployment.yaml:3" in web.message
    assert lease_holder(kube) is None


def test_a_release_left_pending_by_a_dead_operator_is_recovered(platform_file: Path) -> None:
    _, kube, engine = fake_session(platform_file)
    deploy(platform_file, kube, engine)
    record = engine._records("web", "fk-app")[-1]
    engine._set_status(record, ReleaseStatus.PENDING_UPGRADE)
    report = deploy(platform_file, kube, engine)
    web = next(c for c in report.components if c.name == "web")  # type: ignore[attr-defined]
    assert web.recovered, "the pending release was not recovered"
    assert report.ok  # type: ignore[attr-defined]


def test_losing_the_lease_stops_the_deploy_and_records_nothing(platform_file: Path) -> None:
    session, kube, engine = fake_session(platform_file)
    deployer = Deployer(session, preflight=False, parallel=1)

    original = engine.install

    def install_then_lose_the_lease(*args: object, **kwargs: object) -> object:
        release = original(*args, **kwargs)  # type: ignore[arg-type]
        lease = kube.one("Lease", "helmdeck-lock-fk", "admin")
        assert lease is not None
        lease["spec"]["holderIdentity"] = "someone-else@elsewhere pid 1"
        kube.put(lease)
        assert deployer.op is not None and deployer.op.lock is not None
        deployer.op.lock.renew()  # what the renewer thread does every ttl/3 seconds
        return release

    engine.install = install_then_lose_the_lease  # type: ignore[method-assign]
    with pytest.raises(ClusterError, match="lost the lock of platform fk: the lease is now held by someone-else"):
        deployer.run()
    assert len([c for c in engine.calls if c[0] == "install"]) == 1  # nothing started after the loss
    assert history(session) == []
    assert lease_holder(kube) == "someone-else@elsewhere pid 1"  # the new holder is left alone


def test_a_cluster_refusal_while_locking_leaves_nothing_half_done(platform_file: Path) -> None:
    session, kube, engine = fake_session(platform_file)
    kube.fail_next[("create", "Lease")] = api_error(403, "Forbidden", "leases is forbidden")
    with pytest.raises(ClusterError, match="permission denied"):
        Deployer(session, preflight=False).run()
    assert engine.calls == []
    assert [w for w in kube.writes if w[1] not in ("Namespace",)] == []


# --- rollback -----------------------------------------------------------------------------------


def test_rollback_returns_every_component_to_the_recorded_revision(platform_file: Path) -> None:
    session, kube, engine = fake_session(platform_file)
    deploy(platform_file, kube, engine)
    deploy(platform_file, kube, engine, sets=("web.replicas=3",))
    report = rollback_platform(session)
    assert report.ok and report.target == 1
    actions = {s.component: s.action for s in report.steps}
    assert actions["web"] == "rollback"
    assert "replicas" not in engine.get_values("web", namespace="fk-app")
    assert "replicas" in engine.get_values("web", namespace="fk-app", revision=2)
    assert history(session)[-1] == (3, "rollback to 1", "succeeded")
    assert lease_holder(kube) is None


def test_a_failed_component_rollback_is_reported_and_recorded_as_failed(platform_file: Path) -> None:
    session, kube, engine = fake_session(platform_file)
    deploy(platform_file, kube, engine)
    deploy(platform_file, kube, engine, sets=("web.replicas=3",))
    engine.fail[("rollback", "web")] = ClusterError("the API server timed out")
    report = rollback_platform(session)
    assert not report.ok
    failed = [s for s in report.steps if s.action == "failed"]
    assert [s.component for s in failed] == ["web"] and "timed out" in failed[0].detail
    assert history(session)[-1][2] == "failed"


def test_rollback_without_an_earlier_good_revision_changes_nothing(platform_file: Path) -> None:
    session, kube, engine = fake_session(platform_file)
    deploy(platform_file, kube, engine)
    engine.calls.clear()
    with pytest.raises(ConfigError, match="no earlier successful platform revision"):
        rollback_platform(session)
    assert engine.calls == []


# --- undeploy -----------------------------------------------------------------------------------


def test_undeploy_removes_releases_dependents_first_and_keeps_the_admin_namespace(platform_file: Path) -> None:
    session, kube, engine = fake_session(platform_file)
    deploy(platform_file, kube, engine)
    report = Undeployer(session, timeout=1).run()
    assert report.ok
    removed = [name for op, name, _ in engine.calls if op == "uninstall"]
    assert sorted(removed) == ["api", "db", "web"] and removed.index("api") < removed.index("db")
    names = {ns["metadata"]["name"] for ns in kube.find("Namespace")}
    assert "admin" in names and "fk-app" not in names and "fk-data" not in names
    assert history(session), "undeploy without --purge-data keeps the platform's history"


def test_a_release_that_fails_to_uninstall_is_reported_and_the_rest_goes_on(platform_file: Path) -> None:
    session, kube, engine = fake_session(platform_file)
    deploy(platform_file, kube, engine)
    engine.fail[("uninstall", "web")] = [ClusterError("uninstall timed out")] * 2  # with hooks, then without
    report = Undeployer(session, timeout=1).run()
    assert not report.ok
    by_name = {r.component: r for r in report.releases}
    assert not by_name["web"].ok and "timed out" in by_name["web"].note
    assert by_name["db"].ok and by_name["api"].ok
    assert lease_holder(kube) is None


def test_a_release_whose_hooks_fail_is_uninstalled_without_them(platform_file: Path) -> None:
    session, kube, engine = fake_session(platform_file)
    deploy(platform_file, kube, engine)
    engine.fail[("uninstall", "web")] = ClusterError("pre-delete hook failed")
    report = Undeployer(session, timeout=1).run()
    assert report.ok
    web = next(r for r in report.releases if r.component == "web")
    assert "recovered by uninstalling with hooks disabled" in web.note
    assert kube.find("Deployment", "fk-app") == []
