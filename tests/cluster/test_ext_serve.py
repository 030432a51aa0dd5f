"""``helmdeck serve`` as a process: the first start creates an admin token and prints it once; the API
answers with it; a second start prints no token."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.cluster.conftest import SandboxHandle
from tests.cluster.ext_support import platform_file
from tests.cluster.serve_support import free_port, start_serve, wait_up

pytestmark = pytest.mark.cluster


def test_first_start_prints_an_admin_token_once(sandbox: SandboxHandle, tmp_path: Path) -> None:
    path = platform_file(tmp_path, "srv", [])
    state = tmp_path / "state"
    port = free_port()
    proc = start_serve(path, state, sandbox.kubeconfig, port)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_up(url)
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
    again = start_serve(path, state, sandbox.kubeconfig, port)
    try:
        wait_up(f"http://127.0.0.1:{port}")
    finally:
        again.terminate()
        out, _err = again.communicate(timeout=20)
    assert "hdk_" not in out
