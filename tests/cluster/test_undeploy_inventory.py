"""Undeploy, purge and extension uninstall own exactly the platform's inventory, on the sandbox
(issue 21, items 1-3 and 11): claims a chart puts in a platform namespace other than its release
namespace (Kaapana's pattern) survive a plain undeploy and are listed by the dry run; an operator's
ConfigMap or Secret keeps a namespace helmdeck created, and is reported; purge deletes the claims
wherever they are and reports what it left (the operator's objects, a chart's CRDs); an extension's
claim survives its uninstall unless --purge-data --yes."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.apiextensions_v1 import CustomResourceDefinition
from lightkube.resources.core_v1 import ConfigMap, Namespace, PersistentVolumeClaim, Secret
from typer.testing import CliRunner

from helmdeck.cli import ext_cmds
from helmdeck.cluster.namespaces import get_namespace
from helmdeck.core.inventory import PlatformInventory
from helmdeck.core.session import PlatformSession
from helmdeck.deploy.executor import Deployer
from helmdeck.deploy.undeploy import Undeployer
from helmdeck.deploy.undeploy_preview import preview_undeploy
from tests.cluster.conftest import SandboxHandle
from tests.cluster.ext_support import EXT_CHARTS, Platform, platform_file
from tests.cluster.platform_files import CHARTS, platform, values_file

pytestmark = pytest.mark.cluster

SPREAD = CHARTS / "inventory" / "spread"
CRD = "gadgets.inventory.helmdeck.dev"


def _claims(session: PlatformSession, namespace: str) -> dict[str, str]:
    """name -> uid: the same uid after a redeploy means the very same claim (and its data)."""
    return {
        str(p.metadata.name): str(p.metadata.uid)  # type: ignore[union-attr]
        for p in session.client.list(PersistentVolumeClaim, namespace=namespace)
    }


def _alive(session: PlatformSession, namespace: str) -> bool:
    found = get_namespace(session.client, namespace)
    return found is not None and (found.get("status") or {}).get("phase") == "Active"


@pytest.fixture
def spread(sandbox: SandboxHandle, tmp_path: Path, namespace: str) -> Iterator[tuple[Any, str, str]]:
    """A platform shaped like Kaapana's: the ``admin-chart`` release lives in the admin namespace
    and puts its claims in the services namespace; both namespaces are helmdeck's to create."""
    admin, services = f"{namespace}-adm", f"{namespace}-svc"
    components: list[dict[str, Any]] = [
        {
            "name": "admin-chart",
            "chart": str(SPREAD),
            "namespace": "admin",
            "values": [values_file(tmp_path, "spread", {"dataNamespace": services})],
        },
        {"name": "web", "chart": str(CHARTS / "doctor" / "app"), "namespace": "services"},
    ]
    session = platform(sandbox, tmp_path, namespace, {"services": services, "admin": admin}, components)
    yield session, admin, services
    s = session()
    client = s.client
    with contextlib.suppress(Exception):
        Undeployer(s, purge_data=True, timeout=60).run()
    for ns in (admin, services):
        with contextlib.suppress(Exception):
            client.delete(Namespace, ns)
    with contextlib.suppress(Exception):
        client.delete(CustomResourceDefinition, CRD)


def _operator_configmap(session: PlatformSession, namespace: str) -> None:
    session.client.create(ConfigMap(metadata=ObjectMeta(name="operator-notes", namespace=namespace), data={"a": "b"}))


def purge_confirmed(session: Any) -> tuple[Any, list[list[str]]]:
    """Purge as an operator who says yes: the report, and what each confirmation listed."""
    asked: list[list[str]] = []

    def confirm(items: list[str]) -> bool:
        asked.append(items)
        return True

    return Undeployer(session, purge_data=True, timeout=60, confirm=confirm).run(), asked


