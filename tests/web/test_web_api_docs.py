"""The API docs render in Chromium from files the service serves itself (offline sites have no
CDN), under the same Content-Security-Policy as every page."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import WebPlatform

pytestmark = pytest.mark.cluster


def test_swagger_ui_renders_without_a_cdn_or_inline_script(web_platform: WebPlatform, page: Any) -> None:
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    outside: list[str] = []
    page.on("request", lambda req: outside.append(req.url) if not req.url.startswith(web_platform.url) else None)
    page.goto(f"{web_platform.url}/api/docs")
    page.locator(".swagger-ui .info .title").filter(has_text="helmdeck").wait_for(timeout=30_000)
    page.locator(".opblock-tag").first.wait_for(timeout=30_000)  # the operations are listed
    assert outside == []
    assert not [e for e in errors if "Content Security Policy" in e], errors
