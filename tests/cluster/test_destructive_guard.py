"""The destructive-change guard on the sandbox: a deploy that would delete a claim (its data) is
refused before anything changes, plan lists it, and --allow-destructive lets it through."""

from __future__ import annotations

from pathlib import Path

import pytest
from lightkube.resources.core_v1 import PersistentVolumeClaim

from helmdeck.deploy.executor import Deployer
from helmdeck.deploy.undeploy import Undeployer
from helmdeck.errors import ConfigError
from helmdeck.plan.planner import make_plan
from tests.cluster.conftest import SandboxHandle
from tests.cluster.doctor_support import platform_session

pytestmark = pytest.mark.cluster


def test_a_deploy_that_would_delete_a_claim_is_refused_until_allowed(
    sandbox: SandboxHandle, tmp_path: Path, namespace: str
) -> None:
    kept = [{"name": "db", "values": {"persistence": {"enabled": True, "size": "1Gi"}}}]
    dropped = [{"name": "db", "values": {"persistence": {"enabled": False}}}]
    session = platform_session(sandbox, tmp_path, namespace, kept)
    assert Deployer(session, failure_grace=2).run().ok
    client = session.client
    claim = client.get(PersistentVolumeClaim, "db-data", namespace=namespace)
    revision = session.engine.history("db", namespace=namespace)[-1].revision
    try:
        change = platform_session(sandbox, tmp_path, namespace, dropped)
        plan = make_plan(change)
        assert [(c.component, c.object) for c in plan.destructive] == [
            ("db", f"PersistentVolumeClaim {namespace}/db-data")
        ]
        with pytest.raises(ConfigError, match="destructive change") as refused:
            Deployer(change, failure_grace=2).run()
        assert "--allow-destructive" in (refused.value.fix or "")
        # nothing changed: the same release revision, the same claim
        assert change.engine.history("db", namespace=namespace)[-1].revision == revision
        same = client.get(PersistentVolumeClaim, "db-data", namespace=namespace)
        assert same.metadata is not None and claim.metadata is not None
        assert same.metadata.uid == claim.metadata.uid and same.metadata.deletionTimestamp is None

        report = Deployer(change, failure_grace=2, allow_destructive=True).run()
        assert report.ok, [(c.name, c.message) for c in report.components]
        assert change.engine.history("db", namespace=namespace)[-1].revision == revision + 1
    finally:
        Undeployer(session, purge_data=True, timeout=60).run()
