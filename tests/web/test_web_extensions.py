"""Install an extension through its form and watch it become healthy live, uninstall it, and roll the
platform back from the history page: in Chromium, on the sandbox."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import WebPlatform, sign_in

pytestmark = pytest.mark.cluster


def wait_operation(page: Any, state: str = "succeeded") -> None:
    page.wait_for_url("**/operations/*")
    page.locator(f'[data-testid="op-state"][data-state="{state}"]').wait_for(timeout=90_000)


def test_install_watch_uninstall_and_roll_back(web_platform: WebPlatform, page: Any, browser: Any) -> None:
    url = web_platform.url
    token = web_platform.token("operator")
    sign_in(page, url, token)
    assert page.locator('[data-testid="component-base-config"][data-health="healthy"]').count() == 1

    # a second tab keeps the overview open: it must change live, without a reload
    overview = page.context.new_page()
    overview.goto(f"{url}/")
    overview.locator('[data-testid="component-base-config"]').wait_for()
    assert overview.locator('[data-testid="component-tiny-app"]').count() == 0

    page.goto(f"{url}/extensions")
    card = page.locator('[data-testid="ext-tiny-app"]')
    card.locator("summary").click()
    form = page.locator('[data-testid="install-form-tiny-app"]')
    form.locator('select[name="param.profile"]').select_option("pytorch")
    form.locator('input[name="param.modalities"][value="MR"]').check()
    form.locator('input[name="param.replicas"]').fill("2")
    form.locator('[data-testid="install-tiny-app"]').click()
    wait_operation(page)
    events = page.locator('[data-testid="events"]').inner_text()
    assert "tiny-base" in events and "tiny-app" in events and "installed" in events

    overview.locator('[data-testid="component-tiny-app"][data-health="healthy"]').wait_for(timeout=30_000)
    overview.locator('[data-testid="component-tiny-base"][data-health="healthy"]').wait_for(timeout=30_000)
    assert "(extension tiny-app)" in overview.locator('[data-testid="component-tiny-app"]').inner_text()

    page.goto(f"{url}/extensions")
    row = page.locator('[data-testid="installed-tiny-app"]')
    assert row.get_attribute("data-health") == "healthy"
    page.locator('[data-testid="uninstall-tiny-app"]').click()
    # the review: the release's objects and their fate, before anything changes
    page.locator('[data-testid="uninstall-preview"] [data-fate="deleted"]').first.wait_for()
    page.locator('[data-testid="confirm-uninstall"]').click()
    wait_operation(page)
    overview.locator('[data-testid="component-tiny-app"]').wait_for(state="detached", timeout=30_000)

    # history: deploy, ext install tiny-app, ext uninstall tiny-app; back to the install
    page.goto(f"{url}/history")
    history = page.locator('[data-testid="history"]').inner_text()
    assert "ext install tiny-app" in history and "ext uninstall tiny-app" in history
    install_revision = page.locator('[data-testid^="revision-"]', has_text="ext install tiny-app")
    number = install_revision.get_attribute("data-testid").removeprefix("revision-")
    page.locator(f'[data-testid="rollback-{number}"]').click()
    # the review: what goes back, before anything changes
    page.locator('[data-testid="preview-tiny-app"][data-action="install"]').wait_for()
    page.locator('[data-testid="confirm-rollback"]').click()
    wait_operation(page)
    overview.locator('[data-testid="component-tiny-app"][data-health="healthy"]').wait_for(timeout=30_000)
    page.goto(f"{url}/history")
    assert f"rollback to {number}" in page.locator('[data-testid="history"]').inner_text()
    overview.close()


def test_bad_parameter_shows_the_error_and_installs_nothing(web_platform: WebPlatform, page: Any) -> None:
    url = web_platform.url
    sign_in(page, url, web_platform.token("operator"))
    page.goto(f"{url}/extensions")
    page.locator('[data-testid="ext-tiny-app"] summary').click()
    form = page.locator('[data-testid="install-form-tiny-app"]')
    # the browser's own pattern check would stop "lots"; a value the server rejects gets through
    form.locator('input[name="param.size"]').fill("99Gi")
    form.locator('input[name="param.replicas"]').evaluate("el => el.removeAttribute('max')")
    form.locator('input[name="param.replicas"]').fill("7")
    form.locator('[data-testid="install-tiny-app"]').click()
    error = page.locator('[data-testid="error"]')
    error.wait_for()
    assert "parameter replicas: 7 must be at most 3" in error.inner_text()
    assert page.locator('[data-testid="installed"]').inner_text().count("tiny-app") == 0
    # the form is open again with what was typed, to correct rather than retype
    again = page.locator('[data-testid="install-form-tiny-app"]')
    assert again.is_visible()
    assert again.locator('input[name="param.size"]').input_value() == "99Gi"
    assert again.locator('input[name="param.replicas"]').input_value() == "7"


def test_viewer_cannot_change_anything(web_platform: WebPlatform, page: Any) -> None:
    url = web_platform.url
    sign_in(page, url, web_platform.token("viewer"))
    page.goto(f"{url}/extensions")
    assert page.locator('[data-testid^="install-form-"]').count() == 0
    page.goto(f"{url}/history")
    assert page.locator('[data-testid^="rollback-"]').count() == 0
