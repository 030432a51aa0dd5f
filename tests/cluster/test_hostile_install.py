"""A chart harmless wherever helmdeck renders it but recursive in a real install
(tests/hostile/install-recursion), and release writes cancelled across the worker boundary.

On code where Helm's release writes ran in helmdeck's process, ``deploy`` died of Go's "fatal error:
stack overflow" (a dry run before the install evaluated without the chart's CRD and saw nothing)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from lightkube.core.exceptions import ApiError
from lightkube.resources.apiextensions_v1 import CustomResourceDefinition

from helmdeck.cluster import describe
from helmdeck.deploy.undeploy import Undeployer
from helmdeck.engine import CancelToken, engine_for, load_chart, release_writes
from helmdeck.engine.options import InstallOptions, ListOptions, UninstallOptions
from helmdeck.engine.releases import ReleaseStatus
from helmdeck.engine.sdk_errors import ReleaseTimeoutError
from helmdeck.revisions.journal import OperationJournal
from tests.cluster.conftest import SandboxHandle
from tests.cluster.ext_support import platform_file
from tests.cluster.platform_files import CHARTS, platform
from tests.cluster.serve_support import free_port, start_serve, wait_up
from tests.cluster.wait_support import wait_for
from tests.unit.hostile_support import HOSTILE, LOW_LIMITS

pytestmark = pytest.mark.cluster

APP = str(CHARTS / "doctor" / "app")
CRD = "installtriggers.hostile.helmdeck.dev"
COMPLETE_AFTER = "sandbox.helmdeck.dev/complete-after"
#: a pre-install hook Job that completes only after ten minutes: Helm waits on it
STUCK_HOOK = {"hookJob": {"enabled": True, "annotations": {COMPLETE_AFTER: "600s"}}}
EXPECTED = "chart install-recursion: template evaluation crashed: stack overflow in tpl"


@pytest.fixture
def no_trigger_crd(sandbox: SandboxHandle) -> Any:
    """The chart's CRD is cluster-wide: while it exists, renders see nothing and every install recurses."""

    def delete() -> None:
        try:
            sandbox.client().delete(CustomResourceDefinition, CRD)
        except ApiError as exc:
            if exc.status.code != 404:
                raise

    delete()
    yield
    delete()


