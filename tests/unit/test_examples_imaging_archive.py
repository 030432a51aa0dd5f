"""The imaging and archive reference platforms: their charts, extensions and platform files.

Rendering is offline (helm_python, no cluster). Platform-level tests layer values the way
ARCHITECTURE.md describes (environment `global`, then the component's section, then secrets)
with a small Helm-style merge, so they test the examples rather than helmdeck's values code.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import shutil
import tarfile
from functools import cache
from pathlib import Path
from typing import Any

import helm_python as helm
import jsonschema
import pytest
import yaml

from helmdeck.spec import PlatformFileError, load_platform
from helmdeck.values import compute_values

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
IMAGING = EXAMPLES / "imaging"
ARCHIVE = EXAMPLES / "archive"
ADMIN = IMAGING / "charts" / "admin"
PLATFORM = IMAGING / "charts" / "platform"
SUBCHARTS = ("workflow-engine", "object-store", "image-archive", "landing-page", "backend")
EXTENSIONS = IMAGING / "extensions"
EXTENSION_NAMES = ("jupyterlab", "nnunet-workflow", "total-segmentator-workflow", "workflow-base")
ARCHIVE_CHART = ARCHIVE / "charts" / "archive"
REDIS = ARCHIVE / "vendor" / "redis-lite"

WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass",
                  "IngressClass", "CustomResourceDefinition", "PriorityClass",
                  "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"}  # fmt: skip
FAIL = "sandbox.helmdeck.dev/fail"
READY_AFTER = "sandbox.helmdeck.dev/ready-after"
GPU = "nvidia.com/gpu"
SECRET_KEYS = ("jwtSecret", "mongoUri", "s3AccessKey", "s3SecretKey")

Doc = dict[str, Any]
Values = dict[str, Any]

ADMIN_SECRETS: Values = {
    "auth": {"adminPassword": "a" * 24, "oidc": {"clientSecret": "c" * 48}},
    "proxy": {"cookieSecret": "k" * 32},
}
PLATFORM_SECRETS: Values = {
    "object-store": {"auth": {"rootPassword": "o" * 32}},
    "backend": {"objectStore": {"secretKey": "o" * 32}},
}
ARCHIVE_SECRETS: Values = {
    "secrets": {
        "jwtSecret": "j" * 40,
        "mongoUri": "mongodb://mongo.example.org:27017/archive",
        "s3AccessKey": "AKIAEXAMPLE",
        "s3SecretKey": "s" * 24,
    }
}
# what helmdeck passes to the charts of instance lab2 (platform_globals): prefixed namespaces and
# per-instance data directories
LAB2: Values = {
    "instance": "lab2",
    "namespaces": {key: f"lab2-{key}" for key in ("admin", "services", "jobs", "extensions")},
    "domain": "lab2.imaging.localtest.me",
    "fastDataDir": "/data/imaging/fast/lab2",
    "slowDataDir": "/data/imaging/slow/lab2",
}

# The least each chart needs to render: the credentials helmdeck (or the operator) supplies.
MINIMAL: dict[Path, Values] = {
    ADMIN: ADMIN_SECRETS,
    PLATFORM: PLATFORM_SECRETS,
    **{PLATFORM / "charts" / name: {} for name in SUBCHARTS},
    PLATFORM / "charts" / "object-store": PLATFORM_SECRETS["object-store"],
    PLATFORM / "charts" / "backend": PLATFORM_SECRETS["backend"],
    **{EXTENSIONS / name: {} for name in EXTENSION_NAMES},
    ARCHIVE_CHART: ARCHIVE_SECRETS,
    REDIS: {},
}
CHARTS = sorted(MINIMAL)
PART_OF = {chart: ("archive" if ARCHIVE in chart.parents else "imaging") for chart in CHARTS}
PART_OF[REDIS] = "redis-lite"


def load(chart_dir: Path) -> helm.Chart:
    """A fresh chart handle: Helm drops disabled subcharts from the chart it renders, for good."""
    return helm.Chart.load(str(chart_dir))


def merged(*layers: Values) -> Values:
    """Helm's map merge: later layers win, maps merge key by key, null deletes."""
    out: Values = {}
    for layer in layers:
        for key, value in layer.items():
            if value is None:
                out.pop(key, None)
            elif isinstance(value, dict) and isinstance(out.get(key), dict):
                out[key] = merged(out[key], value)
            else:
                out[key] = copy.deepcopy(value)
    return out


def parse(manifests: dict[str, str]) -> list[Doc]:
    return [
        doc
        for path, text in sorted(manifests.items())
        if path.endswith(".yaml")
        for doc in yaml.load_all(text, Loader=yaml.CSafeLoader)
        if doc
    ]


@cache
def _render(chart_dir: Path, values_json: str, name: str, namespace: str, is_upgrade: bool) -> list[Doc]:
    with load(chart_dir) as chart:
        manifests = chart.render(json.loads(values_json), name=name, namespace=namespace, is_upgrade=is_upgrade or None)
    return parse(manifests)


def render(
    chart_dir: Path,
    values: Values | None = None,
    *,
    minimal: bool = True,
    name: str | None = None,
    namespace: str = "services",
    is_upgrade: bool = False,
) -> list[Doc]:
    """Render with the chart's MINIMAL values underneath (unless minimal=False), parsed."""
    layers = merged(MINIMAL[chart_dir] if minimal else {}, values or {})
    return copy.deepcopy(
        _render(chart_dir, json.dumps(layers, sort_keys=True), name or chart_dir.name, namespace, is_upgrade)
    )


def render_error(chart_dir: Path, values: Values, *, minimal: bool = True, is_upgrade: bool = False) -> str:
    with pytest.raises(helm.HelmError) as caught:
        load(chart_dir).render(
            merged(MINIMAL[chart_dir] if minimal else {}, values),
            name=chart_dir.name,
            namespace="services",
            is_upgrade=is_upgrade or None,
        )
    return str(caught.value)


def one(docs: list[Doc], kind: str, name: str | None = None) -> Doc:
    found = [d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]
    assert len(found) == 1, f"expected one {kind} {name or ''}, got {[d['metadata']['name'] for d in found]}"
    return found[0]


def kinds(docs: list[Doc]) -> set[tuple[str, str]]:
    return {(d["kind"], d["metadata"]["name"]) for d in docs}


def pod_template(doc: Doc) -> Doc:
    spec = doc["spec"]["jobTemplate"]["spec"] if doc["kind"] == "CronJob" else doc["spec"]
    template: Doc = spec["template"]
    return template


def workloads(docs: list[Doc]) -> list[Doc]:
    return [d for d in docs if d["kind"] in WORKLOAD_KINDS]


