"""Building bundles: contents, the rewritten platform file, charts from every kind of source,
secrets left out, image listing per environment, and reproducible bytes."""

from __future__ import annotations

import datetime
import functools
import io
import os
import shutil
import subprocess
import tarfile
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import helm_python
import pytest
import yaml

from helmdeck.bundle import BundleManifest, create_bundle
from helmdeck.bundle.secret_files import named_like_secret
from helmdeck.engine import ChartCache, load_chart
from helmdeck.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
UNIT_CHARTS = Path(__file__).resolve().parent / "charts"
WHEN = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
SECRET_TOKEN = "s3cr3t-value-that-must-never-ship-7f1c"
CHART_VERSIONS = {
    "backend": "0.4.0",
    "celery-worker": "0.4.0",
    "ingress": "0.2.0",
    "minio": "0.3.0",
    "mongo": "0.3.0",
    "redis": "0.2.0",
    "viewer": "0.4.0",
}


def copy_example(name: str, tmp_path: Path) -> Path:
    dest = tmp_path / name
    shutil.copytree(EXAMPLES / name, dest, ignore=shutil.ignore_patterns("secrets.yaml"))
    return dest


def write_archive_secrets(directory: Path, *, drop: str | None = None) -> Path:
    keys = {
        "jwtSecret": SECRET_TOKEN + "-jwt-0123456789abcdef",
        "mongoUri": f"mongodb://archive:{SECRET_TOKEN}@mongo.example.org:27017/archive",
        "s3AccessKey": "AKIA" + SECRET_TOKEN,
        "s3SecretKey": SECRET_TOKEN + "-s3",
    }
    if drop:
        keys.pop(drop)
    path = directory / "secrets.yaml"
    path.write_text(yaml.safe_dump({"secrets": keys}))
    return path


def members(bundle: Path) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    with tarfile.open(bundle, "r:gz") as tar:
        for info in tar:
            stream = tar.extractfile(info)
            out[info.name] = stream.read() if stream else b""
    return out


def manifest_of(bundle: Path) -> BundleManifest:
    found = {name: data for name, data in members(bundle).items() if name.endswith("/bundle.json")}
    (data,) = found.values()
    return BundleManifest.from_json(data, bundle=str(bundle))


def all_bytes(bundle: Path) -> bytes:
    """Every member's content, with chart archives opened too (to search for leaked values)."""
    blobs = []
    for name, data in members(bundle).items():
        blobs.append(data)
        if name.endswith(".tgz"):
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
                for info in tar:
                    stream = tar.extractfile(info)
                    blobs.append(stream.read() if stream else b"")
    return b"\n".join(blobs)


# --- dashboards: the plain case ---------------------------------------------------------------


@pytest.fixture
def dashboards(tmp_path: Path) -> Path:
    return copy_example("dashboards", tmp_path) / "platform.yaml"


def test_bundle_holds_the_platform_charts_values_images_manifest_and_checksums(
    dashboards: Path, tmp_path: Path
) -> None:
    result = create_bundle(dashboards, tmp_path / "out" / "dash.tgz", created=WHEN)
    names = sorted(members(result.path))
    root = "dashboards-bundle/"
    assert names and all(n.startswith(root) for n in names)
    inside = [n.removeprefix(root) for n in names]
    assert inside == sorted(
        [
            "SHA256SUMS",
            "bundle.json",
            "images.txt",
            "platform.yaml",
            *(f"charts/{c}-{v}.tgz" for c, v in CHART_VERSIONS.items()),
            "values/env/demo.yaml",
            "values/env/dev.yaml",
            "values/env/external-object-store.yaml",
            "values/env/object-store-ingress.yaml",
            "values/values/backend.yaml",
            "values/values/minio.yaml",
        ]
    )
    m = result.manifest
    assert (m.platform, m.created, m.environments) == (
        "dashboards",
        "2026-01-02T03:04:05Z",
        ("demo", "dev", "demo-external-s3", "dev-s3-ingress"),
    )
    assert {f.path for f in m.files} == set(inside) - {"bundle.json", "SHA256SUMS"}
    assert result.size == result.path.stat().st_size
    assert not result.path.with_name("dash.tgz.partial").exists()


