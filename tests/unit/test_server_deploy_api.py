"""The REST API's plan, deploy, stop and undeploy on a fake deploy port (no cluster): what each
refuses (409 with the list), what it needs confirmed, and the operation it starts."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from helmdeck.server.app import create_app
from helmdeck.server.deploy_port import MadePlan, PlanMoved
from helmdeck.server.operations import Running
from helmdeck.server.settings import ServerSettings

from .server_support import ROLES, FakeBackend, bearer, component_status
from .test_server_ui import _csrf, login

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

    def deploy(self, record: dict[str, Any], source: str, *, allow_destructive: bool, run: Running) -> dict[str, Any]:
        self.deployed.append({"source": source, "allowDestructive": allow_destructive})
        run.progress("db", "upgrading", "db-0.1.0")
        if self.block.is_set():
            run.cancel.wait(10)
        if run.cancel.is_set():
            return {"ok": False, "interrupted": True, "notStarted": ["web"]}
        run.progress("web", "installing", "web-0.1.0")
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

    def undeploy(self, purge_data: bool, confirmed: list[str], run: Running) -> dict[str, Any]:
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


def test_a_plan_is_deployed_once_however_often_it_is_sent(api: Any) -> None:
    """A double click sends two requests: one deploy runs, the other names it, whether the first
    still runs or is done (the fake port's verify never says the plan moved, so nothing else stops
    the second)."""
    client, deploys, tokens = api
    h = bearer(tokens["operator"])
    plan = client.post("/api/v1/plan", headers=h).json()
    answers: list[Any] = []
    sends = [
        threading.Thread(target=lambda: answers.append(client.post(f"/api/v1/plans/{plan['id']}/deploy", headers=h)))
        for _ in range(2)
    ]
    for t in sends:
        t.start()
    for t in sends:
        t.join()
    assert sorted(a.status_code for a in answers) == [202, 409], [a.text for a in answers]
    op_id = next(a for a in answers if a.status_code == 202).json()["id"]
    refused = next(a for a in answers if a.status_code == 409).json()
    assert refused["details"]["operation"] == op_id and "deployed once" in refused["error"]
    assert _done(client, op_id, tokens["operator"])["state"] == "succeeded"
    # deployed: sent again, it is refused too; one deploy ran
    again = client.post(f"/api/v1/plans/{plan['id']}/deploy", headers=h)
    assert again.status_code == 409 and again.json()["details"]["operation"] == op_id
    assert len(deploys.deployed) == 1


def test_a_second_click_on_deploy_opens_the_running_deploy(api: Any) -> None:
    client, deploys, tokens = api
    login(client, tokens["operator"])
    made = client.post("/plan", data={"csrf_token": _csrf_of(client)}, follow_redirects=False)
    plan_url = made.headers["location"]
    form = {"csrf_token": _csrf_of(client)}
    first = client.post(f"{plan_url}/deploy", data=form, follow_redirects=False)
    second = client.post(f"{plan_url}/deploy", data=form, follow_redirects=False)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert 'data-testid="deploy-plan"' not in client.get(plan_url).text  # not offered again
    op_id = first.headers["location"].rsplit("/", 1)[1]
    _done(client, op_id, tokens["operator"])
    assert len(deploys.deployed) == 1


def _csrf_of(client: TestClient) -> str:
    return _csrf(client.get("/plan").text)


def test_a_namespace_expands_on_the_plan_and_deploy_pages_not_the_overview(api: Any) -> None:
    """At 200 components the graph collapses namespaces; expanding one keeps the plan under review
    (and a deploy's page) open."""
    client, _deploys, tokens = api
    backend = client.app.state.backend
    rows = []
    for i in range(70):
        row = component_status(f"c{i:03d}")
        row["namespace"] = f"ns{i % 2}"
        rows.append(row)
    backend.components = rows
    client.app.state.status_cache.invalidate()
    login(client, tokens["operator"])
    plan_url = client.post("/plan", data={"csrf_token": _csrf_of(client)}, follow_redirects=False).headers["location"]
    html = client.get(plan_url).text
    assert f'href="{plan_url}?expand=ns1" data-testid="graph-group-ns1"' in html
    expanded = client.get(f"{plan_url}?expand=ns1").text
    assert 'data-testid="graph-node-c001"' in expanded and 'data-testid="graph-group-ns0"' in expanded
    assert f'href="{plan_url}" data-testid="graph-collapse-ns1"' in expanded
    form = {"csrf_token": _csrf_of(client)}
    deploy_url = client.post(f"{plan_url}/deploy", data=form, follow_redirects=False).headers["location"]
    page = client.get(f"{deploy_url}?expand=ns0").text
    assert 'data-testid="graph-node-c000"' in page
    assert f'href="{deploy_url}?expand=ns0&amp;expand=ns1" data-testid="graph-group-ns1"' in page


def test_the_plan_page_shows_what_changes_first_and_folds_the_unchanged(api: Any) -> None:
    """200 components, 2 changing: their rows and the Deploy button are not 12,000 px down the page."""
    client, deploys, tokens = api
    made = deploys.make_plan

    def big_plan() -> MadePlan:
        plan = made()
        same = [{**_component(f"c{i:03d}", "unchanged"), "state": "in-sync"} for i in range(198)]
        plan.view["components"] = same + plan.view["components"]
        return plan

    deploys.make_plan = big_plan
    login(client, tokens["operator"])
    plan_url = client.post("/plan", data={"csrf_token": _csrf_of(client)}, follow_redirects=False).headers["location"]
    page = client.get(plan_url).text
    assert page.index('data-testid="plan-web"') < page.index('data-testid="plan-unchanged"')
    assert page.index('data-testid="plan-db"') < page.index('data-testid="plan-unchanged"')
    assert page.index('data-testid="plan-unchanged"') < page.index('data-testid="plan-c000"')
    assert "<summary>198 unchanged</summary>" in page


def test_a_second_click_on_undeploy_opens_the_undeploy_it_started(api: Any) -> None:
    """Not "the confirmation is expired or unknown: nothing was changed" while the undeploy runs."""
    client, deploys, tokens = api
    login(client, tokens["admin"])
    page = client.get("/undeploy").text
    confirmation = re.search(r'name="confirmation" value="([^"]+)"', page)
    assert confirmation
    form = {"csrf_token": _csrf(page), "confirmation": confirmation.group(1)}
    first = client.post("/undeploy", data=form, follow_redirects=False)
    second = client.post("/undeploy", data=form, follow_redirects=False)
    assert first.status_code == second.status_code == 303, second.text
    assert first.headers["location"] == second.headers["location"]
    assert first.headers["location"].startswith("/operations/")
    api_again = client.post(
        "/api/v1/undeploy", headers=bearer(tokens["admin"]), json={"confirmation": confirmation.group(1)}
    )
    assert api_again.status_code == 409 and api_again.json()["details"]["operation"] in first.headers["location"]
    _done(client, first.headers["location"].rsplit("/", 1)[1], tokens["admin"])
    assert len(deploys.undeployed) == 1


def test_a_body_too_deeply_nested_to_parse_says_what_to_send(api: Any) -> None:
    client, _deploys, tokens = api
    headers = {**bearer(tokens["admin"]), "content-type": "application/json"}
    deep = b"[" * 100_000 + b"]" * 100_000  # under the size cap; json's recursion limit refuses it
    answer = client.post("/api/v1/undeploy/preview", headers=headers, content=deep)
    assert answer.status_code == 400
    assert "openapi.json" in answer.json()["fix"]