def containers(doc: Doc) -> list[Doc]:
    spec = pod_template(doc)["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


def env_of(container: Doc) -> dict[str, Any]:
    """name -> value, or -> (secret name, key) for secret references."""
    out: dict[str, Any] = {}
    for item in container.get("env", []):
        ref = item.get("valueFrom", {}).get("secretKeyRef")
        out[item["name"]] = (ref["name"], ref["key"]) if ref else item.get("value")
    return out


def pod_annotations(doc: Doc) -> dict[str, str]:
    annotations: dict[str, str] = pod_template(doc)["metadata"].get("annotations", {})
    return annotations


def host_paths(docs: list[Doc]) -> set[str]:
    return {
        volume["hostPath"]["path"]
        for doc in workloads(docs)
        for volume in pod_template(doc)["spec"].get("volumes", [])
        if "hostPath" in volume
    }


def read_yaml(path: Path) -> Values:
    loaded: Values = yaml.safe_load(path.read_text()) or {}
    return loaded


def full_render(chart_dir: Path, values: Values | None = None, **kwargs: Any) -> list[Doc]:
    """Everything the chart can render: the platform as an upgrade (its migration hook included)."""
    if chart_dir == PLATFORM:
        kwargs.setdefault("is_upgrade", True)
    return render(chart_dir, values, **kwargs)


# ---------------------------------------------------------------- every chart


@pytest.mark.parametrize("chart_dir", CHARTS, ids=lambda p: p.name)
def test_chart_lints_clean(chart_dir: Path) -> None:
    report = helm.lint(str(chart_dir), MINIMAL[chart_dir], strict=True, namespace="services")
    problems = [m for m in report["messages"] if m["severity"] >= 2]
    assert problems == [] and report["errors"] == []


@pytest.mark.parametrize("chart_dir", CHARTS, ids=lambda p: p.name)
def test_every_pod_takes_annotations_global_then_chart_then_workload(chart_dir: Path) -> None:
    """The sandbox's failure stages are chosen by pod annotation: every pod must accept one."""
    chart_level = {"podAnnotations": {FAIL: "crash-loop"}}
    values: Values = {"global": {"podAnnotations": {READY_AFTER: "5s", FAIL: "image-pull"}}, **chart_level}
    # A subchart's pods take its own section's annotations (global reaches them all).
    subcharts = {PLATFORM: SUBCHARTS, ARCHIVE_CHART: ("redis",)}.get(chart_dir, ())
    values.update({name: chart_level for name in subcharts})
    found = workloads(full_render(chart_dir, values))
    assert found, "every chart runs at least one pod"
    for doc in found:
        annotations = pod_annotations(doc)
        assert annotations[READY_AFTER] == "5s", doc["metadata"]["name"]
        assert annotations[FAIL] == "crash-loop", doc["metadata"]["name"]


@pytest.mark.parametrize(
    ("chart_dir", "key", "workload"),
    [
        (ADMIN, ("proxy",), "proxy"),
        (ADMIN, ("auth",), "auth"),
        (PLATFORM, ("migration",), "platform-migrate-0-4-0"),
        (ARCHIVE_CHART, ("api",), "archive-api"),
        (ARCHIVE_CHART, ("worker",), "archive-dataset-worker"),
        (ARCHIVE_CHART, ("reindex",), "archive-reindex"),
    ],
)
def test_one_workload_can_be_failed_alone(chart_dir: Path, key: tuple[str, ...], workload: str) -> None:
    values: Values = {key[0]: {"podAnnotations": {FAIL: "job-fail"}}}
    docs = workloads(full_render(chart_dir, values))
    failing = {d["metadata"]["name"] for d in docs if pod_annotations(d).get(FAIL) == "job-fail"}
    assert failing == {workload}


@pytest.mark.parametrize("chart_dir", CHARTS, ids=lambda p: p.name)
def test_pods_are_pinned_bounded_and_unprivileged(chart_dir: Path) -> None:
    for doc in workloads(full_render(chart_dir)):
        pod = pod_template(doc)["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        # Only the workflow engine talks to the Kubernetes API (it starts the job pods).
        expected_token = doc["metadata"]["name"] == "workflow-engine"
        assert pod["automountServiceAccountToken"] is expected_token, doc["metadata"]["name"]
        for container in containers(doc):
            image = container["image"]
            assert ":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest"), image
            assert container["resources"]["requests"], container["name"]
            assert container["securityContext"]["allowPrivilegeEscalation"] is False
            assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]


@pytest.mark.parametrize("chart_dir", CHARTS, ids=lambda p: p.name)
def test_objects_carry_the_standard_labels(chart_dir: Path) -> None:
    docs = full_render(chart_dir)
    assert docs
    for doc in docs:
        labels = doc["metadata"]["labels"]
        for key in ("name", "instance", "version", "managed-by", "component"):
            assert f"app.kubernetes.io/{key}" in labels, (doc["kind"], doc["metadata"]["name"], key)
        assert labels["app.kubernetes.io/part-of"] == PART_OF[chart_dir]


@pytest.mark.parametrize("chart_dir", CHARTS, ids=lambda p: p.name)
def test_nothing_is_cluster_scoped(chart_dir: Path) -> None:
    """Two instances share a cluster: a cluster-scoped object would be shared or fought over."""
    for doc in full_render(chart_dir, {"global": LAB2} if PART_OF[chart_dir] == "imaging" else {}):
        assert doc["kind"] not in CLUSTER_SCOPED, doc["metadata"]["name"]


@pytest.mark.parametrize("chart_dir", CHARTS, ids=lambda p: p.name)
def test_global_registry_and_pull_policy_reach_every_image(chart_dir: Path) -> None:
    values = {"global": {"registry": "mirror.local/imaging", "imagePullPolicy": "Never",
                         "imagePullSecrets": ["registry"]}}  # fmt: skip
    for doc in workloads(full_render(chart_dir, values)):
        assert pod_template(doc)["spec"]["imagePullSecrets"] == [{"name": "registry"}]
        for container in containers(doc):
            assert container["image"].startswith("mirror.local/imaging/"), container["image"]
            assert container["imagePullPolicy"] == "Never"


def test_schemas_reject_a_misspelt_key_and_a_non_string_annotation() -> None:
    assert "replicaCount" in render_error(PLATFORM, {"backend": {"replicaCount": 2}})
    assert "podAnnotations" in render_error(ADMIN, {"global": {"podAnnotations": {FAIL: 5}}})
    assert "storageSize" in render_error(EXTENSIONS / "jupyterlab", {"parameters": {"storageSize": "lots"}})


