"""``--parallel`` bounds the Helm writes, not the health gates: with one slot, a second independent
component is installed while the first one's pods are still starting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from helmdeck.deploy.executor import Deployer
from helmdeck.deploy.undeploy import Undeployer
from tests.cluster.conftest import SandboxHandle, examples_dir
from tests.cluster.platform_files import platform, values_file

pytestmark = pytest.mark.cluster

HELLO = str(examples_dir() / "charts" / "hello")


def test_one_write_slot_still_overlaps_the_health_gates(sandbox: SandboxHandle, tmp_path: Path, namespace: str) -> None:
    slow = values_file(tmp_path, "slow", {"replicas": 1, "podAnnotations": {"sandbox.helmdeck.dev/ready-after": "6s"}})
    components: list[dict[str, Any]] = [
        {"name": "a", "chart": HELLO, "namespace": "services", "values": [slow]},
        {"name": "b", "chart": HELLO, "namespace": "services", "values": [slow]},
    ]
    session = platform(sandbox, tmp_path, namespace, {"services": namespace, "admin": namespace}, components)
    try:
        report = Deployer(session(), parallel=1).run()
        assert report.ok, report.as_dict()
        assert report.timeline is not None
        phases = {c["component"]: {p["phase"]: p for p in c["phases"]} for c in report.timeline.as_dict()["components"]}
        first, second = sorted(phases, key=lambda n: phases[n]["install"]["start"])
        # the second install waited for the first's write only, not for its pods to be ready
        assert phases[second]["install"]["start"] < phases[first]["last-ready"]["end"], phases
        # and the writes themselves never overlapped: one slot
        assert phases[second]["install"]["start"] >= phases[first]["install"]["end"], phases
    finally:
        Undeployer(session(), purge_data=True, timeout=60).run()
