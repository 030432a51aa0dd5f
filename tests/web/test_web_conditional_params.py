"""The install form follows conditionally required parameters (tiny-storage: bucket, endpoint and
access key when storage is s3, the backup hour when backup is on, the sender once an e-mail is
given): the browser refuses to send the form while such a field is empty, sends it when the
condition does not hold, and a refused install comes back with what was typed. In Chromium, on the
sandbox."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import WebPlatform, sign_in
from tests.web.test_web_extensions import wait_operation

pytestmark = pytest.mark.cluster


def _open_form(page: Any, url: str) -> Any:
    page.goto(f"{url}/extensions")
    page.locator('[data-testid="ext-tiny-storage"] summary').click()
    return page.locator('[data-testid="install-form-tiny-storage"]')


def _installs(page: Any) -> list[str]:
    """The install requests the page sends, as they happen."""
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" and r.url.endswith("/install") else None)
    return sent


def _required(form: Any, name: str) -> bool:
    return bool(form.locator(f'[name="param.{name}"]').evaluate("el => el.required && !el.disabled"))


def _missing(form: Any, name: str) -> bool:
    return bool(form.locator(f'[name="param.{name}"]').evaluate("el => el.validity.valueMissing"))


def test_conditional_fields_toggle_and_block_the_submit_while_empty(web_platform: WebPlatform, page: Any) -> None:
    url = web_platform.url
    sign_in(page, url, web_platform.token("operator"))
    sent = _installs(page)
    form = _open_form(page, url)
    bucket = form.locator('[data-testid="param-tiny-storage-bucket"]')

    # storage is local: the S3 fields are neither asked for nor shown
    assert not bucket.is_visible() and not _required(form, "bucket") and not _required(form, "endpoint")
    form.locator('select[name="param.storage"]').select_option("s3")
    assert bucket.is_visible() and _required(form, "bucket") and _required(form, "accessKey")
    assert bucket.locator("[data-when-star]").is_visible()

    # the browser refuses to send the form while a required S3 field is empty
    form.locator('input[name="param.bucket"]').fill("scans")
    form.locator('[data-testid="install-tiny-storage"]').click()
    assert _missing(form, "endpoint") and _missing(form, "accessKey") and not _missing(form, "bucket")
    page.wait_for_timeout(500)
    assert sent == [] and page.url == f"{url}/extensions"

    # back to local: hidden, not required, and what was typed is kept for when it comes back
    form.locator('select[name="param.storage"]').select_option("local")
    assert not bucket.is_visible() and not _required(form, "bucket") and not _required(form, "endpoint")
    form.locator('select[name="param.storage"]').select_option("s3")
    assert form.locator('input[name="param.bucket"]').input_value() == "scans" and _required(form, "bucket")
    form.locator('select[name="param.storage"]').select_option("local")

    # a box as the condition: the backup hour is required while backup is on
    assert not _required(form, "backupHour")
    form.locator('input[name="param.backup"]').check()
    assert _required(form, "backupHour")
    form.locator('[data-testid="install-tiny-storage"]').click()
    assert _missing(form, "backupHour")
    form.locator('input[name="param.backup"]').uncheck()
    assert not _required(form, "backupHour") and not form.locator('[name="param.backupHour"]').is_visible()

    # "is given": the sender stays shown and is required once an e-mail is typed
    sender = form.locator('input[name="param.notifyFrom"]')
    assert sender.is_visible() and not _required(form, "notifyFrom")
    form.locator('input[name="param.notifyEmail"]').fill("ops@example.org")
    assert _required(form, "notifyFrom")
    form.locator('[data-testid="install-tiny-storage"]').click()
    assert _missing(form, "notifyFrom")
    form.locator('input[name="param.notifyEmail"]').fill("")
    assert not _required(form, "notifyFrom") and sender.is_visible()
    page.wait_for_timeout(300)
    assert sent == []

    # no condition holds: the form goes, and the extension installs (without the hidden S3 fields)
    form.locator('[data-testid="install-tiny-storage"]').click()
    wait_operation(page)
    assert len(sent) == 1
    page.goto(f"{url}/extensions")
    page.locator('[data-testid="installed-tiny-storage"]').wait_for()


def test_a_refused_install_comes_back_with_its_conditions_applied(web_platform: WebPlatform, page: Any) -> None:
    url = web_platform.url
    sign_in(page, url, web_platform.token("operator"))
    form = _open_form(page, url)
    form.locator('select[name="param.storage"]').select_option("s3")
    form.locator('input[name="param.bucket"]').fill("scans")
    form.locator('input[name="param.endpoint"]').fill("https://s3.example.org")
    form.locator('input[name="param.accessKey"]').fill("typed-secret-key")
    form.locator('input[name="param.backup"]').check()
    # past the browser's checks, so that the server's own refuses it (no backup hour)
    form.evaluate("f => { f.noValidate = true; }")
    form.locator('[data-testid="install-tiny-storage"]').click()
    error = page.locator('[data-testid="error"]')
    error.wait_for()
    assert "parameter backupHour: is required when backup is true" in error.inner_text()
    assert page.locator('[data-testid="installed"]').inner_text().count("tiny-storage") == 0

    # open again with what was typed (never the secret), the conditions applied to it
    again = page.locator('[data-testid="install-form-tiny-storage"]')
    assert again.is_visible()
    assert again.locator('select[name="param.storage"]').input_value() == "s3"
    assert again.locator('input[name="param.bucket"]').input_value() == "scans"
    assert again.locator('input[name="param.endpoint"]').input_value() == "https://s3.example.org"
    assert again.locator('input[name="param.accessKey"]').input_value() == ""
    assert "typed-secret-key" not in page.content()
    assert again.locator('input[name="param.backup"]').is_checked()
    assert _required(again, "bucket") and _required(again, "accessKey") and _required(again, "backupHour")
    assert again.locator('[name="param.backupHour"]').is_visible()