# ---------------------------------------------------------------- imaging: admin


def test_admin_is_a_proxy_and_an_identity_provider_behind_one_ingress() -> None:
    docs = render(ADMIN, namespace="admin")
    assert {("Deployment", "proxy"), ("Service", "proxy"), ("Deployment", "auth"), ("Service", "auth")} <= kinds(docs)
    rule = one(docs, "Ingress")["spec"]["rules"][0]
    assert rule["host"] == "imaging.localtest.me"
    assert rule["http"]["paths"][0]["backend"]["service"] == {"name": "proxy", "port": {"number": 4180}}
    proxy_env = env_of(containers(one(docs, "Deployment", "proxy"))[0])
    assert proxy_env["OAUTH2_PROXY_CLIENT_SECRET"] == ("auth", "client-secret")
    auth_env = env_of(containers(one(docs, "Deployment", "auth"))[0])
    assert auth_env["KC_BOOTSTRAP_ADMIN_PASSWORD"] == ("auth", "admin-password")
    realm = json.loads(base64.b64decode(one(docs, "Secret", "auth")["data"]["realm.json"]))
    assert realm["clients"][0]["secret"] == "c" * 48


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ({"auth": {"oidc": {"clientSecret": ""}}}, "auth.oidc.clientSecret is required"),
        ({"auth": {"adminPassword": ""}}, "auth.adminPassword is required; there is no default password"),
        ({"proxy": {"cookieSecret": ""}}, "proxy.cookieSecret is required"),
        ({"proxy": {"cookieSecret": "k" * 20}}, "must be 16, 24 or 32 characters"),
    ],
)
def test_admin_credentials_are_required(missing: Values, message: str) -> None:
    assert message in render_error(ADMIN, missing)


def test_admin_routes_to_the_services_of_its_own_instance() -> None:
    args = containers(one(render(ADMIN, {"global": LAB2}), "Deployment", "proxy"))[0]["args"]
    upstreams = [a.split("=", 1)[1] for a in args if a.startswith("--upstream=")]
    assert "http://backend.lab2-services.svc:5000/api/" in upstreams
    assert "http://landing-page.lab2-services.svc:8080/" in upstreams
    assert "--redirect-url=https://lab2.imaging.localtest.me/oauth2/callback" in args


# ---------------------------------------------------------------- imaging: the platform chart


def test_platform_renders_every_subchart_with_its_kind_of_workload() -> None:
    docs = render(PLATFORM)
    assert {
        ("Deployment", "workflow-engine"),
        ("PersistentVolumeClaim", "workflow-engine-data"),
        ("StatefulSet", "object-store"),
        ("StatefulSet", "image-archive"),
        ("Deployment", "landing-page"),
        ("Service", "landing-page"),
        ("Deployment", "backend"),
        ("Service", "backend"),
        ("ConfigMap", "platform-version"),
    } <= kinds(docs)
    dicom = one(docs, "Service", "image-archive")["spec"]["ports"]
    assert {p["name"]: p["port"] for p in dicom} == {"dicom": 11112, "http": 8042}


@pytest.mark.parametrize("subchart", SUBCHARTS)
def test_each_subchart_toggles_by_its_condition(subchart: str) -> None:
    declared = {d["name"]: d for d in read_yaml(PLATFORM / "Chart.yaml")["dependencies"]}
    assert declared[subchart]["condition"] == f"{subchart}.enabled"
    on = render(PLATFORM)
    off = render(PLATFORM, {subchart: {"enabled": False}})
    gone = {d["metadata"]["name"] for d in on} - {d["metadata"]["name"] for d in off}
    assert gone and all(name.startswith(subchart) or name == "job-runner" for name in gone), gone
    assert not [d for d in off if d["metadata"]["labels"]["app.kubernetes.io/name"] == subchart]


def test_platform_with_every_subchart_off_keeps_only_its_version_record() -> None:
    values: Values = {name: {"enabled": False} for name in SUBCHARTS}
    assert kinds(render(PLATFORM, values, minimal=False, is_upgrade=True)) == {("ConfigMap", "platform-version")}


def test_object_store_without_a_root_password_fails() -> None:
    message = render_error(PLATFORM, {"object-store": {"auth": {"rootPassword": ""}}})
    assert "auth.rootPassword is required" in message and "no default password" in message


def test_global_values_reach_every_subchart() -> None:
    docs = render(PLATFORM, {"global": {**LAB2, "registry": "registry.lab2.org/imaging"}})
    backend = one(docs, "ConfigMap", "backend")["data"]
    assert backend["IMAGING_DOMAIN"] == "lab2.imaging.localtest.me"
    assert backend["IMAGING_JOBS_NAMESPACE"] == "lab2-jobs"
    assert backend["IMAGING_EXTENSIONS_NAMESPACE"] == "lab2-extensions"
    assert backend["IMAGING_OIDC_JWKS_URL"].startswith("http://auth.lab2-admin.svc:8080/")
    engine = one(docs, "ConfigMap", "workflow-engine")["data"]
    assert engine["AIRFLOW__KUBERNETES_EXECUTOR__NAMESPACE"] == "lab2-jobs"
    assert workloads(docs)
    for doc in workloads(docs):
        assert doc["metadata"]["labels"]["imaging.helmdeck.dev/instance"] == "lab2"
        assert all(c["image"].startswith("registry.lab2.org/imaging/") for c in containers(doc))
    claim = one(docs, "StatefulSet", "object-store")["spec"]["volumeClaimTemplates"][0]
    assert claim["metadata"]["annotations"]["imaging.helmdeck.dev/data-dir"] == "/data/imaging/slow/lab2/object-store"


def test_the_workflow_engine_may_start_pods_in_the_jobs_namespace_only() -> None:
    docs = render(PLATFORM, {"global": LAB2})
    role = one(docs, "Role", "workflow-engine")
    assert role["metadata"]["namespace"] == "lab2-jobs"
    assert {"create", "delete", "watch"} <= set(role["rules"][0]["verbs"]) and role["rules"][0]["resources"] == ["pods"]
    binding = one(docs, "RoleBinding", "workflow-engine")
    assert binding["metadata"]["namespace"] == "lab2-jobs"
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "workflow-engine", "namespace": "services"}]
    runner = one(docs, "ServiceAccount", "job-runner")
    assert (runner["metadata"]["namespace"], runner["automountServiceAccountToken"]) == ("lab2-jobs", False)
    assert one(docs, "Role", "workflow-engine-workflows")["metadata"]["namespace"] == "lab2-extensions"
    without = render(PLATFORM, {"workflow-engine": {"jobs": {"rbac": False}}})
    assert not [d for d in without if d["kind"] in ("Role", "RoleBinding")]


