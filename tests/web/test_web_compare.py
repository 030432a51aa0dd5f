"""Two platform revisions compared, on the sandbox: from the history page to the compare page, the
chart and release revision of each component on both sides, its values and manifest diffs with the
platform's secret redacted; the same from the REST API."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.web.conftest import WebPlatform, sign_in
from tests.web.test_web_component import _password, _upgrade

pytestmark = pytest.mark.cluster


def test_compare_two_revisions(component_platform: WebPlatform, page: Any) -> None:
    web = component_platform
    password = _password(web)
    _upgrade(web, "app.message=second")
    # a value next to the secret's: the diff's context shows the secret's line, redacted
    _upgrade(web, "app.message=third", "app.replicas=3", "app.auth.user=bob")
    token = web.token("viewer")
    h = {"Authorization": f"Bearer {token}"}

    body = httpx.get(f"{web.url}/api/v1/history/compare", params={"from": 1, "to": 3}, headers=h, timeout=60).json()
    assert (body["from"]["revision"], body["to"]["revision"]) == (1, 3)
    (app,) = body["components"]
    assert app["change"] == "changed" and (app["from"]["revision"], app["to"]["revision"]) == (1, 3)
    assert app["from"]["chartVersion"] == app["to"]["chartVersion"] and app["missing"] == []
    assert "-message: hello" in app["valuesDiff"] and "+message: third" in app["valuesDiff"]
    assert "-replicas: 2" in app["valuesDiff"] and "+replicas: 3" in app["valuesDiff"]
    assert "+  message: third" in app["manifestDiff"] and "+  replicas: 3" in app["manifestDiff"]
    assert "   password: <redacted:app-password>\n+  user: bob" in app["valuesDiff"]
    assert password not in str(body)
    same = httpx.get(f"{web.url}/api/v1/history/compare", params={"from": 2, "to": 2}, headers=h, timeout=60).json()
    assert same["counts"] == {"added": 0, "removed": 0, "changed": 0, "unchanged": 1}
    missing = httpx.get(f"{web.url}/api/v1/history/compare", params={"from": 1, "to": 99}, headers=h, timeout=60)
    assert missing.status_code == 404

    sign_in(page, web.url, token)
    page.goto(f"{web.url}/history")
    page.click('[data-testid="compare-link"]')
    page.wait_for_url(f"{web.url}/history/compare?from=2&to=3")
    assert "-message: second" in page.locator('[data-testid="values-diff-app"]').inner_text()
    page.select_option('[data-testid="compare-from"]', "1")
    page.click('[data-testid="compare-submit"]')
    page.wait_for_url(f"{web.url}/history/compare?from=1&to=3")
    assert page.locator('[data-testid="compare-app"]').get_attribute("data-change") == "changed"
    values = page.locator('[data-testid="values-diff-app"]').inner_text()
    assert "-message: hello" in values and "+message: third" in values
    assert "password: <redacted:app-password>" in values
    assert "+  replicas: 3" in page.locator('[data-testid="manifest-diff-app"]').inner_text()
    assert password not in page.content()
