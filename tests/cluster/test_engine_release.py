"""The Helm engine against the sandbox: install, upgrade, history, rollback, uninstall."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from helmdeck.engine import (
    ChartCache,
    HelmEngine,
    LoadedChart,
    ReleaseNotFoundError,
    ReleaseStatus,
    engine_for,
    load_chart,
)
from helmdeck.engine.options import InstallOptions, ListOptions, UninstallOptions
from helmdeck.errors import ClusterError, ConfigError
from helmdeck.manifests import parse_manifest_stream
from tests.cluster.conftest import SandboxHandle

pytestmark = pytest.mark.cluster

CHARTS = Path(__file__).resolve().parents[1] / "unit" / "charts"
# The sandbox runs no ingress controller or job runner; keep the release to plain objects.
PLAIN = {"migrate": {"enabled": False}, "ingress": {"enabled": False}}


@pytest.fixture
def engine(sandbox: SandboxHandle, namespace: str) -> HelmEngine:
    return engine_for(sandbox.kubeconfig, namespace)


@pytest.fixture
def webapp() -> LoadedChart:
    return load_chart(CHARTS / "webapp", cache=ChartCache())


def test_install_upgrade_history_rollback_uninstall(engine: HelmEngine, webapp: LoadedChart, namespace: str) -> None:
    installed = engine.install(
        webapp, "web", PLAIN, InstallOptions(description="first deploy", labels={"helmdeck.dev/platform": "enginetest"})
    )
    assert (installed.name, installed.namespace, installed.revision) == ("web", namespace, 1)
    assert installed.status is ReleaseStatus.DEPLOYED
    assert (installed.chart_name, installed.chart_version, installed.app_version) == ("webapp", "0.3.0", "2.1.0")
    assert installed.updated is not None
    assert "kind: Deployment" in installed.manifest

    upgraded = engine.upgrade(webapp, "web", {**PLAIN, "replicas": 2}, InstallOptions(description="two replicas"))
    assert upgraded.revision == 2
    assert upgraded.status is ReleaseStatus.DEPLOYED
    # Release labels persist; Helm's own storage labels are not reported as the user's.
    assert upgraded.labels == {"helmdeck.dev/platform": "enginetest"}

    history = engine.history("web", with_descriptions=True)
    assert [(r.revision, r.status, r.description) for r in history] == [
        (1, ReleaseStatus.SUPERSEDED, "first deploy"),
        (2, ReleaseStatus.DEPLOYED, "two replicas"),
    ]

    status = engine.status("web")
    assert (status.revision, status.description) == (2, "two replicas")
    deployment = next(o for o in parse_manifest_stream(status.manifest) if o.kind == "Deployment")
    assert deployment.body["spec"]["replicas"] == 2
    assert engine.get_values("web") == {**PLAIN, "replicas": 2}
    assert engine.get_values("web", revision=1) == PLAIN

    rolled = engine.rollback("web", 1)
    assert rolled.revision == 3
    assert rolled.status is ReleaseStatus.DEPLOYED
    assert rolled.description == "Rollback to 1"
    manifest = parse_manifest_stream(engine.get_manifest("web"))
    assert next(o for o in manifest if o.kind == "Deployment").body["spec"]["replicas"] == 1
    assert engine.get_manifest("web", 1) == engine.get_manifest("web", 3)

    removed = engine.uninstall("web")
    assert removed is not None and removed.name == "web"
    assert engine.list_releases() == []
    with pytest.raises(ReleaseNotFoundError):
        engine.status("web")
    assert engine.uninstall("web", UninstallOptions(ignore_not_found=True)) is None


def test_upgrade_does_not_keep_values_that_were_dropped(engine: HelmEngine, webapp: LoadedChart) -> None:
    engine.install(webapp, "web", {**PLAIN, "replicas": 3})
    engine.upgrade(webapp, "web", PLAIN)
    assert engine.get_values("web") == PLAIN
    deployment = next(o for o in parse_manifest_stream(engine.get_manifest("web")) if o.kind == "Deployment")
    assert deployment.body["spec"]["replicas"] == 1


def test_list_releases_in_all_states_and_by_label(engine: HelmEngine, webapp: LoadedChart, namespace: str) -> None:
    engine.install(webapp, "one", PLAIN, InstallOptions(labels={"helmdeck.dev/platform": "p1"}))
    engine.install(webapp, "two", PLAIN, InstallOptions(labels={"helmdeck.dev/platform": "p2"}))
    assert sorted(r.name for r in engine.list_releases()) == ["one", "two"]
    assert [r.name for r in engine.list_releases(ListOptions(selector="helmdeck.dev/platform=p2"))] == ["two"]
    everywhere = engine.list_releases(ListOptions(all_namespaces=True, name_filter="^(one|two)$"))
    assert {(r.namespace, r.name) for r in everywhere} >= {(namespace, "one"), (namespace, "two")}


def test_uninstall_without_hooks(engine: HelmEngine, webapp: LoadedChart) -> None:
    engine.install(webapp, "web", PLAIN)
    removed = engine.uninstall("web", UninstallOptions(disable_hooks=True))
    assert removed is not None
    assert engine.list_releases() == []


def test_release_errors(engine: HelmEngine, webapp: LoadedChart) -> None:
    with pytest.raises(ReleaseNotFoundError):
        engine.history("absent")
    with pytest.raises(ReleaseNotFoundError):
        engine.upgrade(webapp, "absent", PLAIN)
    engine.install(webapp, "web", PLAIN)
    with pytest.raises(ClusterError, match="still in use"):
        engine.install(webapp, "web", PLAIN)
    with pytest.raises(ReleaseNotFoundError, match="42"):
        engine.rollback("web", 42)
    # Values the chart's schema rejects never reach the cluster.
    with pytest.raises(ConfigError, match="/replicas"):
        engine.upgrade(webapp, "web", {**PLAIN, "replicas": "many"})
    assert engine.status("web").revision == 1


def test_template_error_at_install_names_the_template(sandbox: SandboxHandle, namespace: str) -> None:
    engine = engine_for(sandbox.kubeconfig, namespace)
    faulty = load_chart(CHARTS / "faulty", cache=ChartCache())
    with pytest.raises(ConfigError) as caught:
        engine.install(
            faulty, "faulty", {"failRequired": True}, InstallOptions(component="auth", values_files=["auth.yaml"])
        )
    assert caught.value.where == "faulty/templates/config.yaml:8:12"
    assert engine.list_releases() == []


@pytest.fixture
def umbrella_crds(sandbox: SandboxHandle) -> Iterator[None]:
    """The umbrella chart's CRDs are cluster-wide and Helm never deletes CRDs: remove them after."""
    yield
    from lightkube.resources.apiextensions_v1 import CustomResourceDefinition

    client = sandbox.client()
    for name in ("widgets.example.helmdeck.dev", "cachesnapshots.example.helmdeck.dev"):
        with contextlib.suppress(Exception):
            client.delete(CustomResourceDefinition, name)


@pytest.mark.usefixtures("umbrella_crds")
def test_conditional_subchart_installs_as_values_say(sandbox: SandboxHandle, namespace: str) -> None:
    engine = engine_for(sandbox.kubeconfig, namespace)
    umbrella = load_chart(CHARTS / "umbrella", cache=ChartCache())
    # Render with the subchart off first: the installs below must still see it.
    engine.render(umbrella, {"cache": {"enabled": False}}, "u")
    installed = engine.install(umbrella, "u", {"cache": {"enabled": True}})
    assert "kind: StatefulSet" in installed.manifest
    upgraded = engine.upgrade(umbrella, "u", {"cache": {"enabled": False}})
    assert "kind: StatefulSet" not in upgraded.manifest