def test_data_directories_as_annotated_claims_or_host_paths() -> None:
    claims = render(PLATFORM)
    assert host_paths(claims) == set()
    annotations = one(claims, "PersistentVolumeClaim", "workflow-engine-data")["metadata"]["annotations"]
    assert annotations["imaging.helmdeck.dev/data-dir"] == "/data/imaging/fast/workflow-engine"
    assert annotations["helm.sh/resource-policy"] == "keep"
    nodes = render(PLATFORM, {"global": {"dataVolumes": "hostPath"}})
    assert not [d for d in nodes if d["kind"] == "PersistentVolumeClaim"]
    stateful = [d for d in nodes if d["kind"] == "StatefulSet"]
    assert stateful and all("volumeClaimTemplates" not in d["spec"] for d in stateful)
    assert host_paths(nodes) == {
        "/data/imaging/fast/workflow-engine",
        "/data/imaging/slow/object-store",
        "/data/imaging/slow/image-archive",
    }
    volumes = pod_template(one(nodes, "StatefulSet", "image-archive"))["spec"]["volumes"]
    assert {"path": "/data/imaging/slow/image-archive", "type": "DirectoryOrCreate"} in [
        v.get("hostPath") for v in volumes
    ]


def test_an_instance_refuses_the_shared_data_directories() -> None:
    for mode in ("pvc", "hostPath"):
        message = render_error(PLATFORM, {"global": {"instance": "lab2", "dataVolumes": mode}})
        found = re.search(
            r'global\.(fast|slow)DataDir "/data/imaging/(fast|slow)" is shared by every instance', message
        )
        assert found, message
        assert f"/data/imaging/{found.group(2)}/lab2" in message


# ---------------------------------------------------------------- imaging: the migration gate


def migration_jobs(docs: list[Doc]) -> list[Doc]:
    return [d for d in docs if d["kind"] == "Job" and "migrat" in d["metadata"]["name"]]


@pytest.mark.parametrize(
    ("values", "is_upgrade", "runs"),
    [
        ({}, False, False),  # a fresh install has nothing to migrate
        ({"migration": {"fromVersion": "0.3.2"}}, False, False),
        ({"migration": {"fromVersion": "0.3.2"}}, True, True),  # crosses 0.4.0
        ({"migration": {"fromVersion": "0.1.0"}}, True, True),
        ({"migration": {"fromVersion": "0.4.0"}}, True, False),  # already past it
        ({"migration": {"fromVersion": "0.5.1"}}, True, False),  # a downgrade-style upgrade
        ({}, True, True),  # unknown (nothing recorded in the cluster): assume older
        ({"migration": {"fromVersion": "0.3.2", "enabled": False}}, True, False),
        ({"migration": {"fromVersion": "0.3.2"}, "backend": {"enabled": False}}, True, False),
    ],
)
def test_migration_runs_only_when_an_upgrade_crosses_0_4_0(values: Values, is_upgrade: bool, runs: bool) -> None:
    docs = render(PLATFORM, values, is_upgrade=is_upgrade)
    assert bool(migration_jobs(docs)) is runs


def test_migration_is_a_pre_upgrade_hook_with_its_own_credentials() -> None:
    docs = render(PLATFORM, {"migration": {"fromVersion": "0.3.2"}}, is_upgrade=True)
    job = one(docs, "Job", "platform-migrate-0-4-0")
    secret = one(docs, "Secret", "platform-migrate-0-4-0")
    for hooked in (job, secret):
        assert hooked["metadata"]["annotations"]["helm.sh/hook"] == "pre-upgrade"
    assert int(secret["metadata"]["annotations"]["helm.sh/hook-weight"]) < int(
        job["metadata"]["annotations"]["helm.sh/hook-weight"]
    )
    container = containers(job)[0]
    assert container["args"] == ["migrate", "--from", "0.3.2", "--to", "0.4.0"]
    assert env_of(container)["IMAGING_S3_SECRET_KEY"] == ("platform-migrate-0-4-0", "secret-key")
    assert container["image"] == containers(one(docs, "Deployment", "backend"))[0]["image"]
    pod_labels = pod_template(job)["metadata"]["labels"]
    services = [d for d in docs if d["kind"] == "Service"]
    assert services
    for service in services:
        selector = service["spec"]["selector"]
        assert not all(pod_labels.get(k) == v for k, v in selector.items()), service["metadata"]["name"]


def test_an_older_chart_never_migrates(tmp_path: Path) -> None:
    """The same templates packaged as 0.3.0 (what the upgrade demo installs first) stay quiet."""
    archive = helm.package(str(PLATFORM), destination=str(tmp_path), version="0.3.0")
    chart = helm.Chart.load(archive)
    assert chart.version == "0.3.0"
    values = merged(PLATFORM_SECRETS, {"migration": {"fromVersion": "0.2.0"}})
    docs = parse(chart.render(values, name="platform", namespace="services", is_upgrade=True))
    assert migration_jobs(docs) == []
    assert one(docs, "ConfigMap", "platform-version")["data"]["chartVersion"] == "0.3.0"


def test_migration_rejects_a_version_that_is_not_semver() -> None:
    assert "fromVersion" in render_error(PLATFORM, {"migration": {"fromVersion": "last-week"}}, is_upgrade=True)


# ---------------------------------------------------------------- imaging: extensions


@cache
def chart_yaml(chart_dir: Path) -> Values:
    return read_yaml(chart_dir / "Chart.yaml")


def annotations_of(name: str) -> dict[str, str]:
    annotations: dict[str, str] = chart_yaml(EXTENSIONS / name)["annotations"]
    return annotations


@cache
def schema_of(chart_dir: Path) -> Values:
    loaded: Values = json.loads((chart_dir / "values.schema.json").read_text())
    return loaded


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("-")[0].split("."))


def test_the_catalog_holds_exactly_the_four_extensions() -> None:
    assert sorted(p.parent.name for p in EXTENSIONS.glob("*/Chart.yaml")) == sorted(EXTENSION_NAMES)


@pytest.mark.parametrize(
    ("name", "kind", "multi", "gpu"),
    [
        ("jupyterlab", "application", "false", "false"),
        ("nnunet-workflow", "workflow", "true", "true"),
        ("total-segmentator-workflow", "workflow", "true", "false"),
        ("workflow-base", "workflow", "false", "false"),
    ],
)
def test_extension_metadata(name: str, kind: str, multi: str, gpu: str) -> None:
    annotations = annotations_of(name)
    assert annotations["helmdeck.dev/kind"] == kind
    assert annotations["helmdeck.dev/multi-install"] == multi
    assert annotations["helmdeck.dev/requires-gpu"] == gpu
    for key in ("display-name", "description", "docs"):
        assert annotations[f"helmdeck.dev/{key}"].strip(), key
    docs = annotations["helmdeck.dev/docs"]
    assert docs.startswith("https://") or (EXTENSIONS / name / docs).is_file(), docs


