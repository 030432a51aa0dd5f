"""A deploy that finds nothing to change writes nothing: counted by the API server itself (its
request metrics, per verb), and the platform's Lease, whose renewals the metric cannot tell from the
control plane's own heartbeats, is compared by resourceVersion."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from helmdeck.cluster.lease import lease_name
from helmdeck.deploy.executor import Deployer
from helmdeck.deploy.undeploy import Undeployer
from helmdeck.sandbox.request_metrics import RequestMetrics
from tests.cluster.conftest import SandboxHandle, examples_dir
from tests.cluster.platform_files import platform

pytestmark = pytest.mark.cluster

HELLO = str(examples_dir() / "charts" / "hello")


def _lease_version(sandbox: SandboxHandle, namespace: str, platform_id: str) -> str | None:
    from lightkube.resources.coordination_v1 import Lease

    try:
        lease: Any = sandbox.client().get(Lease, lease_name(platform_id), namespace=namespace)
    except Exception:
        return None
    return str(lease.metadata.resourceVersion)


def test_a_no_change_deploy_writes_nothing_to_the_api_server(
    sandbox: SandboxHandle, tmp_path: Path, namespace: str
) -> None:
    components: list[dict[str, Any]] = [
        {"name": "db", "chart": HELLO, "namespace": "services"},
        {"name": "api", "chart": HELLO, "namespace": "services", "needs": ["db"]},
    ]
    session = platform(
        sandbox,
        tmp_path,
        namespace,
        {"services": namespace, "admin": namespace},
        components,
        spec={"secrets": {"token": {"generate": {"length": 16}, "into": ["api.podAnnotations.token"]}}},
    )
    metrics = RequestMetrics(sandbox.kubeconfig)
    try:
        first = Deployer(session(), parallel=4).run()
        assert first.ok, first.as_dict()
        s = session()
        lease_before = _lease_version(sandbox, s.admin_namespace, s.platform_id)
        before = metrics.snapshot()
        again = Deployer(s, parallel=4).run()
        writes = RequestMetrics.since(before, metrics.snapshot())
        assert again.ok, again.as_dict()
        assert [c.outcome.value for c in again.components] == ["unchanged", "unchanged"]
        assert writes.total == 0, f"a no-change deploy wrote: {writes}"
        assert _lease_version(sandbox, s.admin_namespace, s.platform_id) == lease_before
        # no revision recorded: the latest one still describes the platform
        assert not again.recorded and again.platform_revision == first.platform_revision
    finally:
        Undeployer(session(), purge_data=True, timeout=60).run()
