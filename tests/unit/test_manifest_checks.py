from __future__ import annotations

from collections.abc import Sequence

import pytest

from helmdeck.manifests import Finding, ManifestObject, check_platform, parse_documents


def objs(text: str, source: str = "chart/templates/t.yaml") -> list[ManifestObject]:
    return parse_documents(text, source=source)


def cm(name: str, namespace: str | None = None) -> str:
    ns = f"\n  namespace: {namespace}" if namespace else ""
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}{ns}\n"


def deployment(
    name: str,
    image: str = "registry.example.org/app:1.0",
    requests: bool = True,
    init_image: str | None = None,
) -> str:
    resources = "\n          resources:\n            requests: {cpu: 10m, memory: 16Mi}" if requests else ""
    init = (
        f"\n      initContainers:\n        - name: init\n          image: {init_image}"
        "\n          resources:\n            requests: {cpu: 10m}"
        if init_image
        else ""
    )
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  template:\n"
        f"    spec:{init}\n      containers:\n        - name: main\n          image: {image}{resources}\n"
    )


def ingress(name: str, host: str, path: str = "/", klass: str | None = None) -> str:
    klass_line = f"\n  ingressClassName: {klass}" if klass else ""
    return (
        f"apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {name}\nspec:{klass_line}\n"
        f"  rules:\n    - host: {host}\n      http:\n        paths:\n          - path: {path}\n"
        "            pathType: Prefix\n            backend: {service: {name: s, port: {number: 80}}}\n"
    )


def run(
    components: dict[str, tuple[str, Sequence[ManifestObject]]],
    owned: Sequence[str] = ("services", "admin"),
    foreign: dict[str, str] | Sequence[str] = (),
) -> list[Finding]:
    return check_platform(components, owned_namespaces=set(owned), foreign_namespaces=foreign)


def of(findings: list[Finding], check: str) -> list[Finding]:
    return [f for f in findings if f.check == check]


# --- a resource in a namespace of another platform or instance -----------------------------------


def test_object_in_a_foreign_namespace_is_an_error() -> None:
    findings = run(
        {"backend": ("services", objs(cm("settings", "lab2-services")))},
        foreign={"lab2-services": "instance lab2"},
    )
    (finding,) = of(findings, "foreign-namespace")
    assert finding.severity == "error"
    assert finding.component == "backend"
    assert str(finding.object) == "ConfigMap lab2-services/settings"
    assert finding.template == "chart/templates/t.yaml"
    assert "instance lab2" in finding.reason
    assert finding.fix
    # Not reported a second time as "nobody creates it".
    assert not of(findings, "namespace-not-created")


def test_release_namespace_of_the_platform_is_fine() -> None:
    findings = run({"backend": ("services", objs(cm("settings")))}, foreign=["lab2-services"])
    assert not of(findings, "foreign-namespace")


def test_creating_a_foreign_namespace_is_an_error() -> None:
    ns = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: other-admin\n"
    findings = run({"ns": ("services", objs(ns))}, foreign=["other-admin"])
    (finding,) = of(findings, "foreign-namespace")
    assert "creates namespace other-admin" in finding.reason


# --- the same object from two components ----------------------------------------------------------


def test_same_object_from_two_components_is_an_error() -> None:
    findings = run(
        {
            "backend": ("services", objs(cm("shared"), "backend/templates/cm.yaml")),
            "viewer": ("services", objs(cm("shared"), "viewer/templates/cm.yaml")),
        }
    )
    (finding,) = of(findings, "duplicate-object")
    assert finding.severity == "error"
    assert "ConfigMap services/shared" in finding.reason
    assert "backend" in finding.reason and "viewer" in finding.reason
    assert finding.template == "viewer/templates/cm.yaml"


def test_explicit_namespace_equal_to_the_default_one_is_the_same_object() -> None:
    findings = run(
        {
            "backend": ("services", objs(cm("shared", "services"))),
            "viewer": ("services", objs(cm("shared"))),
        }
    )
    assert len(of(findings, "duplicate-object")) == 1


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (cm("a"), cm("b")),  # other name
        (cm("a", "services"), cm("a", "admin")),  # other namespace
        (cm("a"), "apiVersion: v1\nkind: Secret\nmetadata:\n  name: a\n"),  # other kind
    ],
)
def test_different_objects_are_not_duplicates(first: str, second: str) -> None:
    findings = run({"one": ("services", objs(first)), "two": ("services", objs(second))})
    assert not of(findings, "duplicate-object")


