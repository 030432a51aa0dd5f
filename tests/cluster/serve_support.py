"""``helmdeck serve`` as a process of its own, for the tests that start, signal and restart it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

# the real entry point, as the installed ``helmdeck`` script runs it
CLI = "import sys\nfrom helmdeck.cli.main import main\nsys.exit(main())\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_serve(path: Path, state: Path, kubeconfig: str, port: int, *extra: str) -> subprocess.Popen[str]:
    args = ["serve", "--port", str(port), "-f", str(path), "--state-dir", str(state), "--kubeconfig", kubeconfig]
    return subprocess.Popen(
        [sys.executable, "-c", CLI, *args, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )


def wait_up(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("serve did not come up")
