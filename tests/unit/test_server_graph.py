"""The overview's platform graph and the "open" links on the pages and in the API, on a fake platform."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from .server_support import bearer, component_status, make_app
from .test_server_ui import login

LINK = {"url": "https://web.example.org/app", "kind": "Ingress", "object": "services/web"}


@pytest.fixture
def setup(tmp_path: Path) -> Any:
    app, backend, tokens = make_app(tmp_path)
    backend.components[0]["links"] = [LINK]
    backend.components[1]["needs"] = []
    backend.components[0]["needs"] = ["db"]
    with TestClient(app) as client:
        yield client, backend, tokens, app


def test_overview_draws_the_graph_with_needs_and_health(setup: Any) -> None:
    client, _, tokens, _ = setup
    login(client, tokens["viewer"])
    page = client.get("/").text
    graph = page[page.index('data-testid="graph"') :]
    assert '<a href="/components/web" data-testid="graph-node-web" data-health="healthy"' in graph
    assert 'data-testid="graph-node-db" data-health="failed"' in graph
    assert 'data-edge="db>web"' in graph
    assert "style=" not in graph[: graph.index("</svg>")]


def test_overview_and_api_show_the_open_links(setup: Any) -> None:
    client, _, tokens, _ = setup
    login(client, tokens["viewer"])
    page = client.get("/").text
    assert '<a class="open-link" href="https://web.example.org/app" target="_blank" rel="noopener noreferrer"' in page
    status = client.get("/api/v1/status", headers=bearer(tokens["viewer"])).json()
    web = next(c for c in status["components"] if c["component"] == "web")
    assert web["links"] == [LINK] and web["needs"] == ["db"]
    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert "links" in schema["ComponentStatus"]["properties"] and "OpenLink" in schema


def test_a_link_that_is_not_http_is_not_made_a_link(setup: Any) -> None:
    client, backend, tokens, app = setup
    backend.components[0]["links"] = [{"url": "javascript:alert(1)", "kind": "Ingress", "object": "x/y"}]
    app.state.status_cache.invalidate()
    login(client, tokens["viewer"])
    assert "javascript:" not in client.get("/").text


def test_extension_list_shows_the_open_links(setup: Any) -> None:
    client, backend, tokens, _ = setup
    ext = component_status("viewer-1", extension="tiny-app")
    ext["links"] = [{"url": "http://192.0.2.4:30080/", "kind": "Service", "object": "extensions/viewer"}]
    backend.components.append(ext)
    login(client, tokens["viewer"])
    page = client.get("/extensions").text
    row = page[page.index('data-testid="installed-viewer-1"') :]
    assert 'href="http://192.0.2.4:30080/"' in row[: row.index("</tr>")]
    installed = client.get("/api/v1/extensions/installed", headers=bearer(tokens["viewer"]))
    assert installed.status_code == 200, installed.text
    assert installed.json()[0]["links"][0]["url"] == "http://192.0.2.4:30080/"


def test_a_collapsed_namespace_expands_and_the_stream_keeps_it_expanded(setup: Any) -> None:
    client, backend, tokens, app = setup
    backend.components[:] = [component_status(f"s{i:03d}") for i in range(70)]
    app.state.status_cache.invalidate()
    login(client, tokens["viewer"])
    page = client.get("/").text
    assert 'data-testid="graph-group-services"' in page and 'href="/?expand=services"' in page
    assert "graph-node-s000" not in page
    expanded = client.get("/?expand=services").text
    assert 'data-testid="graph-node-s069"' in expanded
    assert 'sse-connect="/ui/events/status?expand=services"' in expanded
    chunks: list[str] = []
    with client.stream("GET", "/ui/events/status?expand=services") as stream:
        for chunk in stream.iter_text():
            chunks.append(chunk)
            if "</table>" in "".join(chunks):  # the first event whole
                break
    assert 'data-testid="graph-node-s069"' in "".join(chunks)
