"""The charts under examples/ render with Helm's engine in every topology and auth mode.

Rendering is offline (helm_python, no cluster). The platform-level tests layer the values the
way ARCHITECTURE.md describes (component files < environment files < secrets) with a small
Helm-style merge, so they do not depend on helmdeck's own values code.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import helm_python as helm
import pytest
import yaml

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DASHBOARDS = EXAMPLES / "dashboards"
CHARTS = DASHBOARDS / "charts"
NAMESPACE = "services"
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job"}
FAIL = "sandbox.helmdeck.dev/fail"

Doc = dict[str, Any]

# The least each chart needs to render: the passwords helmdeck would inject.
MINIMAL: dict[str, dict[str, Any]] = {
    "hello": {},
    "mongo": {"auth": {"rootPassword": "mongo-pass-0123456789"}},
    "redis": {"auth": {"password": "redis-pass-0123456789"}},
    "minio": {"auth": {"rootUser": "dashboards", "rootPassword": "minio-pass-0123456789"}},
    "backend": {
        "mongo": {"password": "mongo-pass-0123456789"},
        "minio": {"accessKey": "dashboards", "secretKey": "minio-pass-0123456789"},
    },
    "viewer": {},
    "celery-worker": {"redis": {"password": "redis-pass-0123456789"}},
    "ingress": {},
}


def chart_dirs() -> list[Path]:
    # the dashboards platform and the sample chart; imaging and archive have a test file of their own
    roots = (DASHBOARDS, EXAMPLES / "charts")
    return sorted(p.parent for root in roots for p in root.rglob("Chart.yaml"))


@cache
def load(chart_dir: Path) -> helm.Chart:
    return helm.Chart.load(str(chart_dir))


def merged(*layers: dict[str, Any]) -> dict[str, Any]:
    """Helm's map merge: later layers win, maps merge key by key, null deletes."""
    out: dict[str, Any] = {}
    for layer in layers:
        for key, value in layer.items():
            if value is None:
                out.pop(key, None)
            elif isinstance(value, dict) and isinstance(out.get(key), dict):
                out[key] = merged(out[key], value)
            else:
                out[key] = copy.deepcopy(value)
    return out


def render(chart: str | Path, values: dict[str, Any] | None = None, *, minimal: bool = True) -> list[Doc]:
    """Render with the chart's MINIMAL values underneath (unless minimal=False) and parse."""
    chart_dir = chart if isinstance(chart, Path) else CHARTS / chart
    base = MINIMAL[chart_dir.name] if minimal else {}
    manifests = load(chart_dir).render(merged(base, values or {}), name=chart_dir.name, namespace=NAMESPACE)
    return [
        doc
        for path, text in sorted(manifests.items())
        if path.endswith(".yaml")
        for doc in yaml.load_all(text, Loader=yaml.CSafeLoader)
        if doc
    ]


def render_error(chart: str, values: dict[str, Any], *, minimal: bool = False) -> str:
    base = MINIMAL[chart] if minimal else {}
    with pytest.raises(helm.HelmError) as caught:
        load(CHARTS / chart).render(merged(base, values), name=chart, namespace=NAMESPACE)
    return str(caught.value)


def one(docs: list[Doc], kind: str, name: str | None = None) -> Doc:
    found = [d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]
    assert len(found) == 1, f"expected one {kind} {name or ''}, got {[d['metadata']['name'] for d in found]}"
    return found[0]


def kinds(docs: list[Doc]) -> list[tuple[str, str]]:
    return sorted((d["kind"], d["metadata"]["name"]) for d in docs)


def workloads(docs: list[Doc]) -> list[Doc]:
    return [d for d in docs if d["kind"] in WORKLOAD_KINDS]


