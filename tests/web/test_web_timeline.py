"""A deploy's timeline in Chromium: the history links the deploy to its page, whose inline SVG the
Content-Security-Policy lets through (no violation reported), with the critical chain marked, in a
window 800 px wide."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import WebPlatform, sign_in

pytestmark = pytest.mark.cluster


def test_the_history_opens_a_deploys_timeline(web_platform: WebPlatform, page: Any) -> None:
    url = web_platform.url
    refused: list[str] = []
    page.on("console", lambda msg: refused.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.set_viewport_size({"width": 800, "height": 900})
    sign_in(page, url, web_platform.token("viewer"))
    page.goto(f"{url}/history")
    page.click('[data-testid="timeline-1"]')
    page.wait_for_url(f"{url}/history/1/timeline")
    chart = page.locator('[data-testid="timeline-svg"]')
    assert chart.is_visible()
    box = chart.bounding_box()
    assert box is not None and box["width"] > 300  # drawn, and scaled into the window
    assert page.locator('[data-row="base-config"][data-critical="true"]').count() == 1
    assert page.locator('[data-row="base-config"] [data-phase="install"]').count() == 1
    assert "base-config" in page.locator('[data-testid="critical-chain"]').inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 800
    assert refused == []
