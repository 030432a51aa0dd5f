"""Extension states as Kaapana's extension page shows them, on the sandbox: a Kaapana-internal
one-shot (a Job only) that finished is completed, an application is pending until its pod is ready,
then installed, and one whose pod crashes is failed; in the REST list and on the extension page
(uninstalling: tests/unit/test_server_api.py), with each application's "open" link."""

from __future__ import annotations

import re
import secrets
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cluster.conftest import SandboxHandle
from tests.web.conftest import WEB_CHARTS, WebPlatform, serving, sign_in

pytestmark = pytest.mark.cluster


@pytest.fixture
def states_platform(sandbox: SandboxHandle, tmp_path: Path) -> Iterator[WebPlatform]:
    (tmp_path / "env").mkdir()
    (tmp_path / "env" / "demo.yaml").write_text("global: {}\n")
    path = tmp_path / "platform.yaml"
    path.write_text(
        textwrap.dedent(
            f"""\
            apiVersion: helmdeck.dev/v1
            kind: Platform
            metadata: {{name: states}}
            spec:
              instance: "s{secrets.token_hex(3)}"
              environments:
                demo: {{values: [env/demo.yaml]}}
              components: []
              extensions:
                catalog: ["{WEB_CHARTS / "states"}"]
            """
        )
    )
    with serving(sandbox, tmp_path, path) as served:
        yield served


def _install(web: WebPlatform, token: str, name: str, instance: str | None = None, **params: str) -> str:
    body: dict[str, Any] = {"name": name, "parameters": params}
    if instance:
        body["instanceName"] = instance
    response = httpx.post(
        f"{web.url}/api/v1/extensions/install", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def _operation(web: WebPlatform, token: str, op: str) -> dict[str, Any]:
    response = httpx.get(f"{web.url}/api/v1/operations/{op}", headers={"Authorization": f"Bearer {token}"})
    result: dict[str, Any] = response.json()
    return result


def _states(web: WebPlatform, token: str) -> dict[str, str]:
    response = httpx.get(f"{web.url}/api/v1/extensions/installed", headers={"Authorization": f"Bearer {token}"})
    return {row["component"]: row["state"] for row in response.json()}


def _finish(web: WebPlatform, token: str, op: str, seen: set[str] | None = None, component: str = "") -> str:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        state = str(_operation(web, token, op)["state"])
        if seen is not None and component in (states := _states(web, token)):
            seen.add(states[component])
        if state != "running":
            return state
        time.sleep(0.3)
    raise AssertionError(f"operation {op} did not finish")


def test_extension_states(states_platform: WebPlatform, page: Any, sandbox: SandboxHandle) -> None:
    web = states_platform
    token = web.token("operator")

    assert _finish(web, token, _install(web, token, "oneshot")) == "succeeded"
    assert _finish(web, token, _install(web, token, "slowapp", "ok")) == "succeeded"
    seen: set[str] = set()
    late = _install(web, token, "slowapp", "late", readyAfter="8s")
    assert _finish(web, token, late, seen, "slowapp-late") == "succeeded"
    assert "pending" in seen, seen
    assert _finish(web, token, _install(web, token, "slowapp", "bad")) == "succeeded"
    # its pod starts crashing once installed (a failed install is rolled back: nothing stays to show)
    from lightkube.resources.apps_v1 import Deployment

    rows = httpx.get(f"{web.url}/api/v1/extensions/installed", headers={"Authorization": f"Bearer {token}"}).json()
    bad = next(r for r in rows if r["component"] == "slowapp-bad")
    crash = {"spec": {"template": {"metadata": {"annotations": {"sandbox.helmdeck.dev/fail": "crash-loop"}}}}}
    sandbox.client().patch(Deployment, bad["release"], crash, namespace=bad["namespace"])
    deadline = time.monotonic() + 60
    while _states(web, token)["slowapp-bad"] != "failed" and time.monotonic() < deadline:
        time.sleep(0.5)

    expected = {"oneshot": "completed", "slowapp-ok": "installed", "slowapp-late": "installed", "slowapp-bad": "failed"}
    deadline = time.monotonic() + 30
    while (states := _states(web, token)) != expected:
        assert time.monotonic() < deadline, states
        time.sleep(0.5)

    sign_in(page, web.url, token)
    page.goto(f"{web.url}/extensions")
    for component, state in expected.items():
        # a crash-looping pod runs for a moment between crashes: its health (so its state) flickers
        deadline = time.monotonic() + 30
        while page.locator(f'[data-testid="installed-{component}"]').get_attribute("data-state") != state:
            assert time.monotonic() < deadline, f"{component} never showed {state}"
            page.reload()
        assert page.locator(f'[data-testid="state-{component}"]').inner_text() == state
    # the application's "open" link, from its NodePort Service, on the extension list too
    link = page.locator('[data-testid="installed-slowapp-ok"] [data-testid="open-slowapp-ok"]')
    assert re.fullmatch(r"http://[^/]+:3\d{4}/", str(link.get_attribute("href")))
    assert page.locator('[data-testid="installed-oneshot"] [data-testid="open-oneshot"]').count() == 0
