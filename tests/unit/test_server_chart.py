"""charts/helmdeck: renders, lints, and grants only what it should."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import helm_python
import pytest

from helmdeck.engine import load_chart
from helmdeck.engine.render import render
from helmdeck.errors import ConfigError

CHART = Path(__file__).resolve().parents[2] / "charts" / "helmdeck"
VALUES: dict[str, Any] = {
    "platform": {"file": "apiVersion: helmdeck.dev/v1\nkind: Platform\n", "namespaces": ["lab-admin", "lab-services"]}
}


def _objects(values: dict[str, Any]) -> dict[tuple[str, str, str], dict[str, Any]]:
    rendered = render(load_chart(str(CHART)), values, "helmdeck", "helmdeck-system")
    return {(o.kind, str(o.metadata.get("namespace", "")), o.name): dict(o.body) for o in rendered.manifests}


def test_renders_and_lints() -> None:
    objects = _objects(VALUES)
    kinds = sorted({k for k, _, _ in objects})
    assert kinds == [
        "ClusterRole",
        "ClusterRoleBinding",
        "ConfigMap",
        "Deployment",
        "PersistentVolumeClaim",
        "Role",
        "RoleBinding",
        "Service",
        "ServiceAccount",
    ]
    report = helm_python.lint(CHART, VALUES, strict=True)
    assert report["errors"] == [] and all(m["severity"] < 2 for m in report["messages"]), report


def test_a_role_per_platform_namespace_and_nothing_wider() -> None:
    objects = _objects(VALUES)
    roles = {ns: o for (k, ns, _), o in objects.items() if k == "Role"}
    assert sorted(roles) == ["lab-admin", "lab-services"]
    bindings = [o for (k, _, _), o in objects.items() if k == "RoleBinding"]
    assert {b["subjects"][0]["namespace"] for b in bindings} == {"helmdeck-system"}
    assert {b["subjects"][0]["name"] for b in bindings} == {"helmdeck"}
    for role in roles.values():
        assert role["rules"]
        for rule in role["rules"]:
            assert "*" not in rule["verbs"] and "*" not in rule["resources"] and "*" not in rule["apiGroups"]
            assert not {"bind", "escalate", "impersonate"} & set(rule["verbs"])
        secrets = next(r for r in role["rules"] if "secrets" in r["resources"])
        assert "delete" in secrets["verbs"]  # Helm's release storage
        leases = next(r for r in role["rules"] if "leases" in r["resources"])
        assert leases["apiGroups"] == ["coordination.k8s.io"]
    (cluster_role,) = (o for (k, _, _), o in objects.items() if k == "ClusterRole")
    for rule in cluster_role["rules"]:
        assert set(rule["verbs"]) <= {"get", "list", "watch"}
        assert set(rule["resources"]) <= {"namespaces", "nodes"}


def test_deployment_runs_serve_least_privileged() -> None:
    objects = _objects({**VALUES, "platform": {**VALUES["platform"], "environment": "demo"}})
    deployment = objects[("Deployment", "", "helmdeck")]
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["args"][:2] == ["serve", "--host=0.0.0.0"]
    assert "--env=demo" in container["args"] and "--state-dir=/var/lib/helmdeck" in container["args"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["serviceAccountName"] == "helmdeck"
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"


def test_options() -> None:
    values = {
        "platform": {"existingConfigMap": "mine", "namespaces": ["a"]},
        "persistence": {"enabled": False},
        "rbac": {
            "createNamespaces": True,
            "extraRules": [{"apiGroups": ["x.io"], "resources": ["ys"], "verbs": ["get"]}],
        },
        "serviceAccount": {"create": False, "name": "existing"},
    }
    objects = _objects(values)
    assert ("ConfigMap", "", "helmdeck-platform") not in objects and ("ServiceAccount", "", "helmdeck") not in objects
    assert ("PersistentVolumeClaim", "", "helmdeck-state") not in objects
    volumes = objects[("Deployment", "", "helmdeck")]["spec"]["template"]["spec"]["volumes"]
    assert {"name": "state", "emptyDir": {}} in volumes and volumes[0]["configMap"]["name"] == "mine"
    role = objects[("Role", "a", "helmdeck")]
    assert role["rules"][-1]["apiGroups"] == ["x.io"]
    cluster_role = next(o for (k, _, _), o in objects.items() if k == "ClusterRole")
    assert "create" in cluster_role["rules"][0]["verbs"]


def test_platform_file_is_required() -> None:
    with pytest.raises(ConfigError, match=r"platform\.file"):
        _objects({"platform": {"namespaces": ["a"]}})
