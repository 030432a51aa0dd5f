"""Preflight against the sandbox: each problem provoked for real, each finding checked for the
object it names, its reason and its fix; and a platform whose MongoDB needs an operator the cluster
lacks is stopped before anything is installed."""

from __future__ import annotations

import base64
import inspect
import json
import secrets
from pathlib import Path
from typing import Any

import lightkube
import pytest
import yaml
from lightkube.models.authentication_v1 import TokenRequestSpec
from lightkube.models.core_v1 import LimitRangeItem, LimitRangeSpec, ResourceQuotaSpec
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import LimitRange, Namespace, ResourceQuota, Secret, ServiceAccount

from helmdeck.cluster import apply_object, list_objects, make_client
from helmdeck.core.session import PlatformSession
from helmdeck.deploy.executor import Deployer
from helmdeck.doctor.findings import PreflightFailed
from helmdeck.doctor.preflight import check_before_deploy, run_preflight
from helmdeck.plan.planner import Action, make_plan
from tests.cluster.conftest import SandboxHandle, examples_dir
from tests.cluster.doctor_support import dump, of_check, platform_session

pytestmark = pytest.mark.cluster


@pytest.fixture
def client(sandbox: SandboxHandle) -> lightkube.Client:
    return make_client(sandbox.kubeconfig)


def test_a_clean_platform_passes(sandbox: SandboxHandle, tmp_path: Path, namespace: str) -> None:
    session = platform_session(
        sandbox, tmp_path, namespace, [{"name": "web", "values": {"persistence": {"enabled": True}}}]
    )
    report = run_preflight(session)
    assert report.ok, dump(report)
    assert report.cluster and report.cluster.startswith("v1.")
    assert report.user  # the sandbox's admin certificate
    for check in (
        "cluster",
        "credentials",
        "kube-version",
        "custom-kinds",
        "permissions",
        "storage",
        "capacity",
        "quota",
    ):
        assert check in report.checks


def test_missing_crd_names_the_kind_and_who_provides_it(sandbox: SandboxHandle, tmp_path: Path, namespace: str) -> None:
    widget = {"customResource": {"enabled": True, "apiVersion": "example.helmdeck.dev/v1", "kind": "Widget"}}
    session = platform_session(sandbox, tmp_path, namespace, [{"name": "web", "values": widget}])
    [finding] = of_check(run_preflight(session), "custom-kind")
    assert finding.severity == "error"
    assert (finding.component, finding.object) == ("web", f"Widget {namespace}/web")
    assert "does not serve Widget (example.helmdeck.dev/v1)" in finding.reason
    assert "no component of the platform installs its CustomResourceDefinition" in finding.reason
    assert "install the operator first" in finding.fix and "example.helmdeck.dev" in finding.fix

    # a component that installs the CRD, not listed in needs: the fix names it
    crd = {"name": "widgets", "chart": "widget-crd"}
    session = platform_session(sandbox, tmp_path, namespace, [crd, {"name": "web", "values": widget}])
    [finding] = of_check(run_preflight(session), "custom-kind")
    assert "installed by component widgets, which web does not need" in finding.reason
    assert finding.fix == "add `needs: [widgets]` to component web in the platform file"

    # ... and listed: the kind will be served when web installs
    session = platform_session(
        sandbox, tmp_path, namespace, [crd, {"name": "web", "values": widget, "needs": ["widgets"]}]
    )
    assert not of_check(run_preflight(session), "custom-kind")


def test_claims_naming_a_missing_storage_class(sandbox: SandboxHandle, tmp_path: Path, namespace: str) -> None:
    values = {
        "persistence": {"enabled": True, "storageClass": "fast-ssd"},
        "statefulset": {"enabled": True, "storageClass": "archive-hdd"},
    }
    session = platform_session(sandbox, tmp_path, namespace, [{"name": "db", "values": values}])
    findings = {f.object: f for f in of_check(run_preflight(session), "storage-class")}
    claim = findings[f"PersistentVolumeClaim {namespace}/db-data"]
    assert claim.severity == "error" and claim.component == "db"
    assert claim.reason == "the claim names StorageClass fast-ssd, which does not exist in the cluster"
    assert "standard, standard-immediate" in claim.fix and "create StorageClass fast-ssd" in claim.fix
    template = findings[f"StatefulSet {namespace}/db-db (volumeClaimTemplate data)"]
    assert "StorageClass archive-hdd" in template.reason