def test_plain_undeploy_keeps_claims_in_other_namespaces_and_namespaces_holding_foreign_objects(
    spread: tuple[Any, str, str],
) -> None:
    session, _admin, services = spread
    s = session()
    assert Deployer(s, failure_grace=2).run().ok
    before = _claims(s, services)
    assert set(before) == {"af-logs-pv-claim", "dags-pv-claim"}
    _operator_configmap(s, services)
    inventory = PlatformInventory.read(session())
    roles = [o.ref for o in inventory.objects if o.ref.kind == "ClusterRole"]
    assert [r.namespace for r in roles] == [None]  # cluster-scoped: discovery says so, no namespace made up
    assert {(c.namespace, c.component) for c in inventory.claims} == {(services, "admin-chart")}

    preview = preview_undeploy(session())
    mine = {f"PersistentVolumeClaim {services}/af-logs-pv-claim", f"PersistentVolumeClaim {services}/dags-pv-claim"}
    assert mine <= set(preview.kept_data)  # the dry run lists the claims outside the release namespace
    planned = {n.name: n for n in preview.namespaces}
    assert not planned[services].deleted and "2 kept volume claims of the platform" in planned[services].reason

    report = Undeployer(session(), timeout=60).run()
    assert report.ok
    assert session().live_releases() == {}
    assert _claims(s, services) == before  # the very same claims: nothing deleted
    assert mine <= set(report.kept)
    assert report.as_dict()["keptData"] == report.kept
    done = {n["name"]: n for n in report.as_dict()["namespaces"]}
    assert done[services]["deleted"] is False and "2 kept volume claims of the platform" in done[services]["reason"]
    # the dry run said what the undeploy did
    assert {n: (f.deleted, f.reason) for n, f in planned.items()} == {
        n: (d["deleted"], d["reason"]) for n, d in done.items()
    }
    assert _alive(s, services) and s.client.get(ConfigMap, "operator-notes", namespace=services)
    left = {item["object"]: item["reason"] for item in report.as_dict()["left"]}
    assert "crds/" in left[f"CustomResourceDefinition {CRD}"]

    again = Deployer(session(), failure_grace=2).run()
    assert again.ok, again.as_dict()
    assert _claims(s, services) == before  # adopted by the new release, not replaced


def test_purge_deletes_claims_anywhere_and_reports_what_it_left(spread: tuple[Any, str, str]) -> None:
    session, admin, services = spread
    s = session()
    assert Deployer(s, failure_grace=2).run().ok
    _operator_configmap(s, services)
    # OpenNeuro's README has you create this one by hand in the platform's namespace
    s.client.create(Secret(metadata=ObjectMeta(name="openneuro-dev-ssh-key", namespace=admin), stringData={"key": "x"}))

    preview = preview_undeploy(session(), purge_data=True)
    report, asked = purge_confirmed(session())
    assert report.ok
    mine = {f"PersistentVolumeClaim {services}/af-logs-pv-claim", f"PersistentVolumeClaim {services}/dags-pv-claim"}
    assert mine <= set(asked[0]) and mine <= set(report.deleted) and mine <= set(preview.deleted_data)
    assert _claims(s, services) == {}
    # both namespaces stay, each for the operator's object, and the report says so
    done = {n["name"]: n for n in report.as_dict()["namespaces"]}
    assert (
        done[services]["deleted"] is False
        and "ConfigMap operator-notes (not the platform's)" in (done[services]["reason"])
    )
    assert done[admin]["deleted"] is False and "Secret openneuro-dev-ssh-key" in done[admin]["reason"]
    assert _alive(s, services) and s.client.get(ConfigMap, "operator-notes", namespace=services)
    assert s.client.get(Secret, "openneuro-dev-ssh-key", namespace=admin)
    left = {item["object"]: item["reason"] for item in report.as_dict()["left"]}
    assert f"ConfigMap operator-notes in namespace {services}" in left
    assert f"Secret openneuro-dev-ssh-key in namespace {admin}" in left
    assert f"CustomResourceDefinition {CRD}" in left
    # the dry run said the same
    assert {n.name: n.deleted for n in preview.namespaces} == {n: d["deleted"] for n, d in done.items()}
    assert {item.what for item in preview.left} == set(left), [f.reason for f in preview.namespaces]


