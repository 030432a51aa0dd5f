"""Deploying from a bundle, without a cluster: opening it, providing its secret files, rendering only
from the extracted directory, and ``--offline`` (remote references refused by name, pull policy)."""

from __future__ import annotations

import datetime
import io
import json
import shutil
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from helmdeck.bundle import (
    BundleError,
    OfflineRefused,
    create_bundle,
    offline_guard,
    open_bundle,
)
from helmdeck.bundle.checksums import format_sums, sha256_hex
from helmdeck.bundle.tarball import tar_gz_bytes
from helmdeck.engine import ChartCache
from helmdeck.errors import ConfigError
from helmdeck.secrets.store import placeholder_secrets
from helmdeck.spec import load_platform
from tests.opening import session_for_deploy, session_from_bundle

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
WHEN = datetime.datetime(2026, 1, 2, tzinfo=datetime.UTC)


def copy_example(name: str, tmp_path: Path) -> Path:
    dest = tmp_path / "src" / name
    shutil.copytree(EXAMPLES / name, dest, ignore=shutil.ignore_patterns("secrets.yaml"))
    return dest


@pytest.fixture
def dashboards_bundle(tmp_path: Path) -> Path:
    """A dashboards bundle whose sources are gone: only the bundle remains."""
    source = copy_example("dashboards", tmp_path)
    bundle = create_bundle(source / "platform.yaml", tmp_path / "dash.tgz", created=WHEN).path
    shutil.rmtree(tmp_path / "src")
    return bundle


def test_open_bundle_extracts_and_returns_the_platform_file(dashboards_bundle: Path, tmp_path: Path) -> None:
    platform_file = open_bundle(dashboards_bundle, tmp_path / "work")
    assert platform_file == tmp_path / "work" / "dashboards-bundle" / "platform.yaml"
    platform = load_platform(platform_file)
    assert platform.name == "dashboards"
    assert platform.components and all(c.chart_kind == "archive" for c in platform.components)
    with pytest.raises(ConfigError, match="not empty"):
        open_bundle(dashboards_bundle, tmp_path / "work")


