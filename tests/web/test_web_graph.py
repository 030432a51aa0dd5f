"""The overview's platform graph and "open" links in Chromium, on a platform deployed to the sandbox:
the graph is drawn inline (no Content-Security-Policy violation), fits a window 800 px wide, shows
the needs between components and opens a component's page on a click; the links come from the
release's Ingress (TLS: https, its path) and its NodePort Service (a node's address and the port the
API server assigned); drift is marked and a
component whose pods crash turns red, live."""

from __future__ import annotations

import re
import secrets
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cluster.conftest import SandboxHandle
from tests.web.conftest import EXT_CHARTS, WEB_CHARTS, WebPlatform, serving, sign_in

pytestmark = pytest.mark.cluster


@pytest.fixture
def linked_platform(sandbox: SandboxHandle, tmp_path: Path) -> Iterator[WebPlatform]:
    (tmp_path / "env").mkdir()
    (tmp_path / "env" / "demo.yaml").write_text("global:\n  domain: web.sandbox.test\n")
    path = tmp_path / "platform.yaml"
    path.write_text(
        textwrap.dedent(
            f"""\
            apiVersion: helmdeck.dev/v1
            kind: Platform
            metadata: {{name: graphplat}}
            spec:
              instance: "g{secrets.token_hex(3)}"
              environments:
                demo: {{values: [env/demo.yaml]}}
              components:
                - name: base-config
                  chart: {EXT_CHARTS / "tiny-base"}
                - name: viewer
                  chart: {WEB_CHARTS / "linkapp"}
                  needs: [base-config]
            """
        )
    )
    with serving(sandbox, tmp_path, path) as served:
        yield served


def test_the_overview_graph_and_open_links(linked_platform: WebPlatform, page: Any, sandbox: SandboxHandle) -> None:
    url = linked_platform.url
    refused: list[str] = []
    page.on("console", lambda msg: refused.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.set_viewport_size({"width": 800, "height": 900})
    sign_in(page, url, linked_platform.token("viewer"))
    graph = page.locator('[data-testid="graph-svg"]')
    assert graph.is_visible()
    viewer = page.locator('[data-testid="graph-node-viewer"]')
    assert viewer.get_attribute("data-health") == "healthy"
    assert page.locator('[data-testid="graph-node-viewer"] rect').first.get_attribute("fill") == "#dcfae6"
    assert page.locator('[data-edge="base-config>viewer"]').count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 800
    links = [page.locator('[data-testid="open-viewer"]').nth(i).get_attribute("href") for i in range(2)]
    assert links[0] == "https://app.web.sandbox.test/viewer"
    assert re.fullmatch(r"http://[^/:]+:3[0-9]{4}/", links[1] or ""), links
    from lightkube.resources.core_v1 import Service

    # this platform's namespaces only: the sandbox may still hold an earlier run's viewer
    instance = yaml.safe_load(linked_platform.path.read_text())["spec"]["instance"]
    ours = [
        svc
        for svc in sandbox.client().list(Service, namespace="*")
        if svc.metadata and (svc.metadata.namespace or "").startswith(f"{instance}-")
    ]
    assigned = [
        p.nodePort
        for svc in ours
        if svc.spec and svc.spec.type == "NodePort" and "viewer" in (svc.metadata.name if svc.metadata else "")
        for p in svc.spec.ports or []
    ]
    assert (links[1] or "").endswith(f":{assigned[-1]}/"), (links, assigned)  # the port the API server chose
    # someone edits the Service by hand: drift, marked without a reload (the overview's stream)
    svc = next(s for s in ours if "viewer" in (s.metadata.name if s.metadata else ""))
    patch = {"spec": {"ports": [{"name": "http", "port": 80, "targetPort": 9090}]}}
    sandbox.client().patch(Service, svc.metadata.name, patch, namespace=svc.metadata.namespace)
    page.wait_for_selector('[data-testid="graph-node-viewer"][data-marks="drift"][data-health="healthy"]')
    # and its pods start crashing: the node turns red
    from lightkube.resources.apps_v1 import Deployment

    crash = {"spec": {"template": {"metadata": {"annotations": {"sandbox.helmdeck.dev/fail": "crash-loop"}}}}}
    sandbox.client().patch(Deployment, svc.metadata.name, crash, namespace=svc.metadata.namespace)
    page.wait_for_selector('[data-testid="graph-node-viewer"][data-health="failed"]')
    assert page.locator('[data-testid="graph-node-viewer"] rect').first.get_attribute("fill") == "#fee4e2"
    assert page.locator('[data-testid="graph-node-base-config"]').get_attribute("data-health") == "healthy"
    page.locator('[data-testid="graph-node-viewer"]').click()
    page.wait_for_url(f"{url}/components/viewer")
    assert refused == []
