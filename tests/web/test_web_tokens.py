"""Admins manage API tokens from the web UI, in Chromium: a new token's secret is shown once and works,
and a revoked one stops working."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.web.conftest import WebPlatform, sign_in

pytestmark = pytest.mark.cluster


def test_create_and_revoke_a_token(web_platform: WebPlatform, page: Any) -> None:
    url = web_platform.url
    sign_in(page, url, web_platform.token("admin"))
    page.click('nav a[href="/tokens"]')
    form = page.locator('[data-testid="token-form"]')
    form.locator('input[name="name"]').fill("robot")
    form.locator('select[name="role"]').select_option("viewer")
    form.locator('[data-testid="create-token"]').click()
    secret = page.locator('[data-testid="new-token-secret"]').inner_text()
    whoami = httpx.get(f"{url}/api/v1/whoami", headers={"Authorization": f"Bearer {secret}"})
    assert whoami.status_code == 200 and whoami.json()["name"] == "robot"

    page.goto(f"{url}/tokens")
    assert secret not in page.content()  # shown once
    page.locator('[data-testid="revoke-robot"]').click()
    page.locator('[data-testid="token-robot"]').wait_for(state="detached")
    assert httpx.get(f"{url}/api/v1/whoami", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
