"""The component page in Chromium, on the sandbox: from the overview to the component's tree
(Deployment, ReplicaSet, pods, all healthy), its events and values with the platform secret
redacted, then the diff an upgrade leaves; the same data from the API; and at 800 px. The open page
follows the cluster live: a Deployment scaled, a pod deleted, another revision deployed."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.cluster.conftest import SandboxHandle
from tests.web.conftest import WebPlatform, sign_in

pytestmark = pytest.mark.cluster


def _password(web: WebPlatform) -> str:
    from helmdeck.core.session import PlatformSession
    from helmdeck.spec import load_platform

    session = PlatformSession(platform=load_platform(web.path), kubeconfig=web.kubeconfig)
    value = session.secrets(create=False)["app-password"]
    assert len(value) == 24
    return value


def _upgrade(web: WebPlatform, *sets: str) -> None:
    from helmdeck.core.session import PlatformSession
    from helmdeck.deploy.executor import Deployer
    from helmdeck.spec import load_platform

    session = PlatformSession(
        platform=load_platform(web.path), environment="demo", kubeconfig=web.kubeconfig, cli_sets=sets
    )
    assert Deployer(session).run().ok


def test_component_page_tree_events_values_and_upgrade_diff(component_platform: WebPlatform, page: Any) -> None:
    url = component_platform.url
    password = _password(component_platform)
    sign_in(page, url, component_platform.token("viewer"))
    page.locator('[data-testid="component-app"][data-health="healthy"]').wait_for()
    page.click('[data-testid="link-app"]')
    page.wait_for_url(f"{url}/components/app")

    deployment = page.locator('[data-testid="node-Deployment-app"]')
    assert deployment.get_attribute("data-health") == "healthy"
    replicaset = deployment.locator('li[data-kind="ReplicaSet"]')
    assert replicaset.count() == 1 and replicaset.get_attribute("data-health") == "healthy"
    pods = replicaset.locator('li[data-kind="Pod"][data-health="healthy"]')
    assert pods.count() == 2
    containers = pods.first.locator("table.containers").inner_text()
    assert "web" in containers and "running" in containers and "yes" in containers
    for kind, name in [("Service", "app"), ("ConfigMap", "app-config"), ("Secret", "app-auth")]:
        assert page.locator(f'[data-testid="node-{kind}-{name}"][data-health="healthy"]').count() == 1
    assert page.locator('[data-testid="node-PersistentVolumeClaim-app-data"]').count() == 1
    events = page.locator('[data-testid="events"]').inner_text()
    assert "ScalingReplicaSet" in events and "Scaled up replica set app-" in events
    assert "password: <redacted:app-password>" in page.locator('[data-testid="values"]').inner_text()
    assert page.locator('[data-testid="no-previous"]').count() == 1
    assert password not in page.content()

    _upgrade(component_platform, "app.message=changed")
    page.reload()
    assert page.locator('[data-testid="revision"]').inner_text() == "2"
    values_diff = page.locator('[data-testid="values-diff"]').inner_text()
    assert "-message: hello" in values_diff and "+message: changed" in values_diff
    manifest_diff = page.locator('[data-testid="manifest-diff"]').inner_text()
    assert "+  message: changed" in manifest_diff and "checksum/config" in manifest_diff
    page.locator('[data-testid="node-Deployment-app"][data-health="healthy"]').wait_for()
    html = page.content()
    assert password not in html and "&lt;redacted:app-password&gt;" in html

    # 800 px wide: nothing runs off the page sideways (long lines scroll inside their boxes)
    page.set_viewport_size({"width": 800, "height": 900})
    assert page.evaluate("document.documentElement.scrollWidth") <= 800

    page.goto(f"{url}/components/nope")
    assert "no component named 'nope'" in page.locator('[data-testid="error-page"]').inner_text()
    assert page.locator("header nav a", has_text="Overview").count() == 1


_HEALTHY_PODS = 'li[data-testid="node-Deployment-app"] li[data-kind="Pod"][data-health="healthy"]'


def _healthy_pods(page: Any, count: int) -> None:
    from playwright.sync_api import expect

    expect(page.locator(_HEALTHY_PODS)).to_have_count(count, timeout=30_000)


def test_component_page_follows_the_cluster_without_a_reload(
    component_platform: WebPlatform,
    sandbox: SandboxHandle,
    page: Any,
) -> None:
    from lightkube.resources.apps_v1 import Deployment
    from lightkube.resources.core_v1 import Pod

    url = component_platform.url
    sign_in(page, url, component_platform.token("viewer"))
    page.goto(f"{url}/components/app")
    assert page.locator(_HEALTHY_PODS).count() == 2
    page.evaluate("window.helmdeckNotReloaded = true")  # on this document only: a reload loses it
    namespace = page.locator('[data-testid="release"] dd').nth(1).inner_text()
    client = sandbox.client()

    client.patch(Deployment, "app", {"spec": {"replicas": 3}}, namespace=namespace)
    _healthy_pods(page, 3)
    page.locator('[data-testid="events"]').get_by_text("from 2 to 3").wait_for()

    doomed = str(page.locator(_HEALTHY_PODS).first.get_attribute("data-testid")).removeprefix("node-Pod-")
    client.delete(Pod, doomed, namespace=namespace)
    page.locator(f'[data-testid="node-Pod-{doomed}"]').wait_for(state="detached")
    _healthy_pods(page, 3)  # the ReplicaSet's replacement

    # another revision: the page says so and shows its values and changes
    with ThreadPoolExecutor(1) as pool:  # the deploy's health gate runs its own event loop
        pool.submit(_upgrade, component_platform, "app.message=live").result()
    page.locator('[data-testid="revision"]', has_text="2").wait_for()
    notice = page.locator('[data-testid="revision-changed"]').inner_text()
    assert "replaced revision 1 while this page was open" in notice
    page.locator('[data-testid="values-diff"]', has_text="+message: live").wait_for()
    assert page.evaluate("window.helmdeckNotReloaded") is True


def test_component_detail_api(component_platform: WebPlatform) -> None:
    url = component_platform.url
    password = _password(component_platform)
    headers = {"Authorization": f"Bearer {component_platform.token('viewer')}"}
    with httpx.Client(base_url=url, timeout=30) as client:
        assert client.get("/api/v1/components/app/detail").status_code == 401
        response = client.get("/api/v1/components/app/detail", headers=headers)
        assert response.status_code == 200, response.text
        assert password not in response.text
        body = response.json()
        assert (body["component"], body["revision"], body["previousRevision"]) == ("app", 1, None)
        (deployment,) = [n for n in body["tree"] if n["kind"] == "Deployment"]
        (replicaset,) = deployment["children"]
        assert replicaset["kind"] == "ReplicaSet" and replicaset["health"] == "healthy"
        assert [p["pod"]["containers"][0]["state"] for p in replicaset["children"]] == ["running", "running"]
        assert "<redacted:app-password>" in body["values"] and "<redacted>" in body["manifest"]
        missing = client.get("/api/v1/components/nope/detail", headers=headers)
        assert missing.status_code == 404 and "no component named" in missing.json()["error"]


def test_extension_secret_parameter_is_redacted(web_platform: WebPlatform, page: Any) -> None:
    """A parameter the extension's schema marks secret (``writeOnly``) never shows, on the page or in the API."""
    from helmdeck.core.session import PlatformSession
    from helmdeck.extensions.catalog import Catalog
    from helmdeck.extensions.manager import ExtensionManager
    from helmdeck.spec import load_platform

    session = PlatformSession(
        platform=load_platform(web_platform.path), environment="demo", kubeconfig=web_platform.kubeconfig
    )
    token = "tok-" + "9f3a" * 6
    manager = ExtensionManager(session, Catalog.for_platform(session.platform))
    # the health gate runs its own event loop: not on this thread, where Playwright's runs
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(manager.install, "tiny-app", {"token": token}).result().ok
    viewer = web_platform.token("viewer")
    with httpx.Client(base_url=web_platform.url, timeout=30) as client:
        response = client.get("/api/v1/components/tiny-app/detail", headers={"Authorization": f"Bearer {viewer}"})
    assert response.status_code == 200, response.text
    assert token not in response.text
    assert "token: <redacted:value parameters.token>" in response.json()["values"]
    sign_in(page, web_platform.url, viewer)
    page.goto(f"{web_platform.url}/extensions")
    page.click('a[href="/components/tiny-app"]')
    page.locator('[data-testid="node-Deployment-tiny-app"]').wait_for()
    assert "(extension tiny-app)" in page.locator('[data-testid="component-title"]').inner_text()
    assert token not in page.content()
