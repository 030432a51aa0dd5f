"""Plan decisions and diff redaction, without a cluster."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path

import pytest

from helmdeck.core.session import DesiredComponent, PlatformSession
from helmdeck.engine.releases import Release, ReleaseStatus
from helmdeck.labels import DIGEST_LABEL
from helmdeck.plan.planner import Action, decide, manifest_diff
from helmdeck.secrets.redact import remember
from helmdeck.secrets.store import placeholder_secrets

DASHBOARDS = Path(__file__).resolve().parents[2] / "examples" / "dashboards" / "platform.yaml"


@pytest.fixture(scope="module")
def backend() -> DesiredComponent:
    session = PlatformSession(DASHBOARDS, environment="demo")
    return session.desired_one("backend", placeholder_secrets(session.platform))


def release(status: ReleaseStatus, digest: str | None, chart_version: str = "0.4.0") -> Release:
    labels = {DIGEST_LABEL: digest} if digest else {}
    return Release("backend", "services", 3, status, "backend", chart_version, "1", datetime.now(UTC), labels=labels)


def test_decisions(backend: DesiredComponent) -> None:
    d: DesiredComponent = backend
    assert decide(d, None)[0] is Action.install
    assert decide(d, release(ReleaseStatus.DEPLOYED, d.digest)) == (Action.unchanged, "up to date")
    assert decide(d, release(ReleaseStatus.DEPLOYED, "other"))[0] is Action.upgrade
    action, why = decide(d, release(ReleaseStatus.DEPLOYED, None))
    assert action is Action.upgrade and "outside helmdeck" in why
    action, why = decide(d, release(ReleaseStatus.DEPLOYED, "x", chart_version="0.3.0"))
    assert "backend-0.3.0 -> backend-0.4.0" in why
    action, why = decide(d, release(ReleaseStatus.PENDING_UPGRADE, d.digest))
    assert action is Action.upgrade and "recovered" in why
    assert decide(d, release(ReleaseStatus.UNINSTALLED, d.digest))[0] is Action.install


def test_digest_follows_values_and_chart() -> None:
    session = PlatformSession(DASHBOARDS, environment="demo")
    secrets = placeholder_secrets(session.platform)
    a = session.desired_one("viewer", secrets).digest
    assert session.desired_one("viewer", secrets).digest == a  # stable across renders
    changed = PlatformSession(DASHBOARDS, environment="demo", cli_sets=["viewer.replicas=5"])
    assert changed.desired_one("viewer", secrets).digest != a
    other_component = PlatformSession(DASHBOARDS, environment="demo", cli_sets=["backend.replicas=5"])
    assert other_component.desired_one("viewer", secrets).digest == a  # umbrella --set reaches only its component


def test_diff_never_shows_secret_values(backend: DesiredComponent) -> None:
    d: DesiredComponent = backend
    live_secret = base64.b64encode(b"the-old-password").decode()
    live = (
        "---\n# Source: backend/templates/secret.yaml\napiVersion: v1\nkind: Secret\nmetadata:\n  name: backend\n"
        f"data:\n  jwt-secret: {live_secret}\n"
    )
    remember({"backend-jwt-secret": "the-old-password"})
    diff = manifest_diff(live, d, "backend")
    assert live_secret not in diff and "the-old-password" not in diff
    # old on the '-' side, new on the '+' side
    assert "-  jwt-secret: <redacted, live value>" in diff
    assert "+  jwt-secret: <redacted, new value>" in diff
    placeholders = placeholder_secrets(PlatformSession(DASHBOARDS).platform)
    assert placeholders
    for value in placeholders.values():
        assert base64.b64encode(value.encode()).decode() not in diff


def test_a_chart_whose_kube_version_excludes_the_cluster_is_blocked_not_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 17: plan said "1 to install" for a chart Helm refuses on this cluster (doctor knew)."""
    from helmdeck.cluster.client import ServerVersion
    from helmdeck.plan import planner
    from tests.fakes import fake_session

    for name, constraint in (("future", ">=1.99.0-0"), ("now", ">=1.20.0-0")):
        chart = tmp_path / "charts" / name
        (chart / "templates").mkdir(parents=True)
        (chart / "Chart.yaml").write_text(
            f"apiVersion: v2\nname: {name}\nversion: 0.1.0\nkubeVersion: '{constraint}'\n"
        )
        (chart / "templates" / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    (tmp_path / "platform.yaml").write_text(
        "apiVersion: helmdeck.dev/v1\nkind: Platform\nmetadata: {name: kv}\nspec:\n  components:\n"
        "    - {name: future, chart: charts/future, namespace: services}\n"
        "    - {name: now, chart: charts/now, namespace: services}\n"
    )
    # the in-memory cluster serves no /version
    monkeypatch.setattr(planner, "server_version", lambda _client: ServerVersion(1, 35, "v1.35.4", "linux/amd64"))
    session, _kube, _engine = fake_session(tmp_path / "platform.yaml")
    plan = planner.make_plan(session)
    by_name = plan.by_name()
    assert by_name["now"].action is Action.install
    assert by_name["future"].action is Action.blocked
    assert "requires Kubernetes >=1.99.0-0, but the cluster runs v1.35.4" in by_name["future"].reason
    assert plan.summary() == "1 to install, 0 to change, 0 to remove; 1 blocked (Helm would refuse)"
    assert plan.as_dict()["components"][0]["action"] == "blocked"
