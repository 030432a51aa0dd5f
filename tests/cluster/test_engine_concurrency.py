"""Release operations from parallel threads (see the thread-safety notes in helmdeck.engine.helm_sdk)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from helmdeck.engine import ChartCache, ReleaseStatus, engine_for, load_chart
from tests.cluster.conftest import SandboxHandle

pytestmark = pytest.mark.cluster

CHARTS = Path(__file__).resolve().parents[1] / "unit" / "charts"
PLAIN = {"migrate": {"enabled": False}, "ingress": {"enabled": False}}


def test_parallel_installs_of_different_releases(sandbox: SandboxHandle, namespace: str) -> None:
    chart = load_chart(CHARTS / "webapp", cache=ChartCache())

    def install(i: int) -> tuple[int, ReleaseStatus]:
        # One engine per worker thread, as the deploy executor does.
        release = engine_for(sandbox.kubeconfig, namespace).install(chart, f"app-{i}", {**PLAIN, "replicas": i % 3})
        return release.revision, release.status

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(install, range(6)))
    assert results == [(1, ReleaseStatus.DEPLOYED)] * 6
    engine = engine_for(sandbox.kubeconfig, namespace)
    assert sorted(r.name for r in engine.list_releases()) == [f"app-{i}" for i in range(6)]
    for i in range(6):
        assert [r.revision for r in engine.history(f"app-{i}")] == [1]
        assert engine.get_values(f"app-{i}") == {**PLAIN, "replicas": i % 3}


def test_parallel_upgrades_of_one_release_are_serialised(sandbox: SandboxHandle, namespace: str) -> None:
    """Unserialised, Helm fails all but one ("release: already exists"); the engine queues them."""
    chart = load_chart(CHARTS / "webapp", cache=ChartCache())
    engine_for(sandbox.kubeconfig, namespace).install(chart, "web", PLAIN)

    def upgrade(i: int) -> int:
        return engine_for(sandbox.kubeconfig, namespace).upgrade(chart, "web", {**PLAIN, "replicas": i}).revision

    with ThreadPoolExecutor(max_workers=4) as pool:
        revisions = sorted(pool.map(upgrade, range(4)))
    assert revisions == [2, 3, 4, 5]
    history = engine_for(sandbox.kubeconfig, namespace).history("web")
    assert [r.revision for r in history] == [1, 2, 3, 4, 5]
    assert [r.status for r in history].count(ReleaseStatus.DEPLOYED) == 1
    assert history[-1].status is ReleaseStatus.DEPLOYED
