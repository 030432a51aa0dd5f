"""Container logs on the component page, on the sandbox: kwok serves each pod's log from a file
through the API server's ``pods/log`` (the sandbox's default file, or one a kwok ``Logs`` object
names). The tail, the previous run and the byte cap over REST; following a pod in Chromium while
lines are written to its log; the platform's secret never shown, in either."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from helmdeck.sandbox.pod_logs import pod_logs_rule, write_log
from tests.cluster.conftest import SandboxHandle
from tests.web.conftest import WebPlatform, sign_in
from tests.web.test_web_component import _password

pytestmark = pytest.mark.cluster


def _api(web: WebPlatform, token: str, path: str, **params: Any) -> Any:
    response = httpx.get(
        f"{web.url}/api/v1{path}", params=params, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    return response


def _point_pod_at(sandbox: SandboxHandle, namespace: str, pod: str, current: Path, previous: Path) -> None:
    from helmdeck.cluster import apply_object

    apply_object(sandbox.client(), pod_logs_rule(namespace, pod, current, previous), force=True)


def _wait_lines(web: WebPlatform, token: str, path: str, wanted: str, **params: Any) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while True:
        body: dict[str, Any] = _api(web, token, path, **params).json()
        if any(wanted in line for line in body.get("lines") or []) or time.monotonic() > deadline:
            return body
        time.sleep(0.3)


def test_logs_tail_previous_cap_and_follow_redacted(
    component_platform: WebPlatform, page: Any, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    web = component_platform
    password = _password(web)
    token = web.token("viewer")
    sources = _api(web, token, "/components/app/logs").json()
    assert len(sources) == 2 and all(s["containers"][0]["name"] == "web" for s in sources)
    pod, namespace = sources[0]["pod"], sources[0]["namespace"]
    path = f"/components/app/logs/{pod}/web"

    # the sandbox serves every pod's log from its default file, through the API server
    default = _api(web, token, path).json()
    assert default["unavailable"] is None, default
    assert any("simulated (kwok) node" in line for line in default["lines"])

    # a pod pointed at a log of its own, the platform's secret in it
    current, previous = tmp_path / "current.log", tmp_path / "previous.log"
    write_log(current, ["starting app", f"connecting with password={password}", *[f"line {i}" for i in range(50)]])
    write_log(previous, ["the run before", f"crashed; password was {password}"])
    _point_pod_at(sandbox, namespace, pod, current, previous)
    tail = _wait_lines(web, token, path, "starting app")
    assert tail["lines"][:2] == ["starting app", "connecting with password=<redacted:app-password>"], tail
    assert len(tail["lines"]) == 52 and not tail["truncated"]
    assert [*_api(web, token, path, tailLines=2).json()["lines"]] == ["line 48", "line 49"]
    before = _api(web, token, path, previous="true").json()
    assert before["previous"] and before["lines"] == ["the run before", "crashed; password was <redacted:app-password>"]
    capped = _api(web, token, path, limitBytes=40).json()
    # the newest lines that fit (the API server's limitBytes alone would keep the oldest)
    assert capped["truncated"] and capped["lines"] == ["line 49"], capped
    # only the component's own pods: nothing else of the cluster
    assert _api(web, token, "/components/app/logs/kube-apiserver/web").status_code == 422
    assert _api(web, token, f"/components/app/logs/{pod}/nope").status_code == 422
    assert _api(web, token, "/components/ghost/logs").status_code == 404

    # the browser follows the pod: the last lines first, then each line as it is written
    sign_in(page, web.url, token)
    page.goto(f"{web.url}/components/app")
    page.click(f'[data-testid="follow-{pod}-web"]')
    page.wait_for_url(f"{web.url}/components/app/logs/{pod}/web?follow=true")
    lines = page.locator('[data-testid="log-lines"]')
    lines.locator("text=line 49").wait_for()
    write_log(current, ["a new line, written while followed", f"again the password {password}"], append=True)
    lines.locator("text=a new line, written while followed").wait_for(timeout=15_000)
    lines.locator("text=again the password <redacted:app-password>").wait_for()
    assert password not in page.content()

    # the tail page and the previous run's page
    page.click('[data-testid="log-stop"]')
    page.locator('[data-testid="log-lines"] >> text=a new line, written while followed').wait_for()
    page.click('[data-testid="log-previous"]')
    page.locator('[data-testid="log-lines"] >> text=the run before').wait_for()
    assert password not in page.content()
