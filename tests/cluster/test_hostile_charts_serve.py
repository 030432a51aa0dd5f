"""The hostile-chart corpus (tests/hostile) against an install and against ``helmdeck serve``: the
upload endpoint refuses each chart with a clear error, an install of an accepted chart whose
recursion a parameter switches on fails as an operation, and the service answers after each."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import ConfigMap

from tests.cluster.conftest import SandboxHandle
from tests.cluster.ext_support import platform_file
from tests.unit.hostile_support import EXPECTED, GOOD, HOSTILE, LOW_LIMITS, chart_tgz

pytestmark = pytest.mark.cluster

INSTALL = textwrap.dedent(
    """\
    import json, sys
    from helmdeck.engine import engine_for, load_chart
    from helmdeck.engine.options import InstallOptions
    from helmdeck.errors import HelmdeckError
    kubeconfig, chart, namespace, good = sys.argv[1:]
    engine = engine_for(kubeconfig, namespace)
    try:
        engine.install(load_chart(chart), "victim", None, InstallOptions(namespace=namespace))
        print(json.dumps({"installed": True}))
    except HelmdeckError as exc:
        print(json.dumps({"error": str(exc)}))
    print(json.dumps({"after": len(engine.render(load_chart(good), None, "h").manifests)}))
    """
)


def _install(
    sandbox: SandboxHandle, chart: Path, namespace: str
) -> tuple[subprocess.CompletedProcess[str], list[dict[str, object]]]:
    """An install through the engine, in a process of its own: on code where Helm evaluated the
    templates in process, the test fails instead of taking pytest down."""
    run = subprocess.run(
        [sys.executable, "-c", INSTALL, sandbox.kubeconfig, str(chart), namespace, str(GOOD)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **LOW_LIMITS},
    )
    return run, [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]


def test_an_install_evaluates_in_a_contained_worker(sandbox: SandboxHandle, namespace: str) -> None:
    run, said = _install(sandbox, HOSTILE / "recursive-tpl", namespace)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "chart recursive-tpl: template evaluation crashed: stack overflow in tpl" in str(said[0]["error"])
    assert said[1] == {"after": 2}  # the process goes on rendering


def test_a_recursion_behind_lookup_ends_in_the_install_worker(sandbox: SandboxHandle, namespace: str) -> None:
    """An offline render answers ``lookup`` with nothing and passes; the install's own evaluation,
    against the cluster, recurses, in the install's worker: nothing is written."""
    client = sandbox.client()
    client.create(ConfigMap(metadata=ObjectMeta(name="trigger", namespace=namespace), data={"a": "b"}))
    run, said = _install(sandbox, HOSTILE / "lookup-recursion", namespace)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "chart lookup-recursion: template evaluation crashed: stack overflow in tpl" in str(said[0]["error"])
    listed = client.list(ConfigMap, namespace=namespace)
    assert [c.metadata.name for c in listed if c.metadata and c.metadata.name == "victim"] == []


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


def _rss(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS:"))


def test_serve_refuses_hostile_uploads_and_survives_a_hostile_install(sandbox: SandboxHandle, tmp_path: Path) -> None:
    path = platform_file(tmp_path, "hostile", [])
    port = _port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            CLI,
            "serve",
            "--port",
            str(port),
            "-f",
            str(path),
            "--state-dir",
            str(tmp_path / "state"),
            "--kubeconfig",
            sandbox.kubeconfig,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **LOW_LIMITS, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "serve did not come up"
                time.sleep(0.2)
        assert proc.stdout is not None
        auth = {"Authorization": f"Bearer {proc.stdout.readline().strip()}"}
        client = httpx.Client(base_url=f"{url}/api/v1", headers=auth, timeout=120)

        def answering() -> None:
            assert proc.poll() is None, "serve died"
            assert client.get("/status").status_code == 200

        answering()
        baseline = _rss(proc.pid)
        for name in sorted(EXPECTED):
            archive = chart_tgz(HOSTILE / name, annotations={"helmdeck.dev/kind": "application"})
            started = time.monotonic()
            sent = client.post("/extensions/upload", files={"file": (f"{name}-0.1.0.tgz", archive)})
            assert 400 <= sent.status_code < 500, (name, sent.status_code, sent.text)
            assert EXPECTED[name] in " ".join(sent.text.split()), (name, sent.text)
            assert time.monotonic() - started < 45
            answering()

        accepted = client.post(
            "/extensions/upload",
            files={"file": ("switched-recursion-0.1.0.tgz", chart_tgz(HOSTILE / "switched-recursion"))},
        )
        assert accepted.status_code == 201, accepted.text
        started = client.post(
            "/extensions/install", json={"name": "switched-recursion", "parameters": {"recurse": True}}
        )
        assert started.status_code == 202, started.text
        op_id = started.json()["id"]
        deadline = time.monotonic() + 90
        while (op := client.get(f"/operations/{op_id}").json())["state"] == "running":
            assert time.monotonic() < deadline, op
            answering()
            time.sleep(0.5)
        assert op["state"] == "failed", op
        assert "chart switched-recursion: template evaluation crashed: stack overflow in tpl" in json.dumps(op), op
        answering()
        # what the hostile charts made Helm take stayed in the workers
        assert _rss(proc.pid) - baseline < 200 << 20
    finally:
        proc.terminate()
        proc.wait(timeout=30)