def test_purge_removes_namespaces_helmdeck_made_once_nothing_foreign_is_in_them(
    spread: tuple[Any, str, str],
) -> None:
    session, admin, services = spread
    assert Deployer(session(), failure_grace=2).run().ok
    report = Undeployer(session(), purge_data=True, timeout=60).run()
    assert report.ok
    assert {n["name"]: n["deleted"] for n in report.as_dict()["namespaces"]} == {admin: True, services: True}
    assert get_namespace(session().client, services) is None and get_namespace(session().client, admin) is None


# --- extensions ------------------------------------------------------------------------------------------


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        return None

    ext_cmds.register(app)
    return app


@pytest.fixture
def notebook_platform(sandbox: SandboxHandle, tmp_path: Path) -> Iterator[Platform]:
    import secrets

    path = platform_file(tmp_path, f"n{secrets.token_hex(3)}", [EXT_CHARTS, CHARTS / "inventory" / "extensions"])
    handle = Platform(sandbox, path)
    assert Deployer(handle.session()).run().ok
    yield handle
    client = sandbox.client()
    for ns in handle.session().platform.all_namespaces():
        with contextlib.suppress(Exception):
            client.delete(Namespace, ns)


def test_ext_uninstall_keeps_the_extensions_claim_unless_purge_data_yes(notebook_platform: Platform) -> None:
    plat = notebook_platform
    common = ["-f", str(plat.path), "--kubeconfig", plat.sandbox.kubeconfig, "--state-dir", str(plat.path.parent)]
    runner = CliRunner()
    installed = runner.invoke(_app(), ["ext", "install", "tiny-notebook", *common, "-o", "json"])
    assert installed.exit_code == 0, installed.output
    s = plat.session()
    ns = s.platform.logical_namespace("extensions")
    claim = f"PersistentVolumeClaim {ns}/tiny-notebook-home"
    uid = _claims(s, ns)["tiny-notebook-home"]

    removed = runner.invoke(_app(), ["ext", "uninstall", "tiny-notebook", *common, "-o", "json"])
    assert removed.exit_code == 0, removed.output
    report = json.loads(removed.stdout)
    assert report["keptData"] == [claim] and report["deletedData"] == []
    assert "removed removed" not in removed.output
    assert _claims(s, ns).get("tiny-notebook-home") == uid

    again = runner.invoke(_app(), ["ext", "install", "tiny-notebook", *common])
    assert again.exit_code == 0, again.output
    assert _claims(s, ns).get("tiny-notebook-home") == uid  # the same data back

    # purge without a terminal to ask on, and without --yes: refused, nothing changed
    refused = runner.invoke(_app(), ["ext", "uninstall", "tiny-notebook", "--purge-data", *common])
    assert refused.exit_code != 0 and "--yes" in str(refused.exception)
    assert "tiny-notebook" in plat.session().live_releases()

    purged = runner.invoke(
        _app(), ["ext", "uninstall", "tiny-notebook", "--purge-data", "--yes", *common, "-o", "json"]
    )
    assert purged.exit_code == 0, purged.output
    assert json.loads(purged.stdout)["deletedData"] == [claim]
    pvc = {n for n in _claims(s, ns)}
    assert "tiny-notebook-home" not in pvc or _terminating(s, ns, "tiny-notebook-home")


def _terminating(session: PlatformSession, namespace: str, name: str) -> bool:
    pvc = session.client.get(PersistentVolumeClaim, name, namespace=namespace)
    return pvc.metadata is not None and pvc.metadata.deletionTimestamp is not None