def test_rewritten_platform_file_changes_only_paths_and_keeps_comments(dashboards: Path, tmp_path: Path) -> None:
    result = create_bundle(dashboards, tmp_path / "dash.tgz", created=WHEN)
    text = members(result.path)["dashboards-bundle/platform.yaml"].decode()
    original = dashboards.read_text()
    assert "# The dashboards reference platform" in text  # the user's comments stay
    rewritten = yaml.safe_load(text)
    before = yaml.safe_load(original)
    charts = [c["chart"] for c in rewritten["spec"]["components"]]
    names = [c["chart"].removeprefix("charts/") for c in before["spec"]["components"]]
    assert charts == [f"charts/{n}-{CHART_VERSIONS[n]}.tgz" for n in names]
    assert rewritten["spec"]["environments"]["demo-external-s3"]["values"] == [
        "values/env/demo.yaml",
        "values/env/external-object-store.yaml",
    ]
    for c in (*before["spec"]["components"], *rewritten["spec"]["components"]):
        c.pop("chart"), c.pop("values", None)
    for e in (*before["spec"]["environments"].values(), *rewritten["spec"]["environments"].values()):
        e.pop("values")
    assert rewritten == before  # nothing but paths changed


def test_chart_archives_carry_the_same_content_digest_as_their_sources(dashboards: Path, tmp_path: Path) -> None:
    result = create_bundle(dashboards, tmp_path / "dash.tgz", created=WHEN)
    extracted = tmp_path / "x"
    with tarfile.open(result.path, "r:gz") as tar:
        tar.extractall(extracted, filter="data")
    assert result.manifest.charts
    for entry in result.manifest.charts:
        source = load_chart(dashboards.parent / entry.source, cache=ChartCache())
        packed = load_chart(extracted / "dashboards-bundle" / entry.path, cache=ChartCache())
        assert entry.digest == source.digest == packed.digest, entry.name


def test_same_input_and_time_give_the_same_bytes(dashboards: Path, tmp_path: Path) -> None:
    first = create_bundle(dashboards, tmp_path / "one.tgz", created=WHEN)
    for path in dashboards.parent.rglob("*"):  # new timestamps everywhere: nothing may depend on them
        os.utime(path, (1_900_000_000, 1_900_000_000))
    second = create_bundle(dashboards, tmp_path / "two.tgz", created=WHEN)
    assert first.path.read_bytes() == second.path.read_bytes()
    assert first.sha256 == second.sha256
    later = create_bundle(dashboards, tmp_path / "three.tgz", created=WHEN + datetime.timedelta(days=1))
    assert later.sha256 != first.sha256  # the creation time is recorded


def test_source_date_epoch_sets_the_creation_time(
    dashboards: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(WHEN.timestamp())))
    first = create_bundle(dashboards, tmp_path / "one.tgz")
    second = create_bundle(dashboards, tmp_path / "two.tgz")
    assert first.manifest.created == "2026-01-02T03:04:05Z"
    assert first.sha256 == second.sha256
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(ConfigError, match="SOURCE_DATE_EPOCH"):
        create_bundle(dashboards, tmp_path / "three.tgz")


def test_images_are_listed_per_environment(dashboards: Path, tmp_path: Path) -> None:
    result = create_bundle(dashboards, tmp_path / "dash.tgz", created=WHEN)
    images = {i.image: i for i in result.manifest.images}
    assert set(images) == {
        "docker.io/library/mongo:7.0.14",
        "docker.io/library/redis:7.2.5-alpine",
        "quay.io/minio/minio:RELEASE.2024-10-13T13-34-11Z",
        "registry.example.org/dashboards/backend:0.4.2",
        "registry.example.org/dashboards/viewer:0.4.2",
    }
    backend = images["registry.example.org/dashboards/backend:0.4.2"]
    assert (backend.repository, backend.tag, backend.digest) == (
        "registry.example.org/dashboards/backend",
        "0.4.2",
        None,
    )
    assert backend.components == ("backend", "celery-worker")
    # demo-external-s3 switches the bundled MinIO off: its image is not needed there
    assert images["quay.io/minio/minio:RELEASE.2024-10-13T13-34-11Z"].environments == ("demo", "dev", "dev-s3-ingress")
    listed = members(result.path)["dashboards-bundle/images.txt"].decode().splitlines()
    assert listed == sorted(images)


def test_digests_are_kept_when_the_reference_carries_one(dashboards: Path, tmp_path: Path) -> None:
    digest = "sha256:" + "ab" * 32
    values = dashboards.parent / "values" / "backend.yaml"
    values.write_text(values.read_text() + f"image:\n  digest: {digest}\n")
    result = create_bundle(dashboards, tmp_path / "dash.tgz", created=WHEN)
    pinned = [i for i in result.manifest.images if i.digest]
    assert pinned and {i.digest for i in pinned} == {digest}
    assert all(i.image.endswith("@" + digest) for i in pinned)


def test_one_environment_bundle_drops_the_others(dashboards: Path, tmp_path: Path) -> None:
    result = create_bundle(dashboards, tmp_path / "demo.tgz", environments=["demo"], created=WHEN)
    files = members(result.path)
    platform = yaml.safe_load(files["dashboards-bundle/platform.yaml"])
    assert list(platform["spec"]["environments"]) == ["demo"]
    assert "dashboards-bundle/values/env/dev.yaml" not in files
    assert result.manifest.environments == ("demo",)
    assert result.manifest.images and all(i.environments == ("demo",) for i in result.manifest.images)


