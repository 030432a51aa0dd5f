"""The install form of an extension with conditionally required parameters, as the server renders
it (the browser's side is tests/web/test_web_conditional_params.py)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from .server_support import make_app
from .test_server_ui import login


@pytest.fixture
def setup(tmp_path: Path) -> Any:
    app, backend, tokens = make_app(tmp_path)
    with TestClient(app) as client:
        yield client, backend, tokens


def _form(page: str, name: str) -> str:
    form = page[page.index(f'data-testid="install-form-{name}"') :]
    return form[: form.index("</form>")]


def _field(form: str, name: str) -> str:
    start = form.index(f'data-testid="param-tiny-storage-{name}"')
    return form[start : form.index("</div>", start)]


def _attribute(field: str, attribute: str) -> Any:
    match = re.search(attribute + r"='([^']*)'", field)
    assert match, field
    return json.loads(html.unescape(match.group(1)))


def test_the_form_carries_each_condition_for_the_script(setup: Any) -> None:
    client, _, tokens = setup
    login(client, tokens["operator"])
    page = client.get("/extensions").text
    assert '<script src="/static/params.js" defer></script>' in page
    form = _form(page, "tiny-storage")
    bucket = _field(form, "bucket")
    assert _attribute(bucket, "data-required-when") == [{"storage": ["s3"]}]
    # required only once the script finds the condition holding: without script the server checks
    assert 'name="param.bucket"' in bucket and "required" not in bucket.split("<input", 1)[1]
    assert "Required when storage is s3." in bucket and "data-when-star hidden" in bucket
    assert _attribute(_field(form, "backupHour"), "data-required-when") == [{"backup": [True]}]
    assert "Required when backup is true." in _field(form, "backupHour")
    assert _attribute(_field(form, "notifyFrom"), "data-required-when") == [{"notifyEmail": None}]
    storage = _field(form, "storage")
    assert "data-required-when" not in storage and _attribute(storage, "data-default") == "local"
    # a secret's default never reaches the page
    assert "data-default" not in _field(form, "accessKey")
    script = client.get("/static/params.js")
    assert script.status_code == 200 and "data-required-when" in script.text


def test_a_refused_conditional_install_reopens_with_the_typed_input_but_no_secret(setup: Any) -> None:
    client, backend, tokens = setup
    csrf = login(client, tokens["operator"])
    sent = {
        "csrf_token": csrf,
        "param.storage": "s3",
        "param.bucket": "scans",
        "param.accessKey": "typed-secret-key",
        "param.endpoint": "",
    }
    refused = client.post("/extensions/tiny-storage/install", data=sent)
    assert refused.status_code == 422
    assert "parameter endpoint: is required when storage is s3" in html.unescape(refused.text)
    form = _form(refused.text, "tiny-storage")
    assert (
        '<option value="s3" selected>' in form and 'name="param.bucket" autocomplete="off"\n    value="scans"' in form
    )
    assert "typed-secret-key" not in refused.text
    assert backend.calls == []
