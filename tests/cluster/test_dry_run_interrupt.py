"""On the sandbox, through the real CLI: ``undeploy --dry-run`` and ``rollback --dry-run`` say what
the operations then do and change nothing (releases, revisions, claims, namespaces, the lock),
``--purge-data`` without a terminal needs ``--yes``, and Ctrl-C during a deploy lets the running
component finish, starts nothing new, leaves no release pending and exits 130."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from lightkube.resources.coordination_v1 import Lease
from lightkube.resources.core_v1 import PersistentVolumeClaim, Secret

from helmdeck.cluster.namespaces import get_namespace
from helmdeck.core.session import PlatformSession
from helmdeck.deploy.executor import Deployer
from helmdeck.deploy.undeploy import Undeployer
from helmdeck.engine.releases import ReleaseStatus
from tests.cluster.conftest import SandboxHandle
from tests.cluster.platform_files import CHARTS, platform, values_file
from tests.cluster.wait_support import wait_for

pytestmark = pytest.mark.cluster

APP = str(CHARTS / "doctor" / "app")
READY_AFTER = "sandbox\\.helmdeck\\.dev/ready-after"


def _cli(kubeconfig: str, *args: str, stdin: int | None = subprocess.DEVNULL) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "helmdeck.cli.main", *args],
        env={**os.environ, "KUBECONFIG": kubeconfig},
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=180,
    )


def _snapshot(s: PlatformSession, namespaces: list[str]) -> dict[str, Any]:
    """Everything a dry run must leave alone, by resourceVersion: Helm's release records, the
    revision records and secrets store, the lease, the claims, the namespaces themselves."""
    out: dict[str, Any] = {}
    for ns in namespaces:
        found = get_namespace(s.client, ns)
        out[f"Namespace {ns}"] = found and (found["metadata"]["resourceVersion"], found["status"].get("phase"))
        if found is None:
            continue
        for kind in (Secret, PersistentVolumeClaim, Lease):
            for obj in s.client.list(kind, namespace=ns):  # type: ignore[type-var]
                out[f"{kind.__name__} {ns}/{obj.metadata.name}"] = obj.metadata.resourceVersion  # type: ignore[union-attr]
    return out


@pytest.fixture
def data_platform(sandbox: SandboxHandle, tmp_path: Path, namespace: str) -> Any:
    """db (a StatefulSet with a claim) <- api; web (a claim of its own); namespaces helmdeck makes."""
    svc, admin = f"{namespace}-svc", f"{namespace}-adm"
    components = [
        {
            "name": "db",
            "chart": APP,
            "namespace": "services",
            "values": [
                values_file(
                    tmp_path,
                    "db",
                    {"deployment": {"enabled": False}, "statefulset": {"enabled": True, "storageClass": "standard"}},
                )
            ],
        },
        {"name": "api", "chart": APP, "namespace": "services", "needs": ["db"]},
        {
            "name": "web",
            "chart": APP,
            "namespace": "services",
            "values": [values_file(tmp_path, "web", {"persistence": {"enabled": True, "storageClass": "standard"}})],
        },
    ]
    session = platform(sandbox, tmp_path, namespace, {"services": svc, "admin": admin}, components)
    session.namespaces = [svc, admin]  # type: ignore[attr-defined]
    session.path = tmp_path / "platform.yaml"  # type: ignore[attr-defined]
    yield session
    if get_namespace(session().client, admin) is not None:
        Undeployer(session(), purge_data=True, timeout=60).run()


def test_dry_runs_say_what_happens_and_change_nothing(data_platform: Any, sandbox: SandboxHandle) -> None:
    assert Deployer(data_platform(), failure_grace=2).run().ok
    assert Deployer(data_platform(sets=("web.replicas=2",)), failure_grace=2).run().ok
    s = data_platform()
    svc, admin = data_platform.namespaces
    before = _snapshot(s, data_platform.namespaces)
    assert any(k.startswith("PersistentVolumeClaim") for k in before)
    f = ["-f", str(data_platform.path)]

    kept = _cli(sandbox.kubeconfig, "undeploy", *f, "--dry-run", "-o", "json")
    assert kept.returncode == 0, kept.stderr
    plan = json.loads(kept.stdout)
    steps = {r["component"]: r["step"] for r in plan["releases"]}
    assert steps["api"] < steps["db"]
    claims = {f"PersistentVolumeClaim {svc}/web-data", f"PersistentVolumeClaim {svc}/data-db-db-0"}
    assert claims <= set(plan["keptData"]) and plan["deletedData"] == []
    spaces = {n["name"]: n for n in plan["namespaces"]}
    assert not spaces[svc]["deleted"] and not spaces[admin]["deleted"]  # the kept claims and history stay

    purge = _cli(sandbox.kubeconfig, "undeploy", *f, "--purge-data", "--dry-run", "-o", "json")
    assert purge.returncode == 0, purge.stderr  # a dry run asks for no confirmation
    purge_plan = json.loads(purge.stdout)
    assert claims <= set(purge_plan["deletedData"]) and purge_plan["keptData"] == []
    assert all(n["deleted"] for n in purge_plan["namespaces"])

    rollback = _cli(sandbox.kubeconfig, "rollback", *f, "--dry-run", "-o", "json")
    assert rollback.returncode == 0, rollback.stderr
    changes = {c["component"]: c for c in json.loads(rollback.stdout)["components"]}
    web = changes["web"]
    assert (web["action"], web["fromRevision"], web["toRevision"]) == ("rollback", 2, 1)
    assert web["fromChart"] == web["toChart"] == "doctor-app-0.1.0"
    assert changes["db"]["action"] == changes["api"]["action"] == "unchanged"
    human = _cli(sandbox.kubeconfig, "rollback", "1", *f, "--dry-run")
    assert human.returncode == 0 and "nothing was changed" in human.stdout, human.stderr

    # --purge-data with nobody to answer the question: refused before anything changes
    refused = _cli(sandbox.kubeconfig, "undeploy", *f, "--purge-data")
    assert refused.returncode != 0 and "--yes" in refused.stderr, refused.stderr

    assert _snapshot(s, data_platform.namespaces) == before

    report = Undeployer(data_platform(), timeout=60).run()
    assert report.ok
    done = [r.component for r in report.releases]
    assert done.index("api") < done.index("db")
    assert {k for k in report.kept if k.startswith("PersistentVolumeClaim")} == claims
    assert {n["name"]: n["deleted"] for n in report.namespaces} == {n: v["deleted"] for n, v in spaces.items()}


@pytest.mark.parametrize("output", ["json", "human"])
def test_ctrl_c_finishes_the_running_component_and_starts_nothing_new(
    sandbox: SandboxHandle, tmp_path: Path, namespace: str, output: str
) -> None:
    svc, admin = f"{namespace}-svc", f"{namespace}-adm"
    slow = {"podAnnotations": {"sandbox.helmdeck.dev/ready-after": "12s"}}
    components = [
        {"name": "first", "chart": APP, "namespace": "services"},
        {"name": "slow", "chart": APP, "namespace": "services", "needs": ["first"], "set": slow},
        {"name": "later", "chart": APP, "namespace": "services", "needs": ["slow"]},
        {"name": "last", "chart": APP, "namespace": "services", "needs": ["slow"]},
    ]
    session = platform(sandbox, tmp_path, namespace, {"services": svc, "admin": admin}, components)
    proc = subprocess.Popen(
        [sys.executable, "-m", "helmdeck.cli.main", "deploy", "-f", str(tmp_path / "platform.yaml"), "-o", output],
        env={**os.environ, "KUBECONFIG": sandbox.kubeconfig},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        s = session()
        # slow is installed and its health gate is waiting for the pod to become ready
        wait_for(
            "slow installed",
            lambda: (r := s.live_releases().get("slow")) is not None and not r.status.pending,
            timeout=90,
            every=0.2,
        )
        proc.send_signal(signal.SIGINT)
        interrupted_at = time.monotonic()
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 130, (out, err)
        assert "interrupt received, finishing current steps" in err
        live = session().live_releases()
        assert set(live) == {"first", "slow"}, {n: r.status for n, r in live.items()}  # nothing new started
        assert all(r.status is ReleaseStatus.DEPLOYED for r in live.values())  # none left pending
        if output == "json":
            report = json.loads(out)
            assert report["interrupted"] is True and report["notStarted"] == ["later", "last"]
            by = {c["component"]: c for c in report["components"]}
            assert by["slow"]["outcome"] == "installed" and by["slow"]["health"] == "healthy"
            assert report["platformRevision"] == 1
        else:
            assert "not started: later, last" in out and "deploy interrupted" in out, out
        assert time.monotonic() - interrupted_at < 60
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        Undeployer(session(), purge_data=True, timeout=60).run()


def _in_terminal(kubeconfig: str, args: list[str], answer: bytes) -> tuple[int, str, str]:
    """Run the CLI in a pseudo-terminal (so Rich draws its live display) and answer its question;
    returns the exit code, what it wrote before the question, and after."""
    master, slave = os.openpty()
    env = {**os.environ, "KUBECONFIG": kubeconfig, "TERM": "xterm-256color", "COLUMNS": "140", "LINES": "40"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "helmdeck.cli.main", *args], stdin=slave, stdout=slave, stderr=slave, env=env
    )
    os.close(slave)
    before, after = b"", b""
    asked = False
    deadline = time.monotonic() + 180
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the terminal closed: the process ended
                break
            if not chunk:
                break
            if asked:
                after += chunk
            else:
                before += chunk
                if b"Delete all of this?" in before:
                    asked = True
                    os.write(master, answer)
        return proc.wait(timeout=60), before.decode(errors="replace"), after.decode(errors="replace")
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()


def test_purge_asks_in_a_terminal_before_the_live_display(
    sandbox: SandboxHandle, tmp_path: Path, namespace: str
) -> None:
    svc, admin = f"{namespace}-svc", f"{namespace}-adm"
    persistent = {"persistence": {"enabled": True, "storageClass": "standard"}}
    components = [{"name": "web", "chart": APP, "namespace": "services", "set": persistent}]
    session = platform(sandbox, tmp_path, namespace, {"services": svc, "admin": admin}, components)
    try:
        assert Deployer(session(), failure_grace=2).run().ok
        args = ["undeploy", "-f", str(tmp_path / "platform.yaml"), "--purge-data"]
        before = _snapshot(session(), [svc, admin])

        code, asked, rest = _in_terminal(sandbox.kubeconfig, args, b"n\n")
        assert code == 1 and "nothing was changed" in rest, (asked, rest)
        assert f"PersistentVolumeClaim {svc}/web-data" in asked
        assert "\x1b[?25l" not in asked and "undeploying" not in asked  # no live display drawn yet
        assert _snapshot(session(), [svc, admin]) == before

        code, asked, rest = _in_terminal(sandbox.kubeconfig, args, b"y\n")
        assert code == 0, (asked, rest)
        assert "\x1b[?25l" not in asked and "undeployed in" in rest
        assert session().live_releases() == {}
        assert get_namespace(session().client, admin) is None
    finally:
        if get_namespace(session().client, admin) is not None:
            Undeployer(session(), purge_data=True, timeout=60).run()
