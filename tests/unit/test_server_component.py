"""The component page and its API on a fake platform: links from the overview, the tree, the
errors (unknown component, cluster unreachable) on the error page with the navigation kept."""

from __future__ import annotations

import re
import time
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


def _read_stream(client: Any, url: str, headers: dict[str, str], until: Any, step: Any = None) -> str:
    """The stream's text until ``until(text)`` holds; ``step(text)`` runs after every chunk."""
    chunks: list[str] = []
    with client.stream("GET", url, headers=headers) as stream:
        for chunk in stream.iter_text():
            chunks.append(chunk)
            text = "".join(chunks)
            if step is not None:
                step(text)
            if until(text):
                return text
    raise AssertionError("the stream ended")


def test_the_page_follows_a_live_stream_loaded_without_inline_script(setup: Any) -> None:
    client, _backend, tokens = setup
    html = client.get("/components/web", headers=bearer(tokens["viewer"])).text
    assert 'sse-connect="/ui/events/components/web?revision=2&amp;status=deployed"' in html
    assert 'sse-swap="live"' in html and 'sse-swap="release"' in html
    # the page's Content-Security-Policy allows scripts from files only: htmx's own, nothing inline
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []
    assert client.get("/ui/events/components/web", headers={"HX-Request": "true"}).status_code == 401


def test_the_stream_pushes_the_tree_when_it_changes_and_nothing_else_while_the_revision_stays(setup: Any) -> None:
    client, backend, tokens = setup

    def break_the_pod(text: str) -> None:
        if text.count("event: live") == 1:
            backend.components[0] = {**backend.components[0], "health": "failed"}

    text = _read_stream(
        client,
        "/ui/events/components/web?revision=2&status=deployed",
        bearer(tokens["viewer"]),
        until=lambda t: t.count("event: live") == 2,
        step=break_the_pod,
    )
    first, second = text.split("event: live")[1:]
    assert 'data-testid="node-Pod-web-7d9f-x2k4q" data-kind="Pod" data-health="healthy"' in first
    assert 'data-testid="node-Pod-web-7d9f-x2k4q" data-kind="Pod" data-health="failed"' in second
    assert 'data-testid="events"' in first and "ScalingReplicaSet" in first
    # the values and manifests belong to the revision the page shows already: not sent again
    assert "event: release" not in text and 'data-testid="values"' not in text
    assert "revision-changed" not in text


def test_another_revision_sends_its_values_again_and_says_so(setup: Any) -> None:
    client, backend, tokens = setup

    def deploy(text: str) -> None:
        if text.count("event: live") == 1:
            backend.release_revision = 3

    text = _read_stream(
        client,
        "/ui/events/components/web?revision=2&status=deployed",
        bearer(tokens["viewer"]),
        until=lambda t: "revision-changed" in t,
        step=deploy,
    )
    release = text.split("event: release")[1].split("event: live")[0]
    assert '<pre data-testid="values">password: &lt;redacted:db-password&gt;' in release
    assert "(revision 3, secrets redacted)" in release
    notice = text.split('data-testid="revision-changed">')[1]
    assert notice.startswith("Revision 3 replaced revision 2 while this page was open")
    assert text.index("event: release") < text.rindex("event: live")


def test_an_unreachable_cluster_is_a_banner_on_the_page_and_the_stream_resumes(setup: Any) -> None:
    client, backend, tokens = setup
    backend.cluster_down = True
    down = client.get("/components/web", headers=bearer(tokens["viewer"]))
    assert down.status_code == 503
    assert down.text.count('class="error"') == 1 and 'data-testid="stream-error"' in down.text
    assert "cannot reach the cluster" in down.text and "Trying again every 0.2 s" in down.text
    assert (
        'href="/history"' in down.text and 'sse-connect="/ui/events/components/web?revision=&amp;status="' in down.text
    )

    def cluster_back(text: str) -> None:
        if "stream-error" in text:
            backend.cluster_down = False

    text = _read_stream(
        client,
        "/ui/events/components/web?revision=&status=",
        bearer(tokens["viewer"]),
        until=lambda t: 'data-testid="node-Deployment-web"' in t,
        step=cluster_back,
    )
    assert text.index("stream-error") < text.index("event: release") < text.index('data-testid="node-Deployment-web"')
    assert "revision-changed" not in text  # the page showed no revision: nothing replaced


def test_while_the_cluster_is_away_the_last_reading_stays_under_the_banner(setup: Any) -> None:
    client, backend, tokens = setup

    def cluster_goes(text: str) -> None:
        if text.count("event: live") == 1:
            backend.cluster_down = True

    text = _read_stream(
        client,
        "/ui/events/components/web?revision=2&status=deployed",
        bearer(tokens["viewer"]),
        until=lambda t: "stream-error" in t,
        step=cluster_goes,
    )
    second = text.split("event: live")[2]
    assert "cannot reach the cluster" in second and "What follows is the last reading." in second
    assert 'data-testid="node-Deployment-web"' in second


def test_pages_open_on_one_component_share_a_live_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    from helmdeck.errors import ClusterError
    from helmdeck.server import backend as backend_module
    from helmdeck.server.settings import ServerSettings
    from helmdeck.spec import parse_platform

    doc = "apiVersion: helmdeck.dev/v1\nkind: Platform\nmetadata: {name: demo}\nspec:\n  components: []\n"
    backend = backend_module.ClusterBackend(ServerSettings(status_poll_seconds=0.4), parse_platform(doc))
    readings: list[str] = []
    down = False

    def read(_session: Any, name: str) -> dict[str, Any]:
        if down:
            raise ClusterError("cannot reach the cluster")
        readings.append(name)
        return {"component": name, "reading": len(readings)}

    monkeypatch.setattr(backend_module, "component_live", read)
    monkeypatch.setattr(backend_module.ClusterBackend, "_read", lambda self: None)
    assert backend.component_live("web") == backend.component_live("web") == {"component": "web", "reading": 1}
    assert backend.component_live("db")["reading"] == 2  # another component: its own reading
    time.sleep(0.25)  # older than half a poll interval: read again
    assert backend.component_live("web")["reading"] == 3
    time.sleep(0.25)
    down = True
    with pytest.raises(ClusterError):  # an old reading never hides an unreachable cluster
        backend.component_live("web")
