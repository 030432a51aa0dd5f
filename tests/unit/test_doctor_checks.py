"""The preflight checks as pure functions: rendered objects and cluster facts in, findings out."""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Mapping
from typing import Any

from helmdeck.cluster.access import Access, Verdict
from helmdeck.doctor.live.release_records import decode_release_record
from helmdeck.doctor.preflight.permissions import Need, check_permissions
from helmdeck.doctor.rules.capacity import check_capacity
from helmdeck.doctor.rules.custom_kinds import check_custom_kinds
from helmdeck.doctor.rules.desired import ComponentView, PlatformView
from helmdeck.doctor.rules.ingress import Route, check_ingress_classes, is_ingress, route_conflicts, routes_of
from helmdeck.doctor.rules.quota import check_quotas
from helmdeck.doctor.rules.registry import check_offline_images, check_pull_secret, registry_host
from helmdeck.doctor.rules.resources import Quota
from helmdeck.doctor.rules.scheduling import parse_scheduling_message, why_excluded
from helmdeck.doctor.rules.storage import check_storage
from helmdeck.manifests import ManifestObject, PlacedObject
from helmdeck.manifests.inventory import inventory


def obj(body: dict[str, Any]) -> ManifestObject:
    return ManifestObject(body=body, source="chart/templates/x.yaml")


def component(name: str, *bodies: dict[str, Any], crds: tuple[dict[str, Any], ...] = (), **kw: Any) -> ComponentView:
    return ComponentView(name, "svc", tuple(obj(b) for b in bodies), tuple(obj(c) for c in crds), **kw)


def widget(name: str = "w") -> dict[str, Any]:
    return {"apiVersion": "example.org/v1", "kind": "Widget", "metadata": {"name": name}}


def widget_crd(versions: tuple[str, ...] = ("v1",)) -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.org"},
        "spec": {
            "group": "example.org",
            "names": {"kind": "Widget", "plural": "widgets"},
            "scope": "Namespaced",
            "versions": [{"name": v, "served": True} for v in versions],
        },
    }


def never_served(_api_version: str, _kind: str) -> bool:
    return False


def deployment(name: str, *, replicas: int = 1, volumes: list[Any] | None = None, **pod: Any) -> dict[str, Any]:
    spec = {"containers": [{"name": "app", "image": "registry.example.org/dash/app:1", **pod.pop("container", {})}]}
    spec.update(pod)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {"replicas": replicas, "template": {"spec": spec}},
    }


# -- custom kinds --------------------------------------------------------------------------


def test_custom_kind_served_by_the_cluster_passes() -> None:
    view = PlatformView([component("a", widget())])
    assert check_custom_kinds(view, lambda v, k: (v, k) == ("example.org/v1", "Widget"), {}) == []


def test_custom_kind_from_the_charts_crds_directory_or_an_earlier_component() -> None:
    own = PlatformView([component("a", widget(), crds=(widget_crd(),))])
    assert check_custom_kinds(own, never_served, {}) == []
    earlier = PlatformView([component("op", widget_crd()), component("a", widget(), needs=("op",))])
    assert check_custom_kinds(earlier, never_served, {}) == []
    # transitively: a needs b needs op
    chain = PlatformView(
        [component("op", widget_crd()), component("b", needs=("op",)), component("a", widget(), needs=("b",))]
    )
    assert check_custom_kinds(chain, never_served, {}) == []


def test_custom_kind_problems_each_with_their_fix() -> None:
    [in_templates] = check_custom_kinds(PlatformView([component("a", widget_crd(), widget())]), never_served, {})
    assert "own templates" in in_templates.reason and "crds/ directory" in in_templates.fix

    [not_needed] = check_custom_kinds(
        PlatformView([component("op", widget_crd()), component("a", widget())]), never_served, {}
    )
    assert not_needed.fix == "add `needs: [op]` to component a in the platform file"

    [wrong_version] = check_custom_kinds(
        PlatformView([component("a", widget())]), never_served, {("example.org", "Widget"): ("v1beta1",)}
    )
    assert wrong_version.reason == "the cluster serves Widget.example.org in version v1beta1, not v1"

    mongo = {"apiVersion": "mongodbcommunity.mongodb.com/v1", "kind": "MongoDBCommunity", "metadata": {"name": "db"}}
    [missing] = check_custom_kinds(
        PlatformView([component("mongo", mongo, widget("x"), mongo | {"metadata": {"name": "db2"}})]),
        lambda v, k: k == "Widget",
        {},
    )
    assert (missing.component, missing.object) == ("mongo", "MongoDBCommunity svc/db (and 1 more)")
    assert "MongoDB Community Operator" in missing.fix and "mongodb/community-operator" in missing.fix