def test_unknown_environment_is_named(dashboards: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no environment named 'staging'"):
        create_bundle(dashboards, tmp_path / "x.tgz", environments=["staging"])
    assert not (tmp_path / "x.tgz").exists()


# --- archive: secrets and a vendored dependency --------------------------------------------------


def test_secrets_file_is_left_out_and_recorded_as_required(tmp_path: Path) -> None:
    archive = copy_example("archive", tmp_path)
    write_archive_secrets(archive)
    result = create_bundle(archive / "platform.yaml", tmp_path / "archive.tgz", created=WHEN)
    files = members(result.path)
    assert not any("secrets.yaml" in name for name in files)
    assert SECRET_TOKEN.encode() not in all_bytes(result.path)
    (required,) = result.manifest.required
    assert required.as_dict() == {
        "path": "provided/secrets.yaml",
        "source": "secrets.yaml",
        "kind": "values",
        "reason": "named like a secrets file",
        "usedBy": ["archive (demo)", "archive (prod)"],
    }
    platform = yaml.safe_load(files["archive-bundle/platform.yaml"])
    assert platform["spec"]["components"][0]["environments"]["demo"]["values"] == ["provided/secrets.yaml"]


def test_vendored_dependency_travels_inside_the_chart_archive(tmp_path: Path) -> None:
    archive = copy_example("archive", tmp_path)
    write_archive_secrets(archive)
    result = create_bundle(archive / "platform.yaml", tmp_path / "archive.tgz", created=WHEN)
    (chart,) = result.manifest.charts
    data = members(result.path)[f"archive-bundle/{chart.path}"]
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        names = tar.getnames()
    assert "archive/Chart.lock" in names
    assert any(n.startswith("archive/charts/redis-lite/") for n in names)


def test_chart_with_a_missing_dependency_names_the_fix(tmp_path: Path) -> None:
    archive = copy_example("archive", tmp_path)
    write_archive_secrets(archive)
    shutil.rmtree(archive / "charts" / "archive" / "charts")
    with pytest.raises(ConfigError, match="not in its charts/ directory") as caught:
        create_bundle(archive / "platform.yaml", tmp_path / "archive.tgz")
    assert "helmdeck deps" in (caught.value.fix or "")


def test_git_ignored_and_marked_values_files_are_left_out(tmp_path: Path) -> None:
    dashboards = copy_example("dashboards", tmp_path)
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (dashboards / ".gitignore").write_text("values/minio.yaml\n")
    result = create_bundle(
        dashboards / "platform.yaml",
        tmp_path / "dash.tgz",
        secret_files=[dashboards / "values" / "backend.yaml"],
        created=WHEN,
    )
    required = {r.source: r.reason for r in result.manifest.required}
    assert required == {
        "values/minio.yaml": "ignored by git (kept out of version control)",
        "values/backend.yaml": "marked as secret (--secret)",
    }
    files = members(result.path)
    assert not any(n.endswith(("minio.yaml", "backend.yaml")) for n in files)


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("secrets.yaml", True),
        ("prod.secrets.yaml", True),
        ("db-credentials.yml", True),
        ("api_token.yaml", True),
        ("Passwords.yaml", True),
        ("values.yaml", False),
        ("secretariat.yaml", False),
        ("demo.yaml", False),
    ],
)
def test_secret_file_names(name: str, secret: bool) -> None:
    assert named_like_secret(Path(name)) is secret


def test_secret_from_file_is_never_carried(tmp_path: Path) -> None:
    dashboards = copy_example("dashboards", tmp_path)
    token = dashboards / "jwt.key"
    token.write_text(SECRET_TOKEN + "\n")
    text = (dashboards / "platform.yaml").read_text()
    text = text.replace(
        "    backend-jwt-secret:\n      generate: {length: 64}",
        "    backend-jwt-secret:\n      fromFile: jwt.key",
    )
    (dashboards / "platform.yaml").write_text(text)
    result = create_bundle(dashboards / "platform.yaml", tmp_path / "dash.tgz", created=WHEN)
    assert SECRET_TOKEN.encode() not in all_bytes(result.path)
    (required,) = result.manifest.required
    assert (required.path, required.kind, required.used_by) == (
        "provided/jwt.key",
        "secret",
        ("secret backend-jwt-secret",),
    )
    platform = yaml.safe_load(members(result.path)["dashboards-bundle/platform.yaml"])
    assert platform["spec"]["secrets"]["backend-jwt-secret"]["fromFile"] == "provided/jwt.key"


# --- charts from a directory, an archive and a repository -------------------------------------------