def test_cluster_scoped_objects_collide_across_namespaces() -> None:
    role = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\n"
    findings = run({"one": ("services", objs(role)), "two": ("admin", objs(role))})
    (finding,) = of(findings, "duplicate-object")
    assert "ClusterRole.rbac.authorization.k8s.io reader" in finding.reason


def test_same_object_twice_in_one_component_is_an_error() -> None:
    findings = run({"one": ("services", [*objs(cm("a"), "c/templates/x.yaml"), *objs(cm("a"), "c/templates/y.yaml")])})
    (finding,) = of(findings, "duplicate-object")
    assert "twice by component one" in finding.reason


# --- the same Ingress host and path ---------------------------------------------------------------


def test_same_host_and_path_from_two_components_is_an_error() -> None:
    findings = run(
        {
            "viewer": ("services", objs(ingress("viewer", "dash.example.org", "/"))),
            "backend": ("services", objs(ingress("api", "dash.example.org", "/"))),
        }
    )
    (finding,) = of(findings, "ingress-route-conflict")
    assert "host dash.example.org path /" in finding.reason
    assert "Ingress services/viewer" in finding.reason and "Ingress services/api" in finding.reason


def test_same_route_from_two_ingresses_of_one_component_is_an_error() -> None:
    text = ingress("main", "dash.example.org", "/api/") + "---\n" + ingress("api", "dash.example.org", "/api")
    findings = run({"backend": ("services", objs(text))})
    assert len(of(findings, "ingress-route-conflict")) == 1


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (ingress("a", "dash.example.org", "/"), ingress("b", "dash.example.org", "/api")),
        (ingress("a", "dash.example.org", "/"), ingress("b", "s3.example.org", "/")),
        (ingress("a", "dash.example.org", "/", "nginx"), ingress("b", "dash.example.org", "/", "internal")),
    ],
)
def test_distinct_routes_do_not_conflict(first: str, second: str) -> None:
    findings = run({"one": ("services", objs(first)), "two": ("services", objs(second))})
    assert not of(findings, "ingress-route-conflict")


# --- a namespace nobody creates -------------------------------------------------------------------


def test_namespace_nobody_creates_is_an_error() -> None:
    findings = run({"backend": ("services", objs(cm("a", "monitoring") + "---\n" + cm("b", "monitoring")))})
    (finding,) = of(findings, "namespace-not-created")
    assert finding.severity == "error"
    assert "monitoring" in finding.reason
    assert "2 objects" in finding.reason
    assert "services" in finding.fix


def test_namespace_created_by_a_component_is_fine() -> None:
    ns = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: monitoring\n"
    findings = run(
        {
            "backend": ("services", objs(cm("a", "monitoring"))),
            "namespaces": ("admin", objs(ns)),
        }
    )
    assert not of(findings, "namespace-not-created")


def test_builtin_and_owned_namespaces_are_fine() -> None:
    findings = run({"backend": ("services", objs(cm("a", "kube-system") + "---\n" + cm("b", "admin")))})
    assert not of(findings, "namespace-not-created")


def test_a_release_namespace_outside_the_platform_is_reported() -> None:
    findings = run({"backend": ("elsewhere", objs(cm("a")))})
    assert len(of(findings, "namespace-not-created")) == 1


def test_chart_creating_a_platform_namespace_is_an_error() -> None:
    ns = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: services\n"
    findings = run({"namespaces": ("admin", objs(ns))})
    (finding,) = of(findings, "namespace-created-twice")
    assert "helmdeck already creates" in finding.reason


def test_cluster_scoped_custom_kind_has_no_namespace() -> None:
    crd = (
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: x\n"
        "spec:\n  group: example.org\n  scope: Cluster\n  names: {kind: Backup, plural: backups}\n"
    )
    backup = "apiVersion: example.org/v1\nkind: Backup\nmetadata:\n  name: nightly\n  namespace: nowhere\n"
    with_crd = run({"ops": ("services", objs(crd + "---\n" + backup))})
    assert not of(with_crd, "namespace-not-created")
    # Unknown custom kinds are taken as namespaced, so the written namespace counts.
    without_crd = run({"ops": ("services", objs(backup))})
    assert len(of(without_crd, "namespace-not-created")) == 1
    # ... unless the caller knows better (e.g. from API discovery).
    known = check_platform(
        {"ops": ("services", objs(backup))},
        owned_namespaces={"services"},
        cluster_scoped={("example.org", "Backup")},
    )
    assert not of(known, "namespace-not-created")


