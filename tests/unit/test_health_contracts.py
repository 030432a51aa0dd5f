"""Health by the kind's contract: kstatus rules named, custom resources judged by what their CRD
declares, the platform file's CEL rules per kind, and objects of a release that are gone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from helmdeck.cluster.gate_state import GateEvaluator, Store
from helmdeck.cluster.health_rules import HealthRules
from helmdeck.cluster.health_state import NO_STATUS_BY_DESIGN
from helmdeck.cluster.kinds import KindInfo
from helmdeck.cluster.objects import ObjRef
from helmdeck.cluster.readiness import KindContracts, generic_health, health
from helmdeck.manifests.crds import crd_versions
from helmdeck.spec import PlatformFileError, json_schema, load_platform

MIDDLEWARE = {
    "apiVersion": "traefik.io/v1alpha1",
    "kind": "Middleware",
    "metadata": {"name": "strip", "namespace": "services", "generation": 1},
    "spec": {"stripPrefix": {"prefixes": ["/api"]}},
}
KEY = ("traefik.io/v1alpha1", "Middleware")


def test_a_custom_resource_whose_crd_has_no_status_is_healthy_when_it_exists() -> None:
    h = health(MIDDLEWARE, contracts=KindContracts(status_subresource={KEY: False}))
    assert (h.state, h.rule) == ("ready", NO_STATUS_BY_DESIGN)
    # nothing known about the kind (its CRD not read): unknown as before, never healthy
    assert health(MIDDLEWARE).state == "unknown"


def test_a_custom_resource_whose_crd_declares_a_status_is_waited_on() -> None:
    contracts = KindContracts(status_subresource={KEY: True})
    waiting = health(MIDDLEWARE, contracts=contracts)
    assert (waiting.state, waiting.blocking, waiting.settled) == ("progressing", True, False)
    assert "report a status" in waiting.reason
    assert waiting.rule == "kstatus: generic (CRD declares a status)"
    ready = {**MIDDLEWARE, "status": {"observedGeneration": 1, "conditions": [{"type": "Ready", "status": "True"}]}}
    assert health(ready, contracts=contracts).state == "ready"
    stale = {**ready, "metadata": {**MIDDLEWARE["metadata"], "generation": 2}}  # type: ignore[dict-item]
    assert health(stale, contracts=contracts).state == "progressing"
    stalled = {**MIDDLEWARE, "status": {"conditions": [{"type": "Stalled", "status": "True", "message": "bad"}]}}
    assert health(stalled, contracts=contracts).state == "failed"
    # kstatus: a status with nothing in it that says otherwise is current
    assert health({**MIDDLEWARE, "status": {"replicas": 1}}, contracts=contracts).state == "ready"


def test_a_crd_without_status_still_has_its_conditions_read() -> None:
    # an operator that writes status into the object itself, without the subresource
    failing = {**MIDDLEWARE, "status": {"phase": "Failed", "message": "no quota"}}
    h = generic_health(failing, status_subresource=False)
    assert (h.state, h.reason) == ("failed", "phase Failed: no quota")


@pytest.mark.parametrize(
    ("obj", "rule"),
    [
        ({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}}, "kstatus: Deployment"),
        ({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"}}, "kstatus: Job"),
        (
            {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "c"}},
            "kstatus: PersistentVolumeClaim",
        ),
        ({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}, "kstatus: built-in kind"),
        (
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "c", "deletionTimestamp": "2026-01-01T00:00:00Z"},
            },
            "kstatus: Terminating",
        ),
    ],
)
def test_every_verdict_names_its_rule(obj: dict[str, Any], rule: str) -> None:
    h = health(obj)
    assert h.rule == rule
    assert h.as_dict()["rule"] == rule


def rules(**exprs: str | None) -> HealthRules:
    return HealthRules([(*KEY, exprs.get("current") or "true", exprs.get("inProgress"), exprs.get("failed"))])


def test_a_platform_rule_replaces_the_kinds_own() -> None:
    rule = rules(
        current="has(status.phase) && status.phase == 'Ready'",
        failed="has(status.phase) && status.phase == 'Broken'",
        inProgress="has(status.draining) && status.draining",
    )
    contracts = KindContracts(rules=rule, status_subresource={KEY: False})
    assert health(MIDDLEWARE, contracts=contracts).state == "progressing"  # no status yet: {} for it
    ok = health({**MIDDLEWARE, "status": {"phase": "Ready"}}, contracts=contracts)
    assert (ok.state, ok.reason, ok.rule) == ("ready", "current is true", "platform rule: traefik.io/Middleware")
    assert health({**MIDDLEWARE, "status": {"phase": "Broken"}}, contracts=contracts).state == "failed"
    # inProgress is tried first, then failed, then current (Flux's order)
    draining = health({**MIDDLEWARE, "status": {"phase": "Ready", "draining": True}}, contracts=contracts)
    assert (draining.state, draining.reason) == ("progressing", "inProgress is true")
    # other kinds keep their own rules
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
    assert health(cm, contracts=contracts).rule == "kstatus: built-in kind"


def test_a_rule_that_cannot_be_evaluated_waits_and_says_why() -> None:
    contracts = KindContracts(rules=rules(current="status.replicas > 0"))
    h = health(MIDDLEWARE, contracts=contracts)
    assert h.state == "progressing"
    assert h.reason.startswith("current could not be evaluated")


def test_crd_status_subresource_per_served_version() -> None:
    crd = {
        "spec": {
            "versions": [
                {"name": "v1alpha1", "served": True, "subresources": {"status": {}}},
                {"name": "v1", "served": True},
                {"name": "v0", "served": False, "subresources": {"status": {}}},
            ]
        }
    }
    assert crd_versions(crd) == {"v1alpha1": True, "v1": False}
    v1beta1 = {"spec": {"version": "v1", "subresources": {"status": {}}}}
    assert crd_versions(v1beta1) == {"v1": True}


JOB_KIND = KindInfo("batch/v1", "Job", "jobs", True)
JOB = ObjRef("batch/v1", "Job", "migrate", "services")
TTL_JOB = ObjRef("batch/v1", "Job", "cleanup", "services")


def test_an_object_gone_from_a_deployed_release_is_missing_not_starting() -> None:
    evaluator = GateEvaluator([(JOB, JOB_KIND), (TTL_JOB, JOB_KIND)], finished_jobs=[TTL_JOB], absent_is_missing=True)
    store = Store()
    store.replace(evaluator.streams[JOB], [])
    store.replace(evaluator.streams[TTL_JOB], [])
    gone, ttl = evaluator.evaluate(store, 0)
    assert gone.health.state == "failed" and gone.health.missing
    assert gone.health.reason.startswith("missing: deleted outside helmdeck")
    # a TTL Job of a deployed release that is gone finished: that is its success
    assert ttl.health.ready
    # the deploy's own gate: Helm may still be creating it
    gate = GateEvaluator([(JOB, JOB_KIND)])
    store2 = Store()
    store2.replace(gate.streams[JOB], [])
    assert gate.evaluate(store2, 0)[0].health.reason == "does not exist yet"


HEADER = "apiVersion: helmdeck.dev/v1\nkind: Platform\nmetadata: {name: demo}\nspec:\n  components: []\n"


def _middleware_rule(tmp_path: Path, *keys: str) -> Path:
    """A platform file with one health rule, for Traefik's Middleware: ``keys`` are its lines
    after apiVersion and kind (line 9 of the file is the first)."""
    path = tmp_path / "platform.yaml"
    path.write_text(
        HEADER
        + "  healthCheckExprs:\n"
        + "    - apiVersion: traefik.io/v1alpha1\n"
        + "      kind: Middleware\n"
        + "".join(f"      {key}\n" for key in keys)
    )
    return path


def test_the_platform_file_takes_health_rules(tmp_path: Path) -> None:
    path = _middleware_rule(tmp_path, 'current: "has(metadata.name)"')
    platform = load_platform(path)
    (rule,) = platform.spec.health_check_exprs
    assert (rule.api_version, rule.kind, rule.group_kind) == (*KEY, "traefik.io/Middleware")
    schema = json_schema()
    rule_schema = schema["$defs"]["PlatformSpec"]["properties"]["healthCheckExprs"]
    assert rule_schema["items"] == {"$ref": "#/$defs/HealthCheckExpr"}
    assert set(schema["$defs"]["HealthCheckExpr"]["required"]) == {"apiVersion", "kind", "current"}


@pytest.mark.parametrize(
    ("expr", "says"),
    [
        ("status.conditions.filter(e, ", "Syntax error"),
        ("replicas > 0", "it reads replicas"),
        ("has(", "not a valid CEL"),
    ],
)
def test_a_bad_health_rule_is_refused_at_load_with_where_and_fix(tmp_path: Path, expr: str, says: str) -> None:
    path = _middleware_rule(tmp_path, 'current: "true"', "failed: |-", f"  {expr}")
    with pytest.raises(PlatformFileError) as caught:
        load_platform(path)
    (problem,) = caught.value.problems
    text = str(problem)
    assert "platform.yaml:" in str(problem.where)
    assert "the health rule for Middleware (traefik.io/v1alpha1): not a valid CEL expression" in text, text
    assert says in text, text
    assert ".failed:" in text  # the key, in the path the loader puts before the message
    assert problem.fix and "CEL expression" in problem.fix
    assert "healthCheckExprs" in text


def test_two_rules_for_one_kind_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "platform.yaml"
    rule = "    - {apiVersion: traefik.io/v1alpha1, kind: Middleware, current: 'true'}\n"
    path.write_text(HEADER + "  healthCheckExprs:\n" + rule + rule)
    with pytest.raises(PlatformFileError, match="two health rules for Middleware"):
        load_platform(path)


def test_component_health_is_an_enum_whose_json_is_unchanged() -> None:
    import yaml

    from helmdeck.core.status import ComponentHealth, ComponentStatus

    assert [h.value for h in ComponentHealth] == ["healthy", "progressing", "failed", "unknown", "absent"]
    status = ComponentStatus("db", "db", "services", "deployed", 1, "db-1.0.0", ComponentHealth.failed)
    data = status.as_dict()
    assert type(data["health"]) is str and data["health"] == "failed"
    assert "health: failed" in yaml.safe_dump(data)


def test_validate_refuses_a_bad_health_rule_naming_the_file_the_rule_and_the_fix(tmp_path: Path) -> None:
    from tests.unit.cli_support import run_helmdeck

    path = _middleware_rule(tmp_path, "current: \"status.conditions.filter(e, e.type == 'Ready'\"")
    result = run_helmdeck("validate", "-f", str(path), "-o", "json")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    error = json.loads(result.stdout)
    assert error["where"].endswith("platform.yaml:9:7")
    assert "the health rule for Middleware (traefik.io/v1alpha1): not a valid CEL expression" in error["error"]
    assert "CEL expression" in error["fix"]


def test_a_crd_is_read_whole_once_per_resource_version(monkeypatch: pytest.MonkeyPatch) -> None:
    from helmdeck.cluster import crd_status

    version = {"rv": "1", "status": False}
    gets: list[str] = []

    def crd(status: bool) -> dict[str, Any]:
        sub = {"subresources": {"status": {}}} if status else {}
        return {"spec": {"versions": [{"name": "v1alpha1", "served": True, **sub}]}}

    def listed(*_: Any, **__: Any) -> list[dict[str, Any]]:
        return [{"metadata": {"name": "middlewares.traefik.io", "resourceVersion": version["rv"]}}]

    def get(_: Any, ref: ObjRef) -> dict[str, Any]:
        gets.append(ref.name)
        return crd(bool(version["status"]))

    monkeypatch.setattr(crd_status, "list_metadata", listed)
    monkeypatch.setattr(crd_status, "get_object", get)

    class Client:  # a client is only a key of the memory here
        pass

    client = Client()
    kinds = [
        KindInfo("traefik.io/v1alpha1", "Middleware", "middlewares", True),
        KindInfo("v1", "ConfigMap", "configmaps", True),  # Kubernetes' own: no CRD to read
        KindInfo("example.org/v1", "Gone", "gones", True),  # no such CRD: nothing known
    ]
    assert crd_status.status_subresources(client, kinds) == {KEY: False}
    assert crd_status.status_subresources(client, kinds) == {KEY: False}
    assert gets == ["middlewares.traefik.io"]
    # the operator's upgrade gives the kind a status: a new resourceVersion, read again
    version.update(rv="2", status=True)
    assert crd_status.status_subresources(client, kinds) == {KEY: True}
    assert len(gets) == 2
    # no custom kind: no request at all
    assert crd_status.status_subresources(Client(), kinds[1:2]) == {}
