"""Before a body is read: an upload's credentials are checked from its headers, bodies are capped
as they stream, failed sign-ins are slowed down per client and reach the audit log once per window.
Against a real uvicorn server on 127.0.0.1, through raw sockets, so nothing sends a body we do not
control."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from helmdeck.server.guard import FailureLimiter

from .server_support import bearer, make_app


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[int, Any, dict[str, str]]]:
    app, backend, tokens = make_app(tmp_path)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="error", lifespan="on")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield port, backend, tokens
    srv.should_exit = True
    thread.join(10)


def _raw(port: int, head: str, body: bytes = b"", *, wait: float = 5.0) -> str:
    """Send the request head (and maybe part of a body); return the status line and headers."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as conn:
        conn.sendall(head.encode() + b"\r\n" + body)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
    return data.decode("latin-1")


def _upload_head(length: int, extra: str = "") -> str:
    return (
        "POST /api/v1/extensions/upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: multipart/form-data; boundary=xyz\r\n"
        f"Content-Length: {length}\r\n{extra}"
    )


def test_an_unauthenticated_upload_is_refused_before_its_body_is_read(server: Any) -> None:
    port, backend, _ = server
    # 4 MiB announced, not one byte sent: the answer can only come from the headers
    start = time.monotonic()
    reply = _raw(port, _upload_head(4 * 1024 * 1024))
    assert reply.startswith("HTTP/1.1 401"), reply
    assert time.monotonic() - start < 3
    assert not list(Path(backend.state_dir).rglob("*.tgz"))


def test_a_body_over_the_limit_is_refused_from_its_length(server: Any) -> None:
    port, _, tokens = server
    auth = f"Authorization: {bearer(tokens['admin'])['Authorization']}\r\n"
    reply = _raw(port, _upload_head(300 * 1024 * 1024, auth))
    assert reply.startswith("HTTP/1.1 413"), reply


def test_a_streamed_body_is_cut_at_the_limit(server: Any) -> None:
    port, _, tokens = server
    auth = f"Authorization: {bearer(tokens['admin'])['Authorization']}\r\n"
    head = (
        "POST /api/v1/extensions/upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: multipart/form-data; boundary=xyz\r\nTransfer-Encoding: chunked\r\n" + auth
    )
    part = b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.tgz"\r\n\r\n'
    chunks = [part] + [b"x" * (1024 * 1024)] * 8  # 8 MiB > 5 MiB + overhead
    body = b"".join(b"%x\r\n" % len(c) + c + b"\r\n" for c in chunks)
    reply = _raw(port, head, body, wait=20)
    assert reply.startswith("HTTP/1.1 413"), reply


def test_failed_sign_ins_are_slowed_down_and_audited_once_per_window(server: Any) -> None:
    port, backend, tokens = server
    bad = "Authorization: Bearer hdk_000000000000_" + "x" * 30 + "\r\n"
    codes = []
    for _ in range(14):
        reply = _raw(port, f"GET /api/v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\n{bad}")
        codes.append(int(reply.split()[1]))
    assert codes[:10] == [401] * 10 and set(codes[10:]) == {429}, codes
    limited = _raw(port, f"GET /api/v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\n{bad}")
    assert "retry-after:" in limited.lower()
    good = f"Authorization: {bearer(tokens['admin'])['Authorization']}\r\n"
    audit = _raw(port, f"GET /api/v1/audit HTTP/1.1\r\nHost: 127.0.0.1\r\n{good}")
    # issue 17: others failing from this address must not lock out a valid token (it was 429)
    assert audit.startswith("HTTP/1.1 200"), audit
    lines = (Path(backend.state_dir) / "audit.log").read_text().splitlines()
    assert len([line for line in lines if '"authenticate"' in line]) == 1  # one line, not fifteen


def test_the_limiter_forgets_after_its_window() -> None:
    now = [0.0]
    limiter = FailureLimiter(limit=3, window=60, clock=lambda: now[0])
    assert [limiter.failed("a") for _ in range(3)] == [1, None, None]
    assert limiter.retry_after("a") == 60 and limiter.retry_after("b") is None
    now[0] = 61
    assert limiter.retry_after("a") is None
    assert limiter.failed("a") == 3  # the next audit line counts what was held back