def test_a_rollback_that_removes_an_extension_keeps_its_claim(notebook_platform: Platform) -> None:
    from helmdeck.revisions.rollback import rollback_platform
    from helmdeck.revisions.rollback_preview import preview_rollback

    plat = notebook_platform
    assert plat.manager().install("tiny-notebook").ok
    s = plat.session()
    ns = s.platform.logical_namespace("extensions")
    uid = _claims(s, ns)["tiny-notebook-home"]
    planned = {c.component: c for c in preview_rollback(plat.session(), 1).changes}
    assert planned["tiny-notebook"].action == "uninstall"
    assert f"kept: PersistentVolumeClaim {ns}/tiny-notebook-home" in planned["tiny-notebook"].note

    report = rollback_platform(plat.session(), 1)
    step = next(st for st in report.steps if st.component == "tiny-notebook")
    assert step.action == "uninstall" and f"kept: PersistentVolumeClaim {ns}/tiny-notebook-home" in step.detail
    assert "tiny-notebook" not in {n for n, r in plat.session().live_releases().items() if r.status.value == "deployed"}
    assert _claims(s, ns).get("tiny-notebook-home") == uid


def test_undeploy_waits_only_for_its_own_pods_in_a_shared_namespace(
    sandbox: SandboxHandle, tmp_path: Path, namespace: str
) -> None:
    from lightkube.models.core_v1 import Container, PodSpec
    from lightkube.resources.core_v1 import Pod

    admin = f"{namespace}-adm"
    components = [{"name": "web", "chart": str(CHARTS / "doctor" / "app"), "namespace": "services"}]
    session = platform(sandbox, tmp_path, namespace, {"services": namespace, "admin": admin}, components)
    try:
        assert Deployer(session(), failure_grace=2).run().ok
        client = session().client
        # another team's pod in the namespace the platform shares: it never goes away by itself
        client.create(
            Pod(
                metadata=ObjectMeta(name="another-team", namespace=namespace),
                spec=PodSpec(containers=[Container(name="c", image="docker.io/library/busybox:1.36")]),
            )
        )
        report = Undeployer(session(), timeout=30).run()
        assert report.ok
        assert report.seconds < 20, report.seconds  # waited for web's pods, not for the other team's
        assert client.get(Pod, "another-team", namespace=namespace)
        assert not [p for p in client.list(Pod, namespace=namespace) if str(p.metadata.name).startswith("web")]  # type: ignore[union-attr]
    finally:
        with contextlib.suppress(Exception):
            Undeployer(session(), purge_data=True, timeout=60).run()


def test_undeploy_does_not_wait_for_pods_in_a_namespace_it_deletes(
    sandbox: SandboxHandle, tmp_path: Path, namespace: str
) -> None:
    """Deleting the namespace, waited for until it is gone, removes the pods with it: waiting first
    for the garbage collector to remove them (Deployment, ReplicaSet, Pod) only delays a large
    teardown (issue 18). Thirty replicas: more pods than the garbage collector removes before the
    uninstall returns, so a wait for them would show."""
    from lightkube.resources.core_v1 import Pod

    services, admin = f"{namespace}-svc", f"{namespace}-adm"
    components = [
        {
            "name": "web",
            "chart": str(CHARTS / "doctor" / "app"),
            "namespace": "services",
            "values": [values_file(tmp_path, "web", {"replicas": 30})],
        }
    ]
    session = platform(sandbox, tmp_path, namespace, {"services": services, "admin": admin}, components)
    try:
        assert Deployer(session(), failure_grace=2).run().ok
        client = session().client
        assert len(list(client.list(Pod, namespace=services))) == 30
        events: list[tuple[str, str, str]] = []
        report = Undeployer(session(), timeout=30, progress=lambda *e: events.append(e)).run()
        assert report.ok
        assert {f.name: f.deleted for f in report.fates}[services]
        assert get_namespace(client, services) is None  # the pods went with it
        assert not [e for e in events if e[1] == "waiting" and services in e[2]], events
    finally:
        with contextlib.suppress(Exception):
            Undeployer(session(), purge_data=True, timeout=60).run()
        for ns in (services, admin):
            with contextlib.suppress(Exception):
                session().client.delete(Namespace, ns)