# -- storage -------------------------------------------------------------------------------

CLASSES: dict[str, Mapping[str, Any]] = {
    "standard": {
        "metadata": {"name": "standard", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
        "provisioner": "rancher.io/local-path",
    },
    "shared": {"metadata": {"name": "shared"}, "provisioner": "nfs.csi.k8s.io"},
}


def claim(name: str, storage_class: str | None = None, modes: tuple[str, ...] = ("ReadWriteOnce",)) -> dict[str, Any]:
    spec: dict[str, Any] = {"accessModes": list(modes), "resources": {"requests": {"storage": "1Gi"}}}
    if storage_class is not None:
        spec["storageClassName"] = storage_class
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name}, "spec": spec}


def storage_findings(*bodies: dict[str, Any], classes: Mapping[str, Mapping[str, Any]] = CLASSES) -> list[Any]:
    return check_storage(
        inventory({"db": ("svc", tuple(obj(b) for b in bodies))}), classes, platform_default="standard"
    )


def test_storage_classes() -> None:
    assert storage_findings(claim("a"), claim("b", "shared", ("ReadWriteMany",)), claim("c", "")) == []
    [missing] = storage_findings(claim("a", "fast"))
    assert (
        missing.object == "PersistentVolumeClaim svc/a" and "(the platform file's default is standard)" in missing.fix
    )
    [rwx] = storage_findings(claim("a", modes=("ReadWriteMany",)))  # the default class is node-local
    assert rwx.severity == "warning" and "local-path volumes live on one node's disk" in rwx.reason
    no_default = {"shared": CLASSES["shared"]}
    [nodefault] = storage_findings(claim("a"), classes=no_default)
    assert nodefault.check == "default-storage-class" and "is-default-class" in nodefault.fix


def test_a_claim_bound_to_a_volume_the_chart_ships_needs_no_class() -> None:
    # Kaapana's pattern: PersistentVolumes with a class nobody provisions, claims naming them
    bound = claim("dags", "kaapana-hostdir")
    bound["spec"] = {**bound["spec"], "volumeName": "dags-pv"}
    volume = {"spec": {"storageClassName": "kaapana-hostdir", "hostPath": {"path": "/data/dags"}}}
    findings = check_storage(
        inventory({"db": ("svc", (obj(bound),))}), CLASSES, platform_default="standard", volumes={"dags-pv": volume}
    )
    assert findings == []
    # without the volume, the class is missing as before
    [missing] = storage_findings(bound)
    assert missing.check == "storage-class"
    # a volume of another class: the claim never binds
    other = {"spec": {"storageClassName": "slow"}}
    [mismatch] = check_storage(inventory({"db": ("svc", (obj(bound),))}), CLASSES, volumes={"dags-pv": other})
    assert mismatch.check == "volume-binding" and "storageClassName is slow, not the claim's kaapana-hostdir" in (
        mismatch.reason
    )


