"""``helmdeck serve`` as a process: the first start creates an admin token and prints it once; the API
answers with it; a second start prints no token."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.cluster.conftest import SandboxHandle
from tests.cluster.ext_support import platform_file

pytestmark = pytest.mark.cluster

# until cli/main.py registers the command, compose the same Typer app the way it will
CLI = (
    "import sys, typer\n"
    "from helmdeck.cli import serve_cmd\n"
    "app = typer.Typer()\n"
    "@app.callback()\n"
    "def root() -> None: pass\n"
    "serve_cmd.register(app)\n"
    "app(sys.argv[1:])\n"
)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(path: Path, state: Path, kubeconfig: str, port: int) -> subprocess.Popen[str]:
    args = ["serve", "--port", str(port), "-f", str(path), "--state-dir", str(state), "--kubeconfig", kubeconfig]
    return subprocess.Popen(
        [sys.executable, "-c", CLI, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )


def _wait_up(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("serve did not come up")


def test_first_start_prints_an_admin_token_once(sandbox: SandboxHandle, tmp_path: Path) -> None:
    path = platform_file(tmp_path, "srv", [])
    state = tmp_path / "state"
    port = _port()
    proc = _serve(path, state, sandbox.kubeconfig, port)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_up(url)
        assert proc.stdout is not None
        token = proc.stdout.readline().strip()
        assert token.startswith("hdk_")
        me = httpx.get(f"{url}/api/v1/whoami", headers={"Authorization": f"Bearer {token}"}).json()
        assert me == {"name": "admin", "role": "admin"}
        status = httpx.get(f"{url}/api/v1/status", headers={"Authorization": f"Bearer {token}"})
        assert status.status_code == 200 and status.json()["platform"] == "srv-extplat"
        assert httpx.get(f"{url}/api/v1/status").status_code == 401
        assert token not in (state / "tokens.json").read_text()
        assert (state / "tokens.json").stat().st_mode & 0o077 == 0
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    again = _serve(path, state, sandbox.kubeconfig, port)
    try:
        _wait_up(f"http://127.0.0.1:{port}")
    finally:
        again.terminate()
        out, _err = again.communicate(timeout=20)
    assert "hdk_" not in out
