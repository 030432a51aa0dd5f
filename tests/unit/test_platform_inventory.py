"""What is foreign in a namespace, by ownerReferences and the short list of what Kubernetes makes in
every namespace, and the sentences a namespace's fate reads as (no cluster: the sandbox tests in
tests/cluster/test_undeploy_inventory.py run the same on a real API server)."""

from __future__ import annotations

from typing import Any

from helmdeck.cluster import ObjRef
from helmdeck.core.inventory import InventoryClaim, OwnedObject, PlatformInventory, ReleaseContents
from helmdeck.deploy.undeploy_decisions import NamespaceFate, namespace_fates
from helmdeck.engine.releases import Release, ReleaseStatus

NS = "svc"


def _obj(api_version: str, kind: str, name: str, uid: str, owners: tuple[str, ...] = (), **meta: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "namespace": NS, "uid": uid, **meta}
    if owners:
        metadata["ownerReferences"] = [{"uid": u, "kind": "X", "name": "x", "apiVersion": "v1"} for u in owners]
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata}


def _inventory(namespaces: dict[str, Any] | None = None) -> PlatformInventory:
    rel = Release("web", NS, 1, ReleaseStatus.DEPLOYED, "web", "1.0", None, None)
    objects = [
        OwnedObject(ObjRef("apps/v1", "Deployment", "web", NS), "web", "web"),
        OwnedObject(ObjRef("v1", "Service", "web", NS), "web", "web"),
        OwnedObject(ObjRef("rbac.authorization.k8s.io/v1", "ClusterRole", "web-reader"), "web", "web"),
    ]
    return PlatformInventory(
        None,  # type: ignore[arg-type]  # foreign_objects reads no cluster
        "dash",
        "adm",
        releases=[ReleaseContents("web", rel, objects, [])],
        claims=[InventoryClaim(NS, "data-db-0", "db")],
        namespaces=namespaces or {},
    )


def test_only_what_nobody_of_the_platform_or_kubernetes_made_is_foreign() -> None:
    contents = [
        _obj("apps/v1", "Deployment", "web", "d1"),
        _obj("apps/v1", "ReplicaSet", "web-5d8", "rs1", ("d1",)),
        _obj("v1", "Pod", "web-5d8-abc", "p1", ("rs1",)),
        _obj("v1", "Service", "web", "s1"),
        _obj("v1", "Endpoints", "web", "e1"),  # the endpoints controller's: no ownerReferences
        _obj("discovery.k8s.io/v1", "EndpointSlice", "web-x7", "es1", ("s1",)),
        _obj("v1", "PersistentVolumeClaim", "data-db-0", "c1"),
        _obj("v1", "ServiceAccount", "default", "sa1"),
        _obj("v1", "ConfigMap", "kube-root-ca.crt", "cm0"),
        _obj("v1", "Event", "web.17a", "ev1"),
        _obj("v1", "Secret", "sh.helm.release.v1.web.v1", "h1", labels={"owner": "helm", "name": "web"}),
        _obj("v1", "Pod", "orphan-being-collected", "p2", ("gone-uid",)),
        _obj("v1", "ConfigMap", "leaving", "cm9", deletionTimestamp="2026-12-07T00:00:00Z"),
        # someone else's
        _obj("v1", "ConfigMap", "operator-notes", "cm1"),
        _obj("v1", "Secret", "sh.helm.release.v1.other.v1", "h2", labels={"owner": "helm", "name": "other"}),
        _obj("apps/v1", "Deployment", "theirs", "d2"),
        _obj("apps/v1", "ReplicaSet", "theirs-1", "rs2", ("d2",)),
        _obj("v1", "Pod", "theirs-1-a", "p3", ("rs2",)),
        _obj("v1", "Endpoints", "no-service-of-this-name", "e2"),
        _obj("example.dev/v1", "Widget", "w", "w1"),
    ]
    foreign = _inventory().foreign_objects(NS, contents)
    assert foreign == sorted(
        [
            "ConfigMap operator-notes",
            "Secret sh.helm.release.v1.other.v1",
            "Deployment theirs",
            "ReplicaSet theirs-1",
            "Pod theirs-1-a",
            "Endpoints no-service-of-this-name",
            "Widget w",
        ]
    )


