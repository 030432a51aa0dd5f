"""Offline bundles on the sandbox: the dashboards platform bundled, its chart sources taken away, and
deployed from the bundle alone with ``--offline``: healthy. A tampered bundle is refused by name
before anything reaches the cluster, and an unreachable ``oci://`` chart is refused offline by name."""

from __future__ import annotations

import io
import secrets
import shutil
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from lightkube.resources.apps_v1 import Deployment, StatefulSet

from helmdeck.bundle import (
    BundleError,
    OfflineRefused,
    create_bundle,
    offline_guard,
    verify_bundle,
)
from helmdeck.core.session import PlatformSession
from helmdeck.core.status import platform_status
from helmdeck.deploy.executor import Deployer
from helmdeck.deploy.report import Outcome
from helmdeck.deploy.undeploy import Undeployer
from helmdeck.spec import load_platform
from tests.cluster.conftest import SandboxHandle, examples_dir
from tests.opening import session_from_bundle

pytestmark = pytest.mark.cluster


@pytest.fixture
def instance() -> str:
    return f"b{secrets.token_hex(3)}"


@pytest.fixture
def offline_bundle(tmp_path: Path) -> Iterator[tuple[Path, float]]:
    """A dashboards bundle whose sources no longer exist: copied, bundled, then deleted."""
    source = tmp_path / "source" / "dashboards"
    shutil.copytree(examples_dir() / "dashboards", source)
    # hosts of its own: another dashboards platform in the shared sandbox must not own its routes
    host = f"{secrets.token_hex(3)}.dashboards.localtest.me"
    for env in (source / "env").glob("*.yaml"):
        env.write_text(env.read_text().replace("dashboards.localtest.me", host))
    started = time.monotonic()
    made = create_bundle(source / "platform.yaml", tmp_path / "made" / "dashboards.tgz", environments=["demo"])
    seconds = time.monotonic() - started
    carried = tmp_path / "airgap" / "dashboards.tgz"
    carried.parent.mkdir()
    shutil.copy(made.path, carried)
    shutil.rmtree(tmp_path / "source")
    shutil.rmtree(tmp_path / "made")
    yield carried, seconds


