"""The sign-in limiter cannot be turned against users (issue 17): failures are counted per presented
credential and per address, a valid token is let in whoever failed from the same address, and the
client address comes from X-Forwarded-For only behind a proxy the operator trusts."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from helmdeck.server.guard import FailureLimiter, address_key

from .server_support import bearer, make_app


def _wrong(i: int) -> dict[str, str]:
    return bearer(f"hdk_{i:012x}_" + "x" * 30)


def test_a_valid_token_gets_in_from_an_address_that_failed_too_often(tmp_path: Path) -> None:
    app, _backend, tokens = make_app(tmp_path)
    with TestClient(app) as client:
        codes = [client.get("/api/v1/status", headers=_wrong(i)).status_code for i in range(12)]
        assert codes[:10] == [401] * 10 and set(codes[10:]) == {429}, codes
        assert client.get("/api/v1/whoami", headers=bearer(tokens["viewer"])).status_code == 200
        assert client.get("/api/v1/audit", headers=bearer(tokens["admin"])).status_code == 200
        # and through the sign-in form as well
        form = client.get("/login")
        csrf = client.cookies.get("helmdeck_login_csrf")
        assert form.status_code == 200 and csrf
        ok = client.post(
            "/login", data={"token": tokens["admin"], "csrf_token": csrf, "next": "/"}, follow_redirects=False
        )
        assert ok.status_code == 303, ok.text


def test_the_same_wrong_token_is_refused_without_a_check_from_any_address(tmp_path: Path) -> None:
    app, _backend, _tokens = make_app(tmp_path)
    with TestClient(app, client=("10.0.0.1", 1000)) as one, TestClient(app, client=("10.0.0.2", 1000)) as two:
        for _ in range(10):
            assert one.get("/api/v1/status", headers=_wrong(1)).status_code == 401
        refused = two.get("/api/v1/status", headers=_wrong(1))
        assert refused.status_code == 429 and "this token" in refused.json()["error"]
        assert two.get("/api/v1/status", headers=_wrong(2)).status_code == 401  # that address is fine


def test_forwarded_for_is_ignored_unless_the_proxy_is_trusted(tmp_path: Path) -> None:
    app, _backend, _tokens = make_app(tmp_path)
    with TestClient(app, client=("10.0.0.9", 1000)) as client:
        for i in range(10):  # a client cannot dodge its limit by naming another address
            client.get("/api/v1/status", headers={**_wrong(i), "X-Forwarded-For": f"192.0.2.{i}"})
        assert client.get("/api/v1/status", headers=_wrong(99)).status_code == 429
    limiter: FailureLimiter = app.state.limiter
    assert limiter.retry_after(address_key("10.0.0.9")) is not None
    assert limiter.retry_after(address_key("192.0.2.1")) is None


def test_behind_a_trusted_proxy_each_client_is_counted_apart(tmp_path: Path) -> None:
    app, _backend, _tokens = make_app(tmp_path, trusted_proxies=("10.1.0.0/16",))
    with TestClient(app, client=("10.1.2.3", 1000)) as proxy:
        for i in range(10):  # the proxy appends the real client to what the client sent
            proxy.get("/api/v1/status", headers={**_wrong(i), "X-Forwarded-For": "6.6.6.6, 198.51.100.7"})
        assert proxy.get("/api/v1/status", headers={**_wrong(50), "X-Forwarded-For": "198.51.100.7"}).status_code == 429
        other = proxy.get("/api/v1/status", headers={**_wrong(51), "X-Forwarded-For": "203.0.113.5"})
        assert other.status_code == 401  # another client behind the same proxy is not limited
    lines = (app.state.backend.state_dir / "audit.log").read_text()
    assert "198.51.100.7" in lines and "6.6.6.6" not in lines


def test_a_flood_of_distinct_tokens_is_forgotten_not_kept() -> None:
    now = [0.0]
    limiter = FailureLimiter(limit=3, window=60, clock=lambda: now[0])
    limiter.MAX_KEYS = 100
    for i in range(1000):
        limiter.failed(f"credential {i}")
    assert len(limiter._failures) <= 100