@pytest.mark.parametrize("name", ["nnunet-workflow", "total-segmentator-workflow"])
def test_workflows_require_a_workflow_base_the_catalog_satisfies(name: str) -> None:
    requirement = annotations_of(name)["helmdeck.dev/requires"]
    match = re.fullmatch(r"([a-z0-9-]+)>=([0-9.]+)", requirement)
    assert match, requirement
    required, minimum = match.groups()
    assert required == "workflow-base"
    assert version_tuple(chart_yaml(EXTENSIONS / required)["version"]) >= version_tuple(minimum)
    config_map = read_yaml(EXTENSIONS / name / "values.yaml")["workflowBase"]["configMap"]
    assert kinds(render(EXTENSIONS / required)) >= {("ConfigMap", config_map)}


@pytest.mark.parametrize("name", EXTENSION_NAMES)
def test_extension_schema_types_every_parameter_with_its_default(name: str) -> None:
    schema = schema_of(EXTENSIONS / name)
    jsonschema.Draft7Validator.check_schema(schema)
    defaults = read_yaml(EXTENSIONS / name / "values.yaml")
    jsonschema.Draft7Validator(schema).validate(defaults)
    parameters = schema["properties"]["parameters"]
    assert set(parameters["properties"]) == set(defaults["parameters"])
    for key, spec in parameters["properties"].items():
        assert spec["description"] and spec["title"], key
        assert spec["default"] == defaults["parameters"][key], key
        assert "type" in spec, key


@pytest.mark.parametrize(
    ("name", "key", "shape"),
    [
        ("jupyterlab", "storageSize", "string"),
        ("jupyterlab", "tokenless", "boolean"),
        ("jupyterlab", "profile", "enum"),
        ("nnunet-workflow", "task", "enum"),
        ("nnunet-workflow", "epochs", "number"),
        ("nnunet-workflow", "modalities", "multiple choice"),
        ("total-segmentator-workflow", "fast", "boolean"),
        ("total-segmentator-workflow", "outputFormat", "enum"),
        ("workflow-base", "retries", "integer"),
    ],
)
def test_parameter_shapes(name: str, key: str, shape: str) -> None:
    spec = schema_of(EXTENSIONS / name)["properties"]["parameters"]["properties"][key]
    if shape == "enum":
        assert spec["type"] == "string" and len(spec["enum"]) > 1 and spec["default"] in spec["enum"]
    elif shape == "multiple choice":
        assert spec["type"] == "array" and spec["uniqueItems"] is True
        assert set(spec["default"]) <= set(spec["items"]["enum"])
    else:
        assert spec["type"] == shape and "enum" not in spec


@pytest.mark.parametrize("name", EXTENSION_NAMES)
def test_extensions_take_the_platform_globals(name: str) -> None:
    values = {"global": {**LAB2, "registry": "registry.lab2.org/imaging", "podAnnotations": {FAIL: "job-fail"}}}
    docs = render(EXTENSIONS / name, values, namespace="lab2-extensions")
    assert workloads(docs), name
    for doc in workloads(docs):
        assert pod_annotations(doc)[FAIL] == "job-fail"
        assert all(c["image"].startswith("registry.lab2.org/imaging/") for c in containers(doc))
    # some extensions mount no host path (jupyterlab): those that do mount one under the instance's dir
    assert all(path.startswith("/data/imaging/fast/lab2/") for path in host_paths(docs))
    config = one(docs, "ConfigMap") if name != "jupyterlab" else {}
    if name == "workflow-base":
        assert config["data"]["WORKFLOW_JOBS_NAMESPACE"] == "lab2-jobs"
        assert config["data"]["WORKFLOW_FAST_DATA_DIR"] == "/data/imaging/fast/lab2/workflows"
    elif name == "jupyterlab":
        env = env_of(containers(one(docs, "Deployment"))[0])
        assert env["IMAGING_S3_ENDPOINT"] == "http://object-store.lab2-services.svc:9000"
        assert one(docs, "Ingress")["spec"]["rules"][0]["host"] == "lab2.imaging.localtest.me"
    else:
        definition = yaml.safe_load(config["data"]["workflow.yaml"])
        assert definition["namespace"] == "lab2-jobs"
        assert definition["image"].startswith("registry.lab2.org/imaging/")


def test_multi_install_workflows_name_everything_after_the_release() -> None:
    chart = EXTENSIONS / "nnunet-workflow"
    liver = render(chart, {"parameters": {"task": "Task003_Liver"}}, name="nnunet-liver")
    prostate = render(chart, {"parameters": {"task": "Task005_Prostate"}}, name="nnunet-prostate")
    assert not {d["metadata"]["name"] for d in liver} & {d["metadata"]["name"] for d in prostate}
    definition = yaml.safe_load(one(liver, "ConfigMap")["data"]["workflow.yaml"])
    assert definition["name"] == "nnunet-liver"
    assert one(liver, "ConfigMap")["metadata"]["labels"]["imaging.helmdeck.dev/workflow"] == "nnunet-liver"


def test_workflow_base_keeps_a_fixed_name_so_dependents_find_it() -> None:
    docs = render(EXTENSIONS / "workflow-base", name="lab2-workflow-base")
    assert ("ConfigMap", "workflow-base") in kinds(docs)


def test_workflow_jobs_are_renamed_when_their_pod_changes() -> None:
    """Jobs are immutable: a changed pod template must become a new Job, not a failed patch."""
    chart = EXTENSIONS / "nnunet-workflow"

    def job_name(values: Values) -> str:
        return str(one(render(chart, values), "Job")["metadata"]["name"])

    assert job_name({}) == job_name({})
    assert job_name({}) != job_name({"parameters": {"task": "Task002_Heart"}})
    assert len(job_name({})) <= 63


def test_nnunet_needs_a_gpu_for_its_check_and_its_predictions() -> None:
    docs = render(EXTENSIONS / "nnunet-workflow", {"gpu": {"count": 2}, "parameters": {"modalities": ["CT", "MR"]}})
    job = one(docs, "Job")
    assert containers(job)[0]["resources"]["limits"][GPU] == "2"
    assert {"key": GPU, "operator": "Exists", "effect": "NoSchedule"} in pod_template(job)["spec"]["tolerations"]
    definition = yaml.safe_load(one(docs, "ConfigMap")["data"]["workflow.yaml"])
    predict = next(s for s in definition["steps"] if s["name"] == "predict")
    assert predict["resources"]["limits"][GPU] == "2"
    assert definition["input"]["modalities"] == ["CT", "MR"]
    assert definition["namespace"] == "jobs" and definition["base"] == "workflow-base"