@pytest.mark.usefixtures("no_trigger_crd")
def test_deploy_of_a_chart_recursing_only_at_install_fails_cleanly(
    sandbox: SandboxHandle, tmp_path: Path, namespace: str
) -> None:
    svc, admin = f"{namespace}-svc", f"{namespace}-adm"
    components = [
        {"name": "victim", "chart": str(HOSTILE / "install-recursion"), "namespace": "services"},
        {"name": "good", "chart": APP, "namespace": "services"},
    ]
    session = platform(sandbox, tmp_path, namespace, {"services": svc, "admin": admin}, components)
    env = {**os.environ, **LOW_LIMITS, "KUBECONFIG": sandbox.kubeconfig, "HELMDECK_ALLOW_OUTSIDE": "1"}
    cli = [sys.executable, "-m", "helmdeck.cli.main"]
    try:
        # harmless where helmdeck renders: validate and render evaluate before the CRD exists
        for command in ("validate", "render"):
            run = subprocess.run(
                [*cli, command, "-f", str(tmp_path / "platform.yaml")], env=env, capture_output=True, text=True
            )
            assert run.returncode == 0, (command, run.stderr[-2000:])
        run = subprocess.run(
            [*cli, "deploy", "-f", str(tmp_path / "platform.yaml"), "-o", "json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert run.returncode == 1, (run.returncode, run.stderr[-3000:])  # a failed component, not a crash
        assert "Traceback" not in run.stderr and "fatal error" not in run.stderr, run.stderr[-3000:]
        report = json.loads(run.stdout)
        by = {c["component"]: c for c in report["components"]}
        message = " ".join(by["victim"]["message"].split())
        assert by["victim"]["outcome"] == "failed"
        assert EXPECTED in message, message
        assert "tpl is called in install-recursion/templates/cm.yaml" in message, message
        assert "install of release" in message and "no release was written" in message, message
        assert by["good"]["outcome"] == "installed", by["good"]  # the deploy went on with the rest
        s = session()
        lease = describe(s.client, s.admin_namespace, s.platform_id)
        assert lease is None or not lease.holder, lease  # the lock was released
        assert set(s.live_releases()) == {"good"}
    finally:
        Undeployer(session(), purge_data=True, timeout=60).run()


@pytest.mark.parametrize("grace", ["20", "0"])
def test_a_cancelled_install_ends_within_the_grace_and_says_what_state_it_left(
    sandbox: SandboxHandle, namespace: str, monkeypatch: pytest.MonkeyPatch, grace: str
) -> None:
    """Cancelled while Helm waits on a hook: with a grace period Helm ends the install itself
    (recorded failed); with none the worker is killed and the release is left pending-install, for
    the next deploy to recover. Either way the caller gets an error saying so, and helmdeck goes on."""
    monkeypatch.setenv("HELMDECK_RELEASE_CANCEL_GRACE_SECONDS", grace)
    engine = engine_for(sandbox.kubeconfig, namespace)
    chart = load_chart(APP)
    token = CancelToken()
    caught: list[BaseException] = []

    def install() -> None:
        try:
            engine.install(chart, "stuck", STUCK_HOOK, InstallOptions(timeout=300, cancel=token))
        except BaseException as exc:
            caught.append(exc)

    worker = threading.Thread(target=install)
    worker.start()
    wait_for(
        "stuck pending-install",
        lambda: any(
            r.status is ReleaseStatus.PENDING_INSTALL for r in engine.list_releases(ListOptions(namespace=namespace))
        ),
        timeout=60,
    )
    cancelled_at = time.monotonic()
    token.cancel()
    worker.join(timeout=60)
    assert not worker.is_alive()
    assert time.monotonic() - cancelled_at < float(grace) + 10
    assert len(caught) == 1 and isinstance(caught[0], ReleaseTimeoutError), caught
    text = str(caught[0])
    status = engine.status("stuck", namespace=namespace).status
    if grace == "0":
        assert "install of release" in text and "stopped after a grace of 0 s" in text, text
        assert status is ReleaseStatus.PENDING_INSTALL
    else:
        assert "was cancelled" in text, text
        assert status is ReleaseStatus.FAILED
    assert f"the release is {status.value}" in text, text
    assert release_writes.running() == 0
    time.sleep(3)
    assert engine.status("stuck", namespace=namespace).status is status  # nothing finished it behind our back
    engine.uninstall("stuck", UninstallOptions(namespace=namespace, disable_hooks=True))  # the next write works


def test_ctrl_c_twice_during_an_install_cancels_it_reports_its_state_and_releases_the_lock(
    sandbox: SandboxHandle, tmp_path: Path, namespace: str
) -> None:
    """The first Ctrl-C lets the install finish; it cannot (its hook never completes), so the
    second cancels it in its worker: deploy ends 130 with the release's state in its report and
    the platform lock released, instead of leaving the process with the lock held."""
    svc, admin = f"{namespace}-svc", f"{namespace}-adm"
    components = [
        {
            "name": "stuck",
            "chart": APP,
            "namespace": "services",
            "set": {"hookJob": {"enabled": True, "annotations": {COMPLETE_AFTER: "600s"}}},
            "health": {"timeout": "5m"},
        }
    ]
    session = platform(sandbox, tmp_path, namespace, {"services": svc, "admin": admin}, components)
    proc = subprocess.Popen(
        [sys.executable, "-m", "helmdeck.cli.main", "deploy", "-f", str(tmp_path / "platform.yaml"), "-o", "json"],
        env={**os.environ, "KUBECONFIG": sandbox.kubeconfig, "HELMDECK_RELEASE_CANCEL_GRACE_SECONDS": "10"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        s = session()
        wait_for(
            "stuck pending-install",
            lambda: (r := s.live_releases().get("stuck")) is not None and r.status is ReleaseStatus.PENDING_INSTALL,
            timeout=90,
            every=0.2,
        )
        proc.send_signal(signal.SIGINT)
        time.sleep(1)
        proc.send_signal(signal.SIGINT)
        stopped_at = time.monotonic()
        out, err = proc.communicate(timeout=90)
        assert proc.returncode == 130, (out, err)
        assert time.monotonic() - stopped_at < 40
        assert "stopping: cancelling the running release writes" in err and "Traceback" not in err, err
        report = json.loads(out)
        stuck = {c["component"]: c for c in report["components"]}["stuck"]
        assert stuck["outcome"] == "failed", stuck
        assert "install of release" in stuck["message"] and "cancelled" in stuck["message"], stuck
        live = session().live_releases()["stuck"]
        assert f"the release is {live.status.value}" in stuck["message"], (stuck, live.status)
        assert not live.status.pending  # Helm ended the install and recorded it
        lease = describe(s.client, s.admin_namespace, s.platform_id)
        assert lease is None or not lease.holder, lease  # released, not left to expire
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        Undeployer(session(), purge_data=True, timeout=60).run()


def _catalog(root: Path, *charts: Path) -> Path:
    catalog = root / "catalog"
    for chart in charts:
        shutil.copytree(chart, catalog / chart.name)
    return catalog


def _stuck_hook_chart(root: Path) -> Path:
    """An extension whose pre-install hook Job completes only after ten minutes."""
    chart = root / "src" / "stuck-hook"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(
        "apiVersion: v2\nname: stuck-hook\nversion: 0.1.0\nannotations: {helmdeck.dev/kind: application}\n"
    )
    (chart / "values.yaml").write_text("parameters: {}\n")
    (chart / "templates" / "hook.yaml").write_text(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {{ .Release.Name }}-hook\n"
        "  annotations: {helm.sh/hook: pre-install}\nspec:\n  backoffLimit: 0\n  template:\n"
        f"    metadata: {{annotations: {{{COMPLETE_AFTER}: 600s}}}}\n"
        "    spec:\n      restartPolicy: Never\n      containers:\n"
        "        - {name: hook, image: docker.io/library/busybox:1.36, resources: {requests: {cpu: 1m}}}\n"
    )
    return chart


class _Serve:
    def __init__(self, sandbox: SandboxHandle, tmp_path: Path, catalog: Path, *extra: str) -> None:
        self.instance = f"h{secrets.token_hex(2)}"
        path = platform_file(tmp_path, self.instance, [catalog])
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = start_serve(path, tmp_path / "state", sandbox.kubeconfig, self.port, "-e", "demo", *extra)
        wait_up(self.url)
        assert self.proc.stdout is not None
        token = self.proc.stdout.readline().strip()
        self.api = httpx.Client(base_url=f"{self.url}/api/v1", headers={"Authorization": f"Bearer {token}"})

    def answering(self) -> None:
        assert self.proc.poll() is None, "serve died"
        assert self.api.get("/status", timeout=30).status_code == 200

    def operation(self, op_id: str) -> dict[str, Any]:
        data: dict[str, Any] = self.api.get(f"/operations/{op_id}", timeout=30).json()
        return data

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.mark.usefixtures("no_trigger_crd")
def test_serve_survives_an_install_that_recurses_only_at_install(
    sandbox: SandboxHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in LOW_LIMITS.items():
        monkeypatch.setenv(name, value)
    serve = _Serve(sandbox, tmp_path, _catalog(tmp_path, HOSTILE / "install-recursion"))
    try:
        serve.answering()
        started = serve.api.post("/extensions/install", json={"name": "install-recursion"}, timeout=60)
        assert started.status_code == 202, started.text
        op_id = started.json()["id"]
        deadline = time.monotonic() + 120
        while (op := serve.operation(op_id))["state"] == "running":
            assert time.monotonic() < deadline, op
            serve.answering()
            time.sleep(0.5)
        assert op["state"] == "failed", op
        text = " ".join(json.dumps(op).split())
        assert EXPECTED in text and "install-recursion/templates/cm.yaml" in text, op
        serve.answering()
        # the service still changes the platform: the next operation starts (and fails the same way)
        again = serve.api.post("/extensions/install", json={"name": "install-recursion"}, timeout=60)
        assert again.status_code == 202, again.text
    finally:
        serve.stop()


def test_serve_past_its_grace_cancels_a_running_install_records_it_and_releases_the_lock(
    sandbox: SandboxHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGTERM while an install waits in its worker on a hook that will not complete in time: after
    the grace period the write is cancelled across the boundary, the operation records its end
    (failed, with the release's state) and releases the lock itself, and the service exits 0."""
    monkeypatch.setenv("HELMDECK_RELEASE_CANCEL_GRACE_SECONDS", "10")
    serve = _Serve(sandbox, tmp_path, _catalog(tmp_path, _stuck_hook_chart(tmp_path)), "--shutdown-grace", "2")
    admin, platform_id = f"{serve.instance}-admin", f"{serve.instance}-extplat"
    engine = engine_for(sandbox.kubeconfig, f"{serve.instance}-extensions")
    try:
        started = serve.api.post("/extensions/install", json={"name": "stuck-hook"}, timeout=60)
        assert started.status_code == 202, started.text
        op_id = started.json()["id"]
        wait_for(
            "stuck-hook pending-install",
            lambda: any(r.status is ReleaseStatus.PENDING_INSTALL for r in engine.list_releases()),
            timeout=90,
        )
        serve.proc.send_signal(signal.SIGTERM)
        code = serve.proc.wait(60)
        _out, err = serve.proc.communicate()
        assert code == 0, err
        assert "cancelling the running release writes" in err and "Traceback" not in err, err
    finally:
        serve.stop()
    client = sandbox.client()
    lease = describe(client, admin, platform_id)
    assert lease is not None and lease.holder is None  # released, not left to expire
    [record] = OperationJournal(client, admin, platform_id, "test").records()
    assert record["id"] == op_id and record["state"] == "failed", record
    assert "cancelled" in json.dumps(record) and "the release is failed" in json.dumps(record), record
    assert not [r for r in engine.list_releases() if r.status.pending]


def test_an_install_over_the_release_write_limit_is_stopped_and_the_next_reuses_a_worker(
    sandbox: SandboxHandle, namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """slow-loop spins (little memory) while the install evaluates it: the release-write time limit
    kills the worker, the error says which limit and how to raise it, and the writes after it go on,
    in one reused worker."""
    monkeypatch.setenv("HELMDECK_RELEASE_TIMEOUT_SECONDS", "3")
    monkeypatch.setenv("HELMDECK_RELEASE_MEMORY_MIB", str(64 * 1024))  # the clock, not memory, ends it
    engine = engine_for(sandbox.kubeconfig, namespace)
    started = time.monotonic()
    with pytest.raises(ReleaseTimeoutError) as caught:
        engine.install(load_chart(HOSTILE / "slow-loop"), "victim", None)
    text = " ".join(str(caught.value).split())
    assert time.monotonic() - started < 20
    assert f"chart slow-loop: install of release {namespace}/victim took longer than 3 s" in text, text
    assert "the limit of a release write" in text and "no release was written" in text, text
    assert "HELMDECK_RELEASE_TIMEOUT_SECONDS (now 3)" in text, text
    good = load_chart(APP)
    engine.install(good, "after-1", None)
    pids = release_writes.worker_pids()
    engine.uninstall("after-1")
    assert release_writes.worker_pids() == pids and len(pids) == 1  # reused, not one per write