def test_fixes_name_only_classes_whose_provisioner_runs() -> None:
    from helmdeck.doctor.rules.storage import provisioner_evidence

    lease = {"metadata": {"name": "rancher.io-local-path", "namespace": "local-path-storage"}}
    evidence = provisioner_evidence([], [lease], [])
    inv = inventory({"db": ("svc", (obj(claim("a", "fast")),))})
    [missing] = check_storage(inv, CLASSES, provisioners=evidence)
    assert "one of: standard;" in missing.fix and "shared" not in missing.fix  # no NFS CSI driver here

    csi = {"metadata": {"name": "nfs.csi.k8s.io"}}
    made = {"metadata": {"annotations": {"pv.kubernetes.io/provisioned-by": "rancher.io/local-path"}}}
    [missing] = check_storage(inv, CLASSES, provisioners=provisioner_evidence([csi], [], [made]))
    assert "one of: shared, standard;" in missing.fix

    [missing] = check_storage(inv, CLASSES, provisioners=set())
    assert "no StorageClass here has a provisioner running in this cluster" in missing.fix
    assert "standard (rancher.io/local-path)" in missing.fix and "volumeName" in missing.fix
    [nodefault] = check_storage(
        inventory({"db": ("svc", (obj(claim("a")),))}), {"shared": CLASSES["shared"]}, provisioners=set()
    )
    assert "no StorageClass here has a provisioner running" in nodefault.fix


# -- capacity and GPUs ---------------------------------------------------------------------


def node(
    name: str, gpus: int = 0, labels: dict[str, str] | None = None, taints: list[Any] | None = None
) -> dict[str, Any]:
    allocatable = {"cpu": "8", "memory": "32Gi", **({"nvidia.com/gpu": str(gpus)} if gpus else {})}
    return {
        "metadata": {"name": name, "labels": labels or {}},
        "spec": {"taints": taints or []},
        "status": {"allocatable": allocatable},
    }


def gpu_deployment(name: str, gpus: int, **pod: Any) -> dict[str, Any]:
    return deployment(name, container={"resources": {"limits": {"nvidia.com/gpu": gpus}}}, **pod)


def test_gpu_requests_against_nodes() -> None:
    nodes = [node("cpu-0"), node("gpu-0", 4, {"gpu": "yes"}, [{"key": "gpu", "value": "yes", "effect": "NoSchedule"}])]
    view = PlatformView(
        [
            component("fits", gpu_deployment("fits", 2, tolerations=[{"key": "gpu", "operator": "Exists"}])),
            component("untolerated", gpu_deployment("untolerated", 2)),
            component("greedy", gpu_deployment("greedy", 6, tolerations=[{"operator": "Exists"}])),
            component("cpu", deployment("cpu", container={"resources": {"requests": {"cpu": "16"}}})),
        ]
    )
    found = {f.component: f for f in check_capacity(view, nodes)}
    assert set(found) == {"untolerated", "greedy", "cpu"}
    assert "gpu-0: taint gpu=yes:NoSchedule is not tolerated" in found["untolerated"].reason
    assert found["greedy"].reason.endswith("each pod asks for 6 nvidia.com/gpu; the most any node offers is 4")
    assert found["cpu"].check == "node-capacity" and "the most any node offers is 8" in found["cpu"].reason


def test_no_gpu_node_and_the_gpu_policy() -> None:
    nodes = [node("cpu-0")]
    asks = PlatformView([component("t", gpu_deployment("t", 1))])
    [f] = check_capacity(asks, nodes)
    assert f.severity == "error" and f.reason.endswith("and no node offers nvidia.com/gpu")
    flagged = PlatformView([component("viewer", deployment("viewer"), gpu=True)])
    assert [f.severity for f in check_capacity(flagged, nodes, gpu_policy="auto")] == ["warning"]
    assert [f.severity for f in check_capacity(flagged, nodes, gpu_policy="required")] == ["error"]
    assert [f.severity for f in check_capacity(flagged, nodes, gpu_policy="off")] == ["info"]
    plain = PlatformView([component("web", deployment("web"))])
    [required] = check_capacity(plain, nodes, gpu_policy="required")
    assert required.component is None and "gpu: required" in required.reason
    assert check_capacity(flagged, [node("gpu-0", 1)], gpu_policy="required") == []


def test_node_selection_rules() -> None:
    n = node("a", labels={"zone": "x", "size": "4"})
    assert why_excluded({"nodeSelector": {"zone": "y"}}, n) == "nodeSelector zone=y does not match"
    affinity = {
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [{"matchExpressions": [{"key": "size", "operator": "Gt", "values": ["2"]}]}]
                }
            }
        }
    }
    assert why_excluded(affinity, n) is None
    cordoned = node("b") | {"spec": {"unschedulable": True}}
    assert why_excluded({}, cordoned) == "cordoned (unschedulable)"


