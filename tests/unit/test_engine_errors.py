"""Release actions map Helm's failures to helmdeck errors; checked without a cluster."""

from __future__ import annotations

import threading
from pathlib import Path

import helm_python
import pytest

from helmdeck.engine import (
    CancelToken,
    ChartCache,
    Release,
    ReleaseBusyError,
    ReleaseNotFoundError,
    ReleaseStatus,
    ReleaseTimeoutError,
    engine_for,
    load_chart,
)
from helmdeck.engine.options import InstallOptions, UninstallOptions
from helmdeck.engine.sdk_errors import release_error
from helmdeck.errors import ClusterError, ConfigError

CHARTS = Path(__file__).parent / "charts"

UNREACHABLE = """\
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: not-a-real-token}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
"""


@pytest.fixture
def unreachable(tmp_path: Path) -> str:
    path = tmp_path / "kubeconfig"
    path.write_text(UNREACHABLE)
    return str(path)


def test_install_on_an_unreachable_cluster_is_a_cluster_error(unreachable: str) -> None:
    engine = engine_for(unreachable, "services")
    chart = load_chart(CHARTS / "webapp", cache=ChartCache())
    with pytest.raises(ClusterError) as caught:
        engine.install(chart, "web", {})
    assert "cannot reach the Kubernetes cluster" in caught.value.message
    assert "not-a-real-token" not in str(caught.value)
    assert caught.value.fix


@pytest.mark.parametrize(
    "action",
    [
        lambda e: e.list_releases(),
        lambda e: e.status("web"),
        lambda e: e.history("web"),
        lambda e: e.uninstall("web", UninstallOptions(disable_hooks=True)),
        lambda e: e.rollback("web", 1),
        lambda e: e.check_reachable(),
    ],
)
def test_reads_and_writes_on_an_unreachable_cluster(unreachable: str, action: object) -> None:
    with pytest.raises(ClusterError, match="cannot reach"):
        action(engine_for(unreachable))  # type: ignore[operator]


def test_already_cancelled_install_does_not_start(unreachable: str) -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(ReleaseTimeoutError, match="cancelled before it started"):
        engine_for(unreachable).install(
            load_chart(CHARTS / "webapp", cache=ChartCache()), "web", {}, InstallOptions(cancel=token)
        )


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (
            helm_python.HelmReleaseError("UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress"),
            ReleaseBusyError,
        ),
        (helm_python.HelmNotFoundError("release: not found"), ReleaseNotFoundError),
        (helm_python.HelmCancelledError("context canceled"), ReleaseTimeoutError),
        (
            helm_python.HelmReleaseError("resource Deployment/x not ready: context deadline exceeded"),
            ReleaseTimeoutError,
        ),
        (helm_python.HelmValuesError("at '/replicas': got string, want integer"), ConfigError),
        (helm_python.HelmReleaseError("something else broke"), ClusterError),
    ],
)
def test_release_errors_are_mapped(exc: helm_python.HelmError, expected: type[Exception]) -> None:
    error = release_error(exc, action="upgrade", release="web", namespace="services")
    assert type(error) is expected
    assert error.where == "release services/web"


def test_ownership_conflict_explains_the_way_out() -> None:
    exc = helm_python.HelmReleaseError(
        'Unable to continue with install: ConfigMap "x" in namespace "services" exists and cannot be '
        "imported into the current release: invalid ownership metadata"
    )
    error = release_error(exc, action="install", release="web", namespace="services")
    assert "belongs to another release" in (error.fix or "")


def test_render_error_during_install_names_the_template() -> None:
    exc = helm_python.HelmRenderError("execution error at (web/templates/a.yaml:3:6): need a host")
    error = release_error(exc, action="install", release="web", namespace="s", chart="web", values_files=["v.yaml"])
    assert isinstance(error, ConfigError)
    assert error.where == "web/templates/a.yaml:3:6"


def test_template_failure_reported_as_release_error_names_the_template() -> None:
    # Install and upgrade wrap render failures in a release error (seen with Helm 4.2.3).
    exc = helm_python.HelmReleaseError("execution error at (faulty/templates/config.yaml:8:12): token is required")
    error = release_error(exc, action="install", release="auth", namespace="s", chart="faulty")
    assert isinstance(error, ConfigError)
    assert error.where == "faulty/templates/config.yaml:8:12"


def test_schema_failure_reported_as_release_error_is_a_config_error() -> None:
    exc = helm_python.HelmReleaseError(
        "values don't meet the specifications of the schema(s) in the following chart(s): webapp: "
        "- at '/replicas': got string, want integer"
    )
    assert isinstance(release_error(exc, action="upgrade", release="w", namespace="s"), ConfigError)


def test_release_from_summary() -> None:
    release = Release.from_summary(
        {
            "name": "web",
            "namespace": "services",
            "revision": 3,
            "status": "pending-upgrade",
            "deployed_at": "2026-01-02T03:04:05Z",
            "chart_name": "webapp",
            "chart_version": "0.3.0",
            "app_version": "2.1.0",
            "labels": {"helmdeck.dev/platform": "dash"},
            "manifest": "---\n# Source: x\n",
        },
        {"description": "Upgrade complete"},
    )
    assert release.status is ReleaseStatus.PENDING_UPGRADE and release.status.pending
    assert release.updated is not None and release.updated.year == 2026
    assert release.chart == "webapp-0.3.0"
    assert release.description == "Upgrade complete"
    as_dict = release.as_dict()
    assert "manifest" not in as_dict
    assert as_dict["labels"] == {"helmdeck.dev/platform": "dash"}
    assert ReleaseStatus.parse("something-new") is ReleaseStatus.UNKNOWN


def test_cancel_token_runs_callbacks_once_registered() -> None:
    token = CancelToken()
    calls: list[str] = []
    unregister = token.on_cancel(lambda: calls.append("a"))
    token.on_cancel(lambda: calls.append("b"))
    unregister()
    fired = threading.Thread(target=token.cancel)
    fired.start()
    fired.join()
    assert token.cancelled
    assert calls == ["b"]
    token.on_cancel(lambda: calls.append("late"))
    assert calls == ["b", "late"]
