"""Destructive changes: found in the objects (pure), shown by plan and refused by deploy (on the
in-memory fakes of the cluster and the engine)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from helmdeck.core.session import PlatformSession
from helmdeck.deploy.executor import Deployer
from helmdeck.errors import ConfigError
from helmdeck.plan.destructive import destructive_changes, removed_objects
from helmdeck.plan.planner import make_plan
from tests.fakes import FakeEngine, FakeKube, session_on


def obj(kind: str, name: str, **fields: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "namespace": "ns"}, **fields}


def pvc(size: str, keep: bool = False, **spec: Any) -> dict[str, Any]:
    body = obj("PersistentVolumeClaim", "data", spec={"resources": {"requests": {"storage": size}}, **spec})
    if keep:
        body["metadata"]["annotations"] = {"helm.sh/resource-policy": "keep"}
    return body


def changes(live: dict[str, Any], want: dict[str, Any], **kwargs: Any) -> list[tuple[str, str]]:
    return [(c.change, c.object) for c in destructive_changes("c", live, want, "ns", **kwargs)]


def test_claims_and_definitions_that_disappear_take_their_data() -> None:
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": "w.x.io"}}
    found = changes({"p": pvc("1Gi"), "d": crd}, {})
    assert found == [
        ("deletes-data", "PersistentVolumeClaim ns/data"),
        ("deletes-data", "CustomResourceDefinition w.x.io"),
    ]
    assert changes({"p": pvc("1Gi", keep=True)}, {}) == []  # Helm leaves it


def test_fields_the_api_server_never_changes_in_place() -> None:
    sts = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"}, "spec": {"serviceName": "db"}}
    sts["spec"]["volumeClaimTemplates"] = [
        {"metadata": {"name": "data"}, "spec": {"resources": {"requests": {"storage": "1Gi"}}}}
    ]
    bigger = {**sts, "spec": {**sts["spec"], "volumeClaimTemplates": [{"metadata": {"name": "data2"}}]}}
    assert changes({"s": sts}, {"s": bigger}) == [("immutable", "StatefulSet ns/db")]
    assert changes({"p": pvc("2Gi")}, {"p": pvc("1Gi")}) == [("immutable", "PersistentVolumeClaim ns/data")]
    assert changes({"p": pvc("1Gi")}, {"p": pvc("2Gi")}) == []  # growing is allowed
    service = obj("Service", "web", spec={"clusterIP": "10.0.0.7"})
    assert changes({"s": service}, {"s": obj("Service", "web", spec={})}) == []  # the API keeps its address
    assert changes({"s": service}, {"s": obj("Service", "web", spec={"clusterIP": "None"})}) == [
        ("immutable", "Service ns/web")
    ]


def test_a_regenerated_password_is_flagged_unless_the_platform_set_it() -> None:
    old = obj("Secret", "db", data={"password": "b2xk"})
    new = obj("Secret", "db", data={"password": "bmV3"})
    assert changes({"s": old}, {"s": new}) == [("secret-regenerated", "Secret ns/db")]
    assert changes({"s": old}, {"s": new}, managed_secret=lambda v: v == "bmV3") == []
    assert changes({"s": old}, {"s": old}) == []


def test_removing_a_component_counts_its_claims() -> None:
    assert [c.change for c in removed_objects("c", {"p": pvc("1Gi")}, "ns")] == ["deletes-data"]


# --- plan and deploy on the fakes ----------------------------------------------------------------

CHART = {
    "Chart.yaml": "apiVersion: v2\nname: store\nversion: 0.1.0\n",
    "values.yaml": "size: 2Gi\nreplicas: 1\n",
    "templates/pvc.yaml": textwrap.dedent(
        """
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata: {name: {{ .Release.Name }}-data}
        spec:
          accessModes: [ReadWriteOnce]
          resources: {requests: {storage: {{ .Values.size }}}}
        """
    ),
    "templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Release.Name }}}\n"
    "data: {replicas: {{ .Values.replicas | quote }}}\n",
}


def write_chart(root: Path, extra: dict[str, str] | None = None) -> Path:
    for name, text in {**CHART, **(extra or {})}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def platform(tmp_path: Path, chart: Path) -> Path:
    path = tmp_path / "platform.yaml"
    path.write_text(
        "apiVersion: helmdeck.dev/v1\nkind: Platform\nmetadata: {name: fk}\nspec:\n"
        f"  components:\n    - {{name: store, chart: {chart}, namespace: fk-data}}\n"
    )
    return path


def session(path: Path, kube: FakeKube, engine: FakeEngine, *sets: str) -> PlatformSession:
    return session_on(path, kube, engine, *sets)


def test_deploy_refuses_a_shrinking_claim_until_allowed(tmp_path: Path) -> None:
    path = platform(tmp_path, write_chart(tmp_path / "store"))
    kube = FakeKube()
    engine = FakeEngine(kube)
    assert Deployer(session(path, kube, engine), preflight=False).run().ok
    plan = make_plan(session(path, kube, engine, "store.size=1Gi"))
    assert plan.summary() == "0 to install, 1 to change, 0 to remove; 1 destructive"
    assert [d.object for d in plan.destructive] == ["PersistentVolumeClaim fk-data/store-data"]
    assert plan.as_dict()["destructive"][0]["change"] == "immutable"
    engine.calls.clear()
    with pytest.raises(ConfigError) as refused:
        Deployer(session(path, kube, engine, "store.size=1Gi"), preflight=False).run()
    assert "1 destructive change, so nothing was changed" in refused.value.message
    assert "storage shrinks from 2Gi to 1Gi" in refused.value.message
    assert "--allow-destructive" in (refused.value.fix or "")
    assert engine.calls == []
    # an ordinary change passes
    assert Deployer(session(path, kube, engine, "store.replicas=2"), preflight=False).run().ok
    allowed = Deployer(session(path, kube, engine, "store.size=1Gi"), preflight=False, allow_destructive=True).run()
    assert [c.outcome.value for c in allowed.components] == ["upgraded"]


RANDOM_SECRET = (
    "apiVersion: v1\nkind: Secret\nmetadata: {name: {{ .Release.Name }}-auth}\n"
    "data: {password: {{ randAlphaNum 16 | b64enc | quote }}}\n"
)


def test_a_chart_that_rerolls_its_password_on_every_render_is_flagged(tmp_path: Path) -> None:
    path = platform(tmp_path, write_chart(tmp_path / "store", {"templates/secret.yaml": RANDOM_SECRET}))
    kube = FakeKube()
    engine = FakeEngine(kube)
    Deployer(session(path, kube, engine), preflight=False).run()
    plan = make_plan(session(path, kube, engine, "store.replicas=2"))
    assert [(d.change, d.object) for d in plan.destructive] == [("secret-regenerated", "Secret fk-data/store-auth")]


def test_a_chart_that_keeps_its_password_through_lookup_is_not_flagged(tmp_path: Path) -> None:
    keeping = RANDOM_SECRET.replace(
        "apiVersion", '{{- $old := lookup "v1" "Secret" .Release.Namespace "x" }}\napiVersion', 1
    )
    path = platform(tmp_path, write_chart(tmp_path / "store", {"templates/secret.yaml": keeping}))
    kube = FakeKube()
    engine = FakeEngine(kube)
    Deployer(session(path, kube, engine), preflight=False).run()
    assert make_plan(session(path, kube, engine, "store.replicas=2")).destructive == []
