"""The component page and its API on a fake platform: links from the overview, the tree, the
errors (unknown component, cluster unreachable) on the error page with the navigation kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from .server_support import bearer, make_app


@pytest.fixture
def setup(tmp_path: Path) -> Any:
    app, backend, tokens = make_app(tmp_path)
    with TestClient(app) as client:
        yield client, backend, tokens


def test_overview_links_to_the_component_page(setup: Any) -> None:
    client, _backend, tokens = setup
    overview = client.get("/", headers=bearer(tokens["viewer"]))
    assert 'href="/components/web"' in overview.text
    page = client.get("/components/web", headers=bearer(tokens["viewer"]))
    assert page.status_code == 200
    html = page.text
    for testid in ("node-Deployment-web", "node-ReplicaSet-web-7d9f", "node-Pod-web-7d9f-x2k4q", "events"):
        assert f'data-testid="{testid}"' in html
    assert '<pre data-testid="values">password: &lt;redacted:db-password&gt;' in html
    assert 'class="diff-add">+replicas: 1</span>' in html
    assert 'href="/history"' in html  # the navigation


def test_unknown_component_and_unreachable_cluster_keep_the_navigation(setup: Any) -> None:
    client, backend, tokens = setup
    missing = client.get("/components/nope", headers=bearer(tokens["viewer"]))
    assert missing.status_code == 404
    assert "no component named &#39;nope&#39;" in missing.text and 'href="/extensions"' in missing.text
    backend.cluster_down = True
    down = client.get("/components/web", headers=bearer(tokens["viewer"]))
    assert down.status_code == 503
    assert "cannot reach the cluster" in down.text and 'href="/history"' in down.text
    assert "Traceback" not in down.text


def test_api_detail_needs_a_token_and_answers_in_camel_case(setup: Any) -> None:
    client, backend, tokens = setup
    assert client.get("/api/v1/components/web/detail").status_code == 401
    body = client.get("/api/v1/components/web/detail", headers=bearer(tokens["viewer"])).json()
    assert body["previousRevision"] == 1 and body["tree"][0]["children"][0]["kind"] == "ReplicaSet"
    assert body["tree"][0]["children"][0]["children"][0]["pod"]["containers"][0]["restarts"] == 0
    missing = client.get("/api/v1/components/nope/detail", headers=bearer(tokens["viewer"]))
    assert missing.status_code == 404 and "no component named" in missing.json()["error"]
    backend.cluster_down = True
    assert client.get("/api/v1/components/web/detail", headers=bearer(tokens["viewer"])).status_code == 503