def test_read_write_many_on_node_local_volumes_is_a_warning(
    sandbox: SandboxHandle, tmp_path: Path, namespace: str
) -> None:
    values = {"persistence": {"enabled": True, "accessModes": ["ReadWriteMany"]}}
    session = platform_session(sandbox, tmp_path, namespace, [{"name": "shared", "values": values}])
    report = run_preflight(session)
    [finding] = of_check(report, "read-write-many")
    assert finding.severity == "warning" and report.ok
    assert finding.object == f"PersistentVolumeClaim {namespace}/shared-data"
    assert "StorageClass standard (provisioner sandbox.helmdeck.dev/volume)" in finding.reason
    assert "shared storage" in finding.fix


def test_gpu_requests_no_node_can_meet(sandbox: SandboxHandle, tmp_path: Path, namespace: str) -> None:
    # the sandbox has one GPU node with 4 GPUs
    eight = {"resources": {"limits": {"nvidia.com/gpu": 8, "cpu": "1", "memory": "1Gi"}}}
    one_elsewhere = {
        "resources": {"limits": {"nvidia.com/gpu": 1}},
        "nodeSelector": {"kubernetes.io/hostname": "sandbox-node-0"},
    }
    one = {"resources": {"limits": {"nvidia.com/gpu": 1}}}
    components: list[dict[str, Any]] = [
        {"name": "trainer", "values": eight},
        {"name": "pinned", "values": one_elsewhere},
        {"name": "viewer", "values": one, "gpu": True},
    ]
    session = platform_session(sandbox, tmp_path, namespace, components)
    findings = {f.component: f for f in of_check(run_preflight(session), "gpu")}
    assert set(findings) == {"trainer", "pinned"}
    trainer = findings["trainer"]
    assert trainer.severity == "error" and trainer.object == f"Deployment {namespace}/trainer"
    assert (
        trainer.reason == "no node can run its pods: each pod asks for 8 nvidia.com/gpu; the most any node offers is 4"
    )
    assert "at most 4" in trainer.fix
    pinned = findings["pinned"]
    assert (
        "the nodes that have enough are excluded: sandbox-gpu-0: nodeSelector kubernetes.io/hostname=sandbox-node-0"
        in (pinned.reason)
    )
    assert "nodeSelector" in pinned.fix


def test_quota_and_limit_range_that_reject_the_pods(
    sandbox: SandboxHandle, client: lightkube.Client, tmp_path: Path, namespace: str
) -> None:
    client.create(
        ResourceQuota(
            metadata=ObjectMeta(name="compute", namespace=namespace),
            spec=ResourceQuotaSpec(hard={"requests.cpu": "1", "pods": "10"}),
        )
    )
    values = {"replicas": 3, "resources": {"requests": {"cpu": "500m", "memory": "64Mi"}, "limits": {"cpu": "500m"}}}
    session = platform_session(sandbox, tmp_path, namespace, [{"name": "api", "values": values}])
    [finding] = of_check(run_preflight(session), "quota")
    assert finding.severity == "error" and finding.object == f"Deployment {namespace}/api"
    assert finding.reason.startswith(f"ResourceQuota {namespace}/compute would reject pods")
    assert "requests.cpu 1500m" in finding.reason and "only 1 of 1 is left (0 used)" in finding.reason
    assert f"kubectl -n {namespace} edit resourcequota compute" in finding.fix

    client.create(
        LimitRange(
            metadata=ObjectMeta(name="caps", namespace=namespace),
            spec=LimitRangeSpec(limits=[LimitRangeItem(type="Container", max={"cpu": "250m"})]),
        )
    )
    [finding] = of_check(run_preflight(session), "limit-range")
    assert finding.object == f"Deployment {namespace}/api"
    assert f"LimitRange {namespace}/caps would reject it" in finding.reason
    assert "container app: cpu limit 500m exceeds the maximum 250m per Container" in finding.reason