def test_a_namespace_holding_only_an_operators_configmap_is_not_empty(sandbox: SandboxHandle, namespace: str) -> None:
    from helmdeck.cluster import delete_namespace_if_empty, ensure_namespaces

    client = sandbox.client()
    ns = f"{namespace}-plain"
    ensure_namespaces(client, [ns], "dash")
    try:
        client.create(ConfigMap(metadata=ObjectMeta(name="operator-notes", namespace=ns), data={"a": "b"}))
        kept = delete_namespace_if_empty(client, ns, "dash")
        # kube-root-ca.crt and the default ServiceAccount are Kubernetes' own, and hold nothing
        assert not kept.deleted and kept.reason == "not empty: ConfigMap operator-notes"
    finally:
        with contextlib.suppress(Exception):
            client.delete(Namespace, ns)


def test_a_hook_job_helm_leaves_is_the_platforms_and_does_not_keep_its_namespace(
    sandbox: SandboxHandle, tmp_path: Path, namespace: str
) -> None:
    admin, services = f"{namespace}-adm", f"{namespace}-svc"
    values = values_file(tmp_path, "hooked", {"hookJob": {"enabled": True}})
    components = [{"name": "web", "chart": str(CHARTS / "doctor" / "app"), "namespace": "services", "values": [values]}]
    session = platform(sandbox, tmp_path, namespace, {"services": services, "admin": admin}, components)
    try:
        assert Deployer(session(), failure_grace=2).run().ok
        inventory = PlatformInventory.read(session())
        assert [o.ref.name for o in inventory.objects if o.hook] == ["web-pre-install"]
        # Helm's uninstall leaves the hook Job (and its pod); they are the platform's all the same
        report = Undeployer(session(), timeout=60).run()
        assert report.ok
        assert report.seconds < 30, report.seconds  # nobody waits for the hook's pod, which Helm leaves
        fates = {n["name"]: n for n in report.as_dict()["namespaces"]}
        assert fates[services]["deleted"] is True, fates[services]
        assert get_namespace(session().client, services) is None
    finally:
        with contextlib.suppress(Exception):
            Undeployer(session(), purge_data=True, timeout=60).run()
        for ns in (admin, services):
            with contextlib.suppress(Exception):
                sandbox.client().delete(Namespace, ns)


def test_purge_after_a_plain_undeploy_finds_the_kept_claims_by_their_label(spread: tuple[Any, str, str]) -> None:
    session, admin, services = spread
    assert Deployer(session(), failure_grace=2).run().ok
    assert Undeployer(session(), timeout=60).run().ok
    # the releases and their manifests are gone: the label the undeploy put on the claims is what is left
    purge = Undeployer(session(), purge_data=True, timeout=60).run()
    assert purge.ok
    mine = {f"PersistentVolumeClaim {services}/af-logs-pv-claim", f"PersistentVolumeClaim {services}/dags-pv-claim"}
    assert mine <= set(purge.deleted)
    assert {n["name"]: n["deleted"] for n in purge.as_dict()["namespaces"]} == {admin: True, services: True}


# --- what Helm's uninstall would delete or leave: a chart's own volumes, objects it keeps ---------------

VOLUMES = CHARTS / "inventory" / "volumes"