def test_scheduler_messages() -> None:
    new = parse_scheduling_message(
        "0/3 nodes are available: 1 Insufficient nvidia.com/gpu, 2 node(s) didn't match Pod's node affinity/selector."
        " no new claims to deallocate, preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
    )
    assert new.insufficient == ["nvidia.com/gpu"]
    assert new.reasons == ((1, "Insufficient nvidia.com/gpu"), (2, "node(s) didn't match Pod's node affinity/selector"))
    assert new.summary == (
        "0/3 nodes are available: 1 Insufficient nvidia.com/gpu, 2 node(s) didn't match Pod's node affinity/selector"
    )
    old = parse_scheduling_message("0/2 nodes are available: 2 Insufficient cpu, 2 Insufficient memory. preemption: x")
    assert old.insufficient == ["cpu", "memory"] and not old.mentions("preemption")
    claims = parse_scheduling_message("0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims.")
    assert claims.mentions("unbound immediate PersistentVolumeClaims")


# -- ingress -------------------------------------------------------------------------------


def ingress(name: str, host: str, cls: str | None = None, annotation: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"rules": [{"host": host, "http": {"paths": [{"path": "/", "backend": {}}]}}]}
    if cls:
        spec["ingressClassName"] = cls
    meta: dict[str, Any] = {"name": name}
    if annotation:
        meta["annotations"] = {"kubernetes.io/ingress.class": annotation}
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta, "spec": spec}


def test_ingress_classes() -> None:
    view = PlatformView(
        [
            component(
                "web",
                ingress("a", "a.org", "nginx"),
                ingress("b", "b.org", "traefik"),
                ingress("c", "c.org", annotation="haproxy"),
                ingress("d", "d.org"),
            )
        ]
    )
    placed = [p for p in view if is_ingress(p.key.group, p.key.kind)]
    classes = {"nginx": {"metadata": {"name": "nginx"}}}
    found = {f.object: f for f in check_ingress_classes(placed, classes)}
    assert set(found) == {"Ingress svc/b", "Ingress svc/c", "Ingress svc/d"}
    assert found["Ingress svc/b"].severity == "error" and "one of: nginx" in found["Ingress svc/b"].fix
    assert found["Ingress svc/c"].severity == "warning"  # the legacy annotation may still be served
    assert "no default IngressClass" in found["Ingress svc/d"].reason
    default = {
        "nginx": {"metadata": {"name": "nginx", "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"}}}
    }
    assert {f.object for f in check_ingress_classes(placed, default)} == {"Ingress svc/b", "Ingress svc/c"}


def test_ingress_route_conflicts_within_one_class() -> None:
    ours = [("web", "Ingress svc/a", r) for r in routes_of(ingress("a", "a.org"), "svc", "nginx")]
    theirs = routes_of(ingress("old", "a.org") | {"metadata": {"name": "old", "namespace": "legacy"}}, None, "nginx")
    [conflict] = route_conflicts(ours, theirs)
    assert conflict.reason.startswith("host a.org path / is already routed by Ingress legacy/old (class nginx)")
    other_class = [Route("a.org", "/", "traefik", "Ingress legacy/old")]
    assert route_conflicts(ours, other_class) == []


# -- registry ------------------------------------------------------------------------------


def test_registry_hosts() -> None:
    assert registry_host("nginx:1.27") == "docker.io"
    assert registry_host("library/nginx") == "docker.io"
    assert registry_host("registry.example.org/dash/app:1") == "registry.example.org"
    assert registry_host("localhost:5000/app") == "localhost:5000"


