"""Plan and deploy from the web in Chromium, on a platform deployed to the sandbox: a plan made on
/plan is refused when something moved since (the list shown, nothing deployed), a new plan deploys
exactly and the graph lights up component by component; Stop finishes the running component and
starts none after it; destructive changes need their own confirmation (the page's and the API's);
undeploy is previewed, then confirmed, by an admin only."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cluster.conftest import SandboxHandle
from tests.web.conftest import WEB_CHARTS, WebPlatform, serving, sign_in

pytestmark = pytest.mark.cluster

SLOW = WEB_CHARTS / "slowapp"


def write_platform(path: Path, instance: str, components: list[tuple[str, list[str], dict[str, Any]]]) -> None:
    """The platform file: each component (name, needs, set) of the slowapp chart."""
    lines = [
        "apiVersion: helmdeck.dev/v1",
        "kind: Platform",
        "metadata: {name: deployplat}",
        "spec:",
        f'  instance: "{instance}"',
        "  environments:",
        "    demo: {values: [env/demo.yaml]}",
        "  components:",
    ]
    for name, needs, sets in components:
        lines += [f"    - name: {name}", f"      chart: {SLOW}", f"      needs: {needs}", f"      set: {sets}"]
    path.write_text("\n".join(lines) + "\n")


@contextlib.contextmanager
def _served(sandbox: SandboxHandle, tmp_path: Path, claim: bool) -> Iterator[WebPlatform]:
    (tmp_path / "env").mkdir()
    (tmp_path / "env" / "demo.yaml").write_text("global:\n  domain: web.sandbox.test\n")
    path = tmp_path / "platform.yaml"
    write_platform(path, f"d{secrets.token_hex(3)}", [("first", [], {"claim": claim})])
    with serving(sandbox, tmp_path, path) as served:
        yield served


@pytest.fixture
def deploy_platform(sandbox: SandboxHandle, tmp_path: Path) -> Iterator[WebPlatform]:
    """``first`` deployed and served."""
    with _served(sandbox, tmp_path, claim=False) as served:
        yield served


@pytest.fixture
def claim_platform(sandbox: SandboxHandle, tmp_path: Path) -> Iterator[WebPlatform]:
    """``first`` deployed with a volume claim, and served."""
    with _served(sandbox, tmp_path, claim=True) as served:
        yield served


def _instance(web: WebPlatform) -> str:
    return str(yaml.safe_load(web.path.read_text())["spec"]["instance"])


def _csp_watch(page: Any) -> list[str]:
    refused: list[str] = []
    page.on("console", lambda msg: refused.append(msg.text) if "Content Security Policy" in msg.text else None)
    return refused


def _releases(web: WebPlatform) -> set[str]:
    from helmdeck.core.session import PlatformSession

    session = PlatformSession(web.path, environment="demo", kubeconfig=web.kubeconfig)
    return set(session.live_releases())


def _node(page: Any, name: str) -> Any:
    return page.locator(f'[data-testid="graph-node-{name}"]')


def test_a_moved_plan_is_refused_and_a_fresh_one_deploys_exactly(deploy_platform: WebPlatform, page: Any) -> None:
    web = deploy_platform
    refused = _csp_watch(page)
    page.set_viewport_size({"width": 800, "height": 900})
    sign_in(page, web.url, web.token("operator"))
    instance = _instance(web)
    write_platform(web.path, instance, [("first", [], {"claim": False}), ("second", ["first"], {"readyAfter": "3s"})])
    page.click('nav a[href="/plan"]')
    page.click('[data-testid="make-plan"]')
    page.wait_for_url(f"{web.url}/plan/*")
    assert page.locator('[data-testid="plan-second"]').get_attribute("data-action") == "install"
    assert "1 to install, 0 to change, 0 to remove" in page.locator('[data-testid="plan-summary"]').inner_text()
    assert _node(page, "second").get_attribute("data-health") == "absent"  # drawn before it exists
    assert page.locator('[data-edge="first>second"]').count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 800
    # someone changes the values after the review: the reviewed plan no longer holds
    (web.path.parent / "env" / "demo.yaml").write_text(
        "global:\n  domain: web.sandbox.test\nsecond:\n  message: changed after the review\n"
    )
    page.click('[data-testid="deploy-plan"]')
    moved = page.locator('[data-testid="moved"]')
    assert "component second: values changed since the plan" in moved.inner_text()
    assert "nothing was deployed" in page.locator('[data-testid="error"]').inner_text()
    assert "second" not in _releases(web)
    assert page.locator('[data-testid="deploy-plan"]').count() == 0  # the stale plan is not offered again
    # a new plan of what is there now goes through, and the graph lights up as it does
    page.click('[data-testid="make-plan"]')
    page.wait_for_url(f"{web.url}/plan/*")
    page.click('[data-testid="deploy-plan"]')
    page.wait_for_url(f"{web.url}/deploys/*")
    page.wait_for_selector('[data-testid="graph-node-second"][data-health="progressing"]')
    assert _node(page, "second").locator("rect").first.get_attribute("fill") == "#e0eaff"
    assert _node(page, "second").get_attribute("data-deploy") in ("installing", "waiting")
    page.wait_for_selector('[data-testid="op-state"][data-state="succeeded"]')
    assert page.locator('[data-testid="stop"]').count() == 0  # the end replaced it with the state
    page.wait_for_selector('[data-testid="graph-node-second"][data-health="healthy"]')
    assert _node(page, "second").locator("rect").first.get_attribute("fill") == "#dcfae6"
    assert {"first", "second"} <= _releases(web)
    # the overview knows the component the file has now, with its needs
    page.goto(f"{web.url}/")
    assert page.locator('[data-edge="first>second"]').count() == 1
    assert refused == []


def test_stop_finishes_the_running_component_and_starts_no_other(deploy_platform: WebPlatform, page: Any) -> None:
    web = deploy_platform
    sign_in(page, web.url, web.token("operator"))
    instance = _instance(web)
    write_platform(
        web.path,
        instance,
        [("first", [], {"claim": False}), ("second", ["first"], {"readyAfter": "4s"}), ("third", ["second"], {})],
    )
    page.goto(f"{web.url}/plan")
    page.click('[data-testid="make-plan"]')
    page.wait_for_url(f"{web.url}/plan/*")
    page.click('[data-testid="deploy-plan"]')
    page.wait_for_url(f"{web.url}/deploys/*")
    op_id = page.url.rsplit("/", 1)[1]
    page.wait_for_selector('[data-testid="graph-node-second"][data-health="progressing"]')
    page.click('[data-testid="stop"]')
    page.wait_for_selector('[data-testid="op-state"][data-state="stopped"]')
    op = web.app.state.runner.get(op_id)
    assert op.state == "stopped" and op.stopped_by.startswith("operator-")
    assert op.result["notStarted"] == ["third"]
    assert [c["component"] for c in op.result["components"] if c["outcome"] == "installed"] == ["second"]
    releases = _releases(web)
    assert "second" in releases and "third" not in releases
    # stopping it again: it is not running any more
    again = page.request.post(
        f"{web.url}/api/v1/operations/{op_id}/cancel", headers={"Authorization": f"Bearer {web.token('operator')}"}
    )
    assert again.status == 409 and "not running" in again.json()["error"]


def test_destructive_changes_need_their_own_confirmation(claim_platform: WebPlatform, page: Any) -> None:
    web = claim_platform
    operator = web.token("operator")
    sign_in(page, web.url, operator)
    instance = _instance(web)
    write_platform(web.path, instance, [("first", [], {"claim": False})])
    page.goto(f"{web.url}/plan")
    page.click('[data-testid="make-plan"]')
    page.wait_for_url(f"{web.url}/plan/*")
    plan_id = page.url.rsplit("/", 1)[1]
    box = page.locator('[data-testid="destructive"]')
    assert "PersistentVolumeClaim" in box.inner_text() and "first-data" in box.inner_text()
    # the API refuses it unconfirmed, naming what it would destroy
    api = page.request.post(
        f"{web.url}/api/v1/plans/{plan_id}/deploy", data={}, headers={"Authorization": f"Bearer {operator}"}
    )
    assert api.status == 409, api.text()
    assert api.json()["details"]["destructive"][0]["change"] == "deletes-data"
    # so does the page without the second confirmation
    page.click('[data-testid="deploy-plan"]')
    assert "not confirmed" in page.locator('[data-testid="error"]').inner_text()
    assert page.url.endswith(f"/plan/{plan_id}/deploy")
    page.check('[data-testid="confirm-destructive"]')
    page.click('[data-testid="deploy-plan"]')
    page.wait_for_url(f"{web.url}/deploys/*")
    page.wait_for_selector('[data-testid="op-state"][data-state="succeeded"]')
    audit = web.app.state.audit.tail(20)
    started = [e for e in audit if e["action"] == "deploy" and e["result"] == "started"]
    assert "first-data" in str(started[-1]["detail"]["confirmedDestructive"])


def test_undeploy_is_previewed_then_confirmed_by_an_admin_only(deploy_platform: WebPlatform, page: Any) -> None:
    web = deploy_platform
    operator = web.token("operator")
    refused = page.request.post(
        f"{web.url}/api/v1/undeploy/preview", data={}, headers={"Authorization": f"Bearer {operator}"}
    )
    assert refused.status == 403
    sign_in(page, web.url, operator)
    assert page.goto(f"{web.url}/undeploy").status == 403
    admin = web.token("admin")
    # the API needs a preview's confirmation
    unconfirmed = page.request.post(
        f"{web.url}/api/v1/undeploy", data={"confirmation": "guessed"}, headers={"Authorization": f"Bearer {admin}"}
    )
    assert unconfirmed.status == 409 and "nothing was changed" in unconfirmed.json()["error"]
    page.context.clear_cookies()
    sign_in(page, web.url, admin)
    page.goto(f"{web.url}/plan")
    page.click('[data-testid="undeploy-link"]')
    page.wait_for_url(f"{web.url}/undeploy")
    assert page.locator('[data-testid="undeploy-first"]').is_visible()
    assert "first" in _releases(web)
    page.click('[data-testid="confirm-undeploy"]')
    page.wait_for_url(f"{web.url}/operations/*")
    page.wait_for_selector('[data-testid="op-state"][data-state="succeeded"]')
    assert "first" not in _releases(web)