@pytest.fixture
def chart_repository(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTP chart repository on localhost serving the webapp chart as version 0.5.0."""
    repo = tmp_path / "repo"
    repo.mkdir()
    helm_python.package(UNIT_CHARTS / "webapp", destination=repo, version="0.5.0")
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(repo))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    helm_python.repo_index_generate(repo, base_url=url)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield url, repo
    finally:
        server.shutdown()
        server.server_close()


def mixed_platform(tmp_path: Path, repo_url: str) -> Path:
    site = tmp_path / "site"
    shutil.copytree(UNIT_CHARTS / "webapp", site / "charts" / "webapp")
    helm_python.package(UNIT_CHARTS / "webapp", destination=site / "archives", version="0.4.0")
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "common.yaml").write_text("replicas: 2\n")
    (site / "platform.yaml").write_text(
        "apiVersion: helmdeck.dev/v1\n"
        "kind: Platform\n"
        "metadata: {name: mixed}\n"
        "spec:\n"
        "  components:\n"
        "    - {name: local, chart: charts/webapp}\n"
        "    - {name: packed, chart: archives/webapp-0.4.0.tgz, values: [../shared/common.yaml]}\n"
        f"    - name: pulled\n      chart: {{repo: '{repo_url}', name: webapp, version: 0.5.0}}\n"
    )
    return site / "platform.yaml"


def test_directory_archive_and_repository_charts_all_land_inside(
    chart_repository: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _ = chart_repository
    monkeypatch.setenv("HELMDECK_CACHE_DIR", str(tmp_path / "cache"))
    platform = mixed_platform(tmp_path, url)
    result = create_bundle(platform, tmp_path / "mixed.tgz", created=WHEN)
    charts = {c.used_by: (c.path, c.version, c.source) for c in result.manifest.charts}
    assert charts == {
        ("local",): ("charts/webapp-0.3.0.tgz", "0.3.0", "charts/webapp"),
        ("packed",): ("charts/webapp-0.4.0.tgz", "0.4.0", "archives/webapp-0.4.0.tgz"),
        ("pulled",): ("charts/webapp-0.5.0.tgz", "0.5.0", f"{url} webapp 0.5.0"),
    }
    files = members(result.path)
    # the .tgz is carried byte for byte
    assert files["mixed-bundle/charts/webapp-0.4.0.tgz"] == (platform.parent / "archives/webapp-0.4.0.tgz").read_bytes()
    # a values file from outside the platform's directory gets a place of its own
    assert files["mixed-bundle/values/external/common.yaml"] == b"replicas: 2\n"
    rewritten = yaml.safe_load(files["mixed-bundle/platform.yaml"])
    assert [c["chart"] for c in rewritten["spec"]["components"]] == [
        "charts/webapp-0.3.0.tgz",
        "charts/webapp-0.4.0.tgz",
        "charts/webapp-0.5.0.tgz",
    ]
    assert rewritten["spec"]["components"][1]["values"] == ["values/external/common.yaml"]


def test_unreachable_remote_chart_fails_the_build_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELMDECK_CACHE_DIR", str(tmp_path / "cache"))
    site = tmp_path / "site"
    site.mkdir()
    (site / "platform.yaml").write_text(
        "apiVersion: helmdeck.dev/v1\nkind: Platform\nmetadata: {name: far}\nspec:\n  components:\n"
        "    - {name: app, chart: 'oci://127.0.0.1:9/helmdeck/app:1.0.0'}\n"
    )
    with pytest.raises(ConfigError, match=r"oci://127\.0\.0\.1:9/helmdeck/app"):
        create_bundle(site / "platform.yaml", tmp_path / "far.tgz")
    assert not (tmp_path / "far.tgz").exists()


# --- imaging: an extension catalog -------------------------------------------------------------------


def test_extension_catalog_is_packed_and_its_images_listed(tmp_path: Path) -> None:
    imaging = copy_example("imaging", tmp_path)
    result = create_bundle(imaging / "platform.yaml", tmp_path / "imaging.tgz", environments=["demo"], created=WHEN)
    catalog = sorted(c.path for c in result.manifest.charts if c.path.startswith("catalog/"))
    assert catalog == [
        "catalog/0/jupyterlab-0.2.0.tgz",
        "catalog/0/nnunet-workflow-0.3.0.tgz",
        "catalog/0/total-segmentator-workflow-0.2.0.tgz",
        "catalog/0/workflow-base-0.1.2.tgz",
    ]
    platform = yaml.safe_load(members(result.path)["imaging-bundle/platform.yaml"])
    assert platform["spec"]["extensions"]["catalog"] == ["catalog/0/"]
    by_component = {c for i in result.manifest.images for c in i.components}
    assert {"admin", "platform", "extension:jupyterlab", "extension:workflow-base"} <= by_component
    assert not result.manifest.warnings
