"""The REST API's plan, deploy, stop and undeploy on a fake deploy port (no cluster): what each
refuses (409 with the list), what it needs confirmed, and the operation it starts."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from helmdeck.server.app import create_app
from helmdeck.server.deploy_port import MadePlan, PlanMoved
from helmdeck.server.operations import Progress
from helmdeck.server.settings import ServerSettings

from .server_support import ROLES, FakeBackend, bearer

DESTRUCTIVE = {
    "component": "db",
    "object": "PersistentVolumeClaim services/db-data",
    "change": "deletes-data",
    "detail": "the claim is deleted, with its data",
}


def _component(name: str, action: str) -> dict[str, Any]:
    return {
        "component": name,
        "release": name,
        "namespace": "services",
        "action": action,
        "state": "absent" if action == "install" else "out-of-sync",
        "reason": "",
        "chart": f"{name}-0.1.0",
        "liveRevision": None,
        "liveStatus": None,
        "liveChart": None,
        "diff": "+kind: ConfigMap\n",
        "drift": [],
        "destructive": [],
    }


class FakeDeploys:
    def __init__(self) -> None:
        self.destructive = False
        self.moved: list[str] = []
        self.deployed: list[dict[str, Any]] = []
        self.undeployed: list[tuple[bool, list[str]]] = []
        self.block = threading.Event()  # set: a deploy runs until stopped
        self.data = ["PersistentVolumeClaim services/db-data"]

    def make_plan(self) -> MadePlan:
        db = _component("db", "upgrade")
        if self.destructive:
            db["destructive"] = [DESTRUCTIVE]
        view = {
            "platform": "demo",
            "environment": "dev",
            "changes": True,
            "summary": "1 to install, 1 to change, 0 to remove" + ("; 1 destructive" if self.destructive else ""),
            "destructive": [DESTRUCTIVE] if self.destructive else [],
            "components": [_component("web", "install"), db],
            "placeholderSecrets": False,
        }
        return MadePlan(view, {"salt": "s", "createdAt": "now"}, {"web": ["db"], "db": []})

    def verify(self, record: dict[str, Any], source: str) -> None:
        if self.moved:
            raise PlanMoved("the platform changed since the plan", where=source, details={"differences": self.moved})

    def deploy(
        self,
        record: dict[str, Any],
        source: str,
        *,
        allow_destructive: bool,
        progress: Progress,
        cancel: threading.Event,
    ) -> dict[str, Any]:
        self.deployed.append({"source": source, "allowDestructive": allow_destructive})
        progress("db", "upgrading", "db-0.1.0")
        if self.block.is_set():
            cancel.wait(10)
        if cancel.is_set():
            return {"ok": False, "interrupted": True, "notStarted": ["web"]}
        progress("web", "installing", "web-0.1.0")
        return {"ok": True, "interrupted": False, "notStarted": []}

    def preview_undeploy(self, purge_data: bool) -> dict[str, Any]:
        return {
            "dryRun": True,
            "operation": "undeploy",
            "platform": "demo",
            "purgeData": purge_data,
            "releases": [{"step": 1, "component": "web"}],
            "namespaces": [],
            "keptData": [] if purge_data else self.data,
            "deletedData": self.data if purge_data else [],
            "left": [],
        }

    def undeploy(
        self, purge_data: bool, confirmed: list[str], progress: Progress, cancel: threading.Event
    ) -> dict[str, Any]:
        self.undeployed.append((purge_data, confirmed))
        return {"ok": True}


@pytest.fixture
def api(tmp_path: Path) -> Any:
    deploys = FakeDeploys()
    app = create_app(ServerSettings(status_poll_seconds=0.2), FakeBackend(tmp_path / "state"), deploys=deploys)
    tokens = {role: app.state.tokens.create(role, role)[1] for role in ROLES}
    with TestClient(app) as client:
        yield client, deploys, tokens


def _done(client: TestClient, op_id: str, token: str) -> dict[str, Any]:
    for _ in range(250):
        op: dict[str, Any] = client.get(f"/api/v1/operations/{op_id}", headers=bearer(token)).json()
        if op["state"] != "running":
            return op
        time.sleep(0.02)
    raise AssertionError("operation did not finish")


def test_a_plan_is_kept_and_deployed_exactly(api: Any) -> None:
    client, deploys, tokens = api
    h = bearer(tokens["operator"])
    made = client.post("/api/v1/plan", headers=h)
    assert made.status_code == 201, made.text
    plan = made.json()
    assert plan["summary"] == "1 to install, 1 to change, 0 to remove"
    assert [c["action"] for c in plan["components"]] == ["install", "upgrade"]
    assert client.get(f"/api/v1/plans/{plan['id']}", headers=bearer(tokens["viewer"])).json()["id"] == plan["id"]
    started = client.post(f"/api/v1/plans/{plan['id']}/deploy", headers=h)
    assert started.status_code == 202, started.text
    op = _done(client, started.json()["id"], tokens["operator"])
    assert op["state"] == "succeeded" and op["kind"] == "deploy"
    assert deploys.deployed == [{"source": f"plan {plan['id']}", "allowDestructive": False}]
    assert client.get(f"/api/v1/plans/{plan['id']}", headers=h).json()["operations"] == [op["id"]]
    assert client.get("/api/v1/plans/nope", headers=h).status_code == 404


def test_a_plan_that_moved_is_refused_with_the_list(api: Any) -> None:
    client, deploys, tokens = api
    h = bearer(tokens["operator"])
    plan = client.post("/api/v1/plan", headers=h).json()
    deploys.moved = ["component db: values changed since the plan (or other -e, --values, --set)"]
    refused = client.post(f"/api/v1/plans/{plan['id']}/deploy", headers=h)
    assert refused.status_code == 409
    assert refused.json()["details"]["differences"] == deploys.moved
    assert deploys.deployed == []
    audit = client.get("/api/v1/audit", headers=bearer(tokens["admin"])).json()
    assert [(e["action"], e["result"]) for e in audit if e["action"] == "deploy"] == [("deploy", "refused")]


def test_destructive_changes_need_confirm_destructive(api: Any) -> None:
    client, deploys, tokens = api
    h = bearer(tokens["operator"])
    deploys.destructive = True
    plan = client.post("/api/v1/plan", headers=h).json()
    refused = client.post(f"/api/v1/plans/{plan['id']}/deploy", headers=h, json={"confirmDestructive": False})
    assert refused.status_code == 409 and "PersistentVolumeClaim services/db-data" in refused.json()["error"]
    assert refused.json()["details"]["destructive"] == [DESTRUCTIVE]
    # a string is not a yes, nor is a misspelt key
    for body in ({"confirmDestructive": "true"}, {"confirmDestructiv": True}):
        assert client.post(f"/api/v1/plans/{plan['id']}/deploy", headers=h, json=body).status_code == 422
    assert deploys.deployed == []
    started = client.post(f"/api/v1/plans/{plan['id']}/deploy", headers=h, json={"confirmDestructive": True})
    assert started.status_code == 202
    assert _done(client, started.json()["id"], tokens["operator"])["state"] == "succeeded"
    assert deploys.deployed[0]["allowDestructive"] is True


def test_cancel_stops_a_deploy_as_ctrl_c_does(api: Any) -> None:
    client, deploys, tokens = api
    h = bearer(tokens["operator"])
    deploys.block.set()
    plan = client.post("/api/v1/plan", headers=h).json()
    op_id = client.post(f"/api/v1/plans/{plan['id']}/deploy", headers=h).json()["id"]
    assert client.post(f"/api/v1/operations/{op_id}/cancel", headers=bearer(tokens["viewer"])).status_code == 403
    stopping = client.post(f"/api/v1/operations/{op_id}/cancel", headers=h)
    assert stopping.status_code == 200, stopping.text
    assert any(e["state"] == "stopping" for e in stopping.json()["events"])
    op = _done(client, op_id, tokens["operator"])
    assert op["state"] == "stopped" and op["result"]["notStarted"] == ["web"]
    again = client.post(f"/api/v1/operations/{op_id}/cancel", headers=h)
    assert again.status_code == 409 and "not running (it stopped)" in again.json()["error"]
    assert client.post("/api/v1/operations/nope/cancel", headers=h).status_code == 404


def test_undeploy_needs_a_preview_with_the_same_purge(api: Any) -> None:
    client, deploys, tokens = api
    h = bearer(tokens["admin"])
    assert client.post("/api/v1/undeploy/preview", headers=bearer(tokens["operator"])).status_code == 403
    preview = client.post("/api/v1/undeploy/preview", headers=h, json={"purgeData": True}).json()
    assert preview["deletedData"] == deploys.data and preview["confirmation"]
    for body in ({"confirmation": "guessed", "purgeData": True}, {"confirmation": preview["confirmation"]}):
        refused = client.post("/api/v1/undeploy", headers=h, json=body)
        assert refused.status_code == 409 and "nothing was changed" in refused.json()["error"]
    started = client.post(
        "/api/v1/undeploy", headers=h, json={"confirmation": preview["confirmation"], "purgeData": True}
    )
    assert started.status_code == 202
    assert _done(client, started.json()["id"], tokens["admin"])["state"] == "succeeded"
    assert deploys.undeployed == [(True, deploys.data)]  # only what the preview listed
    reused = client.post(
        "/api/v1/undeploy", headers=h, json={"confirmation": preview["confirmation"], "purgeData": True}
    )
    assert reused.status_code == 409  # one undeploy per preview
