"""What stands before a request body is read: credentials checked first on uploads, bodies capped
while they stream, and clients that keep presenting bad credentials slowed down (429).

Starlette's multipart parser spools a whole upload to disk before an endpoint's dependencies run,
so an unauthenticated client could make the server write hundreds of MiB. This ASGI middleware
answers 401/413 from the headers alone, and counts the bytes of every body as they arrive.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import json
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

UPLOAD_PATHS = frozenset({"/api/v1/extensions/upload", "/extensions/upload"})
#: headers, boundaries and form fields around an uploaded file
MULTIPART_OVERHEAD = 64 * 1024
#: every other request body (JSON, forms) is small
SMALL_BODY = 1024 * 1024


class FailureLimiter:
    """Failed authentications per key: past ``limit`` within ``window`` seconds, the key is over
    its limit until its oldest failure leaves the window. Each key's failures reach the audit log
    once per window, with a count, so a flood cannot fill it.

    Keys are a presented credential (``credential_key``) and a client address (``address_key``).
    The same wrong credential presented again past the limit is refused without being checked; an
    address past its limit gets 429 for its failures, but a valid credential from it is still
    checked and let in: who else fails from a shared address (a reverse proxy, a shared host) must
    not lock the admins out. Tokens are 256 random bits, so there is nothing to guess by trying.
    """

    #: keys remembered at most (old ones are dropped first): a flood of distinct tokens costs no memory
    MAX_KEYS = 10_000

    def __init__(self, limit: int = 10, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._lock = threading.Lock()
        self._failures: dict[str, deque[float]] = {}
        self._audited: dict[str, float] = {}  # client -> when its failures were last written down
        self._unaudited: dict[str, int] = {}

    def _trim(self, client: str, now: float) -> deque[float]:
        times = self._failures.setdefault(client, deque())
        while times and now - times[0] >= self.window:
            times.popleft()
        return times

    def retry_after(self, client: str) -> float | None:
        """Seconds until ``client`` may try again, or None when it may now."""
        with self._lock:
            now = self.clock()
            times = self._trim(client, now)
            if len(times) < self.limit:
                return None
            return max(1.0, self.window - (now - times[0]))

    def failed(self, client: str) -> int | None:
        """Note a failure; returns how many failures to audit now (None: not yet, they are counted)."""
        with self._lock:
            now = self.clock()
            if client not in self._failures and len(self._failures) >= self.MAX_KEYS:
                self._forget_oldest(now)
            self._trim(client, now).append(now)
            self._unaudited[client] = self._unaudited.get(client, 0) + 1
            last = self._audited.get(client)
            if last is not None and now - last < self.window:
                return None
            self._audited[client] = now
            return self._unaudited.pop(client)

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)

    def _forget_oldest(self, now: float) -> None:
        for key in [k for k in self._failures if not self._trim(k, now)]:
            del self._failures[key]
        while len(self._failures) >= self.MAX_KEYS:
            oldest = min(self._failures, key=lambda k: self._failures[k][-1])
            del self._failures[oldest]
        for key in [k for k in self._audited if k not in self._failures and now - self._audited[k] >= self.window]:
            self._audited.pop(key, None)
            self._unaudited.pop(key, None)


def address_key(client: str) -> str:
    return f"address {client}"


def credential_key(credential: str) -> str:
    """A presented token or session cookie, by digest (the limiter never keeps a credential)."""
    return "credential " + hashlib.sha256(credential.encode()).hexdigest()[:32]


def presented_credential(scope_or_request: Scope | Request) -> str:
    """The bearer token or session cookie a request presents ("" for none)."""
    request = scope_or_request if isinstance(scope_or_request, Request) else Request(scope_or_request)
    return request.headers.get("authorization", "") or request.cookies.get("helmdeck_session", "")


def refused_unchecked(app: Any, credential: str) -> float | None:
    """Seconds to wait before this very credential is checked again, or None: it may be checked now."""
    limiter: FailureLimiter = app.state.limiter
    return limiter.retry_after(credential_key(credential)) if credential else None


def count_failure(app: Any, client: str, credential: str, target: str, *, action: str = "authenticate") -> float | None:
    """Count a failed credential against itself and the address; returns the seconds the address
    should wait when it was past its limit already (answer 429, not 401), else None."""
    limiter: FailureLimiter = app.state.limiter
    wait = limiter.retry_after(address_key(client))
    note_failure(app, client, target, action=action, credential=credential)
    return wait


def client_of(scope_or_request: Scope | Request) -> str:
    """The client's address: the peer's, or, when the peer is a proxy the operator trusts
    (``serve --trusted-proxy``), the last address in X-Forwarded-For that is not such a proxy.
    Without trusted proxies the header is ignored: anyone can send it."""
    scope = scope_or_request.scope if isinstance(scope_or_request, Request) else scope_or_request
    client = scope.get("client")
    if client is None:
        return "unknown"
    peer = str(client[0] if isinstance(client, tuple | list) else client.host)
    app = scope.get("app")
    settings = getattr(getattr(app, "state", None), "settings", None)
    proxies = _networks(tuple(getattr(settings, "trusted_proxies", ()) or ()))
    if not proxies or not _within(peer, proxies):
        return peer
    headers = [v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == b"x-forwarded-for"]
    hops = [h.strip() for value in headers for h in value.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _within(hop, proxies):
            return hop if _address(hop) is not None else peer
    return hops[0] if hops else peer


@functools.lru_cache(maxsize=8)
def _networks(texts: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(t, strict=False) for t in texts)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _within(text: str, networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]) -> bool:
    address = _address(text)
    return address is not None and any(address in n for n in networks)


class GuardMiddleware:
    """Pure ASGI, so the body is never touched before the checks."""

    def __init__(self, app: ASGIApp, *, upload_limit: Callable[[], int]) -> None:
        self.app = app
        self.upload_limit = upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        upload = scope["path"] in UPLOAD_PATHS
        cap = self.upload_limit() + MULTIPART_OVERHEAD if upload else SMALL_BODY
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > cap:
            await _answer(send, 413, f"the request body is larger than the limit of {cap} bytes")
            return
        if upload:
            request = Request(scope)
            auth = scope["app"].state.auth
            client = client_of(scope)
            credential = presented_credential(request)
            wait = refused_unchecked(scope["app"], credential)
            if wait is not None:
                await _answer(send, 429, "too many failed sign-ins with this token; try again later", retry_after=wait)
                return
            if await run_in_threadpool(auth.identify, request) is None:
                wait = count_failure(scope["app"], client, credential, "upload") if credential else None
                if wait is not None:
                    await _answer(send, 429, "too many failed sign-ins; try again later", retry_after=wait)
                else:
                    await _answer(send, 401, "a valid token is required")
                return
        seen = 0
        started = False
        answered = False

        async def counted() -> Message:
            nonlocal seen, answered
            if answered:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > cap:
                    # answer now, and let the app see a client that went away: parsers turn any
                    # exception raised here into their own 400
                    if not started:
                        await _answer(send, 413, f"the request body is larger than the limit of {cap} bytes")
                        answered = True
                    return {"type": "http.disconnect"}
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            if answered:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, counted, tracked)


def note_failure(app: Any, client: str, target: str, *, action: str = "authenticate", credential: str = "") -> None:
    """A failed authentication: counted for the credential and the address, audited at most once a
    window per address."""
    if credential:
        app.state.limiter.failed(credential_key(credential))
    count = app.state.limiter.failed(address_key(client))
    if count is not None:
        app.state.audit.record(
            actor="?",
            role="-",
            action=action,
            target=target,
            result="refused",
            detail={"failures": count},
            remote=client,
        )


async def _answer(send: Send, status: int, detail: str, *, retry_after: float | None = None) -> None:
    body = json.dumps({"error": detail, "detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    if retry_after is not None:
        headers.append((b"retry-after", str(int(retry_after + 0.999)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