def test_an_undeploy_waits_only_for_the_platforms_pods() -> None:
    contents = [
        _obj("apps/v1", "Deployment", "web", "d1"),
        _obj("apps/v1", "ReplicaSet", "web-5d8", "rs1", ("d1",)),
        _obj("v1", "Pod", "web-5d8-abc", "p1", ("rs1",)),
        _obj("v1", "Pod", "another-teams", "p2"),
        _obj("v1", "Pod", "owner-gone", "p3", ("gone",)),
    ]
    inventory = _inventory()
    mine = [o["metadata"]["name"] for o in contents if o["kind"] == "Pod" and inventory.is_platform_pod(o, contents)]
    assert mine == ["web-5d8-abc"]


def test_a_cluster_scoped_object_is_owned_without_a_namespace() -> None:
    inventory = _inventory()
    assert inventory.owns("rbac.authorization.k8s.io/v1", "ClusterRole", None, "web-reader")
    assert not inventory.owns("rbac.authorization.k8s.io/v1", "ClusterRole", NS, "web-reader")


def _managed(name: str) -> dict[str, Any]:
    labels = {"app.kubernetes.io/managed-by": "helmdeck", "helmdeck.dev/platform": "dash"}
    return {"metadata": {"name": name, "labels": labels}}


def test_namespace_fates_read_right_and_name_what_holds_them() -> None:
    namespaces = {
        "adm": _managed("adm"),
        NS: _managed(NS),
        "theirs": {"metadata": {"name": "theirs"}},
        "gone": None,
        "empty": _managed("empty"),
    }
    held = {NS: [_obj("v1", "ConfigMap", "operator-notes", "cm1")], "empty": [], "adm": []}
    fates = {f.name: f for f in namespace_fates(_inventory(namespaces), lambda ns: held.get(ns, []), purge=True)}
    assert (
        fates[NS].sentence(done=True) == f"namespace {NS}: kept (holds ConfigMap operator-notes (not the platform's))"
    )
    assert fates["gone"].sentence(done=True) == "namespace gone: does not exist"  # not "kept, does not exist"
    assert fates["empty"].deleted and fates["empty"].sentence(done=False).startswith(
        "namespace empty: would be deleted"
    )
    assert not fates["theirs"].deleted and "existed before helmdeck" in fates["theirs"].reason
    # one pair of parentheses, not "kept (it existed before helmdeck (not created for ...))"
    assert fates["theirs"].sentence(done=True).count("(") == 1
    assert fates["adm"].deleted  # purge: the admin namespace goes with the store and history

    kept = {f.name: f for f in namespace_fates(_inventory(namespaces), lambda ns: held.get(ns, []), purge=False)}
    assert not kept["adm"].deleted and "secrets store" in kept["adm"].reason
    assert not kept[NS].deleted
    assert (
        kept[NS].reason == "holds 1 kept volume claim of the platform and ConfigMap operator-notes (not the platform's)"
    )


def test_a_fate_as_data() -> None:
    fate = NamespaceFate("x", False, "holds ConfigMap a (not the platform's)", foreign=("ConfigMap a",), created=True)
    assert fate.as_dict() == {
        "name": "x",
        "deleted": False,
        "exists": True,
        "createdByHelmdeck": True,
        "reason": "holds ConfigMap a (not the platform's)",
        "foreign": ["ConfigMap a"],
    }


def test_a_namespace_is_read_again_while_a_new_kind_initializes_and_never_judged_unread() -> None:
    import pytest

    from helmdeck.cluster.discovery import namespace_contents
    from helmdeck.errors import ClusterError
    from tests.fakes import FakeKube, api_error

    kube = FakeKube()
    kube.put({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "operator-notes", "namespace": NS}})
    kube.fail_next[("list", "ConfigMap")] = api_error(503, "ServiceUnavailable", "storage is (re)initializing")
    names = {o["metadata"]["name"] for o in namespace_contents(kube, NS)}  # type: ignore[arg-type]
    assert "operator-notes" in names

    kube.fail_next[("list", "ConfigMap")] = api_error(403, "Forbidden", "configmaps is forbidden")
    with pytest.raises(ClusterError, match="cannot list ConfigMap"):
        namespace_contents(kube, NS)  # type: ignore[arg-type]


