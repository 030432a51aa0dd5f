"""The web pages on a fake platform: sign-in, CSRF, roles, forms generated from parameters."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from .server_support import chart_archive, component_status, make_app


@pytest.fixture
def setup(tmp_path: Path) -> Any:
    app, backend, tokens = make_app(tmp_path)
    with TestClient(app) as client:
        yield client, backend, tokens, app


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def login(client: TestClient, token: str, next_path: str = "/") -> str:
    form = client.get(f"/login?next={next_path}")
    response = client.post(
        "/login", data={"token": token, "csrf_token": _csrf(form.text), "next": next_path}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == next_path
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    page = client.get(next_path)
    return _csrf(page.text)


def test_pages_redirect_to_login(setup: Any) -> None:
    client, _, _, _ = setup
    for path in ("/", "/extensions", "/history", "/doctor", "/operations/x"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == f"/login?next={path}"
    assert client.get("/ui/events/status", headers={"HX-Request": "true"}).status_code == 401


def test_login_needs_its_csrf_token_and_a_valid_token(setup: Any) -> None:
    client, _, tokens, app = setup
    client.get("/login")
    assert client.post("/login", data={"token": tokens["viewer"], "csrf_token": "forged"}).status_code == 403
    form = client.get("/login")
    bad = client.post("/login", data={"token": "hdk_nope", "csrf_token": _csrf(form.text)})
    assert bad.status_code == 401 and "not valid" in bad.text
    audit = app.state.audit.tail()
    assert audit[-1]["action"] == "login" and audit[-1]["result"] == "refused"


def test_overview_shows_components_and_failing_pods(setup: Any) -> None:
    client, _, tokens, _ = setup
    login(client, tokens["viewer"])
    page = client.get("/").text
    assert 'data-testid="component-web" data-health="healthy"' in page
    assert 'data-testid="component-db" data-health="failed"' in page
    assert "pod db-abc: CrashLoop" in page
    assert 'sse-connect="/ui/events/status"' in page
    assert "viewer (viewer)" in page


def test_an_unreachable_cluster_is_one_banner_the_navigation_stays_and_the_page_recovers(setup: Any) -> None:
    client, backend, tokens, app = setup
    login(client, tokens["viewer"])
    backend.status_down = True
    app.state.status_cache.invalidate()  # no earlier reading to show
    page = client.get("/")
    assert page.status_code == 503
    assert "viewer (viewer)" in page.text and 'href="/history"' in page.text  # the navigation
    assert page.text.count('class="error"') == 1 and 'data-testid="stream-error"' in page.text
    assert "cannot reach the cluster" in page.text and "Trying again every 0.2 s" in page.text
    chunks: list[str] = []
    with client.stream("GET", "/ui/events/status") as stream:
        for chunk in stream.iter_text():
            chunks.append(chunk)
            text = "".join(chunks)
            if "stream-error" in text:
                backend.status_down = False  # the cluster is back
            if 'data-testid="component-web"' in text:
                break
    assert text.index("stream-error") < text.index('data-testid="component-web"')


def test_status_stream_pushes_changes(setup: Any) -> None:
    client, backend, tokens, _ = setup
    login(client, tokens["viewer"])
    chunks: list[str] = []
    with client.stream("GET", "/ui/events/status") as stream:
        for chunk in stream.iter_text():
            chunks.append(chunk)
            text = "".join(chunks)
            if text.count("event: status") == 1 and "component-new" not in text:
                backend.components.append({**backend.components[0], "component": "new", "release": "new"})
            if "component-new" in text:
                break
    text = "".join(chunks)
    assert text.count("event: status") == 2 and 'data-testid="component-new"' in text


def test_viewer_sees_no_forms_and_cannot_post(setup: Any) -> None:
    client, backend, tokens, _ = setup
    csrf = login(client, tokens["viewer"])
    page = client.get("/extensions").text
    assert 'data-testid="ext-tiny-app"' in page and "install-form" not in page and "upload-form" not in page
    history = client.get("/history").text
    assert "rollback-1" not in history
    for path in ("/extensions/tiny-base/install", "/history/1/rollback", "/extensions/installed/x/uninstall"):
        response = client.post(path, data={"csrf_token": csrf})
        assert response.status_code == 403 and "needs the operator role" in response.text
    assert backend.calls == []


def test_install_form_from_parameters_and_csrf(setup: Any) -> None:
    client, backend, tokens, app = setup
    csrf = login(client, tokens["operator"])
    page = client.get("/extensions").text
    form = page[page.index('data-testid="install-form-tiny-app"') :]
    form = form[: form.index("</form>")]
    assert 'name="param.size"' in form and 'pattern="^[0-9]+(Mi|Gi)$"' in form
    assert 'type="checkbox" id="p-tiny-app-tokenless" name="param.tokenless" value="true" checked' in form
    assert 'type="password" id="p-tiny-app-token"' in form
    assert '<option value="scipy" selected>' in form
    assert 'name="param.modalities" value="CT" checked' in form and 'name="param.modalities" value="MR" >' in form
    assert 'type="number" id="p-tiny-app-replicas"' in form and 'min="1"' in form and 'max="3"' in form
    multi = page[page.index('data-testid="install-form-tiny-multi"') :]
    assert 'name="instance_name"' in multi[: multi.index("</form>")]
    assert "upload-form" not in page

    # no CSRF token: refused, nothing started
    refused = client.post("/extensions/tiny-app/install", data={"param.profile": "minimal"})
    assert refused.status_code == 403 and "CSRF" in refused.text
    bad = client.post("/extensions/tiny-app/install", data={"csrf_token": csrf, "param.replicas": "9"})
    assert bad.status_code == 422 and "parameter replicas: 9 must be at most 3" in bad.text
    assert backend.calls == []
    done = client.post(
        "/extensions/tiny-app/install",
        data={"csrf_token": csrf, "param.profile": "minimal", "param.modalities": ["CT", "PT"], "param.size": ""},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"].startswith("/operations/")
    op_id = done.headers["location"].rsplit("/", 1)[1]
    app.state.runner.wait(op_id, 5)
    name, params, instance = backend.calls[0][1]
    assert name == "tiny-app" and instance is None
    assert params == {"tokenless": False, "profile": "minimal", "modalities": ["CT", "PT"]}
    op_page = client.get(f"/operations/{op_id}").text
    assert 'data-state="succeeded"' in op_page and "tiny-app</strong> installed" in op_page


def test_rollback_is_reviewed_before_it_runs(setup: Any) -> None:
    client, backend, tokens, _ = setup
    login(client, tokens["operator"])
    history = client.get("/history").text
    assert 'href="/history/1/rollback"' in history and "demo" in history and "ago" in history
    review = client.get("/history/1/rollback").text
    assert 'data-testid="preview-web" data-action="rollback"' in review
    assert "web-1.1.0 (rev 2, deployed)" in review and "web-1.0.0 (rev 1)" in review
    assert 'data-testid="confirm-rollback"' in review and "volumes and secrets are kept" in review
    assert backend.calls == []  # looking changes nothing
    missing = client.get("/history/99/rollback")
    assert missing.status_code == 422 and "no revision 99" in missing.text
    login(client, tokens["viewer"])
    assert client.get("/history/1/rollback").status_code == 403


def test_time_ago() -> None:
    from datetime import UTC, datetime

    from helmdeck.server.app import time_ago

    now = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    assert time_ago("2026-12-04T11:57:00+00:00", now) == "3 min ago"
    assert time_ago("2026-12-04T09:00:00+00:00", now) == "3 h ago"
    assert time_ago("2026-12-01T12:00:00+00:00", now) == "3 d ago"
    assert time_ago("2026-12-04T12:00:00+00:00", now) == "just now"
    assert time_ago("yesterday", now) == "yesterday"


def test_operation_page_follows_live(setup: Any) -> None:
    client, backend, tokens, _ = setup
    backend.proceed.clear()  # the rollback runs until the page has been seen
    csrf = login(client, tokens["operator"])
    done = client.post("/history/1/rollback", data={"csrf_token": csrf}, follow_redirects=False)
    location = done.headers["location"]
    page = client.get(location).text
    backend.proceed.set()
    assert 'sse-connect="/ui/operations/' in page and 'data-state="running"' in page
    with client.stream("GET", "/ui" + location + "/events") as stream:
        text = "".join(stream.iter_text())
    assert "event: progress" in text and "event: done" in text and 'data-state="succeeded"' in text
    assert backend.calls == [("rollback", 1)]


def test_uninstall_and_forced_uninstall_from_the_page(setup: Any) -> None:
    client, backend, tokens, app = setup
    backend.components += [
        component_status("tiny-base", extension="tiny-base"),
        component_status("tiny-app", extension="tiny-app"),
    ]
    csrf = login(client, tokens["operator"])
    page = client.get("/extensions").text
    assert 'data-testid="uninstall-tiny-base"' in page and 'href="/extensions/installed/tiny-base/uninstall"' in page
    review = client.get("/extensions/installed/tiny-base/uninstall").text
    assert 'data-testid="required-by"' in review and 'data-testid="force"' in review
    assert 'data-testid="object-PersistentVolumeClaim-tiny-base-data" data-fate="deleted"' in review
    assert "deleted, with its data" in review
    assert 'data-testid="object-PersistentVolumeClaim-tiny-base-cache" data-fate="kept"' in review
    assert backend.calls == []  # looking changes nothing
    refused = client.post("/extensions/installed/tiny-base/uninstall", data={"csrf_token": csrf})
    assert refused.status_code == 422 and "required by tiny-app" in refused.text
    forced = client.post(
        "/extensions/installed/tiny-base/uninstall", data={"csrf_token": csrf, "force": "true"}, follow_redirects=False
    )
    assert forced.status_code == 303
    app.state.runner.wait(forced.headers["location"].rsplit("/", 1)[1], 5)
    assert backend.calls == [("uninstall", ("tiny-base", True))]


def test_an_uninstall_from_the_page_deletes_the_data_only_when_asked(setup: Any) -> None:
    client, backend, tokens, app = setup
    backend.components += [component_status("tiny-x", extension="tiny-x")]
    csrf = login(client, tokens["operator"])
    review = client.get("/extensions/installed/tiny-x/uninstall").text
    assert 'data-testid="purge-data"' in review and "PersistentVolumeClaim tiny/tiny-x-cache" in review
    done = client.post(
        "/extensions/installed/tiny-x/uninstall",
        data={"csrf_token": csrf, "purge_data": "true"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    app.state.runner.wait(done.headers["location"].rsplit("/", 1)[1], 5)
    assert backend.calls == [("uninstall", ("tiny-x", False, True))]


def test_admin_upload_form(setup: Any) -> None:
    client, _backend, tokens, _ = setup

    csrf = login(client, tokens["admin"], "/extensions")
    assert "upload-form" in client.get("/extensions").text
    files = {"file": ("up-0.1.0.tgz", chart_archive(), "application/gzip")}
    refused = client.post("/extensions/upload", files=files)
    assert refused.status_code == 403
    ok = client.post("/extensions/upload", data={"csrf_token": csrf}, files=files)
    assert ok.status_code == 200 and "Uploaded up 0.1.0." in ok.text and 'data-testid="ext-up"' in ok.text
    bad = client.post("/extensions/upload", data={"csrf_token": csrf}, files={"file": ("x.zip", b"zip")})
    assert bad.status_code == 422 and "Upload rejected" in bad.text


def test_revoked_token_ends_the_session_and_logout(setup: Any) -> None:
    client, _, tokens, app = setup
    csrf = login(client, tokens["operator"])
    assert client.get("/history").status_code == 200
    out = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303
    assert client.get("/history", follow_redirects=False).status_code == 303
    login(client, tokens["operator"])
    app.state.tokens.revoke("operator")
    assert client.get("/history", follow_redirects=False).status_code == 303


def test_cookie_session_needs_csrf_on_api_changes(setup: Any) -> None:
    client, _backend, tokens, _ = setup
    csrf = login(client, tokens["operator"])
    assert client.get("/api/v1/whoami").json()["name"] == "operator"
    refused = client.post("/api/v1/rollback", json={"revision": 1})
    assert refused.status_code == 403 and "CSRF" in refused.json()["error"]
    ok = client.post("/api/v1/rollback", json={"revision": 1}, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 202
    # the operation runs on: it must end before the backend goes away with the fixture
    op_id = ok.json()["id"]
    deadline = time.monotonic() + 20
    while client.get(f"/api/v1/operations/{op_id}").json()["state"] == "running":
        assert time.monotonic() < deadline, "the rollback never finished"
        threading.Event().wait(0.02)


def test_static_assets_are_served_with_license(setup: Any) -> None:
    client, _, _, _ = setup
    htmx = client.get("/static/htmx.min.js")
    assert htmx.status_code == 200 and htmx.text.startswith("/*! htmx.org 2.0.11")
    assert "Zero-Clause BSD" in htmx.text.splitlines()[0]
    sse = client.get("/static/htmx-ext-sse.min.js")
    assert sse.status_code == 200 and "htmx-ext-sse 2.2.4" in sse.text.splitlines()[0]
    assert client.get("/static/app.css").status_code == 200


def test_doctor_page(setup: Any) -> None:
    client, backend, tokens, _ = setup
    login(client, tokens["viewer"])
    page = client.get("/doctor")
    assert page.status_code == 200 and "not part of this helmdeck build" in page.text
    backend.has_doctor = True
    page = client.get("/doctor?mode=preflight")
    assert "preflight: 1 error" in page.text and "container db restarts (CrashLoopBackOff)" in page.text


def test_the_fate_of_a_releases_objects_on_uninstall() -> None:
    from helmdeck.app.extensions import release_objects_fate

    manifest = """---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, annotations: {helm.sh/resource-policy: keep}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: scratch, namespace: other}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