def containers(doc: Doc) -> list[Doc]:
    spec = doc["spec"]["template"]["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


def env_of(container: Doc) -> dict[str, Any]:
    """name -> value, or -> (secret name, key) for secret references."""
    out: dict[str, Any] = {}
    for item in container.get("env", []):
        ref = item.get("valueFrom", {}).get("secretKeyRef")
        out[item["name"]] = (ref["name"], ref["key"]) if ref else item.get("value")
    return out


def pod_annotations(doc: Doc) -> dict[str, str]:
    annotations: dict[str, str] = doc["spec"]["template"]["metadata"].get("annotations", {})
    return annotations


def ingress_routes(docs: list[Doc]) -> dict[str, dict[str, tuple[str, int]]]:
    """Ingress name -> {host+path: (service, port)}."""
    out: dict[str, dict[str, tuple[str, int]]] = {}
    for ing in (d for d in docs if d["kind"] == "Ingress"):
        routes: dict[str, tuple[str, int]] = {}
        for rule in ing["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                service = path["backend"]["service"]
                routes[rule["host"] + path["path"]] = (service["name"], service["port"]["number"])
        out[ing["metadata"]["name"]] = routes
    return out


# ---------------------------------------------------------------- every chart


@pytest.mark.parametrize("chart_dir", chart_dirs(), ids=lambda p: p.name)
def test_chart_lints_clean(chart_dir: Path) -> None:
    report = helm.lint(str(chart_dir), MINIMAL[chart_dir.name], strict=True, namespace=NAMESPACE)
    problems = [m for m in report["messages"] if m["severity"] >= 2]
    assert problems == [] and report["errors"] == []


@pytest.mark.parametrize("chart_dir", [p for p in chart_dirs() if p.name != "ingress"], ids=lambda p: p.name)
def test_every_workload_takes_pod_annotations(chart_dir: Path) -> None:
    """The sandbox's failure stages are chosen by pod annotation: every pod must accept one."""
    values: dict[str, Any] = {"podAnnotations": {FAIL: "crash-loop"}}
    if chart_dir.name == "backend":
        values["migrations"] = {"enabled": True}
    found = workloads(render(chart_dir, values))
    assert found, "a chart with pods renders at least one workload"
    for doc in found:
        assert pod_annotations(doc).get(FAIL) == "crash-loop", doc["metadata"]["name"]


@pytest.mark.parametrize("chart", ["mongo", "redis", "minio", "backend", "viewer", "celery-worker"])
def test_global_pod_annotations_reach_every_pod_and_chart_values_win(chart: str) -> None:
    values = {
        "global": {"podAnnotations": {"sandbox.helmdeck.dev/ready-after": "5s", FAIL: "image-pull"}},
        "podAnnotations": {FAIL: "init-fail"},
    }
    found = workloads(render(chart, values))
    assert found, chart
    for doc in found:
        annotations = pod_annotations(doc)
        assert annotations["sandbox.helmdeck.dev/ready-after"] == "5s"
        assert annotations[FAIL] == "init-fail"


@pytest.mark.parametrize("chart_dir", chart_dirs(), ids=lambda p: p.name)
def test_pods_are_pinned_bounded_and_unprivileged(chart_dir: Path) -> None:
    values = {"migrations": {"enabled": True}} if chart_dir.name == "backend" else {}
    for doc in workloads(render(chart_dir, values)):
        pod = doc["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["automountServiceAccountToken"] is False
        for container in containers(doc):
            image = container["image"]
            assert ":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest"), image
            assert container["resources"]["requests"], container["name"]
            assert container["securityContext"]["allowPrivilegeEscalation"] is False


@pytest.mark.parametrize("chart_dir", chart_dirs(), ids=lambda p: p.name)
def test_objects_carry_the_standard_labels(chart_dir: Path) -> None:
    docs = render(chart_dir)
    assert docs
    for doc in docs:
        labels = doc["metadata"]["labels"]
        for key in ("name", "instance", "version", "managed-by"):
            assert f"app.kubernetes.io/{key}" in labels, (doc["kind"], key)
        if chart_dir.parent == CHARTS:
            assert labels["app.kubernetes.io/part-of"] == "dashboards"


def test_a_registry_mirror_and_pull_secrets_apply_to_every_image() -> None:
    values = {"global": {"imageRegistry": "mirror.local", "imagePullSecrets": ["registry"]}}
    for chart in ("mongo", "backend", "celery-worker"):
        found = workloads(render(chart, values))
        assert found, chart
        for doc in found:
            assert doc["spec"]["template"]["spec"]["imagePullSecrets"] == [{"name": "registry"}]
            assert all(c["image"].startswith("mirror.local/") for c in containers(doc))


def test_schema_rejects_a_misspelt_key_and_a_non_string_annotation() -> None:
    assert "replicaCount" in render_error("backend", {"replicaCount": 2}, minimal=True)
    assert "podAnnotations" in render_error("viewer", {"podAnnotations": {FAIL: 5}})


# ---------------------------------------------------------------- hello


def test_hello_is_two_replicas_behind_a_service() -> None:
    docs = render(EXAMPLES / "charts" / "hello")
    assert kinds(docs) == [("Deployment", "hello"), ("Service", "hello")]
    deployment = one(docs, "Deployment")
    assert deployment["spec"]["replicas"] == 2
    assert one(docs, "Service")["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]


# ---------------------------------------------------------------- mongo, redis, minio


def test_mongo_is_a_stateful_set_with_a_claim_and_a_headless_service() -> None:
    docs = render("mongo")
    statefulset = one(docs, "StatefulSet", "mongo")
    claim = statefulset["spec"]["volumeClaimTemplates"][0]
    assert claim["spec"]["resources"]["requests"]["storage"] == "8Gi"
    assert "storageClassName" not in claim["spec"], "empty storageClass means the cluster default"
    assert one(docs, "Service", "mongo")["spec"]["clusterIP"] == "None"
    assert statefulset["spec"]["serviceName"] == "mongo"
    env = env_of(containers(statefulset)[0])
    assert env["MONGO_INITDB_ROOT_PASSWORD"] == ("mongo", "mongodb-root-password")
    assert one(docs, "Secret", "mongo")["data"]["mongodb-root-password"]


def test_mongo_without_a_password_fails_with_a_required_message() -> None:
    message = render_error("mongo", {})
    assert "auth.rootPassword is required" in message
    assert "no default password" in message


def test_mongo_with_an_existing_secret_creates_none() -> None:
    docs = render("mongo", {"auth": {"rootPassword": "", "existingSecret": "vault-mongo"}})
    assert not [d for d in docs if d["kind"] == "Secret"]
    env = env_of(containers(one(docs, "StatefulSet"))[0])
    assert env["MONGO_INITDB_ROOT_PASSWORD"] == ("vault-mongo", "mongodb-root-password")


def test_mongo_storage_class_comes_from_the_chart_or_global() -> None:
    def storage_class(values: dict[str, Any]) -> str:
        spec = one(render("mongo", values), "StatefulSet")["spec"]["volumeClaimTemplates"][0]["spec"]
        return str(spec["storageClassName"])

    assert storage_class({"global": {"storageClass": "standard"}}) == "standard"
    assert storage_class({"global": {"storageClass": "standard"}, "persistence": {"storageClass": "fast"}}) == "fast"


def test_redis_password_is_optional() -> None:
    open_docs = render("redis", {"auth": {"password": ""}})
    assert ("Secret", "redis") not in kinds(open_docs)
    assert "--requirepass" not in containers(one(open_docs, "Deployment"))[0]["args"]
    locked = render("redis")
    assert ("Secret", "redis") in kinds(locked)
    container = containers(one(locked, "Deployment"))[0]
    assert "--requirepass" in container["args"]
    assert env_of(container)["REDIS_PASSWORD"] == ("redis", "redis-password")


def test_minio_bundled_is_a_stateful_set_with_a_claim() -> None:
    docs = render("minio")
    statefulset = one(docs, "StatefulSet", "minio")
    assert statefulset["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "data"
    assert statefulset["spec"]["serviceName"] == "minio-headless"
    ports = {p["name"]: p["port"] for p in one(docs, "Service", "minio")["spec"]["ports"]}
    assert ports == {"s3": 9000, "console": 9001}


def test_minio_disabled_renders_nothing_and_needs_no_credentials() -> None:
    assert render("minio", {"enabled": False, "auth": {"rootUser": "", "rootPassword": ""}}) == []


@pytest.mark.parametrize(
    ("auth", "expected"),
    [
        ({"rootUser": "dashboards"}, "auth.rootPassword is required"),
        ({"rootPassword": "long-enough-password"}, "auth.rootUser is required"),
        ({"rootUser": "dashboards", "rootPassword": "short"}, "at least 8 characters"),
    ],
)
def test_minio_credentials_are_required(auth: dict[str, str], expected: str) -> None:
    assert expected in render_error("minio", {"auth": auth})


# ---------------------------------------------------------------- backend


def backend_config(docs: list[Doc]) -> dict[str, str]:
    data: dict[str, str] = one(docs, "ConfigMap", "backend")["data"]
    return data


def backend_env(docs: list[Doc]) -> dict[str, Any]:
    return env_of(containers(one(docs, "Deployment", "backend"))[0])


def test_backend_single_user_needs_no_signing_key() -> None:
    docs = render("backend", {"auth": {"mode": "single-user"}})
    assert backend_config(docs)["DASH_AUTH_MODE"] == "single-user"
    assert backend_config(docs)["DASH_AUTH_SINGLE_USER_EMAIL"]
    env = backend_env(docs)
    assert env and "DASH_AUTH_JWT_SECRET" not in env


@pytest.mark.parametrize("mode", ["public", "multi-user"])
def test_backend_signing_modes_without_a_secret_fail(mode: str) -> None:
    message = render_error("backend", {"auth": {"mode": mode}}, minimal=True)
    assert f"auth.jwtSecret is required in auth.mode {mode}" in message


@pytest.mark.parametrize("mode", ["public", "multi-user"])
def test_backend_signing_modes_with_a_secret_render(mode: str) -> None:
    docs = render("backend", {"auth": {"mode": mode, "jwtSecret": "jwt-0123456789"}})
    assert backend_config(docs)["DASH_AUTH_MODE"] == mode
    assert backend_env(docs)["DASH_AUTH_JWT_SECRET"] == ("backend", "jwt-secret")
    assert "jwt-secret" in one(docs, "Secret", "backend")["data"]


def test_backend_multi_user_signing_key_may_come_from_an_existing_secret() -> None:
    docs = render("backend", {"auth": {"mode": "multi-user", "existingSecret": "sso"}})
    assert backend_env(docs)["DASH_AUTH_JWT_SECRET"] == ("sso", "jwt-secret")
    assert "jwt-secret" not in one(docs, "Secret", "backend")["data"]


def test_backend_oauth_client_id_needs_its_secret() -> None:
    google = {"clientId": "app.apps.googleusercontent.com"}
    values = {"auth": {"mode": "multi-user", "jwtSecret": "j" * 32, "multiUser": {"oauth": {"google": google}}}}
    assert "clientSecret is required" in render_error("backend", values, minimal=True)
    google["clientSecret"] = "shh"
    docs = render("backend", values)
    assert backend_config(docs)["DASH_AUTH_GOOGLE_CLIENT_ID"] == google["clientId"]
    assert backend_env(docs)["DASH_AUTH_GOOGLE_CLIENT_SECRET"] == ("backend", "google-client-secret")


def test_backend_rejects_an_unknown_auth_mode() -> None:
    assert "auth/mode" in render_error("backend", {"auth": {"mode": "everyone"}}, minimal=True)


def test_backend_uses_the_bundled_object_store_by_default() -> None:
    docs = render("backend")
    config = backend_config(docs)
    assert config["DASH_S3_ENDPOINT"] == "http://minio:9000"
    assert config["DASH_S3_EXTERNAL"] == "false"
    assert backend_env(docs)["DASH_S3_SECRET_KEY"] == ("backend", "secret-key")


def test_backend_external_object_store_needs_an_endpoint() -> None:
    message = render_error("backend", {"minio": {"external": True}}, minimal=True)
    assert "minio.endpoint is required when minio.external is true" in message


def test_backend_external_object_store_with_an_existing_secret() -> None:
    external = {
        "external": True,
        "endpoint": "https://s3.example.org",
        "bucket": "lab",
        "existingSecret": "s3",
    }
    docs = render("backend", {"minio": external})
    config = backend_config(docs)
    assert (config["DASH_S3_ENDPOINT"], config["DASH_S3_EXTERNAL"], config["DASH_S3_BUCKET"]) == (
        "https://s3.example.org",
        "true",
        "lab",
    )
    assert backend_env(docs)["DASH_S3_ACCESS_KEY"] == ("s3", "access-key")
    assert "secret-key" not in one(docs, "Secret", "backend")["data"]


def test_backend_without_credentials_names_each_missing_value() -> None:
    assert "mongo.password is required" in render_error("backend", {})
    assert "minio.secretKey is required" in render_error(
        "backend", {"mongo": {"password": "p"}, "minio": {"accessKey": "a"}}
    )


def test_backend_migrations_run_as_a_pre_install_and_pre_upgrade_hook() -> None:
    assert not [d for d in render("backend") if d["kind"] == "Job"]
    docs = render("backend", {"migrations": {"enabled": True, "podAnnotations": {FAIL: "crash-loop"}}})
    job = one(docs, "Job", "backend-migrations")
    secret = one(docs, "Secret", "backend-migrations")
    for hook in (job, secret):
        assert hook["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    weight = "helm.sh/hook-weight"
    assert int(secret["metadata"]["annotations"][weight]) < int(job["metadata"]["annotations"][weight])
    assert env_of(containers(job)[0])["DASH_MONGO_PASSWORD"] == (
        "backend-migrations",
        "mongodb-root-password",
    )
    assert pod_annotations(job)[FAIL] == "crash-loop"
    assert FAIL not in pod_annotations(one(docs, "Deployment"))
    selector = one(docs, "Deployment")["spec"]["selector"]["matchLabels"]
    pod_labels = job["spec"]["template"]["metadata"]["labels"]
    assert not all(pod_labels.get(k) == v for k, v in selector.items()), "the API must not select the hook pod"


def test_backend_pods_restart_when_a_credential_changes() -> None:
    def checksum(password: str) -> str:
        docs = render("backend", {"mongo": {"password": password}})
        return pod_annotations(one(docs, "Deployment"))["checksum/secret"]

    assert checksum("one-password") != checksum("another-password")


# ---------------------------------------------------------------- viewer, celery-worker


def test_viewer_points_at_the_backend() -> None:
    docs = render("viewer", {"publicApiUrl": "https://api.example.org"})
    env = env_of(containers(one(docs, "Deployment", "viewer"))[0])
    assert env["DASH_BACKEND_URL"] == "http://backend:8058/api"
    assert env["DASH_PUBLIC_API_URL"] == "https://api.example.org"
    assert one(docs, "Service", "viewer")["spec"]["ports"][0]["port"] == 5080


def test_celery_worker_consumes_its_queues_from_redis() -> None:
    docs = render("celery-worker", {"replicas": 3, "concurrency": 8, "queues": ["a", "b"]})
    deployment = one(docs, "Deployment", "celery-worker")
    assert deployment["spec"]["replicas"] == 3
    container = containers(deployment)[0]
    assert {"--concurrency=8", "--queues=a,b"} <= set(container["command"])
    env = env_of(container)
    assert env["DASH_REDIS_HOST"] == "redis"
    assert env["DASH_REDIS_PASSWORD"] == ("celery-worker", "redis-password")
    no_password = env_of(containers(one(render("celery-worker", {"redis": {"password": ""}}), "Deployment"))[0])
    assert no_password["DASH_REDIS_HOST"] == "redis" and "DASH_REDIS_PASSWORD" not in no_password


# ---------------------------------------------------------------- ingress topologies


def test_topology_a_one_shared_ingress() -> None:
    docs = render("ingress", {"shared": {"host": "dash.example.org", "annotations": {"auth": "oidc"}}})
    assert ingress_routes(docs) == {
        "ingress": {"dash.example.org/api": ("backend", 8058), "dash.example.org/": ("viewer", 5080)}
    }
    assert one(docs, "Ingress")["metadata"]["annotations"] == {"auth": "oidc"}


def test_topology_b_dedicated_api_ingress_on_its_own_host() -> None:
    values = {
        "commonAnnotations": {"common": "yes"},
        "shared": {"annotations": {"auth": "oidc"}},
        "dedicatedApi": {"enabled": True, "host": "api.localtest.me", "annotations": {"auth": "token"}},
    }
    docs = render("ingress", values)
    assert ingress_routes(docs) == {
        "ingress": {"dashboards.localtest.me/": ("viewer", 5080)},
        "ingress-api": {"api.localtest.me/": ("backend", 8058)},
    }
    assert one(docs, "Ingress", "ingress")["metadata"]["annotations"] == {"auth": "oidc", "common": "yes"}
    assert one(docs, "Ingress", "ingress-api")["metadata"]["annotations"] == {"auth": "token"}


def test_topology_c_dedicated_object_store_ingress() -> None:
    values = {
        "dedicatedObjectStore": {
            "enabled": True,
            "host": "s3.localtest.me",
            "tlsSecretName": "s3-tls",
            "ingressClassName": "internal",
        }
    }
    docs = render("ingress", values)
    assert ingress_routes(docs)["ingress-object-store"] == {"s3.localtest.me/": ("minio", 9000)}
    spec = one(docs, "Ingress", "ingress-object-store")["spec"]
    assert spec["ingressClassName"] == "internal"
    assert spec["tls"] == [{"hosts": ["s3.localtest.me"], "secretName": "s3-tls"}]
    assert "ingressClassName" not in one(docs, "Ingress", "ingress")["spec"]


def test_all_three_topologies_at_once_share_the_chart_class() -> None:
    values = {
        "ingressClassName": "nginx",
        "dedicatedApi": {"enabled": True, "host": "api.localtest.me"},
        "dedicatedObjectStore": {"enabled": True, "host": "s3.localtest.me"},
    }
    docs = render("ingress", values)
    assert sorted(ingress_routes(docs)) == ["ingress", "ingress-api", "ingress-object-store"]
    assert {d["spec"]["ingressClassName"] for d in docs} == {"nginx"}


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"dedicatedApi": {"enabled": True}}, "dedicatedApi.host is required"),
        ({"dedicatedApi": {"enabled": True, "host": "dashboards.localtest.me"}}, "give the API its own host"),
        ({"dedicatedObjectStore": {"enabled": True}}, "dedicatedObjectStore.host is required"),
        ({"shared": {"host": ""}}, "shared.host is required"),
    ],
)
def test_ingress_host_mistakes_fail_clearly(values: dict[str, Any], expected: str) -> None:
    assert expected in render_error("ingress", values)


# ---------------------------------------------------------------- the platform file


@cache
def platform() -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load((DASHBOARDS / "platform.yaml").read_text())
    return spec


def components() -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in platform()["spec"]["components"]}


