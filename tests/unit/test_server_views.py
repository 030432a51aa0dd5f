"""The log and compare pages on a fake platform: what they show, their errors, the links to them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from .server_support import make_app
from .test_server_ui import login


@pytest.fixture
def client(tmp_path: Path) -> Any:
    app, _backend, tokens = make_app(tmp_path)
    with TestClient(app) as c:
        login(c, tokens["viewer"])
        yield c


def test_log_page_tail_previous_and_follow(client: TestClient) -> None:
    tail = client.get("/components/web/logs/p1/c1")
    assert tail.status_code == 200
    assert '<div class="log-line">password &lt;redacted:db-password&gt;</div>' in tail.text
    assert 'href="/components/web/logs/p1/c1?follow=true"' in tail.text
    previous = client.get("/components/web/logs/p1/c1?previous=true")
    assert "previous run" in previous.text and "(previous run)" in previous.text
    follow = client.get("/components/web/logs/p1/c1?follow=true")
    assert 'sse-connect="/ui/events/components/web/logs/p1/c1?tailLines=200"' in follow.text
    assert 'sse-close="end"' in follow.text
    with client.stream("GET", "/ui/events/components/web/logs/p1/c1") as events:
        body = "".join(events.iter_text())
    assert "event: line" in body and '<div class="log-line">ready</div>' in body and "event: end" in body


def test_log_page_of_another_pod_says_so(client: TestClient) -> None:
    other = client.get("/components/web/logs/kube-apiserver/c1")
    assert other.status_code == 422 and "has no pod" in other.text
    assert client.get("/components/ghost/logs/p1/c1").status_code == 404
    with client.stream("GET", "/ui/events/components/web/logs/nope/c1") as events:
        body = "".join(events.iter_text())
    assert "event: end" in body and "has no pod" in body


def test_component_page_links_each_containers_log(client: TestClient) -> None:
    html = client.get("/components/web").text
    assert 'href="/components/web/logs/web-7d9f-x2k4q/' in html


def test_compare_page_and_the_history_link(client: TestClient) -> None:
    history = client.get("/history").text
    assert 'href="/history/compare?from=1&amp;to=2"' in history
    page = client.get("/history/compare?from=1&to=2")
    assert page.status_code == 200 and 'data-testid="compare-web"' in page.text and "unchanged" in page.text
    assert client.get("/history/compare?from=1&to=9").status_code == 404
    assert client.get("/history/compare?from=x&to=2").status_code == 422
