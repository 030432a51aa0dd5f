"""Release states decided once (plan and deploy share them), and drift as the difference between
a live object and the API server's dry run of its manifest, without a cluster."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from helmdeck.cluster import ObjRef
from helmdeck.core.session import DesiredComponent, PlatformSession
from helmdeck.engine.releases import Release, ReleaseStatus
from helmdeck.labels import DIGEST_LABEL
from helmdeck.plan.drift import ComponentDrift, ObjectDrift, differences
from helmdeck.plan.state import Action, ReleaseState, classify
from helmdeck.secrets.store import placeholder_secrets

DASHBOARDS = Path(__file__).resolve().parents[2] / "examples" / "dashboards" / "platform.yaml"


@pytest.fixture(scope="module")
def backend() -> DesiredComponent:
    session = PlatformSession(DASHBOARDS, environment="demo")
    return session.desired_one("backend", placeholder_secrets(session.platform))


def release(status: ReleaseStatus, digest: str | None) -> Release:
    labels = {DIGEST_LABEL: digest} if digest else {}
    return Release("backend", "services", 3, status, "backend", "0.4.0", "1", datetime.now(UTC), labels=labels)


def test_each_state_and_its_action(backend: DesiredComponent) -> None:
    d = backend
    drift = ComponentDrift("backend", [ObjectDrift(ObjRef("v1", "ConfigMap", "c", "services"), missing=True)])
    cases = [
        (None, None, ReleaseState.absent, Action.install),
        (release(ReleaseStatus.UNINSTALLED, d.digest), None, ReleaseState.absent, Action.install),
        (release(ReleaseStatus.PENDING_UPGRADE, d.digest), None, ReleaseState.locked, Action.upgrade),
        (release(ReleaseStatus.FAILED, d.digest), None, ReleaseState.failed, Action.upgrade),
        (release(ReleaseStatus.DEPLOYED, "other"), None, ReleaseState.out_of_sync, Action.upgrade),
        (release(ReleaseStatus.DEPLOYED, "other"), drift, ReleaseState.out_of_sync, Action.upgrade),
        (release(ReleaseStatus.DEPLOYED, d.digest), drift, ReleaseState.drifted, Action.upgrade),
        (release(ReleaseStatus.DEPLOYED, d.digest), None, ReleaseState.in_sync, Action.unchanged),
    ]
    for live, found, state, action in cases:
        decision = classify(d, live, found)
        assert (decision.state, decision.action) == (state, action), (live, found)
    assert classify(d, release(ReleaseStatus.DEPLOYED, "other"), drift).drift is drift  # the upgrade repairs it too
    assert "deleted" in classify(d, release(ReleaseStatus.DEPLOYED, d.digest), drift).reason


def test_differences_between_live_and_the_dry_run() -> None:
    live = {"spec": {"replicas": 3, "ports": [{"port": 80, "protocol": "TCP"}]}, "data": {"a": "eA=="}}
    stored = {"spec": {"replicas": 1, "ports": [{"port": 80, "protocol": "TCP"}]}, "data": {"a": "eQ==", "b": "eg=="}}
    out: list[str] = []
    differences(live["spec"], stored["spec"], "spec", out)
    assert out == ["spec.replicas: 3 (the release has 1)"]
    secret: list[str] = []
    differences(live["data"], stored["data"], "data", secret, secret=True)
    assert secret == ["data.a: changed", "data.b: removed"]  # keys only, never values
    assert not any("eA==" in line or "eQ==" in line for line in secret)
    same: list[str] = []
    differences(stored, stored, "", same)
    assert same == []