def read_yaml(relative: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DASHBOARDS / relative).read_text()) or {}
    return loaded


def secret_values() -> dict[str, dict[str, Any]]:
    """Per component, the values the declared secrets inject (fake but long enough)."""
    out: dict[str, dict[str, Any]] = {}
    for name, declaration in platform()["spec"]["secrets"].items():
        for path in declaration["into"]:
            component, *keys = path.split(".")
            node = out.setdefault(component, {})
            for key in keys[:-1]:
                node = node.setdefault(key, {})
            node[keys[-1]] = f"generated-{name}"
    return out


def component_values(component: str, environment: str | None, *, with_secrets: bool = True) -> dict[str, Any]:
    spec = components()[component]
    layers = [read_yaml(f) for f in spec.get("values", [])]
    if environment is not None:
        for env_file in platform()["spec"]["environments"][environment]["values"]:
            umbrella = read_yaml(env_file)
            layers.append({"global": umbrella.get("global") or {}, **(umbrella.get(component) or {})})
    if with_secrets:
        layers.append(secret_values().get(component, {}))
    return merged(*layers)


def render_platform(environment: str) -> dict[str, list[Doc]]:
    return {
        name: render(DASHBOARDS / spec["chart"], component_values(name, environment), minimal=False)
        for name, spec in components().items()
    }