def test_nnunet_rejects_unknown_choices() -> None:
    chart = EXTENSIONS / "nnunet-workflow"
    assert "modalities" in render_error(chart, {"parameters": {"modalities": ["XR"]}})
    assert "modalities" in render_error(chart, {"parameters": {"modalities": []}})
    assert "task" in render_error(chart, {"parameters": {"task": "Task999_Unknown"}})
    assert "epochs" in render_error(chart, {"parameters": {"epochs": 0}})


def test_total_segmentator_runs_on_cpus_unless_asked() -> None:
    chart = EXTENSIONS / "total-segmentator-workflow"

    def segment(values: Values) -> Doc:
        definition = yaml.safe_load(one(render(chart, values), "ConfigMap")["data"]["workflow.yaml"])
        step: Doc = next(s for s in definition["steps"] if s["name"] == "segment")
        return step

    assert GPU not in segment({})["resources"].get("limits", {})
    assert "--fast" in segment({})["args"]
    gpu = segment({"parameters": {"useGpu": True, "fast": False}})
    assert gpu["resources"]["limits"][GPU] == "1" and "--fast" not in gpu["args"]
    found = workloads(render(chart))
    assert found
    assert all(GPU not in containers(d)[0]["resources"].get("limits", {}) for d in found)


def test_jupyterlab_profiles_and_token_mode() -> None:
    chart = EXTENSIONS / "jupyterlab"
    docs = render(chart, {"parameters": {"profile": "pytorch", "storageSize": "25Gi"}})
    assert containers(one(docs, "Deployment"))[0]["image"] == "quay.io/jupyter/pytorch-notebook:2024-10-07"
    assert one(docs, "PersistentVolumeClaim")["spec"]["resources"]["requests"]["storage"] == "25Gi"
    assert not [d for d in docs if d["kind"] == "Secret"]
    ingress = one(docs, "Ingress")
    assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/auth-url"].startswith("http://proxy.admin.")
    assert "parameters.token is required" in render_error(chart, {"parameters": {"tokenless": False}})
    locked = render(chart, {"parameters": {"tokenless": False, "token": "t" * 20}})
    assert env_of(containers(one(locked, "Deployment"))[0])["JUPYTER_TOKEN"] == ("jupyterlab", "token")
    assert "profile" in render_error(chart, {"parameters": {"profile": "matlab"}})


# ---------------------------------------------------------------- imaging: platform files


@cache
def imaging_spec(file: str = "platform.yaml") -> Values:
    return read_yaml(IMAGING / file)


def imaging_components() -> dict[str, Values]:
    return {c["name"]: c for c in imaging_spec()["spec"]["components"]}


def generated_secrets(spec: Values) -> dict[str, Values]:
    """Per component, the values the declared secrets inject (fake, long enough, lengths honoured)."""
    out: dict[str, Values] = {}
    for name, declaration in spec["spec"].get("secrets", {}).items():
        length = declaration["generate"]["length"]
        for path in declaration["into"]:
            component, *keys = path.split(".")
            node = out.setdefault(component, {})
            for key in keys[:-1]:
                node = node.setdefault(key, {})
            node[keys[-1]] = (name * length)[:length]
    return out


def platform_values(base: Path, spec: Values, component: str, environment: str, file: str = "platform.yaml") -> Values:
    """What helmdeck hands the component's chart: its own layering (platform globals, environment
    files, the component's files), with fake secrets of the declared lengths."""
    fake = {
        name: (name * decl["generate"]["length"])[: decl["generate"]["length"]]
        for name, decl in spec["spec"].get("secrets", {}).items()
    }
    platform = load_platform(base / file)
    return compute_values(
        platform, component, environment, chart_defaults={}, secret_values=fake, umbrella=True
    ).user_values


def render_imaging(file: str, environment: str) -> dict[str, list[Doc]]:
    spec = imaging_spec(file)
    prefix = f"{spec['spec']['instance']}-" if spec["spec"]["instance"] else ""
    out = {}
    for component in imaging_components():
        declared = imaging_components()[component]
        values = platform_values(IMAGING, spec, component, environment, file)
        namespace = prefix + spec["spec"]["namespaces"][declared["namespace"]]
        out[component] = render(IMAGING / declared["chart"], values, minimal=False, namespace=namespace)
    return out


def test_imaging_platform_files_load_and_differ_only_by_instance() -> None:
    first, second = load_platform(IMAGING / "platform.yaml"), load_platform(IMAGING / "platform-lab2.yaml")
    assert (first.instance, second.instance) == ("", "lab2")
    assert set(first.all_namespaces()) == {"admin", "services", "jobs", "extensions"}
    assert set(second.all_namespaces()) == {"lab2-admin", "lab2-services", "lab2-jobs", "lab2-extensions"}
    assert first.data_dir("fast") == "/data/imaging/fast" and second.data_dir("fast") == "/data/imaging/fast/lab2"
    a, b = imaging_spec()["spec"], imaging_spec("platform-lab2.yaml")["spec"]
    for key in ("namespaces", "storage", "gpu", "secrets", "components", "extensions"):
        assert a[key] == b[key], key
    assert b["environments"]["demo"]["values"] == [*a["environments"]["demo"]["values"], "env/lab2.yaml"]
    # helmdeck passes the instance, its namespaces and data directories; lab2 adds only its host
    assert set(read_yaml(IMAGING / "env" / "lab2.yaml")["global"]) == {"domain"}


def test_imaging_platform_declares_its_graph_secrets_and_catalog() -> None:
    spec = imaging_spec()["spec"]
    assert imaging_components()["platform"]["needs"] == ["admin"]
    assert spec["extensions"] == {"catalog": ["extensions/"], "preinstall": ["workflow-base"]}
    assert (spec["gpu"], spec["instance"]) == ("auto", "")
    for preinstalled in spec["extensions"]["preinstall"]:
        assert (IMAGING / spec["extensions"]["catalog"][0] / preinstalled / "Chart.yaml").is_file()


def chart_has_value(chart_dir: Path, path: list[str]) -> bool:
    """Whether ``path`` is a value of the chart or, through its first key, of a subchart."""
    node: Any = read_yaml(chart_dir / "values.yaml")
    sub = chart_dir / "charts" / path[0]
    if sub.is_dir():
        node, path = read_yaml(sub / "values.yaml"), path[1:]
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return False
        node = node[key]
    return True