def test_a_volume_holding_a_kept_claim_is_data_kept_by_undeploy_and_not_listed_as_left() -> None:
    from helmdeck.core.inventory import InventoryVolume
    from helmdeck.deploy.undeploy_decisions import left_behind

    rel = Release("web", NS, 1, ReleaseStatus.DEPLOYED, "web", "1.0", None, None)
    objects = [
        OwnedObject(ObjRef("v1", "PersistentVolume", "svc-minio-pv"), "web", "web"),
        OwnedObject(ObjRef("v1", "PersistentVolumeClaim", "minio-pv-claim", NS), "web", "web"),
        OwnedObject(ObjRef("v1", "ConfigMap", "web-bootstrap", NS), "web", "web", keep=True),
    ]
    inventory = PlatformInventory(
        None,  # type: ignore[arg-type]  # nothing here reads the cluster
        "dash",
        "adm",
        releases=[ReleaseContents("web", rel, objects, [])],
        claims=[InventoryClaim(NS, "minio-pv-claim", "web")],
        volumes=[InventoryVolume("svc-minio-pv", (NS, "minio-pv-claim"), "web")],
    )
    assert inventory.data() == [
        f"PersistentVolumeClaim {NS}/minio-pv-claim",
        f"PersistentVolume svc-minio-pv (the volume of claim {NS}/minio-pv-claim)",
    ]
    assert inventory.owns("v1", "PersistentVolume", None, "svc-minio-pv")
    assert [v.name for v in inventory.volumes_of(["web"])] == ["svc-minio-pv"]
    # what an extension uninstall or a rollback removing the component keeps and lists
    assert inventory.data_of(["web"]) == inventory.data() and inventory.data_of(["other"]) == []

    def contents(namespace: str) -> list[dict[str, Any]]:
        return []

    # a plain undeploy leaves the chart's kept ConfigMap and says why; the volume is data, not "left"
    left = {item.what: item.reason for item in left_behind(inventory, [], contents, purge=False)}
    assert list(left) == [f"ConfigMap {NS}/web-bootstrap"]
    assert left[f"ConfigMap {NS}/web-bootstrap"].startswith("helm.sh/resource-policy: keep in web's chart; marked")
    # a purge deletes what Helm leaves: nothing of the chart's is left
    assert left_behind(inventory, [], contents, purge=True) == []


def test_the_keep_policy_goes_on_the_kept_claims_and_their_volumes_in_the_stored_manifest() -> None:
    import yaml

    from helmdeck.core.claim_keeping import _with_keep_policy

    manifest = (
        "---\n# Source: c/templates/volumes.yaml\napiVersion: v1\nkind: PersistentVolume\n"
        "metadata:\n  name: svc-minio-pv\nspec:\n  capacity: {storage: 1Gi}\n"
        "---\n# Source: c/templates/volumes.yaml\napiVersion: v1\nkind: PersistentVolumeClaim\n"
        "metadata:\n  name: minio-pv-claim\nspec:\n  volumeName: svc-minio-pv\n"
        "---\n# Source: c/templates/other.yaml\napiVersion: v1\nkind: PersistentVolume\n"
        "metadata:\n  name: scratch-pv\n"
    )
    out = _with_keep_policy(manifest, NS, {(NS, "minio-pv-claim")}, {"svc-minio-pv"})
    docs = {d["metadata"]["name"]: d for d in yaml.safe_load_all(out) if d}
    keep = "helm.sh/resource-policy"
    assert docs["svc-minio-pv"]["metadata"]["annotations"] == {keep: "keep"}
    assert docs["minio-pv-claim"]["metadata"]["annotations"] == {keep: "keep"}
    assert "annotations" not in docs["scratch-pv"]["metadata"]  # no claim of the platform's holds it
    assert out.count("# Source: c/templates/volumes.yaml") == 2