def test_platform_file_is_consistent() -> None:
    spec = platform()
    assert (spec["apiVersion"], spec["kind"]) == ("helmdeck.dev/v1", "Platform")
    comps = components()
    assert set(comps) == {"mongo", "redis", "minio", "backend", "celery-worker", "viewer", "ingress"}
    assert set(comps["backend"]["needs"]) == {"mongo", "redis", "minio"}
    assert set(comps["celery-worker"]["needs"]) == {"redis", "backend"}
    assert set(comps["ingress"]["needs"]) == {"backend", "viewer"}
    for name, component in comps.items():
        assert (DASHBOARDS / component["chart"] / "Chart.yaml").is_file(), name
        assert component["namespace"] in spec["spec"]["namespaces"], name
        assert set(component.get("needs", [])) <= set(comps) - {name}, name
        for values_file in component.get("values", []):
            assert (DASHBOARDS / values_file).is_file(), values_file
    for environment in spec["spec"]["environments"].values():
        for env_file in environment["values"]:
            assert set(read_yaml(env_file)) <= {"global", *comps}, env_file


def test_platform_needs_form_no_cycle() -> None:
    needs = {name: set(c.get("needs", [])) for name, c in components().items()}
    done: set[str] = set()
    while needs.keys() - done:
        ready = {n for n in needs.keys() - done if needs[n] <= done}
        assert ready, f"cycle among {sorted(needs.keys() - done)}"
        done |= ready