def test_every_imaging_secret_lands_on_a_value_its_chart_declares() -> None:
    for name, declaration in imaging_spec()["spec"]["secrets"].items():
        assert "generate" in declaration, name
        for target in declaration["into"]:
            component, *path = target.split(".")
            chart_dir = IMAGING / imaging_components()[component]["chart"]
            assert chart_has_value(chart_dir, path), f"secret {name}: {component} has no value {'.'.join(path)}"


@pytest.mark.parametrize(("file", "environment"), [("platform.yaml", "demo"), ("platform.yaml", "prod"),
                                                   ("platform-lab2.yaml", "demo")])  # fmt: skip
def test_imaging_environments_render(file: str, environment: str) -> None:
    docs = render_imaging(file, environment)
    assert (
        one(docs["admin"], "Ingress")["spec"]["rules"][0]["host"]
        == {
            "demo": "lab2.imaging.localtest.me" if "lab2" in file else "imaging.localtest.me",
            "prod": "imaging.example.org",
        }[environment]
    )
    if environment == "prod":
        assert host_paths(docs["platform"]) and not [
            d for d in docs["platform"] if d["kind"] == "PersistentVolumeClaim"
        ]
        assert one(docs["platform"], "Service", "image-archive")["spec"]["ports"][0]["nodePort"] == 31112


def test_two_imaging_instances_share_no_object_directory_or_host() -> None:
    def footprint(file: str) -> tuple[set[tuple[str, str, str]], set[str], set[str]]:
        objects: set[tuple[str, str, str]] = set()
        paths: set[str] = set()
        hosts: set[str] = set()
        for component, docs in render_imaging(file, "demo").items():
            declared = imaging_components()[component]
            instance = imaging_spec(file)["spec"]["instance"]
            default_ns = (f"{instance}-" if instance else "") + declared["namespace"]
            for doc in docs:
                objects.add((doc["metadata"].get("namespace", default_ns), doc["kind"], doc["metadata"]["name"]))
                if doc["kind"] == "Ingress":
                    hosts |= {rule["host"] for rule in doc["spec"]["rules"]}
            paths |= host_paths(docs)
            claims = [d for d in docs if d["kind"] == "PersistentVolumeClaim"]
            paths |= {c["metadata"]["annotations"]["imaging.helmdeck.dev/data-dir"] for c in claims}
        return objects, paths, hosts

    def disjoint(mine: set[Any], theirs: set[Any]) -> None:
        assert mine and theirs and not mine & theirs, mine & theirs

    (objects, paths, hosts), (objects2, paths2, hosts2) = footprint("platform.yaml"), footprint("platform-lab2.yaml")
    disjoint(objects, objects2)
    disjoint(paths, paths2)
    disjoint(hosts, hosts2)


def test_imaging_without_its_secrets_fails_with_required() -> None:
    spec = imaging_spec()
    for component in ("admin", "platform"):
        values = platform_values(IMAGING, spec, component, "demo")
        values = {k: v for k, v in values.items() if k == "global"}
        chart_dir = IMAGING / imaging_components()[component]["chart"]
        with pytest.raises(helm.HelmError, match="is required"):
            load(chart_dir).render(values, name=component, namespace="services")


# ---------------------------------------------------------------- archive


def test_archive_without_a_secrets_key_fails_naming_it() -> None:
    for key in SECRET_KEYS:
        values = copy.deepcopy(ARCHIVE_SECRETS)
        del values["secrets"][key]
        message = render_error(ARCHIVE_CHART, values, minimal=False)
        assert "/secrets" in message and f"'{key}'" in message
        assert not [other for other in SECRET_KEYS if other != key and f"'{other}'" in message]


def test_archive_without_any_secrets_names_all_four() -> None:
    message = render_error(ARCHIVE_CHART, {}, minimal=False)
    assert all(f"'{key}'" in message for key in SECRET_KEYS), message


def test_archive_templates_name_the_key_when_schema_checks_are_skipped(tmp_path: Path) -> None:
    """`required` backs up the schema (helm --skip-schema-validation, other engines)."""
    copied = tmp_path / "archive"
    shutil.copytree(ARCHIVE_CHART, copied)
    (copied / "values.schema.json").unlink()
    values = copy.deepcopy(ARCHIVE_SECRETS)
    del values["secrets"]["s3SecretKey"]
    with pytest.raises(helm.HelmError, match=r"secrets\.s3SecretKey is required: set it in your secrets file"):
        helm.Chart.load(str(copied)).render(values, name="archive", namespace="services")


def test_archive_refuses_the_example_placeholders() -> None:
    values = merged(ARCHIVE_SECRETS, {"secrets": {"jwtSecret": "<at least 32 random characters, really>"}})
    message = render_error(ARCHIVE_CHART, values, minimal=False)
    assert "secrets.jwtSecret still holds the placeholder from secrets.example.yaml" in message


def test_the_secrets_example_lists_exactly_the_required_keys() -> None:
    example = read_yaml(ARCHIVE / "secrets.example.yaml")
    assert set(example) == {"secrets"}
    required = schema_of(ARCHIVE_CHART)["properties"]["secrets"]["required"]
    assert sorted(example["secrets"]) == sorted(required) == sorted(SECRET_KEYS)
    assert all(str(v).startswith("<") and str(v).endswith(">") for v in example["secrets"].values())
    ignored = (ARCHIVE / ".gitignore").read_text().split()
    assert "secrets.yaml" in ignored and "!secrets.example.yaml" in ignored


@pytest.mark.parametrize("workers", [1, 3])
def test_one_service_per_worker(workers: int) -> None:
    docs = render(ARCHIVE_CHART, {"worker": {"replicas": workers}}, name="archive")
    statefulset = one(docs, "StatefulSet", "archive-dataset-worker")
    assert statefulset["spec"]["replicas"] == workers
    assert statefulset["spec"]["serviceName"] == "archive-dataset-worker"
    pod_labels = pod_template(statefulset)["metadata"]["labels"]
    for i in range(workers):
        selector = one(docs, "Service", f"archive-dataset-worker-{i}")["spec"]["selector"]
        assert selector["statefulset.kubernetes.io/pod-name"] == f"archive-dataset-worker-{i}"
        assert all(pod_labels[k] == v for k, v in selector.items() if k != "statefulset.kubernetes.io/pod-name")
    per_worker = [
        d for d in docs if d["kind"] == "Service" and re.fullmatch(r".*-dataset-worker-\d+", d["metadata"]["name"])
    ]
    assert len(per_worker) == workers
    env = env_of(containers(one(docs, "Deployment", "archive-api"))[0])
    assert env["ARCHIVE_WORKERS"] == str(workers)
    assert env["ARCHIVE_WORKER_SERVICE"] == "archive-dataset-worker-{n}:8080"