@pytest.fixture
def shipped_volumes(sandbox: SandboxHandle, tmp_path: Path, namespace: str) -> Iterator[tuple[Any, str, str]]:
    """Kaapana's pattern: the release ships a hostPath PersistentVolume and a claim bound to it by
    ``volumeName``, and keeps a ConfigMap by ``helm.sh/resource-policy: keep``. The class is one of
    statically provisioned volumes (no provisioner), as for local volumes: nobody deletes a
    released volume of it but whoever made it."""
    from lightkube.resources.core_v1 import PersistentVolume
    from lightkube.resources.storage_v1 import StorageClass

    admin, services = f"{namespace}-adm", f"{namespace}-svc"
    client = sandbox.client()
    static = f"{namespace}-static"
    client.create(StorageClass(metadata=ObjectMeta(name=static), provisioner="kubernetes.io/no-provisioner"))
    values = values_file(tmp_path, "volumes", {"storageClassName": static})
    components = [{"name": "store", "chart": str(VOLUMES), "namespace": "services", "values": [values]}]
    session = platform(sandbox, tmp_path, namespace, {"services": services, "admin": admin}, components)
    yield session, admin, services
    with contextlib.suppress(Exception):
        Undeployer(session(), purge_data=True, timeout=60).run()
    for ns in (admin, services):
        with contextlib.suppress(Exception):
            client.delete(Namespace, ns)
    with contextlib.suppress(Exception):
        client.delete(PersistentVolume, f"{services}-minio-pv")
    with contextlib.suppress(Exception):
        client.delete(StorageClass, static)


def _volume(session: PlatformSession, name: str) -> dict[str, Any] | None:
    from helmdeck.cluster import ObjRef, get_object

    return get_object(session.client, ObjRef("v1", "PersistentVolume", name))


def test_a_charts_own_volume_of_a_kept_claim_survives_a_plain_undeploy_and_purge_deletes_it(
    shipped_volumes: tuple[Any, str, str],
) -> None:
    session, _admin, services = shipped_volumes
    s = session()
    assert Deployer(s, failure_grace=2).run().ok
    pv_name = f"{services}-minio-pv"
    claim = f"PersistentVolumeClaim {services}/minio-pv-claim"
    volume = f"PersistentVolume {pv_name} (the volume of claim {services}/minio-pv-claim)"
    bootstrap = f"ConfigMap {services}/store-bootstrap"
    pv = _volume(s, pv_name)
    assert pv is not None and pv["spec"]["claimRef"]["name"] == "minio-pv-claim"
    before = _claims(s, services)

    preview = preview_undeploy(session())
    assert {claim, volume} <= set(preview.kept_data)
    report = Undeployer(session(), timeout=60).run()
    assert report.ok
    assert {claim, volume} <= set(report.kept) and report.kept == preview.kept_data
    kept = _volume(s, pv_name)
    # Helm would have deleted it: the kept claim would sit on a volume stuck terminating
    assert kept is not None and not kept["metadata"].get("deletionTimestamp")
    assert kept["metadata"]["uid"] == pv["metadata"]["uid"]
    assert kept["metadata"]["labels"]["helmdeck.dev/platform"] == s.platform_id
    left = {item["object"]: item["reason"] for item in report.as_dict()["left"]}
    assert "resource-policy" in left[bootstrap] and pv_name not in json.dumps(left)
    assert s.client.get(ConfigMap, "store-bootstrap", namespace=services)

    again = Deployer(session(), failure_grace=2).run()
    assert again.ok, again.as_dict()
    assert _claims(s, services) == before  # the very same claim, on the very same volume
    back = _volume(s, pv_name)
    assert back is not None and back["metadata"]["uid"] == pv["metadata"]["uid"]

    planned = preview_undeploy(session(), purge_data=True)
    purged, asked = purge_confirmed(session())
    assert purged.ok
    # purge deletes exactly the inventory: what Helm left (the kept ConfigMap), the claim, its volume
    assert {bootstrap, claim, volume} <= set(purged.deleted)
    assert {bootstrap, claim, volume} <= set(planned.deleted_data) and {bootstrap, claim, volume} <= set(asked[0])
    assert purged.deleted.index(volume) > purged.deleted.index(claim)  # the volume after the claim holding it
    assert _volume(s, pv_name) is None
    assert not any(item.what == bootstrap for item in planned.left)
    assert bootstrap not in {item["object"] for item in purged.as_dict()["left"]}
    from helmdeck.cluster import ObjRef, get_object

    assert get_object(s.client, ObjRef("v1", "ConfigMap", "store-bootstrap", services)) is None