def test_kube_version_constraint_of_a_chart(sandbox: SandboxHandle, tmp_path: Path, namespace: str) -> None:
    session = platform_session(sandbox, tmp_path, namespace, [{"name": "next", "chart": "future"}])
    report = run_preflight(session)
    [finding] = of_check(report, "kube-version")
    assert (finding.component, finding.object) == ("next", "chart future-0.1.0")
    assert finding.reason == f"chart future-0.1.0 requires Kubernetes >=1.99.0-0, but the cluster runs {report.cluster}"
    # issue 17: the plan carries the same verdict instead of counting the component to install
    plan = make_plan(session)
    [entry] = plan.components
    assert entry.action is Action.blocked and report.cluster is not None and report.cluster in entry.reason
    assert plan.summary().startswith("0 to install") and "1 blocked" in plan.summary()


def test_ingress_class_and_a_host_taken_by_another_ingress(
    sandbox: SandboxHandle, client: lightkube.Client, tmp_path: Path, namespace: str
) -> None:
    host = f"{namespace}.example.org"
    apply_object(
        client,
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": "squatter", "namespace": namespace},
            "spec": {
                "rules": [
                    {
                        "host": host,
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "pathType": "Prefix",
                                    "backend": {"service": {"name": "x", "port": {"number": 80}}},
                                }
                            ]
                        },
                    }
                ]
            },
        },
    )
    values = {"ingress": {"enabled": True, "host": host, "className": "nginx"}}
    session = platform_session(sandbox, tmp_path, namespace, [{"name": "web", "values": values}])
    report = run_preflight(session)
    [cls] = of_check(report, "ingress-class")
    assert cls.severity == "error" and cls.object == f"Ingress {namespace}/web"
    assert "names IngressClass nginx (spec.ingressClassName), which does not exist" in cls.reason
    assert not of_check(report, "ingress-conflict")  # another class: another controller

    values = {"ingress": {"enabled": True, "host": host}}
    session = platform_session(sandbox, tmp_path, namespace, [{"name": "web", "values": values}])
    report = run_preflight(session)
    [conflict] = of_check(report, "ingress-conflict")
    assert conflict.object == f"Ingress {namespace}/web"
    assert f"host {host} path / is already routed by Ingress {namespace}/squatter" in conflict.reason
    [no_class] = of_check(report, "ingress-class")
    assert no_class.severity == "warning" and "no default IngressClass" in no_class.reason


def test_registry_pull_secret_and_offline_images(
    sandbox: SandboxHandle, client: lightkube.Client, tmp_path: Path, namespace: str
) -> None:
    spec = {"registry": {"url": "registry.example.org/dash", "credentials": {"secret": "regcred"}}}
    components = [{"name": "web", "values": {"image": "docker.io/library/nginx:1.27"}}]
    session = platform_session(sandbox, tmp_path, namespace, components, spec=spec)
    report = run_preflight(session, offline=True)
    [secret] = of_check(report, "pull-secret")
    assert secret.object == f"Secret {namespace}/regcred"
    assert "credentials in Secret regcred, which does not exist in the admin namespace" in secret.reason
    assert f"kubectl -n {namespace} create secret docker-registry regcred" in secret.fix
    [offline] = of_check(report, "offline-images")
    assert (offline.component, offline.object) == ("web", f"Deployment {namespace}/web")
    assert "app: docker.io/library/nginx:1.27" in offline.reason

    config = {"auths": {"registry.example.org": {"auth": base64.b64encode(b"u:p").decode()}}}
    client.create(
        Secret(
            metadata=ObjectMeta(name="regcred", namespace=namespace),
            type="kubernetes.io/dockerconfigjson",
            stringData={".dockerconfigjson": json.dumps(config)},
        )
    )
    report = run_preflight(session)  # online: the image's origin does not matter
    assert report.ok, dump(report)


