"""Every page is usable in a window 800 px wide: nothing wider than the window (tables scroll inside
their own box), in Chromium."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import WebPlatform, sign_in

pytestmark = pytest.mark.cluster


def test_pages_fit_800_px(web_platform: WebPlatform, page: Any) -> None:
    url = web_platform.url
    page.set_viewport_size({"width": 800, "height": 900})
    sign_in(page, url, web_platform.token("admin"))
    for path in ("/", "/extensions", "/history", "/doctor", "/tokens", "/history/1/rollback", "/plan", "/undeploy"):
        page.goto(f"{url}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 800, f"{path} is {width} px wide"
    page.goto(f"{url}/plan")
    page.click('[data-testid="make-plan"]')
    page.wait_for_url(f"{url}/plan/*")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 800, f"a plan's page is {width} px wide"