def test_purge_after_a_plain_undeploy_finds_the_kept_volume_by_its_label(
    shipped_volumes: tuple[Any, str, str],
) -> None:
    session, _admin, services = shipped_volumes
    assert Deployer(session(), failure_grace=2).run().ok
    assert Undeployer(session(), timeout=60).run().ok
    pv_name = f"{services}-minio-pv"
    assert _volume(session(), pv_name) is not None
    # the release and its manifest are gone: the label the undeploy put on the volume is what is left
    planned = preview_undeploy(session(), purge_data=True)
    purge = Undeployer(session(), purge_data=True, timeout=60).run()
    assert purge.ok
    volume = f"PersistentVolume {pv_name} (the volume of claim {services}/minio-pv-claim)"
    assert volume in purge.deleted and volume in planned.deleted_data
    assert _volume(session(), pv_name) is None


def test_purge_deletes_a_hook_job_helm_left_and_lists_it(
    sandbox: SandboxHandle, tmp_path: Path, namespace: str
) -> None:
    from helmdeck.cluster import ObjRef, get_object

    admin, services = f"{namespace}-adm", f"{namespace}-svc"
    # before-hook-creation only: Helm's uninstall leaves the Job, it is the platform's all the same
    values = values_file(tmp_path, "hooked", {"hookJob": {"enabled": True}})
    components = [{"name": "web", "chart": str(CHARTS / "doctor" / "app"), "namespace": "services", "values": [values]}]
    session = platform(sandbox, tmp_path, namespace, {"services": services, "admin": admin}, components)
    try:
        assert Deployer(session(), failure_grace=2).run().ok
        job = ObjRef("batch/v1", "Job", "web-pre-install", services)
        assert get_object(session().client, job) is not None
        planned = preview_undeploy(session(), purge_data=True)
        assert str(job) in planned.deleted_data
        report = Undeployer(session(), purge_data=True, timeout=60).run()
        assert report.ok
        assert str(job) in report.deleted and str(job) not in json.dumps(report.as_dict()["left"])
        found = get_object(session().client, job)
        assert found is None or (found.get("metadata") or {}).get("deletionTimestamp")
    finally:
        for ns in (admin, services):
            with contextlib.suppress(Exception):
                sandbox.client().delete(Namespace, ns)


def test_ext_uninstall_keeps_the_volume_its_chart_ships_and_purge_deletes_it(notebook_platform: Platform) -> None:
    from lightkube.resources.core_v1 import PersistentVolume
    from lightkube.resources.storage_v1 import StorageClass

    plat = notebook_platform
    client = plat.sandbox.client()
    with contextlib.suppress(Exception):  # shared by every test that needs it; made once
        client.create(
            StorageClass(metadata=ObjectMeta(name="helmdeck-test-static"), provisioner="kubernetes.io/no-provisioner")
        )
    s = plat.session()
    ns = s.platform.logical_namespace("extensions")
    pv_name = f"{ns}-tiny-store-pv"
    try:
        _ext_volume_life_cycle(plat, s, ns, pv_name)
    finally:
        with contextlib.suppress(Exception):
            client.delete(PersistentVolume, pv_name)