def test_permissions_of_a_restricted_user(
    sandbox: SandboxHandle, client: lightkube.Client, tmp_path: Path, namespace: str
) -> None:
    """A service account that may only manage ConfigMaps and Secrets in the namespace."""
    docs: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "deployer", "namespace": namespace}},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": "deployer", "namespace": namespace},
            "rules": [{"apiGroups": [""], "resources": ["configmaps", "secrets"], "verbs": ["*"]}],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "deployer", "namespace": namespace},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "deployer"},
            "subjects": [{"kind": "ServiceAccount", "name": "deployer", "namespace": namespace}],
        },
    ]
    for doc in docs:
        apply_object(client, doc)
    granted = client.create(
        ServiceAccount.Token(metadata=ObjectMeta(), spec=TokenRequestSpec(audiences=[], expirationSeconds=600)),
        "deployer",
        namespace=namespace,
    )
    assert granted.status is not None
    token = granted.status.token
    kubeconfig = yaml.safe_load(Path(sandbox.kubeconfig).read_text())
    kubeconfig["users"][0]["user"] = {"token": token}
    restricted = tmp_path / "restricted.yaml"
    restricted.write_text(yaml.safe_dump(kubeconfig))

    session = platform_session(sandbox, tmp_path, namespace, [{"name": "web"}], kubeconfig=str(restricted))
    report = run_preflight(session)
    assert report.user == f"system:serviceaccount:{namespace}:deployer"
    denied = {f.details["resource"]: f for f in of_check(report, "permissions")}
    assert "deployments" in denied and "leases" in denied
    assert "configmaps" not in denied and "secrets" not in denied
    deployments = denied["deployments"]
    assert (deployments.component, deployments.object) == ("web", f"Deployment {namespace}/web")
    assert deployments.reason.startswith(
        f"these credentials may not create/patch deployments.apps in namespace {namespace}"
    )
    assert "Role" in deployments.fix and "create, patch on deployments.apps" in deployments.fix


# -- the operator-run MongoDB ----------------------------------------------------------------


def mongo_platform(sandbox: SandboxHandle, tmp_path: Path, namespace: str) -> Any:
    return platform_session(
        sandbox,
        tmp_path,
        namespace,
        [{"name": "mongo", "chart": "mongo-operated"}, {"name": "backend", "needs": ["mongo"]}],
    )


def helm_releases_in(client: lightkube.Client, namespace: str) -> list[str]:
    return [
        s["metadata"]["name"]
        for s in list_objects(client, "v1", "Secret", namespace=namespace, labels={"owner": "helm"})
    ]


def test_operator_run_mongodb_is_stopped_before_anything_is_installed(
    sandbox: SandboxHandle, client: lightkube.Client, tmp_path: Path, namespace: str
) -> None:
    session = mongo_platform(sandbox, tmp_path, namespace)
    report = check_before_deploy(session)
    assert not report.ok
    [finding] = report.errors
    assert finding.check == "custom-kind"
    assert (finding.component, finding.object) == ("mongo", f"MongoDBCommunity {namespace}/mongo")
    assert "does not serve MongoDBCommunity (mongodbcommunity.mongodb.com/v1)" in finding.reason
    assert "the MongoDB Community Operator provides it" in finding.fix
    with pytest.raises(PreflightFailed) as caught:
        report.raise_for_errors()
    assert "nothing was installed" in caught.value.message and "MongoDBCommunity" in caught.value.message
    assert caught.value.details["preflight"]["findings"][0]["check"] == "custom-kind"
    assert helm_releases_in(client, namespace) == []
    assert session.live_releases() == {}


