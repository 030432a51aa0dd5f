"""``status`` and the component page see what the inventory says a release owns (issue 21, the
inventory mechanism: "status and the UI use it"): objects a chart puts in another platform namespace,
cluster-scoped objects (without a namespace made up), and the claims of its StatefulSets' claim
templates, which are in no manifest; and their health counts (a claim that never binds holds the
component back)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lightkube.resources.apiextensions_v1 import CustomResourceDefinition
from lightkube.resources.core_v1 import Namespace

from helmdeck.core.component_detail import component_detail, component_live
from helmdeck.core.status import ComponentHealth, platform_status
from helmdeck.deploy.executor import Deployer
from helmdeck.deploy.undeploy import Undeployer
from tests.cluster.conftest import SandboxHandle
from tests.cluster.platform_files import CHARTS, platform, values_file

pytestmark = pytest.mark.cluster

SPREAD = CHARTS / "inventory" / "spread"
CRD = "gadgets.inventory.helmdeck.dev"


@pytest.fixture
def spread_db(sandbox: SandboxHandle, tmp_path: Path, namespace: str) -> Iterator[tuple[Any, str, str]]:
    """Kaapana's shape (a release in the admin namespace with its claims and a ClusterRole
    elsewhere) beside a StatefulSet whose claims come from a claim template."""
    admin, services = f"{namespace}-adm", f"{namespace}-svc"
    db_values = {"deployment": {"enabled": False}, "statefulset": {"enabled": True, "storageClass": "standard"}}
    components: list[dict[str, Any]] = [
        {
            "name": "admin-chart",
            "chart": str(SPREAD),
            "namespace": "admin",
            "values": [values_file(tmp_path, "spread", {"dataNamespace": services})],
        },
        {
            "name": "db",
            "chart": str(CHARTS / "doctor" / "app"),
            "namespace": "services",
            "values": [values_file(tmp_path, "db", db_values)],
        },
    ]
    session = platform(sandbox, tmp_path, namespace, {"services": services, "admin": admin}, components)
    yield session, admin, services
    s = session()
    with contextlib.suppress(Exception):
        Undeployer(s, purge_data=True, timeout=60).run()
    for ns in (admin, services):
        with contextlib.suppress(Exception):
            s.client.delete(Namespace, ns)
    with contextlib.suppress(Exception):
        s.client.delete(CustomResourceDefinition, CRD)


def _checked(status: Any, component: str) -> set[tuple[str, str, str | None]]:
    found = next(c for c in status.components if c.name == component)
    return {(o["object"]["kind"], o["object"]["name"], o["object"].get("namespace")) for o in found.checked}


def _tree(nodes: list[dict[str, Any]]) -> set[tuple[str, str, str | None]]:
    out = set()
    for node in nodes:
        out.add((node["kind"], node["name"], node.get("namespace") or None))
        out |= _tree(node.get("children") or [])
    return out


def test_status_and_the_component_page_cover_every_object_of_the_inventory(spread_db: tuple[Any, str, str]) -> None:
    session, admin, services = spread_db
    s = session()
    assert Deployer(s, failure_grace=2).run().ok
    status = platform_status(session())
    assert status.healthy, status.as_dict()
    spread = _checked(status, "admin-chart")
    claims = {("PersistentVolumeClaim", n, services) for n in ("af-logs-pv-claim", "dags-pv-claim")}
    assert claims <= spread  # in another namespace than the release's
    role = [o for o in spread if o[0] == "ClusterRole"]
    assert role == [("ClusterRole", f"{admin}-admin-chart-reader", None)]  # no namespace made up
    # the claim a StatefulSet made from its template is the component's, though in no manifest
    assert ("PersistentVolumeClaim", "data-db-db-0", services) in _checked(status, "db")

    page = _tree(component_detail(session(), "db")["tree"])
    assert ("PersistentVolumeClaim", "data-db-db-0", services) in page
    page = _tree(component_live(session(), "admin-chart")["tree"])
    assert claims <= page
    assert ("ClusterRole", f"{admin}-admin-chart-reader", None) in page
    spread_status = next(c for c in status.components if c.name == "admin-chart")
    role_health = [o["health"] for o in spread_status.checked if o["object"]["kind"] == "ClusterRole"]
    assert role_health and role_health[0]["state"] == "ready"
    assert spread_status.health is ComponentHealth.healthy