def _ext_volume_life_cycle(plat: Platform, s: PlatformSession, ns: str, pv_name: str) -> None:
    assert plat.manager().install("tiny-store").ok
    volume = f"PersistentVolume {pv_name} (the volume of claim {ns}/tiny-store-data)"
    uid = str((_volume(s, pv_name) or {}).get("metadata", {}).get("uid"))
    assert plat.manager().data_of("tiny-store") == [f"PersistentVolumeClaim {ns}/tiny-store-data", volume]

    removed = plat.manager().uninstall("tiny-store")
    assert volume in removed.kept_data
    kept = _volume(s, pv_name)
    assert kept is not None and not kept["metadata"].get("deletionTimestamp") and kept["metadata"]["uid"] == uid

    assert plat.manager().install("tiny-store").ok
    back = _volume(s, pv_name)
    assert back is not None and back["metadata"]["uid"] == uid  # the same volume adopted again

    purged = plat.manager().uninstall("tiny-store", purge_data=True)
    assert volume in purged.deleted_data
    gone = _volume(s, pv_name)
    assert gone is None or gone["metadata"].get("deletionTimestamp")


@pytest.fixture
def leaving(sandbox: SandboxHandle, tmp_path: Path, namespace: str) -> Iterator[tuple[Any, str]]:
    """Charts whose uninstall leaves objects behind: a ConfigMap kept by ``helm.sh/resource-policy:
    keep`` (and its claim), and a hook Job whose delete policy keeps it (before-hook-creation)."""
    services = f"{namespace}-svc"
    components: list[dict[str, Any]] = [
        {
            "name": "keeper",
            "chart": str(Path(__file__).resolve().parent / "conformance" / "charts" / "resource-policy-keep"),
            "namespace": "services",
        },
        {
            "name": "hooked",
            "chart": str(CHARTS / "doctor" / "app"),
            "namespace": "services",
            "values": [values_file(tmp_path, "hooked", {"hookJob": {"enabled": True}})],
        },
    ]
    session = platform(sandbox, tmp_path, namespace, {"services": services, "admin": f"{namespace}-adm"}, components)
    yield session, services
    s = session()
    with contextlib.suppress(Exception):
        Undeployer(s, purge_data=True, timeout=60).run()
    with contextlib.suppress(Exception):
        s.client.delete(Namespace, services)


def test_what_helm_leaves_is_marked_by_undeploy_and_deleted_by_a_later_purge(leaving: tuple[Any, str]) -> None:
    from lightkube.resources.batch_v1 import Job

    from helmdeck.labels import LEFT_BY_HELM_LABEL

    session, services = leaving
    s = session()
    assert Deployer(s, failure_grace=2).run().ok
    left_there = {f"ConfigMap {services}/keeper-bootstrap", f"Job {services}/hooked-pre-install"}

    report = Undeployer(session(), timeout=60).run()
    assert report.ok and session().live_releases() == {}
    left = {item["object"]: item["reason"] for item in report.as_dict()["left"]}
    assert left_there <= set(left)  # listed, and why
    assert all(f"{LEFT_BY_HELM_LABEL}={s.platform_id}" in left[o] for o in left_there)
    cm = s.client.get(ConfigMap, "keeper-bootstrap", namespace=services)
    job = s.client.get(Job, "hooked-pre-install", namespace=services)
    for obj, component in ((cm, "keeper"), (job, "hooked")):
        labels = obj.metadata.labels or {}  # type: ignore[union-attr]
        assert labels.get(LEFT_BY_HELM_LABEL) == s.platform_id
        assert labels.get("helmdeck.dev/component") == component

    # with the releases gone, the marks are all that says these are the platform's
    preview = preview_undeploy(session(), purge_data=True)
    assert left_there <= set(preview.deleted_data)
    report, asked = purge_confirmed(session())
    assert report.ok
    assert left_there <= set(asked[0]) and left_there <= set(report.deleted)
    assert not [o for o in report.as_dict()["left"] if o["object"].startswith(("ConfigMap keeper", "Job hooked"))]
    done = {n["name"]: n for n in report.as_dict()["namespaces"]}
    assert done[services]["deleted"], done[services]["reason"]  # nothing foreign held it
    assert get_namespace(s.client, services) is None