# --- images tagged latest or untagged -------------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "floating"),
    [
        ("nginx", True),
        ("nginx:latest", True),
        ("registry.example.org:5000/team/app", True),
        ("registry.example.org:5000/team/app:2.1", False),
        ("nginx:1.25", False),
        ("nginx@sha256:" + "a" * 64, False),
        ("nginx:latest@sha256:" + "a" * 64, False),
    ],
)
def test_floating_image_tags_are_warnings(image: str, floating: bool) -> None:
    findings = of(run({"web": ("services", objs(deployment("web", image=image)))}), "image-floating-tag")
    assert bool(findings) is floating
    if floating:
        assert findings[0].severity == "warning"
        assert "container main of Deployment services/web" in findings[0].reason


def test_init_containers_and_cronjobs_are_checked() -> None:
    cron = (
        "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: nightly\nspec:\n  schedule: '@daily'\n"
        "  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n"
        "            - name: job\n              image: tools:latest\n"
    )
    findings = run({"web": ("services", objs(deployment("web", init_image="busybox") + "---\n" + cron))})
    floating = of(findings, "image-floating-tag")
    assert {f.object.rsplit("/", 1)[-1] for f in floating if f.object} == {"web", "nightly"}
    assert any("container init" in f.reason for f in floating)


def test_missing_image_is_an_error() -> None:
    findings = run({"web": ("services", objs(deployment("web", image='""')))})
    (finding,) = of(findings, "image-missing")
    assert finding.severity == "error"


# --- containers without resource requests --------------------------------------------------------


def test_container_without_requests_is_a_warning() -> None:
    findings = run({"web": ("services", objs(deployment("web", requests=False)))})
    (finding,) = of(findings, "no-resource-requests")
    assert finding.severity == "warning"
    assert "container main" in finding.reason


def test_container_with_requests_is_fine() -> None:
    findings = run({"web": ("services", objs(deployment("web")))})
    assert not of(findings, "no-resource-requests")


def test_errors_come_before_warnings_and_serialise() -> None:
    findings = run(
        {
            "web": ("services", objs(deployment("web", image="app", requests=False))),
            "other": ("services", objs(cm("x", "unknown-ns"))),
        }
    )
    severities = [f.severity for f in findings]
    assert severities == sorted(severities, key=lambda s: s == "warning")
    as_json = findings[0].as_dict()
    assert as_json["severity"] == "error"
    assert as_json["object"] == "ConfigMap unknown-ns/x"


def test_a_clean_platform_has_no_findings() -> None:
    assert run({"web": ("services", objs(deployment("web") + "---\n" + ingress("web", "a.example.org")))}) == []


# --- labels and annotations the API server would refuse (issue 17) --------------------------------


def test_annotations_over_the_api_server_limit_are_an_error_naming_the_largest() -> None:
    big = "x" * (200 * 1024)
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\n  annotations:\n"
        f"    a.example/one: {big}\n    a.example/two: {big}\n"
    )
    (finding,) = of(run({"web": ("services", objs(text))}), "metadata-limits")
    assert finding.severity == "error" and finding.component == "web"
    assert str(finding.object) == "ConfigMap services/big"
    assert "over the API server's limit of 262,144 (256 KiB)" in finding.reason
    assert "'a.example/one'" in finding.reason or "'a.example/two'" in finding.reason
    small = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n  annotations: {a.example/one: x}\n"
    assert not of(run({"web": ("services", objs(small))}), "metadata-limits")


def test_label_keys_and_values_are_checked_on_objects_and_pod_templates() -> None:
    long_value = "v" * 64
    text = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n"
        f"  labels: {{app: api, version: {long_value}, 'bad key!': x, tier: 1.5}}\n"
        "spec:\n  template:\n    metadata:\n      labels: {app: 'ends-with-dash-'}\n"
        "      annotations: {'-nope/x': y}\n"
        "    spec:\n      containers:\n        - {name: main, image: r.example/a:1, resources: {requests: {cpu: 1m}}}\n"
    )
    found = [f.reason for f in of(run({"api": ("services", objs(text))}), "metadata-limits")]
    assert any("metadata.labels['version']: its value is 64 characters, over the limit of 63" in r for r in found)
    assert any("metadata.labels key 'bad key!'" in r for r in found)
    assert any("metadata.labels['tier']: its value is float 1.5, not a string" in r for r in found)
    assert any("spec.template.metadata.labels['app']" in r for r in found)
    assert any("spec.template.metadata.annotations key '-nope/x': its prefix" in r for r in found)
    assert all(r.startswith("component api: Deployment services/api") for r in found), found
    assert len(found) == 5, found