@pytest.mark.skipif(
    "preflight" not in inspect.signature(Deployer).parameters, reason="Deployer.run does not run preflight yet"
)
def test_deploy_runs_preflight_and_installs_nothing(
    sandbox: SandboxHandle, client: lightkube.Client, tmp_path: Path, namespace: str
) -> None:
    session = mongo_platform(sandbox, tmp_path, namespace)
    with pytest.raises(PreflightFailed):
        Deployer(session).run()
    assert helm_releases_in(client, namespace) == []
    assert session.live_releases() == {}


def test_namespace_of_another_platform_stops_the_deploy(sandbox: SandboxHandle, tmp_path: Path) -> None:
    """Two platforms naming the same namespace would fight over its objects: preflight says so first."""
    taken = f"taken-{secrets.token_hex(3)}"
    client = sandbox.client()
    labels = {"app.kubernetes.io/managed-by": "helmdeck", "helmdeck.dev/platform": "someone-else"}
    client.create(Namespace(metadata=ObjectMeta(name=taken, labels=labels)))
    try:
        path = tmp_path / "platform.yaml"
        path.write_text(
            "apiVersion: helmdeck.dev/v1\nkind: Platform\nmetadata: {name: mine}\nspec:\n"
            f"  namespaces: {{admin: {taken}-admin, services: {taken}}}\n"
            f"  components:\n    - {{name: hello, chart: {examples_dir() / 'charts' / 'hello'}, namespace: services}}\n"
        )
        session = PlatformSession(path, kubeconfig=sandbox.kubeconfig)
        report = check_before_deploy(session)
        found = [f for f in report.errors if f.check == "namespace-owners"]
        assert len(found) == 1 and f"Namespace {taken}" == found[0].object
        assert "platform someone-else" in found[0].reason and "spec.instance" in found[0].fix
    finally:
        client.delete(Namespace, taken)


def test_pods_that_each_fit_but_not_all_together(sandbox: SandboxHandle, tmp_path: Path, namespace: str) -> None:
    # every sandbox node has 32 cpu: one 30-cpu pod fits any of them, five do not fit the three
    big = {"replicas": 5, "resources": {"requests": {"cpu": "30", "memory": "1Gi"}}}
    session = platform_session(sandbox, tmp_path, namespace, [{"name": "solver", "values": big}])
    report = run_preflight(session)
    [finding] = of_check(report, "capacity")
    assert finding.severity == "error" and not report.ok
    assert "the platform's pods ask for 150 cpu in all on nodes sandbox-gpu-0, sandbox-node-0, sandbox-node-1" in (
        finding.reason
    )
    assert finding.fix.endswith("solver Deployment/solver (5 pods) 150")
    assert not of_check(report, "node-capacity")  # each pod on its own fits
    small = {"replicas": 2, "resources": {"requests": {"cpu": "30", "memory": "1Gi"}}}
    fits = platform_session(sandbox, tmp_path, namespace, [{"name": "solver", "values": small}])
    assert not of_check(run_preflight(fits), "capacity")


def test_images_missing_from_the_platforms_registry(
    sandbox: SandboxHandle, client: lightkube.Client, tmp_path: Path, namespace: str
) -> None:
    from tests.fakes.registry import pull_secret, serving_registry

    with serving_registry() as host:
        spec = {"registry": {"url": f"{host}/lab", "credentials": {"secret": "regcred"}}}
        components = [
            {"name": "api", "values": {"image": f"{host}/lab/app:1.0"}},
            {"name": "viewer", "values": {"image": f"{host}/lab/app:1.1"}},  # never pushed
        ]
        secret = pull_secret(host)["data"]
        client.create(
            Secret(
                metadata=ObjectMeta(name="regcred", namespace=namespace),
                type="kubernetes.io/dockerconfigjson",
                data=secret,  # type: ignore[arg-type]
            )
        )
        session = platform_session(sandbox, tmp_path, namespace, components, spec=spec)
        report = run_preflight(session)
    assert "images" in report.checks
    [missing] = of_check(report, "images")
    assert (missing.severity, missing.component) == ("error", "viewer")
    assert f"image {host}/lab/app:1.1 is not in {host}/lab" in missing.reason
    assert not report.ok
