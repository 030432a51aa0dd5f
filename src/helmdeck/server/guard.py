"""What stands before a request body is read: credentials checked first on uploads, bodies capped
while they stream, and clients that keep presenting bad credentials slowed down (429).

Starlette's multipart parser spools a whole upload to disk before an endpoint's dependencies run,
so an unauthenticated client could make the server write hundreds of MiB. This ASGI middleware
answers 401/413 from the headers alone, and counts the bytes of every body as they arrive.
"""

from __future__ import annotations

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
    """Failed authentications per client: past ``limit`` within ``window`` seconds, the client is
    refused (429) until its oldest failure leaves the window. Each client's failures reach the audit
    log once per window, with a count, so a flood cannot fill it."""

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


def client_of(scope_or_request: Scope | Request) -> str:
    client = scope_or_request.client if isinstance(scope_or_request, Request) else scope_or_request.get("client")
    if client is None:
        return "unknown"
    return str(client[0] if isinstance(client, tuple | list) else client.host)


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
            limiter: FailureLimiter = scope["app"].state.limiter
            client = client_of(scope)
            wait = limiter.retry_after(client)
            if wait is not None:
                await _answer(send, 429, "too many failed sign-ins; try again later", retry_after=wait)
                return
            if await run_in_threadpool(auth.identify, request) is None:
                note_failure(scope["app"], client, "upload")
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


def note_failure(app: Any, client: str, target: str, *, action: str = "authenticate") -> None:
    """A failed authentication: counted for the limiter, audited at most once a window per client."""
    count = app.state.limiter.failed(client)
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
