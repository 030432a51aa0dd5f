"""Preflight under load: many ``helmdeck doctor`` processes at once on the sandbox. Each sends its
permission reviews concurrently; they once did so from 8 threads decoding responses at the same
time, which crashed about one run in forty (SIGSEGV, exit 139)."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.cluster.conftest import SandboxHandle
from tests.cluster.platform_files import CHARTS, platform, values_file

pytestmark = pytest.mark.cluster

RUNS = 24
AT_ONCE = 6


def test_many_parallel_preflights_all_finish(sandbox: SandboxHandle, tmp_path: Path, namespace: str) -> None:
    # enough distinct objects that every run sends a few dozen reviews at once
    components = [
        {
            "name": f"c{i}",
            "chart": str(CHARTS / "health" / "quirks"),
            "namespace": "services",
            "values": [values_file(tmp_path, f"c{i}", {"job": {"enabled": True}, "password": "x" * 12})],
        }
        for i in range(6)
    ]
    platform(sandbox, tmp_path, namespace, {"services": namespace, "admin": namespace}, components)
    env = {**os.environ, "KUBECONFIG": sandbox.kubeconfig}
    cmd = [sys.executable, "-m", "helmdeck.cli.main", "doctor", "-f", str(tmp_path / "platform.yaml"), "-o", "json"]

    def one(_: int) -> tuple[int, str]:
        run = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=180)
        return run.returncode, run.stderr[-400:]

    with ThreadPoolExecutor(max_workers=AT_ONCE) as pool:
        results = list(pool.map(one, range(RUNS)))
    crashed = [(code, err) for code, err in results if code < 0 or code >= 128]
    assert not crashed, crashed
    assert {code for code, _ in results} == {0}, results