"""
    fates = {
        (o["kind"], o["name"]): (o["namespace"], o["kept"], o["data"]) for o in release_objects_fate(manifest, "ns")
    }
    assert fates == {
        ("PersistentVolumeClaim", "data"): ("ns", True, True),
        ("PersistentVolumeClaim", "scratch"): ("other", False, True),
        ("Deployment", "app"): ("ns", False, False),
    }


def test_admins_manage_tokens_from_the_page(setup: Any) -> None:
    client, _backend, tokens, _ = setup
    login(client, tokens["operator"])
    assert 'href="/tokens"' not in client.get("/").text
    assert client.get("/tokens").status_code == 403
    csrf = login(client, tokens["admin"])
    page = client.get("/tokens").text
    assert 'href="/tokens"' in page and 'data-testid="token-viewer"' in page
    assert 'data-testid="revoke-admin"' not in page and "yours" in page  # not the token signed in with

    created = client.post("/tokens", data={"csrf_token": csrf, "name": "ci runner", "role": "operator"})
    assert created.status_code == 200 and created.headers["cache-control"] == "no-store"
    secret = re.search(r'data-testid="new-token-secret">([^<]+)<', created.text)
    assert secret and secret.group(1).startswith("hdk_")
    assert client.get("/api/v1/whoami", headers={"Authorization": f"Bearer {secret.group(1)}"}).status_code == 200
    again = client.get("/tokens").text
    assert 'data-testid="token-ci runner"' in again and secret.group(1) not in again  # shown once

    bad = client.post("/tokens", data={"csrf_token": csrf, "name": "no/slash", "role": "viewer"})
    assert bad.status_code == 422 and "is not allowed" in bad.text and 'value="no/slash"' in bad.text

    listed = client.get("/api/v1/tokens", headers={"Authorization": f"Bearer {tokens['admin']}"}).json()
    [ci] = [t["id"] for t in listed if t["name"] == "ci runner"]
    assert f'action="/tokens/{ci}/revoke"' in again
    revoked = client.post(f"/tokens/{ci}/revoke", data={"csrf_token": csrf}, follow_redirects=False)
    assert revoked.status_code == 303
    assert client.get("/api/v1/whoami", headers={"Authorization": f"Bearer {secret.group(1)}"}).status_code == 401


def _card(page: str, name: str) -> str:
    card = page[page.index(f'data-testid="ext-{name}"') :]
    return card[: card.index('<div class="card"') if '<div class="card"' in card else len(card)]


def test_catalog_marks_installed_and_gpu_only_extensions(setup: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    client, backend, tokens, _ = setup
    backend.components += [
        component_status("tiny-app", extension="tiny-app"),
        component_status("multi-a", extension="tiny-multi"),
        component_status("multi-b", extension="tiny-multi"),
    ]
    catalog = backend.catalog

    def with_gpu_base() -> dict[str, Any]:
        data = catalog()
        for ext in data["extensions"]:
            if ext["name"] == "tiny-base":
                ext["requiresGpu"] = True
        return data

    monkeypatch.setattr(backend, "catalog", with_gpu_base)
    login(client, tokens["operator"])
    page = client.get("/extensions").text
    app_card = _card(page, "tiny-app")
    assert 'data-testid="installed-badge-tiny-app">installed<' in app_card
    assert "install-form-tiny-app" not in app_card and "installs once only" in app_card
    multi = _card(page, "tiny-multi")
    assert "installed \u00d72" in multi and 'data-testid="install-form-tiny-multi"' in multi
    base = _card(page, "tiny-base")
    assert 'data-testid="unavailable-tiny-base"' in base and "install-form-tiny-base" not in base
    backend.gpu = True
    assert 'data-testid="install-form-tiny-base"' in _card(client.get("/extensions").text, "tiny-base")


def test_a_refused_install_keeps_what_was_typed_but_never_a_secret(setup: Any) -> None:
    client, backend, tokens, _ = setup
    csrf = login(client, tokens["operator"])
    sent = {
        "csrf_token": csrf,
        "param.replicas": "9",  # more than allowed
        "param.size": "7Gi",
        "param.token": "typed-secret-value",
        "param.profile": "minimal",
        "param.modalities": ["MR"],
    }
    bad = client.post("/extensions/tiny-app/install", data=sent)
    assert bad.status_code == 422
    form = bad.text[bad.text.index('data-testid="install-form-tiny-app"') :]
    form = form[: form.index("</form>")]
    assert 'value="9"' in form and 'value="7Gi"' in form
    assert '<option value="minimal" selected>' in form
    assert 'name="param.modalities" value="MR" checked' in form and 'name="param.modalities" value="CT" >' in form
    assert "typed-secret-value" not in bad.text
    assert backend.calls == []


def test_a_revision_of_many_components_lists_them_folded(setup: Any) -> None:
    """At 200 components a revision's row would be a page of names: past 8 they fold under a count."""
    client, backend, tokens, _app = setup
    backend.components = [component_status(f"c{i:03d}") for i in range(200)]
    backend.revisions.append(backend._revision(3, "deploy"))
    login(client, tokens["viewer"], "/history")
    page = client.get("/history").text
    folded = re.search(
        r'<details data-testid="components-3"><summary>200 components</summary>(.*?)</details>', page, re.S
    )
    assert folded and 'href="/components/c199"' in folded.group(1)
    assert 'data-testid="components-1"' not in page  # two components: listed as they are