def _paths(values: dict[str, Any], prefix: str = "") -> Iterator[str]:
    for key, value in values.items():
        yield prefix + key
        if isinstance(value, dict):
            yield from _paths(value, f"{prefix}{key}.")


def test_every_secret_lands_on_a_value_its_chart_declares() -> None:
    comps = components()
    for name, declaration in platform()["spec"]["secrets"].items():
        assert "generate" in declaration, name
        for path in declaration["into"]:
            component, _, key = path.partition(".")
            assert component in comps, f"secret {name}: no component {component}"
            defaults = load(DASHBOARDS / comps[component]["chart"]).values
            assert key in set(_paths(defaults)), f"secret {name}: {component} has no value {key}"


def test_demo_environment() -> None:
    docs = render_platform("demo")
    assert backend_config(docs["backend"])["DASH_AUTH_MODE"] == "single-user"
    assert one(docs["backend"], "Deployment")["spec"]["replicas"] == 1
    assert ingress_routes(docs["ingress"]) == {
        "ingress": {
            "dashboards.localtest.me/api": ("backend", 8058),
            "dashboards.localtest.me/": ("viewer", 5080),
        }
    }
    assert ("StatefulSet", "minio") in kinds(docs["minio"])
    claim = one(docs["mongo"], "StatefulSet")["spec"]["volumeClaimTemplates"][0]
    assert claim["spec"]["resources"]["requests"]["storage"] == "1Gi"
    assert backend_env(docs["backend"])["DASH_REDIS_PASSWORD"] == ("backend", "redis-password")


