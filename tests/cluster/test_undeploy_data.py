"""Undeploy never loses data it was not told to delete, and purge deletes only what is the
platform's, on the sandbox: claims a chart templates itself, StatefulSet claims whose StatefulSet
would delete them, a namespace shared with objects helmdeck never made, and a deploy that starts
the moment undeploy lets go of the platform's lock."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from lightkube.models.core_v1 import PersistentVolumeClaimSpec, VolumeResourceRequirements
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import PersistentVolumeClaim

from helmdeck.cluster import PlatformLock
from helmdeck.cluster.namespaces import get_namespace
from helmdeck.core.session import PlatformSession
from helmdeck.deploy.executor import Deployer
from helmdeck.deploy.report import DeployReport
from helmdeck.deploy.undeploy import Undeployer
from helmdeck.engine.releases import ReleaseStatus
from helmdeck.revisions import operation as operation_module
from tests.cluster.conftest import SandboxHandle
from tests.cluster.platform_files import CHARTS, platform, values_file

pytestmark = pytest.mark.cluster


def _claims(session: PlatformSession, namespace: str) -> dict[str, str]:
    """name -> uid: the same uid after a redeploy means the very same claim (and its data) is back."""
    return {
        str(p.metadata.name): str(p.metadata.uid)  # type: ignore[union-attr]
        for p in session.client.list(PersistentVolumeClaim, namespace=namespace)
    }


def _unrelated_claim(session: PlatformSession, namespace: str) -> None:
    session.client.create(
        PersistentVolumeClaim(
            metadata=ObjectMeta(name="precious", namespace=namespace),
            spec=PersistentVolumeClaimSpec(
                accessModes=["ReadWriteOnce"],
                storageClassName="standard-immediate",
                resources=VolumeResourceRequirements(requests={"storage": "1Gi"}),
            ),
        )
    )


@pytest.fixture
def data_platform(sandbox: SandboxHandle, tmp_path: Path, namespace: str) -> Any:
    """A platform whose services live in a namespace that existed before it (the test's), holding
    a claim the chart templates itself (web) and a StatefulSet that deletes its claims (db)."""
    admin = f"{namespace}-adm"
    components = [
        {
            "name": "web",
            "chart": str(CHARTS / "doctor" / "app"),
            "namespace": "services",
            "values": [values_file(tmp_path, "web", {"persistence": {"enabled": True, "storageClass": "standard"}})],
        },
        {
            "name": "db",
            "chart": str(CHARTS / "doctor" / "app"),
            "namespace": "services",
            "values": [
                values_file(
                    tmp_path,
                    "db",
                    {
                        "deployment": {"enabled": False},
                        "statefulset": {
                            "enabled": True,
                            "storageClass": "standard",
                            "retentionPolicy": {"whenDeleted": "Delete", "whenScaled": "Delete"},
                        },
                    },
                )
            ],
        },
    ]
    session = platform(sandbox, tmp_path, namespace, {"services": namespace, "admin": admin}, components)
    yield session
    s = session()
    if get_namespace(s.client, admin) is not None:
        Undeployer(s, purge_data=True, timeout=60).run()


def test_undeploy_keeps_every_claim_and_a_redeploy_gets_them_back(data_platform: Any, namespace: str) -> None:
    s = data_platform()
    _unrelated_claim(s, namespace)
    assert Deployer(s, failure_grace=2).run().ok
    before = _claims(s, namespace)
    assert set(before) == {"web-data", "data-db-db-0", "precious"}

    report = Undeployer(data_platform(), timeout=60).run()
    assert report.ok
    assert data_platform().live_releases() == {}
    assert _claims(s, namespace) == before  # the very same claims: nothing deleted, nothing recreated
    kept = {k for k in report.kept if k.startswith("PersistentVolumeClaim")}
    # exactly the platform's claims, and not the one it never owned
    assert kept == {f"PersistentVolumeClaim {namespace}/web-data", f"PersistentVolumeClaim {namespace}/data-db-db-0"}
    assert report.as_dict()["keptData"] == report.kept

    again = Deployer(data_platform(), failure_grace=2).run()
    assert again.ok, again.as_dict()
    assert _claims(s, namespace) == before  # adopted by the new releases, not replaced
    assert {n: r.status for n, r in data_platform().live_releases().items()} == {
        "web": ReleaseStatus.DEPLOYED,
        "db": ReleaseStatus.DEPLOYED,
    }


def test_purge_deletes_only_what_is_the_platforms(data_platform: Any, namespace: str) -> None:
    s = data_platform()
    _unrelated_claim(s, namespace)
    assert Deployer(s, failure_grace=2).run().ok
    asked: list[list[str]] = []
    report = Undeployer(
        data_platform(), purge_data=True, timeout=60, confirm=lambda items: asked.append(items) or True
    ).run()
    assert report.ok
    mine = {f"PersistentVolumeClaim {namespace}/web-data", f"PersistentVolumeClaim {namespace}/data-db-db-0"}
    assert {i for i in asked[0] if i.startswith("PersistentVolumeClaim")} == mine  # what it asked is what it did
    assert {d for d in report.deleted if d.startswith("PersistentVolumeClaim")} == mine
    assert set(_claims(s, namespace)) == {"precious"}
    namespace_after = get_namespace(s.client, namespace)
    assert namespace_after is not None and (namespace_after.get("status") or {}).get("phase") == "Active"
    assert get_namespace(s.client, f"{namespace}-adm") is None  # helmdeck made it: gone with the purge


def test_a_deploy_starting_when_undeploy_lets_go_of_the_lock_succeeds(
    sandbox: SandboxHandle, tmp_path: Path, namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    services, admin = f"{namespace}-svc", f"{namespace}-adm"
    components = [{"name": "web", "chart": str(CHARTS / "doctor" / "app"), "namespace": "services"}]
    session = platform(sandbox, tmp_path, namespace, {"services": services, "admin": admin}, components)
    assert Deployer(session(), failure_grace=2).run().ok

    undeploy_returned = threading.Event()
    reports: list[DeployReport] = []
    errors: list[BaseException] = []

    def progress(_name: str, state: str, detail: str) -> None:
        # the deploy has made sure of its namespaces and now waits until undeploy has finished
        # everything it does after releasing the lock
        if state == "preparing" and detail.startswith("secrets"):
            undeploy_returned.wait(60)

    def deploy() -> None:
        try:
            reports.append(Deployer(session(), failure_grace=2, progress=progress).run())
        except BaseException as exc:
            errors.append(exc)

    racer = threading.Thread(target=deploy)

    raced = threading.Event()

    class RacedLock(PlatformLock):
        def release(self) -> None:
            super().release()
            if not raced.is_set():  # the undeploy's lock (the racer's own deploy uses this class too)
                raced.set()
                racer.start()  # another operator's deploy takes the lock the moment it is free

    monkeypatch.setattr(operation_module, "PlatformLock", RacedLock)
    try:
        assert Undeployer(session(), timeout=60).run().ok
    finally:
        undeploy_returned.set()
    racer.join(120)
    monkeypatch.undo()
    try:
        assert errors == []
        assert reports and reports[0].ok, reports[0].as_dict() if reports else None
        ns = get_namespace(session().client, services)
        assert ns is not None and (ns.get("status") or {}).get("phase") == "Active"
        assert session().live_releases()["web"].status is ReleaseStatus.DEPLOYED
    finally:
        Undeployer(session(), purge_data=True, timeout=60).run()
