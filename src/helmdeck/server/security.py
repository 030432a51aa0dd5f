"""Who is asking, and may they: bearer tokens for the API, a session cookie for the browser, roles
checked on every endpoint, and CSRF protection for everything the browser changes.

* ``Authorization: Bearer hdk_...`` authenticates API clients; such requests need no CSRF token
  (a browser never adds that header on its own).
* The login form takes a token and opens a server-side session (``helmdeck_session`` cookie:
  HttpOnly, SameSite=Strict, Secure behind TLS). Each session has its own CSRF token; every
  request that is not GET/HEAD/OPTIONS and rides on the cookie must echo it in the
  ``X-CSRF-Token`` header (htmx sends it) or a ``csrf_token`` form field, else 403.
* The login form itself is protected by a double-submit token (cookie + field).
* A session ends at logout, after ``session_hours``, or when its token is revoked.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from fastapi import HTTPException, Request
from starlette.concurrency import run_in_threadpool

from helmdeck.server.auth import Role, TokenStore
from helmdeck.server.guard import (
    client_of,
    count_failure,
    presented_credential,
    refused_unchecked,
)

SESSION_COOKIE = "helmdeck_session"
LOGIN_CSRF_COOKIE = "helmdeck_login_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Principal:
    name: str
    role: Role
    token_id: str
    via: Literal["bearer", "session"]
    csrf: str = ""


@dataclass
class _Session:
    token_id: str
    csrf: str
    expires: float


class SessionStore:
    def __init__(self, ttl_seconds: float) -> None:
        self.ttl = ttl_seconds
        self._lock = threading.Lock()
        self._sessions: dict[str, _Session] = {}

    def open(self, token_id: str) -> tuple[str, str]:
        sid, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = time.monotonic()
        with self._lock:
            for key in [k for k, s in self._sessions.items() if s.expires < now]:
                del self._sessions[key]
            self._sessions[sid] = _Session(token_id, csrf, now + self.ttl)
        return sid, csrf

    def get(self, sid: str) -> _Session | None:
        with self._lock:
            session = self._sessions.get(sid)
            if session is None or session.expires < time.monotonic():
                self._sessions.pop(sid, None)
                return None
            return session

    def close(self, sid: str) -> None:
        with self._lock:
            self._sessions.pop(sid, None)


class Authenticator:
    def __init__(self, tokens: TokenStore, sessions: SessionStore) -> None:
        self.tokens = tokens
        self.sessions = sessions

    def identify(self, request: Request) -> Principal | None:
        header = request.headers.get("authorization", "")
        if header:
            scheme, _, value = header.partition(" ")
            if scheme.lower() != "bearer" or not value:
                return None
            record = self.tokens.verify(value)
            if record is None:
                return None
            return Principal(record.name, record.level, record.id, "bearer")
        sid = request.cookies.get(SESSION_COOKIE)
        if not sid:
            return None
        session = self.sessions.get(sid)
        if session is None:
            return None
        record = self.tokens.get(session.token_id)
        if record is None:  # revoked since login
            self.sessions.close(sid)
            return None
        return Principal(record.name, record.level, record.id, "session", session.csrf)


async def csrf_ok(request: Request, expected: str) -> bool:
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else ""
    return bool(sent) and hmac.compare_digest(sent, expected)


class TooManyFailures(HTTPException):
    def __init__(self, retry_after: float, what: str = "from this address") -> None:
        super().__init__(
            429,
            f"too many failed sign-ins {what}; try again later",
            headers={"Retry-After": str(int(retry_after + 0.999))},
        )


async def identify(request: Request) -> Principal | None:
    """Who is asking: None without valid credentials (counted against the credential and the
    client's address), 429 for a credential that failed too often, or for a failure from an address
    that did. A valid credential is always let in (see ``guard.FailureLimiter``). Hashing a token
    takes tens of milliseconds, so it runs in a worker thread, never on the event loop every other
    request waits on."""
    credential = presented_credential(request)
    wait = refused_unchecked(request.app, credential)
    if wait is not None:
        raise TooManyFailures(wait, "with this token")
    auth: Authenticator = request.app.state.auth
    principal = await run_in_threadpool(auth.identify, request)
    if principal is None and credential:
        wait = count_failure(request.app, client_of(request), credential, request.url.path)
        if wait is not None:
            raise TooManyFailures(wait)
    return principal


def require(role: Role) -> Callable[[Request], Awaitable[Principal]]:
    """A FastAPI dependency: 401 without valid credentials, 403 below ``role`` or without CSRF token."""

    async def dependency(request: Request) -> Principal:
        principal = await identify(request)
        if principal is None:
            raise HTTPException(401, "a valid token is required", headers={"WWW-Authenticate": "Bearer"})
        if principal.role < role:
            raise HTTPException(403, f"this needs the {role.name} role; {principal.name} is {principal.role.name}")
        cookie_change = principal.via == "session" and request.method not in SAFE_METHODS
        if cookie_change and not await csrf_ok(request, principal.csrf):
            raise HTTPException(403, "missing or wrong CSRF token; reload the page")
        return principal

    return dependency


viewer = require(Role.viewer)
operator = require(Role.operator)
admin = require(Role.admin)
