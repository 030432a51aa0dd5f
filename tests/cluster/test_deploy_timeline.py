"""The deploy timeline on the sandbox: a deploy of a small chain of components records every
component's phases, and ``helmdeck history show REV --timeline`` gives them back (JSON and SVG)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from helmdeck.deploy.executor import Deployer
from helmdeck.deploy.undeploy import Undeployer
from tests.cluster.conftest import SandboxHandle, examples_dir
from tests.cluster.platform_files import platform, values_file

pytestmark = pytest.mark.cluster

HELLO = str(examples_dir() / "charts" / "hello")
READY_AFTER = 2.0  # each component's pods are ready this long after they start


def test_a_deploy_records_each_components_phases_and_history_draws_them(
    sandbox: SandboxHandle, tmp_path: Path, namespace: str
) -> None:
    values = values_file(
        tmp_path, "slow", {"replicas": 1, "podAnnotations": {"sandbox.helmdeck.dev/ready-after": f"{READY_AFTER:g}s"}}
    )
    components: list[dict[str, Any]] = [
        {"name": "db", "chart": HELLO, "namespace": "services", "values": [values]},
        {"name": "cache", "chart": HELLO, "namespace": "services"},
        {"name": "api", "chart": HELLO, "namespace": "services", "values": [values], "needs": ["db", "cache"]},
        {"name": "web", "chart": HELLO, "namespace": "services", "values": [values], "needs": ["api"]},
    ]
    session = platform(sandbox, tmp_path, namespace, {"services": namespace, "admin": namespace}, components)
    try:
        report = Deployer(session(), parallel=4).run()
        assert report.ok, report.as_dict()
        data = report.as_dict()["timeline"]
        assert [p["phase"] for p in data["platformPhases"]] == ["preflight", "prepare", "final-check"]
        by_name = {c["component"]: c for c in data["components"]}
        assert set(by_name) == {"db", "cache", "api", "web"}
        for name, c in by_name.items():
            phases = {p["phase"]: p for p in c["phases"]}
            assert set(phases) == {"render", "install", "first-ready", "last-ready"}, (name, c)
            assert phases["render"]["end"] <= c["start"]  # rendered before the work began (preflight)
            assert c["start"] <= phases["install"]["start"] < phases["install"]["end"] <= phases["first-ready"]["start"]
            assert phases["first-ready"]["end"] <= phases["last-ready"]["end"] <= c["end"] <= data["seconds"]
            if name != "cache":  # the gate saw its Service ready long before its delayed pod
                assert phases["first-ready"]["end"] + READY_AFTER / 2 <= phases["last-ready"]["end"], (name, c)
        # api started when db, the need that finished last, was done
        assert by_name["api"]["start"] >= by_name["db"]["end"] and by_name["web"]["start"] >= by_name["api"]["end"]
        assert data["criticalChain"] == ["db", "api", "web"]
        assert data["floor"] >= 3 * READY_AFTER * 0.9, data
        assert data["floor"] <= data["chainSeconds"] <= data["seconds"]

        env = {**os.environ, "KUBECONFIG": sandbox.kubeconfig, "NO_COLOR": "1"}
        base = [sys.executable, "-m", "helmdeck.cli.main", "history", "show", str(report.platform_revision)]
        path = str(tmp_path / "platform.yaml")
        svg = tmp_path / "timeline.svg"
        shown = subprocess.run(
            [*base, "--timeline", "-o", "json", "-f", path, "--out", str(svg)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert shown.returncode == 0, shown.stderr
        again = json.loads(shown.stdout)
        assert again["revision"] == report.platform_revision and again["operation"] == "deploy"
        assert again["timeline"]["criticalChain"] == data["criticalChain"]
        for c in again["timeline"]["components"]:  # kept in milliseconds
            want = {p["phase"]: p for p in by_name[c["component"]]["phases"]}
            assert {p["phase"] for p in c["phases"]} == set(want)
            for p in c["phases"]:
                assert abs(p["start"] - want[p["phase"]]["start"]) <= 0.002
                assert abs(p["end"] - want[p["phase"]]["end"]) <= 0.002
        root = ET.fromstring(svg.read_text())
        critical = {
            g.get("data-row") for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("data-critical") == "true"
        }
        assert critical == {"db", "api", "web"}

        drawn = subprocess.run([*base, "--timeline", "-f", path], capture_output=True, text=True, env=env, timeout=120)
        assert drawn.returncode == 0, drawn.stderr
        assert "▶ web" in drawn.stdout and "floor" in drawn.stdout
    finally:
        Undeployer(session(), purge_data=True, timeout=60).run()