def test_bundle_deploys_healthy_with_chart_sources_unreachable(
    offline_bundle: tuple[Path, float],
    sandbox: SandboxHandle,
    tmp_path: Path,
    instance: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bundle, seconds = offline_bundle
    print(f"dashboards bundle: {bundle.stat().st_size} bytes, built in {seconds:.2f}s")
    # no chart cache either: a pull would have to reach a repository, and there is none
    monkeypatch.setenv("HELMDECK_CACHE_DIR", str(tmp_path / "empty-cache"))
    work = tmp_path / "work"
    session = session_from_bundle(bundle, work, offline=True, kubeconfig=sandbox.kubeconfig, instance=instance)
    try:
        assert session.environment == "demo"  # the bundle was made for demo alone
        report = Deployer(session).run()
        assert report.ok, report.as_dict()
        assert {c.name: c.outcome for c in report.components} == {
            name: Outcome.installed for name in session.platform.component_names
        }
        status = platform_status(session)
        assert status.healthy, status.as_dict()

        for d in session.desired().values():
            assert d.chart.path.is_relative_to(work), f"{d.name} read its chart from {d.chart.path}"
        assert not (tmp_path / "empty-cache").exists()

        services = f"{instance}-services"
        pods = [
            *(d.spec.template.spec for d in session.client.list(Deployment, namespace=services)),
            *(s.spec.template.spec for s in session.client.list(StatefulSet, namespace=services)),
        ]
        policies = {c.imagePullPolicy for spec in pods for c in spec.containers}
        assert policies == {"IfNotPresent"}
    finally:
        Undeployer(session, purge_data=True, timeout=60).run()


def test_tampered_bundle_is_refused_by_name_before_the_cluster(
    offline_bundle: tuple[Path, float], sandbox: SandboxHandle, tmp_path: Path, instance: str
) -> None:
    bundle, _ = offline_bundle
    tampered = tmp_path / "tampered.tgz"
    with tarfile.open(bundle, "r:gz") as src, tarfile.open(tampered, "w:gz") as dst:
        for info in src:
            stream = src.extractfile(info)
            data = stream.read() if stream else b""
            if info.name.endswith("/charts/backend-0.4.0.tgz"):
                data = data[:-1] + bytes([data[-1] ^ 1])
            dst.addfile(info, io.BytesIO(data))

    result = verify_bundle(tampered)
    assert [(p.path, p.reason) for p in result.problems] == [
        ("charts/backend-0.4.0.tgz", "checksum differs: the file was changed or damaged")
    ]
    with pytest.raises(BundleError, match=r"charts/backend-0\.4\.0\.tgz"):
        session_from_bundle(tampered, tmp_path / "work", offline=True, kubeconfig=sandbox.kubeconfig, instance=instance)
    assert not (tmp_path / "work").exists() or not any((tmp_path / "work").iterdir())
    probe = PlatformSession(
        platform=load_platform(examples_dir() / "dashboards" / "platform.yaml"),
        kubeconfig=sandbox.kubeconfig,
        instance=instance,
    )
    assert probe.live_releases() == {}


def test_offline_refuses_an_unreachable_oci_chart_naming_it(
    sandbox: SandboxHandle, tmp_path: Path, instance: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("offline mode tried to reach a registry")

    monkeypatch.setattr("helmdeck.engine.charts.fetch_chart", no_network)
    source = tmp_path / "dashboards"
    shutil.copytree(examples_dir() / "dashboards", source)
    path = source / "platform.yaml"
    path.write_text(path.read_text().replace("chart: charts/redis", "chart: oci://10.255.255.1/charts/redis:0.2.0"))
    platform = load_platform(path)
    with pytest.raises(OfflineRefused) as caught:
        offline_guard(platform)
    assert caught.value.message == "component redis: chart oci://10.255.255.1/charts/redis:0.2.0 is remote"
    assert caught.value.where is not None and caught.value.where.startswith(str(path))
    session = PlatformSession(platform=platform, kubeconfig=sandbox.kubeconfig, instance=instance)
    assert session.live_releases() == {}


def test_archive_bundle_deploys_with_its_secrets_file_provided(
    sandbox: SandboxHandle, tmp_path: Path, instance: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The secrets file never travels in the bundle; the deployer provides it, and the platform is healthy."""
    monkeypatch.setenv("HELMDECK_CACHE_DIR", str(tmp_path / "empty-cache"))
    source = tmp_path / "source" / "archive"
    shutil.copytree(examples_dir() / "archive", source, ignore=shutil.ignore_patterns("secrets.yaml"))
    token = secrets.token_urlsafe(24)
    keys = {
        "jwtSecret": secrets.token_urlsafe(32),
        "mongoUri": f"mongodb://archive:{token}@mongo.example.org:27017/archive",
        "s3AccessKey": "site-access-key",
        "s3SecretKey": token,
    }
    kept = tmp_path / "secure" / "archive-secrets.yaml"
    kept.parent.mkdir()
    kept.write_text(yaml.safe_dump({"secrets": keys}))
    shutil.copy(kept, source / "secrets.yaml")
    bundle = create_bundle(source / "platform.yaml", tmp_path / "archive.tgz", environments=["demo"]).path
    shutil.rmtree(tmp_path / "source")
    with tarfile.open(bundle, "r:gz") as tar:
        assert not any(token.encode() in (tar.extractfile(m) or io.BytesIO()).read() for m in tar if m.isfile())

    session = session_from_bundle(
        bundle,
        tmp_path / "work",
        offline=True,
        provided=[f"secrets.yaml={kept}"],
        kubeconfig=sandbox.kubeconfig,
        instance=instance,
    )
    try:
        report = Deployer(session).run()
        assert report.ok, report.as_dict()
        status = platform_status(session)
        assert status.healthy, status.as_dict()
    finally:
        Undeployer(session, purge_data=True, timeout=60).run()