def test_a_tampered_bundle_is_not_extracted(dashboards_bundle: Path, tmp_path: Path) -> None:
    files: dict[str, bytes] = {}
    with tarfile.open(dashboards_bundle, "r:gz") as tar:
        for info in tar:
            stream = tar.extractfile(info)
            files[info.name] = stream.read() if stream else b""
    files["dashboards-bundle/values/values/backend.yaml"] += b"replicas: 9\n"
    tampered = tmp_path / "tampered.tgz"
    with tarfile.open(tampered, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    with pytest.raises(BundleError, match=r"values/values/backend\.yaml: checksum differs"):
        open_bundle(tampered, tmp_path / "work")
    assert not (tmp_path / "work").exists() or not any((tmp_path / "work").iterdir())


def test_session_renders_from_the_extracted_bundle_only(
    dashboards_bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HELMDECK_CACHE_DIR", str(tmp_path / "no-cache"))
    work = tmp_path / "work"
    session = session_from_bundle(dashboards_bundle, work, environment="demo")
    desired = session.desired(secrets=placeholder_secrets(session.platform))
    assert set(desired) == set(session.platform.component_names)
    for d in desired.values():
        assert d.chart.path.is_relative_to(work), d.chart.path
        assert all(Path(f).resolve().is_relative_to(work.resolve()) for f in d.values_files), d.values_files
    assert not (tmp_path / "no-cache").exists()  # nothing was pulled


def test_deploy_config_from_a_bundle_matches_the_source(tmp_path: Path) -> None:
    """Same charts and values: a platform deployed from its sources is unchanged when deployed from its bundle."""
    from helmdeck.core.session import PlatformSession

    source = copy_example("dashboards", tmp_path)
    bundle = create_bundle(source / "platform.yaml", tmp_path / "dash.tgz", created=WHEN).path
    direct = PlatformSession(source / "platform.yaml", environment="dev")
    secrets = placeholder_secrets(direct.platform)
    from_source = {n: d.digest for n, d in direct.desired(secrets=secrets).items()}
    bundled = session_from_bundle(bundle, tmp_path / "work", environment="dev")
    assert {n: d.digest for n, d in bundled.desired(secrets=secrets).items()} == from_source


def test_a_one_environment_bundle_deploys_that_environment(tmp_path: Path) -> None:
    source = copy_example("dashboards", tmp_path)
    bundle = create_bundle(source / "platform.yaml", tmp_path / "demo.tgz", environments=["demo"], created=WHEN).path
    assert session_from_bundle(bundle, tmp_path / "w1").environment == "demo"
    with pytest.raises(ConfigError, match="made for demo, not dev"):
        session_from_bundle(bundle, tmp_path / "w2", environment="dev")


# --- provided files ----------------------------------------------------------------------------------


@pytest.fixture
def archive_bundle(tmp_path: Path) -> tuple[Path, Path]:
    source = copy_example("archive", tmp_path)
    secrets = tmp_path / "secure" / "archive-secrets.yaml"
    secrets.parent.mkdir()
    secrets.write_text(
        yaml.safe_dump(
            {
                "secrets": {
                    "jwtSecret": "j" * 40,
                    "mongoUri": "mongodb://u:p@mongo.example.org/archive",
                    "s3AccessKey": "access",
                    "s3SecretKey": "secret-key",
                }
            }
        )
    )
    shutil.copy(secrets, source / "secrets.yaml")
    bundle = create_bundle(source / "platform.yaml", tmp_path / "archive.tgz", created=WHEN).path
    shutil.rmtree(tmp_path / "src")
    return bundle, secrets


def test_a_required_secrets_file_must_be_provided(archive_bundle: tuple[Path, Path], tmp_path: Path) -> None:
    bundle, _ = archive_bundle
    with pytest.raises(ConfigError, match=r"secrets\.yaml \(used by archive \(demo\), archive \(prod\)\)") as caught:
        session_from_bundle(bundle, tmp_path / "work", environment="demo")
    assert "--provide secrets.yaml=" in (caught.value.fix or "")


@pytest.mark.parametrize("form", ["secrets.yaml={path}", "provided/secrets.yaml={path}", "{path_named_secrets}"])
def test_provided_secrets_file_is_linked_in(archive_bundle: tuple[Path, Path], tmp_path: Path, form: str) -> None:
    bundle, secrets = archive_bundle
    named = tmp_path / "other" / "secrets.yaml"
    named.parent.mkdir()
    shutil.copy(secrets, named)
    item = form.format(path=secrets, path_named_secrets=named)
    work = tmp_path / "work"
    session = session_from_bundle(bundle, work, environment="demo", provided=[item])
    link = work / "archive-bundle" / "provided" / "secrets.yaml"
    assert link.is_symlink()  # linked, not copied: the secret is not duplicated on disk
    desired = session.desired(secrets={})
    assert desired["archive"].values["secrets"]["s3AccessKey"] == "access"


def test_provide_names_an_unknown_file(archive_bundle: tuple[Path, Path], tmp_path: Path) -> None:
    bundle, secrets = archive_bundle
    with pytest.raises(ConfigError, match=r"requires no file 'creds\.yaml'") as caught:
        session_from_bundle(bundle, tmp_path / "w1", provided=[f"creds.yaml={secrets}"])
    assert "secrets.yaml" in (caught.value.fix or "")
    with pytest.raises(ConfigError, match="does not exist"):
        session_from_bundle(bundle, tmp_path / "w2", provided=[f"secrets.yaml={tmp_path / 'missing.yaml'}"])


# --- offline ---------------------------------------------------------------------------------------------


def remote_platform(tmp_path: Path) -> Path:
    source = copy_example("dashboards", tmp_path)
    text = (source / "platform.yaml").read_text()
    text = text.replace("chart: charts/redis", "chart: oci://10.255.255.1/unreachable/redis:0.2.0")
    text = text.replace(
        "chart: charts/viewer", "chart: {repo: 'https://charts.invalid.example', name: viewer, version: 0.4.0}"
    )
    text += "  extensions:\n    catalog: [oci://10.255.255.1/unreachable/extensions]\n"
    path = source / "platform.yaml"
    path.write_text(text)
    return path


def test_offline_refuses_remote_references_by_name_without_touching_the_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("offline mode tried to fetch a chart")

    monkeypatch.setattr("helmdeck.engine.charts.fetch_chart", no_network)
    path = remote_platform(tmp_path)
    platform = load_platform(path)
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "unreachable/redis" in text)
    with pytest.raises(OfflineRefused) as caught:
        offline_guard(platform)
    refused = caught.value.refused
    assert [r.message for r in refused] == [
        "component redis: chart oci://10.255.255.1/unreachable/redis:0.2.0 is remote",
        "component viewer: chart https://charts.invalid.example viewer 0.4.0 is remote",
        "extension catalog entry oci://10.255.255.1/unreachable/extensions is remote",
    ]
    assert refused[0].where is not None and refused[0].where.endswith(f"platform.yaml:{line}:7")
    assert "oci://10.255.255.1/unreachable/redis:0.2.0" in str(caught.value)


def test_offline_layer_sets_pull_policies(dashboards_bundle: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    session = session_from_bundle(dashboards_bundle, work, environment="demo", offline=True)
    layer = yaml.safe_load((work / "offline-values.yaml").read_text())
    assert layer["global"] == {"imagePullPolicy": "IfNotPresent"}
    assert layer["mongo"] == {"image": {"pullPolicy": "IfNotPresent"}}
    assert session.cli_files[0] == work / "offline-values.yaml"
    desired = session.desired(secrets=placeholder_secrets(session.platform))
    policies = {
        c["imagePullPolicy"]
        for d in desired.values()
        for obj in d.rendered.objects
        if obj.kind in ("Deployment", "StatefulSet")
        for c in obj.body["spec"]["template"]["spec"]["containers"]
    }
    assert policies == {"IfNotPresent"}


def test_user_values_still_override_the_offline_layer(dashboards_bundle: Path, tmp_path: Path) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text("mongo:\n  image:\n    pullPolicy: Never\n")
    session = session_from_bundle(
        dashboards_bundle, tmp_path / "work", environment="demo", offline=True, cli_files=[mine]
    )
    desired = session.desired(["mongo"], secrets=placeholder_secrets(session.platform))
    (statefulset,) = [o for o in desired["mongo"].rendered.objects if o.kind == "StatefulSet"]
    assert statefulset.body["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] == "Never"


def test_bundled_platform_passes_the_offline_guard(dashboards_bundle: Path, tmp_path: Path) -> None:
    platform = load_platform(open_bundle(dashboards_bundle, tmp_path / "work"))
    ChartCache().clear()
    assert offline_guard(platform)["global"]["imagePullPolicy"] == "IfNotPresent"


def _reseal(bundle: Path, out: Path, change: Callable[[dict[str, bytes]], None]) -> Path:
    """``bundle`` with members changed and both checksum lists rewritten to match, as a forger would."""
    files: dict[str, bytes] = {}
    with tarfile.open(bundle, "r:gz") as tar:
        for info in tar:
            stream = tar.extractfile(info)
            files[info.name.split("/", 1)[1]] = stream.read() if stream else b""
    change(files)
    manifest = json.loads(files["bundle.json"])
    manifest["files"] = [
        {**f, "sha256": sha256_hex(files[f["path"]]), "size": len(files[f["path"]])} for f in manifest["files"]
    ]
    files["bundle.json"] = json.dumps(manifest).encode()
    files["SHA256SUMS"] = format_sums({p: sha256_hex(d) for p, d in files.items() if p != "SHA256SUMS"})
    out.write_bytes(tar_gz_bytes({f"dashboards-bundle/{p}": d for p, d in files.items()}))
    return out


def test_a_bundled_platform_file_pointing_outside_is_refused(dashboards_bundle: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("global: {}\n")

    def point_outside(files: dict[str, bytes]) -> None:
        files["platform.yaml"] = files["platform.yaml"].replace(
            b"values: [values/env/demo.yaml]", f"values: [{outside}]".encode(), 1
        )

    forged = _reseal(dashboards_bundle, tmp_path / "forged.tgz", point_outside)
    with pytest.raises(ConfigError, match=f"environment demo: values {outside}"):
        session_from_bundle(forged, tmp_path / "work", environment="demo")


def test_a_required_path_outside_provided_is_refused(dashboards_bundle: Path, tmp_path: Path) -> None:
    def escape(files: dict[str, bytes]) -> None:
        manifest = json.loads(files["bundle.json"])
        manifest["required"] = [
            {"path": "../../etc/cron.d/x", "source": "x", "kind": "values", "reason": "-", "usedBy": []}
        ]
        files["bundle.json"] = json.dumps(manifest).encode()

    forged = _reseal(dashboards_bundle, tmp_path / "forged.tgz", escape)
    with pytest.raises(BundleError, match="must be a plain path under provided/"):
        session_from_bundle(forged, tmp_path / "work")


def test_session_for_deploy_cleans_up_and_applies_offline_to_plain_files(
    dashboards_bundle: Path, tmp_path: Path
) -> None:
    source = copy_example("dashboards", tmp_path / "again")
    with session_for_deploy(source / "platform.yaml", offline=True, environment="demo") as plain:
        layer = plain.cli_files[0]
        assert yaml.safe_load(layer.read_text())["global"] == {"imagePullPolicy": "IfNotPresent"}
    assert not layer.exists()
    with session_for_deploy(source / "platform.yaml", environment="demo") as online:
        assert online.cli_files == ()
    with session_for_deploy(Path("unused.yaml"), bundle=dashboards_bundle) as bundled:
        root = bundled.platform.base_dir
        assert (root / "bundle.json").is_file()
    assert not root.exists()
    refused = session_for_deploy(source / "platform.yaml", provided=["x=y"])
    with pytest.raises(ConfigError, match="--provide only applies to --bundle"), refused:
        pass


def test_a_bundle_swapped_between_verify_and_extract_is_caught(
    dashboards_bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import helmdeck.bundle.open as opening

    real_extract = opening.extract

    def racing_extract(archive: Path, dest: Path, names: set[str]) -> None:
        real_extract(archive, dest, names)
        (dest / "dashboards-bundle" / "images.txt").write_text("evil.example.org/miner:latest\n")

    monkeypatch.setattr(opening, "extract", racing_extract)
    with pytest.raises(BundleError, match=r"images\.txt: changed while it was being extracted"):
        open_bundle(dashboards_bundle, tmp_path / "work")