def test_dev_environment() -> None:
    docs = render_platform("dev")
    assert backend_config(docs["backend"])["DASH_AUTH_MODE"] == "multi-user"
    assert backend_env(docs["backend"])["DASH_AUTH_JWT_SECRET"] == ("backend", "jwt-secret")
    assert one(docs["backend"], "Deployment")["spec"]["replicas"] == 2
    assert ("Job", "backend-migrations") in kinds(docs["backend"])
    routes = ingress_routes(docs["ingress"])
    assert routes["ingress-api"] == {"api.dashboards.localtest.me/": ("backend", 8058)}
    assert routes["ingress"] == {"dashboards.localtest.me/": ("viewer", 5080)}
    viewer_env = env_of(containers(one(docs["viewer"], "Deployment"))[0])
    assert viewer_env["DASH_PUBLIC_API_URL"] == "http://api.dashboards.localtest.me"


def test_external_object_store_environment() -> None:
    docs = render_platform("demo-external-s3")
    assert docs["minio"] == []
    config = backend_config(docs["backend"])
    assert (config["DASH_S3_EXTERNAL"], config["DASH_S3_ENDPOINT"]) == ("true", "https://s3.example.org")
    assert backend_env(docs["backend"])["DASH_S3_SECRET_KEY"] == ("dashboards-s3", "secret-key")


def test_object_store_ingress_environment_uses_all_three_topologies() -> None:
    docs = render_platform("dev-s3-ingress")
    assert sorted(ingress_routes(docs["ingress"])) == ["ingress", "ingress-api", "ingress-object-store"]
    assert backend_config(docs["backend"])["DASH_S3_PUBLIC_URL"] == "http://s3.dashboards.localtest.me"


@pytest.mark.parametrize(
    ("component", "missing"),
    [("mongo", "auth.rootPassword"), ("minio", "auth.rootPassword"), ("backend", "mongo.password")],
)
def test_platform_without_its_secrets_fails_with_required(component: str, missing: str) -> None:
    values = component_values(component, "demo", with_secrets=False)
    with pytest.raises(helm.HelmError, match=f"{missing} is required"):
        load(DASHBOARDS / components()[component]["chart"]).render(values, name=component, namespace=NAMESPACE)


def test_environment_without_secrets_still_renders_the_password_free_components() -> None:
    for component in ("redis", "viewer", "celery-worker", "ingress"):
        values = component_values(component, "demo", with_secrets=False)
        chart_dir = DASHBOARDS / components()[component]["chart"]
        assert load(chart_dir).render(values, name=component, namespace=NAMESPACE)
