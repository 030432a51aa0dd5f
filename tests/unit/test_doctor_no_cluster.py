"""Doctor without a reachable cluster: a clear finding (never a traceback), the offline checks still
run, and the command exits non-zero with its report as JSON."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import typer
import yaml
from typer.testing import CliRunner

from helmdeck.cli import doctor_cmds
from helmdeck.core.session import PlatformSession
from helmdeck.doctor.live import diagnose_platform
from helmdeck.doctor.preflight import run_preflight

CHART = Path(__file__).resolve().parents[1] / "cluster" / "charts" / "doctor" / "app"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_files(tmp_path: Path) -> tuple[Path, Path]:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "gone", "cluster": {"server": f"https://127.0.0.1:{closed_port()}"}}],
                "users": [{"name": "me", "user": {"token": "not-a-real-token"}}],
                "contexts": [{"name": "gone", "context": {"cluster": "gone", "user": "me"}}],
                "current-context": "gone",
            }
        )
    )
    platform = tmp_path / "platform.yaml"
    platform.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "helmdeck.dev/v1",
                "kind": "Platform",
                "metadata": {"name": "lab"},
                "spec": {
                    "registry": {"url": "registry.example.org/dash"},
                    "components": [{"name": "web", "chart": str(CHART)}, {"name": "db", "chart": str(CHART)}],
                },
            }
        )
    )
    return platform, kubeconfig


def test_unreachable_cluster_is_a_finding_and_offline_checks_still_run(tmp_path: Path) -> None:
    platform, kubeconfig = write_files(tmp_path)
    session = PlatformSession(platform, kubeconfig=str(kubeconfig))
    report = run_preflight(session, offline=True)
    [cluster] = [f for f in report.errors if f.check == "cluster"]
    assert "did not answer" in cluster.reason and "127.0.0.1" in cluster.reason
    assert "sandbox up" in cluster.fix
    assert report.checks[:3] == ["cluster", "render", "offline-images"]
    assert not [f for f in report.findings if f.check == "offline-images"]  # the chart's images are the registry's
    assert report.cluster is None and not report.ok

    live = diagnose_platform(PlatformSession(platform, kubeconfig=str(kubeconfig)))
    assert [f.check for f in live.errors] == ["cluster"]


def test_doctor_command_exits_non_zero_with_json(tmp_path: Path) -> None:
    platform, kubeconfig = write_files(tmp_path)
    app = typer.Typer()
    doctor_cmds.register(app)
    app.command("noop")(lambda: None)  # a second command keeps "doctor" a sub-command
    result = CliRunner().invoke(app, ["doctor", "-f", str(platform), "--kubeconfig", str(kubeconfig), "-o", "json"])
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert data["ok"] is False and data["mode"] == "preflight" and data["platform"] == "lab"
    assert data["findings"][0]["check"] == "cluster"

    human = CliRunner().invoke(app, ["doctor", "-f", str(platform), "--kubeconfig", str(kubeconfig)])
    assert human.exit_code == 1
    assert "errors (1)" in human.output and "errors found: 1 error" in human.output