def test_workers_keep_a_data_claim_each() -> None:
    statefulset = one(render(ARCHIVE_CHART, {"worker": {"persistence": {"size": "7Gi"}}}), "StatefulSet")
    claim = statefulset["spec"]["volumeClaimTemplates"][0]
    assert claim["metadata"]["name"] == "datasets"
    assert claim["spec"]["resources"]["requests"]["storage"] == "7Gi"
    assert statefulset["spec"]["persistentVolumeClaimRetentionPolicy"]["whenDeleted"] == "Retain"


def test_archive_nightly_cronjob() -> None:
    docs = render(ARCHIVE_CHART, name="archive")
    cronjob = one(docs, "CronJob", "archive-reindex")
    assert cronjob["spec"]["schedule"] == "0 3 * * *"
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    container = containers(cronjob)[0]
    assert env_of(container)["ARCHIVE_MONGO_URI"] == ("archive-secrets", "mongo-uri")
    assert not [d for d in render(ARCHIVE_CHART, {"reindex": {"enabled": False}}) if d["kind"] == "CronJob"]


def test_archive_api_web_ingress_and_redis_wiring() -> None:
    docs = render(ARCHIVE_CHART, name="archive")
    assert {("Deployment", "archive-api"), ("Service", "archive-api"), ("Deployment", "archive-web"),
            ("Service", "archive-web"), ("Deployment", "archive-redis"), ("Service", "archive-redis"),
            ("NetworkPolicy", "archive-redis"), ("Secret", "archive-secrets")} <= kinds(docs)  # fmt: skip
    paths = {
        p["path"]: p["backend"]["service"]["name"] for p in one(docs, "Ingress")["spec"]["rules"][0]["http"]["paths"]
    }
    assert paths == {"/crn": "archive-api", "/": "archive-web"}
    env = env_of(containers(one(docs, "Deployment", "archive-api"))[0])
    assert env["ARCHIVE_REDIS_HOST"] == "archive-redis"
    assert env["ARCHIVE_JWT_SECRET"] == ("archive-secrets", "jwt-secret")
    assert one(docs, "Deployment", "archive-redis")["metadata"]["labels"]["app.kubernetes.io/part-of"] == "archive"
    without = render(ARCHIVE_CHART, {"redis": {"enabled": False, "host": "redis.shared.svc"}}, name="archive")
    assert not [d for d in without if d["metadata"]["name"] == "archive-redis"]
    assert env_of(containers(one(without, "Deployment", "archive-api"))[0])["ARCHIVE_REDIS_HOST"] == "redis.shared.svc"


def test_redis_is_vendored_pinned_and_matches_its_source() -> None:
    declared = chart_yaml(ARCHIVE_CHART)["dependencies"]
    assert declared == [
        {"name": "redis-lite", "version": "0.1.0", "repository": "file://../../vendor/redis-lite",
         "alias": "redis", "condition": "redis.enabled"}
    ]  # fmt: skip
    lock = read_yaml(ARCHIVE_CHART / "Chart.lock")
    assert [(d["name"], d["version"], d["repository"]) for d in lock["dependencies"]] == [
        ("redis-lite", "0.1.0", "file://../../vendor/redis-lite")
    ]
    assert lock["digest"].startswith("sha256:")
    assert [(d["name"], d["status"]) for d in helm.dependency_list(str(ARCHIVE_CHART))] == [("redis-lite", "ok")]
    assert chart_yaml(REDIS)["version"] == "0.1.0"
    vendored = ARCHIVE_CHART / "charts" / "redis-lite-0.1.0.tgz"
    with tarfile.open(vendored) as archive:
        packaged = {
            m.name.removeprefix("redis-lite/"): archive.extractfile(m).read()  # type: ignore[union-attr]
            for m in archive.getmembers()
            if m.isfile()
        }
    source = {str(p.relative_to(REDIS)): p.read_bytes() for p in REDIS.rglob("*") if p.is_file()}
    stale = "vendor/redis-lite changed: re-vendor it (see examples/archive/README.md)"
    # Packaging rewrites Chart.yaml from the parsed metadata; every other file is copied as is.
    assert yaml.safe_load(packaged.pop("Chart.yaml")) == yaml.safe_load(source.pop("Chart.yaml")), stale
    assert packaged == source, stale


@pytest.fixture
def archive_copy(tmp_path: Path) -> Path:
    """The archive example with a filled-in secrets.yaml, as an operator would have it."""
    copied = tmp_path / "archive"
    shutil.copytree(ARCHIVE, copied, ignore=shutil.ignore_patterns("secrets.yaml"))
    (copied / "secrets.yaml").write_text(yaml.safe_dump(ARCHIVE_SECRETS))
    return copied


def test_archive_platform_without_its_secrets_file_names_the_file(tmp_path: Path) -> None:
    copied = tmp_path / "archive"
    shutil.copytree(ARCHIVE, copied, ignore=shutil.ignore_patterns("secrets.yaml"))
    with pytest.raises(PlatformFileError) as caught:
        load_platform(copied / "platform.yaml")
    assert "secrets.yaml' does not exist" in str(caught.value)


@pytest.mark.parametrize("environment", ["demo", "prod"])
def test_archive_environments_render_with_the_secrets_file(archive_copy: Path, environment: str) -> None:
    platform = load_platform(archive_copy / "platform.yaml")
    assert platform.component_names == ["archive"]
    assert [p.name for p in platform.component("archive").environments[environment].values] == ["secrets.yaml"]
    spec = read_yaml(archive_copy / "platform.yaml")
    values = platform_values(archive_copy, spec, "archive", environment)
    docs = render(ARCHIVE_CHART, values, minimal=False, name="archive")
    workers = {"demo": 2, "prod": 4}[environment]
    assert len([d for d in docs if re.fullmatch(r"archive-dataset-worker-\d+", d["metadata"]["name"])]) == workers


def test_archive_secrets_file_missing_a_key_fails_naming_it(archive_copy: Path) -> None:
    secrets = read_yaml(archive_copy / "secrets.yaml")
    del secrets["secrets"]["mongoUri"]
    (archive_copy / "secrets.yaml").write_text(yaml.safe_dump(secrets))
    values = platform_values(archive_copy, read_yaml(archive_copy / "platform.yaml"), "archive", "demo")
    with pytest.raises(helm.HelmError, match="mongoUri"):
        load(ARCHIVE_CHART).render(values, name="archive", namespace="services")
