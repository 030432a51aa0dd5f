"""The web service as ``helmdeck serve`` runs it (uvicorn with its config), in a thread: a stop
request drains the running operation before the server stops, and X-Forwarded-For from the local
host counts for nothing unless a trusted proxy is configured (uvicorn's own proxy handling trusted
127.0.0.1 by default: anyone on the host could name any address and dodge the limiter)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from helmdeck.server.serving import GracefulServer, server_config

from .server_support import bearer, make_app


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[GracefulServer, str, Any, dict[str, str]]]:
    app, backend, tokens = make_app(tmp_path)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = GracefulServer(server_config(app, "127.0.0.1", port), app.state.runner, grace=10)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield server, f"http://127.0.0.1:{port}", backend, tokens
    server.should_exit = True
    thread.join(10)


def test_forwarded_for_from_the_local_host_is_not_trusted_by_default(served: Any) -> None:
    _server, url, _backend, _tokens = served
    codes = []
    for i in range(11):
        headers = {**bearer(f"hdk_{i:012x}_" + "x" * 30), "X-Forwarded-For": f"192.0.2.{i}"}
        codes.append(httpx.get(f"{url}/api/v1/status", headers=headers).status_code)
    assert codes[:10] == [401] * 10 and codes[10] == 429, codes


def test_a_stop_request_waits_for_the_running_operation(served: Any) -> None:
    server, url, backend, tokens = served
    backend.proceed.clear()
    started = httpx.post(f"{url}/api/v1/rollback", json={"revision": 1}, headers=bearer(tokens["operator"]))
    assert started.status_code == 202, started.text
    server.handle_exit(15, None)  # what SIGTERM calls in the main thread
    time.sleep(0.5)
    assert not server.should_exit  # still serving: the operation runs
    refused = httpx.post(f"{url}/api/v1/rollback", json={"revision": 1}, headers=bearer(tokens["operator"]))
    assert refused.status_code == 503
    op = httpx.get(f"{url}/api/v1/operations/{started.json()['id']}", headers=bearer(tokens["viewer"])).json()
    assert op["state"] == "running"
    [interrupt] = backend.cancels  # the rollback was asked to start no further component
    assert interrupt is not None and interrupt.is_set() and backend.calls == []
    backend.proceed.set()
    deadline = time.monotonic() + 10
    while not server.should_exit and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.should_exit and not server.force_exit
    assert backend.calls == [("rollback", 1)]
