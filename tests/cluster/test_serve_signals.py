"""``helmdeck serve`` stopped by real signals during an extension install (issue 17): SIGTERM lets the
install finish its component, records the platform revision and the operation, releases the lock and
exits 0, refusing new operations meanwhile; kill -9 leaves the operation in the cluster's journal,
and the next start records it as interrupted with what it had done."""

from __future__ import annotations

import secrets
import signal
import subprocess
import textwrap
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from helmdeck.cluster import describe
from helmdeck.revisions.journal import OperationJournal
from helmdeck.revisions.store import RevisionStore
from tests.cluster.conftest import SandboxHandle
from tests.cluster.ext_support import platform_file
from tests.cluster.serve_support import free_port, start_serve, wait_up

pytestmark = pytest.mark.cluster


def _slow_chart(root: Path, ready_after: str) -> Path:
    """An extension whose pod turns ready only after ``ready_after``: the install is caught in its gate."""
    chart = root / "catalog" / "slow-app"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(
        "apiVersion: v2\nname: slow-app\nversion: 0.1.0\n"
        "annotations: {helmdeck.dev/kind: application, helmdeck.dev/display-name: Slow app}\n"
    )
    (chart / "values.yaml").write_text("parameters: {}\n")
    (chart / "templates" / "deployment.yaml").write_text(
        textwrap.dedent(
            f"""\
            apiVersion: apps/v1
            kind: Deployment
            metadata: {{name: {{{{ .Release.Name }}}}}}
            spec:
              replicas: 1
              selector: {{matchLabels: {{app: {{{{ .Release.Name }}}}}}}}
              template:
                metadata:
                  labels: {{app: {{{{ .Release.Name }}}}}}
                  annotations: {{sandbox.helmdeck.dev/ready-after: "{ready_after}"}}
                spec:
                  containers:
                    - name: app
                      image: docker.io/library/busybox:1.36
                      resources: {{requests: {{cpu: 1m, memory: 4Mi}}}}
            """
        )
    )
    return root / "catalog"


class Serve:
    def __init__(self, sandbox: SandboxHandle, tmp_path: Path, ready_after: str) -> None:
        self.instance = f"s{secrets.token_hex(2)}"
        self.path = platform_file(tmp_path, self.instance, [_slow_chart(tmp_path, ready_after)])
        self.state = tmp_path / "state"
        self.sandbox = sandbox
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[str] | None = None
        self.token = ""

    def start(self, *extra: str) -> subprocess.Popen[str]:
        self.proc = start_serve(self.path, self.state, self.sandbox.kubeconfig, self.port, "-e", "demo", *extra)
        wait_up(self.url)
        if not self.token:
            assert self.proc.stdout is not None
            self.token = self.proc.stdout.readline().strip()
        return self.proc

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def install(self) -> httpx.Response:
        return httpx.post(
            f"{self.url}/api/v1/extensions/install", json={"name": "slow-app"}, headers=self.auth, timeout=60
        )

    def operation(self, op_id: str) -> dict[str, Any]:
        reply = httpx.get(f"{self.url}/api/v1/operations/{op_id}", headers=self.auth, timeout=10)
        assert reply.status_code == 200, reply.text
        data: dict[str, Any] = reply.json()
        return data

    def wait_gate(self, op_id: str) -> None:
        """Until the install is in its health gate (the release is installed, the pod not ready)."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            op = self.operation(op_id)
            if any(e["component"] == "slow-app" and e["state"] == "waiting" for e in op["events"]):
                return
            assert op["state"] == "running", op
            time.sleep(0.2)
        raise AssertionError("the install never reached its health gate")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    @property
    def admin_namespace(self) -> str:
        return f"{self.instance}-admin"

    @property
    def platform_id(self) -> str:
        return f"{self.instance}-extplat"


def test_sigterm_lets_the_install_finish_and_records_it(sandbox: SandboxHandle, tmp_path: Path) -> None:
    serve = Serve(sandbox, tmp_path, "10s")
    proc = serve.start()
    try:
        started = serve.install()
        assert started.status_code == 202, started.text
        op_id = started.json()["id"]
        serve.wait_gate(op_id)
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        refused = serve.install()
        assert refused.status_code == 503 and "shutting down" in refused.json()["error"], refused.text
        assert httpx.get(f"{serve.url}/healthz").status_code == 503
        assert serve.operation(op_id)["state"] == "running"  # progress still answers
        code = proc.wait(60)
        _out, err = proc.communicate()
        assert code == 0, err
    finally:
        serve.stop()
    client = sandbox.client()
    lease = describe(client, serve.admin_namespace, serve.platform_id)
    assert lease is not None and lease.holder is None  # released, not left to expire
    revisions = RevisionStore(client, serve.admin_namespace, serve.platform_id).list()
    assert [(r.operation, r.result) for r in revisions] == [("ext install slow-app", "succeeded")]
    journal = OperationJournal(client, serve.admin_namespace, serve.platform_id, "test")
    [record] = journal.records()
    assert record["id"] == op_id and record["state"] == "succeeded"
    # a restart keeps the record
    serve.start()
    try:
        after = serve.operation(op_id)
        assert after["state"] == "succeeded" and after["events"][-1]["state"] == "succeeded"
    finally:
        serve.stop()


def test_kill_9_is_found_at_the_next_start_and_recorded_as_interrupted(sandbox: SandboxHandle, tmp_path: Path) -> None:
    serve = Serve(sandbox, tmp_path, "40s")
    proc = serve.start()
    try:
        started = serve.install()
        assert started.status_code == 202, started.text
        op_id = started.json()["id"]
        serve.wait_gate(op_id)
        proc.kill()
        proc.wait(10)
    finally:
        serve.stop()
    client = sandbox.client()
    journal = OperationJournal(client, serve.admin_namespace, serve.platform_id, "test")
    [left] = journal.records()
    assert left["state"] == "running" and left["components"] == {"slow-app": "waiting"}
    serve.start()
    try:
        op = serve.operation(op_id)
        assert op["state"] == "interrupted", op
        assert op["result"]["components"] == {"slow-app": "waiting"}
        assert "slow-app waiting" in op["error"]
        [record] = journal.records()
        assert record["state"] == "interrupted"
    finally:
        serve.stop()


def test_an_install_past_the_grace_period_is_recorded_interrupted_by_the_stopping_service(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    serve = Serve(sandbox, tmp_path, "40s")
    proc = serve.start("--shutdown-grace", "2")
    try:
        started = serve.install()
        assert started.status_code == 202, started.text
        op_id = started.json()["id"]
        serve.wait_gate(op_id)
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(30)
        _out, err = proc.communicate()
        assert code == 0, err
        assert "stopped with 1 operation(s) unfinished, recorded as interrupted" in err, err
    finally:
        serve.stop()
    journal = OperationJournal(sandbox.client(), serve.admin_namespace, serve.platform_id, "test")
    [record] = journal.records()
    assert record["state"] == "interrupted" and record["components"] == {"slow-app": "waiting"}
    assert "did not finish within 2 s" in record["error"]
