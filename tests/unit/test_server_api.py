"""The REST API on a fake platform: every endpoint's roles, and what each does."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from .server_support import ROLES, bearer, chart_archive, component_status, make_app

# (method, path, json body, the least role allowed)
ENDPOINTS: list[tuple[str, str, dict[str, Any] | None, str]] = [
    ("GET", "/api/v1/whoami", None, "viewer"),
    ("GET", "/api/v1/platform", None, "viewer"),
    ("GET", "/api/v1/status", None, "viewer"),
    ("GET", "/api/v1/components", None, "viewer"),
    ("GET", "/api/v1/components/web", None, "viewer"),
    ("GET", "/api/v1/components/web/detail", None, "viewer"),
    ("GET", "/api/v1/components/web/logs", None, "viewer"),
    ("GET", "/api/v1/components/web/logs/p1/c1", None, "viewer"),
    ("GET", "/api/v1/components/web/logs/p1/c1/follow", None, "viewer"),
    ("GET", "/api/v1/history", None, "viewer"),
    ("GET", "/api/v1/history/1", None, "viewer"),
    ("GET", "/api/v1/history/1/timeline", None, "viewer"),
    ("GET", "/api/v1/history/compare?from=1&to=2", None, "viewer"),
    ("POST", "/api/v1/rollback", {"revision": 1}, "operator"),
    ("GET", "/api/v1/extensions/catalog", None, "viewer"),
    ("GET", "/api/v1/extensions/catalog/tiny-app", None, "viewer"),
    ("GET", "/api/v1/extensions/installed", None, "viewer"),
    ("POST", "/api/v1/extensions/install", {"name": "tiny-base"}, "operator"),
    ("DELETE", "/api/v1/extensions/installed/nothing", None, "operator"),
    ("POST", "/api/v1/extensions/upload", None, "admin"),
    ("GET", "/api/v1/operations", None, "viewer"),
    ("GET", "/api/v1/operations/none", None, "viewer"),
    ("GET", "/api/v1/operations/none/events", None, "viewer"),
    ("GET", "/api/v1/doctor", None, "viewer"),
    ("GET", "/api/v1/tokens", None, "admin"),
    ("POST", "/api/v1/tokens", {"name": "new", "role": "viewer"}, "admin"),
    ("DELETE", "/api/v1/tokens/nobody", None, "admin"),
    ("GET", "/api/v1/audit", None, "admin"),
    ("POST", "/api/v1/plan", None, "operator"),
    ("GET", "/api/v1/plans/none", None, "viewer"),
    ("POST", "/api/v1/plans/none/deploy", {}, "operator"),
    ("POST", "/api/v1/operations/none/cancel", None, "operator"),
    ("POST", "/api/v1/undeploy/preview", {}, "admin"),
    ("POST", "/api/v1/undeploy", {"confirmation": "none"}, "admin"),
]


@pytest.fixture
def setup(tmp_path: Path) -> Any:
    app, backend, tokens = make_app(tmp_path)
    with TestClient(app) as client:
        yield client, backend, tokens


def _call(client: TestClient, method: str, path: str, body: dict[str, Any] | None, headers: dict[str, str]) -> Any:
    if path.endswith("/upload"):
        return client.post(path, files={"file": ("x.tgz", b"not a chart", "application/gzip")}, headers=headers)
    return client.request(method, path, json=body, headers=headers)


def test_every_route_is_in_the_matrix(setup: Any) -> None:
    client, _, _ = setup
    spec = client.get("/api/v1/openapi.json").json()
    routes = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    listed = {
        (m, p.replace("/web", "/{name}").replace("/history/1", "/history/{revision}")) for m, p, _, _ in ENDPOINTS
    }
    listed = {
        (
            m,
            p.replace("catalog/tiny-app", "catalog/{name}")
            .replace("installed/nothing", "installed/{name}")
            .replace("operations/none", "operations/{op_id}")
            .replace("tokens/nobody", "tokens/{token_id}")
            .replace("plans/none", "plans/{plan_id}")
            .replace("logs/p1/c1", "logs/{pod}/{container}")
            .split("?")[0],
        )
        for m, p in listed
    }
    assert routes == listed


@pytest.mark.parametrize(("method", "path", "body", "least"), ENDPOINTS, ids=[f"{m} {p}" for m, p, _, _ in ENDPOINTS])
def test_without_token_401(setup: Any, method: str, path: str, body: Any, least: str) -> None:
    client, _, _ = setup
    for headers in ({}, bearer("hdk_000000000000_" + "x" * 43), {"Authorization": "Basic YTpi"}):
        response = _call(client, method, path, body, headers)
        assert response.status_code == 401, response.text
        assert response.json()["error"] == "a valid token is required"


CASES = [(m, p, b, least, role) for m, p, b, least in ENDPOINTS for role in ROLES]


@pytest.mark.parametrize(
    ("method", "path", "body", "least", "role"), CASES, ids=[f"{m} {p} as {r}" for m, p, _, _, r in CASES]
)
def test_roles(setup: Any, method: str, path: str, body: Any, least: str, role: str) -> None:
    client, _, tokens = setup
    response = _call(client, method, path, body, bearer(tokens[role]))
    if ROLES.index(role) < ROLES.index(least):
        assert response.status_code == 403, response.text
        assert f"needs the {least} role" in response.json()["error"]
    else:
        assert response.status_code not in (401, 403), response.text
        assert response.status_code < 500 or path.endswith("/doctor")


def _wait(client: TestClient, op_id: str, token: str) -> dict[str, Any]:
    for _ in range(200):
        op: dict[str, Any] = client.get(f"/api/v1/operations/{op_id}", headers=bearer(token)).json()
        if op["state"] != "running":
            return op
        time.sleep(0.02)
    raise AssertionError("operation did not finish")


def test_reads(setup: Any) -> None:
    client, backend, tokens = setup
    h = bearer(tokens["viewer"])
    assert client.get("/api/v1/whoami", headers=h).json() == {"name": "viewer", "role": "viewer"}
    status = client.get("/api/v1/status", headers=h).json()
    assert status["healthy"] is False and [c["component"] for c in status["components"]] == ["web", "db"]
    db = client.get("/api/v1/components/db", headers=h).json()
    assert db["failingPods"][0]["name"] == "db-abc"
    assert client.get("/api/v1/components/nope", headers=h).status_code == 404
    assert [r["revision"] for r in client.get("/api/v1/history", headers=h).json()] == [1, 2]
    missing = client.get("/api/v1/history/9", headers=h)
    assert missing.status_code == 404 and "no revision 9" in missing.json()["error"]
    catalog = client.get("/api/v1/extensions/catalog", headers=h).json()
    assert "tiny-app" in [e["name"] for e in catalog["extensions"]] and catalog["problems"]
    app = client.get("/api/v1/extensions/catalog/tiny-app", headers=h).json()
    assert app["parameters"][0]["name"] == "size" and app["requires"][0]["name"] == "tiny-base"
    bad = client.get("/api/v1/extensions/catalog/tiny-ap", headers=h)
    assert bad.status_code == 422 and "did you mean 'tiny-app'" in bad.json()["fix"]
    doctor = client.get("/api/v1/doctor", headers=h)
    assert doctor.status_code == 501 and "not part of this helmdeck build" in doctor.json()["error"]
    backend.has_doctor = True
    report = client.get("/api/v1/doctor?mode=preflight", headers=h).json()
    assert report["mode"] == "preflight" and report["findings"][0]["check"] == "pods"
    assert client.get("/api/v1/doctor?mode=bogus", headers=h).status_code == 422


def test_install_runs_in_background_streams_progress_and_is_audited(setup: Any) -> None:
    client, backend, tokens = setup
    h = bearer(tokens["operator"])
    # not held: an install that ends at once is still audited "started" before "succeeded"
    response = client.post(
        "/api/v1/extensions/install",
        json={"name": "tiny-multi", "parameters": {"task": "lung"}, "instanceName": "lung"},
        headers=h,
    )
    assert response.status_code == 202, response.text
    op = response.json()
    assert op["kind"] == "ext install" and op["target"] == "tiny-multi" and op["actor"] == "operator"
    with client.stream("GET", f"/api/v1/operations/{op['id']}/events", headers=h) as stream:
        text = "".join(stream.iter_text())
    assert "event: progress" in text and "event: done" in text
    events = [json.loads(line[5:]) for line in text.splitlines() if line.startswith("data:")]
    assert [e["state"] for e in events] == ["installing", "installed", "succeeded"]
    done = _wait(client, op["id"], tokens["viewer"])
    assert done["state"] == "succeeded" and done["result"]["ok"] is True
    assert backend.calls == [("install", ("tiny-multi", {"task": "lung"}, "lung"))]
    installed = client.get("/api/v1/extensions/installed", headers=h).json()
    assert [i["component"] for i in installed] == ["tiny-multi-lung"]
    audit = client.get("/api/v1/audit", headers=bearer(tokens["admin"])).json()
    assert [(a["action"], a["target"], a["result"], a["actor"]) for a in audit] == [
        ("ext install", "tiny-multi", "started", "operator"),
        ("ext install", "tiny-multi", "succeeded", "operator"),
    ]
    assert audit[0]["detail"]["parameters"] == ["task"]


def test_bad_parameters_are_422_naming_the_parameter_and_audited(setup: Any) -> None:
    client, backend, tokens = setup
    response = client.post(
        "/api/v1/extensions/install",
        json={"name": "tiny-app", "parameters": {"replicas": 9}},
        headers=bearer(tokens["operator"]),
    )
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "extension tiny-app: parameter replicas: 9 must be at most 3"
    assert body["where"] == "parameter replicas" and "whole number" in body["fix"]
    assert backend.calls == []
    audit = client.get("/api/v1/audit", headers=bearer(tokens["admin"])).json()
    assert audit[-1]["result"] == "refused" and "must be at most 3" in audit[-1]["detail"]["error"]
    unknown = client.post("/api/v1/extensions/install", json={"name": "x", "bogus": 1}, headers=bearer(tokens["admin"]))
    assert unknown.status_code == 422 and unknown.json()["where"] == "body.bogus"


def test_second_change_while_one_runs_is_409(setup: Any) -> None:
    client, backend, tokens = setup
    backend.proceed.clear()  # the rollback runs until the test lets it finish
    h = bearer(tokens["operator"])
    first = client.post("/api/v1/rollback", json={"revision": 1}, headers=h)
    second = client.post("/api/v1/extensions/install", json={"name": "tiny-base"}, headers=h)
    backend.proceed.set()
    assert first.status_code == 202 and second.status_code == 409
    assert "another change is running: rollback 1" in second.json()["error"]
    assert _wait(client, first.json()["id"], tokens["operator"])["state"] == "succeeded"
    assert backend.calls == [("rollback", 1)]


def test_uninstall_refused_while_required_unless_forced(setup: Any) -> None:
    client, backend, tokens = setup
    backend.components += [
        component_status("tiny-base", extension="tiny-base"),
        component_status("tiny-app", extension="tiny-app"),
    ]
    h = bearer(tokens["operator"])
    refused = client.delete("/api/v1/extensions/installed/tiny-base", headers=h)
    assert refused.status_code == 422 and "required by tiny-app" in refused.json()["error"]
    forced = client.delete("/api/v1/extensions/installed/tiny-base?force=true", headers=h)
    assert forced.status_code == 202
    assert _wait(client, forced.json()["id"], tokens["operator"])["state"] == "succeeded"
    assert backend.calls == [("uninstall", ("tiny-base", True))]


def test_uninstall_keeps_the_extensions_data_unless_purge_data_is_asked(setup: Any) -> None:
    client, backend, tokens = setup
    backend.components += [
        component_status("tiny-a", extension="tiny-a"),
        component_status("tiny-b", extension="tiny-b"),
    ]
    h = bearer(tokens["operator"])
    kept = client.delete("/api/v1/extensions/installed/tiny-a", headers=h)
    assert _wait(client, kept.json()["id"], tokens["operator"])["state"] == "succeeded"
    purged = client.delete("/api/v1/extensions/installed/tiny-b?purgeData=true", headers=h)
    assert _wait(client, purged.json()["id"], tokens["operator"])["state"] == "succeeded"
    assert backend.calls == [("uninstall", ("tiny-a", False)), ("uninstall", ("tiny-b", False, True))]


def test_an_extension_being_uninstalled_is_listed_uninstalling(setup: Any) -> None:
    client, backend, tokens = setup
    backend.components += [component_status("tiny-a", extension="tiny-a")]
    h = bearer(tokens["viewer"])
    assert [r["state"] for r in client.get("/api/v1/extensions/installed", headers=h).json()] == ["installed"]
    backend.proceed.clear()  # the uninstall runs until the test lets it finish
    op = client.delete("/api/v1/extensions/installed/tiny-a", headers=bearer(tokens["operator"])).json()
    rows = client.get("/api/v1/extensions/installed", headers=h).json()
    backend.proceed.set()
    assert [r["state"] for r in rows] == ["uninstalling"]
    assert _wait(client, op["id"], tokens["operator"])["state"] == "succeeded"


def test_rollback_to_unknown_revision(setup: Any) -> None:
    client, _, tokens = setup
    response = client.post("/api/v1/rollback", json={"revision": 42}, headers=bearer(tokens["operator"]))
    assert response.status_code == 404


@pytest.mark.parametrize("revision", [True, "2", 1.5, 0])
def test_rollback_revision_must_be_a_positive_whole_number(setup: Any, revision: Any) -> None:
    """Found by schemathesis: `{"revision": true}` passed for revision 1 before the models were strict."""
    client, backend, tokens = setup
    response = client.post("/api/v1/rollback", json={"revision": revision}, headers=bearer(tokens["operator"]))
    assert response.status_code == 422
    assert backend.calls == []


def test_upload(setup: Any) -> None:
    client, backend, tokens = setup
    h = bearer(tokens["admin"])
    ok = client.post("/api/v1/extensions/upload", files={"file": ("up-0.1.0.tgz", chart_archive())}, headers=h)
    assert ok.status_code == 201, ok.text
    assert ok.json()["extension"]["name"] == "up"
    catalog = client.get("/api/v1/extensions/catalog", headers=h).json()
    assert "up" in [e["name"] for e in catalog["extensions"]]
    evil = chart_archive("ev").replace(b"", b"")
    bad = client.post(
        "/api/v1/extensions/upload",
        files={"file": ("ev.tgz", chart_archive("ev", b"---\napiVersion: v1\nkind: Namespace\nmetadata: {name: n}\n"))},
        headers=h,
    )
    assert bad.status_code == 422 and "cluster-scoped" in bad.json()["error"]
    assert evil and sorted(p.name for p in (backend.state_dir / "extensions").iterdir()) == [
        "up-0.1.0",
        "up-0.1.0.policy.json",
    ]
    big = client.post("/api/v1/extensions/upload", files={"file": ("b.tgz", b"x" * (6 * 1024 * 1024))}, headers=h)
    assert big.status_code == 413
    audit = client.get("/api/v1/audit", headers=h).json()
    assert [a["result"] for a in audit if a["action"] == "ext upload"] == ["succeeded", "refused"]


def test_tokens_api(setup: Any) -> None:
    client, _, tokens = setup
    h = bearer(tokens["admin"])
    created = client.post("/api/v1/tokens", json={"name": "ci", "role": "operator"}, headers=h)
    assert created.status_code == 201
    secret = created.json()["secret"]
    assert client.get("/api/v1/whoami", headers=bearer(secret)).json() == {"name": "ci", "role": "operator"}
    listed = client.get("/api/v1/tokens", headers=h).json()
    assert [t["name"] for t in listed] == ["viewer", "operator", "admin", "ci"]
    assert all("hash" not in t and "salt" not in t for t in listed)
    assert client.delete("/api/v1/tokens/ci", headers=h).status_code == 200
    assert client.get("/api/v1/whoami", headers=bearer(secret)).status_code == 401
    assert client.post("/api/v1/tokens", json={"name": "x", "role": "root"}, headers=h).status_code == 422
    assert client.delete("/api/v1/tokens/ci", headers=h).status_code == 422
    audit = client.get("/api/v1/audit", headers=h).json()
    assert [(a["action"], a["result"]) for a in audit] == [
        ("token create", "succeeded"),
        ("token revoke", "succeeded"),
        ("authenticate", "refused"),  # the revoked token, tried once
        ("token revoke", "refused"),
    ]
    assert secret not in json.dumps(audit)


def test_openapi_documents_models_and_errors(setup: Any) -> None:
    client, _, _ = setup
    spec = client.get("/api/v1/openapi.json").json()
    install = spec["paths"]["/api/v1/extensions/install"]["post"]
    assert set(install["responses"]) >= {"202", "401", "403", "409", "422", "503"}
    assert install["responses"]["202"]["content"]["application/json"]["schema"]["$ref"].endswith("/Operation")
    assert "ComponentStatus" in spec["components"]["schemas"]
    assert spec["paths"]["/api/v1/status"]["get"]["summary"]


def test_security_headers_and_healthz(setup: Any) -> None:
    client, _, _ = setup
    response = client.get("/healthz")
    assert response.json() == {"status": "ok"}
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"


def test_api_docs_work_offline_under_the_pages_content_security_policy(tmp_path: Path) -> None:
    app, _backend, _tokens = make_app(tmp_path)
    client = TestClient(app)
    page = client.get("/api/docs")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    html = page.text
    assert "cdn" not in html.lower() and "<script>" not in html  # no CDN, no inline script
    for asset in (
        "/api/docs-assets/swagger-ui-bundle.js",
        "/api/docs-assets/swagger-ui.css",
        "/static/swagger-init.js",
    ):
        assert asset in html
        served = client.get(asset)
        assert served.status_code == 200 and len(served.content) > 100, asset