def test_pull_secret() -> None:
    [missing] = check_pull_secret("regcred", "admin", "registry.example.org/dash", None, namespace_exists=False)
    assert missing.fix.startswith("create it before deploying: kubectl create namespace admin; kubectl -n admin create")
    opaque = {"type": "Opaque", "data": {}}
    [wrong] = check_pull_secret("regcred", "admin", "registry.example.org/dash", opaque)
    assert "type Opaque" in wrong.reason
    config = base64.b64encode(json.dumps({"auths": {"https://other.org/v1/": {}}}).encode()).decode()
    other = {"type": "kubernetes.io/dockerconfigjson", "data": {".dockerconfigjson": config}}
    [elsewhere] = check_pull_secret("regcred", "admin", "registry.example.org/dash", other)
    assert elsewhere.severity == "warning" and "for other.org, not for registry.example.org" in elsewhere.reason
    config = base64.b64encode(json.dumps({"auths": {"registry.example.org": {}}}).encode()).decode()
    good = {"type": "kubernetes.io/dockerconfigjson", "data": {".dockerconfigjson": config}}
    assert check_pull_secret("regcred", "admin", "registry.example.org/dash", good) == []


def test_offline_images() -> None:
    images = inventory(
        {"web": ("svc", (obj(deployment("web")), obj(deployment("proxy", container={"image": "nginx"}))))}
    ).images
    [f] = check_offline_images(images, "registry.example.org/dash")
    assert (f.component, f.object) == ("web", "Deployment svc/proxy") and "app: nginx" in f.reason
    [no_registry] = check_offline_images(images, None)
    assert "spec.registry.url" in no_registry.fix


# -- quota over a view ---------------------------------------------------------------------


def test_quota_check_counts_only_growth_of_running_workloads() -> None:
    view = PlatformView(
        [
            component(
                "api",
                deployment(
                    "api",
                    replicas=3,
                    container={
                        "resources": {
                            "requests": {"cpu": "1", "memory": "1Gi"},
                            "limits": {"cpu": "1", "memory": "1Gi"},
                        }
                    },
                ),
            )
        ]
    )
    q = Quota.from_object(
        {
            "metadata": {"name": "q", "namespace": "svc"},
            "spec": {"hard": {"requests.cpu": "4"}},
            "status": {"used": {"requests.cpu": "2"}},
        }
    )
    [short] = check_quotas(view, {"svc": [q]}, {}, lambda _p: None)
    assert short.object == "Deployment svc/api" and "needs requests.cpu 3" in short.reason

    def running(placed: PlacedObject) -> dict[str, Any]:
        return dict(placed.obj.body) | {"spec": {**placed.obj.body["spec"], "replicas": 2}}

    assert check_quotas(view, {"svc": [q]}, {}, running) == []  # +1 cpu fits in the 2 left


# -- permissions ---------------------------------------------------------------------------


def test_permissions_one_review_per_distinct_access() -> None:
    asked: list[Access] = []

    def review(access: Access) -> Verdict:
        asked.append(access)
        return Verdict(access.resource != "deployments", "RBAC: no rule" if access.resource == "deployments" else "")

    needs = [
        Need(Access(verb, "apps", "deployments", "svc"), "api", f"Deployment svc/{n}", f"installs Deployment svc/{n}")
        for n in ("api", "worker")
        for verb in ("create", "patch")
    ] + [Need(Access("create", "", "configmaps", "svc"), "api", "ConfigMap svc/c", "installs ConfigMap svc/c")]
    [f] = check_permissions(needs, review)
    assert len(asked) == 3
    assert f.object == "Deployment svc/api" and f.details["verbs"] == ["create", "patch"]
    assert f.reason == (
        "these credentials may not create/patch deployments.apps in namespace svc, which the deploy needs "
        "(installs Deployment svc/api and 1 more): RBAC: no rule"
    )


# -- Helm release records ------------------------------------------------------------------


def test_release_record_hooks() -> None:
    release = {
        "info": {"description": "failed pre-install: job failed"},
        "hooks": [
            {"name": "db-init", "kind": "Job", "events": ["pre-install"], "last_run": {"phase": "Failed"}},
            {"name": "ok", "kind": "Job", "events": ["post-install"], "last_run": {"phase": "Succeeded"}},
        ],
    }
    encoded = base64.b64encode(base64.b64encode(gzip.compress(json.dumps(release).encode()))).decode()
    record = decode_release_record(encoded)
    assert record is not None and record.description == "failed pre-install: job failed"
    assert [h["name"] for h in record.failed_hooks] == ["db-init"]
    assert decode_release_record("not base64!") is None
