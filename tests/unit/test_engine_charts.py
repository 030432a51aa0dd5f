from __future__ import annotations

import functools
import os
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import helm_python
import pytest

from helmdeck.engine import ChartCache, ChartRef, ChartSource, build_dependencies, dependency_status, load_chart
from helmdeck.engine.remote import cache_entry, split_oci
from helmdeck.engine.render import render
from helmdeck.errors import ConfigError

CHARTS = Path(__file__).parent / "charts"


@pytest.fixture
def webapp(tmp_path: Path) -> Path:
    """A private copy of the webapp chart, free to modify."""
    return Path(shutil.copytree(CHARTS / "webapp", tmp_path / "src" / "webapp"))


def test_loads_a_chart_directory() -> None:
    chart = load_chart(CHARTS / "webapp", cache=ChartCache())
    assert chart.name == "webapp"
    assert chart.version == "0.3.0"
    assert chart.app_version == "2.1.0"
    assert chart.kube_version == ">=1.25.0-0"
    assert chart.annotations["helmdeck.dev/kind"] == "service"
    assert chart.default_values["image"] == {"repository": "registry.example.org/team/webapp", "tag": "2.1.0"}
    assert chart.values_schema is not None
    assert chart.values_schema["properties"]["replicas"]["type"] == "integer"
    assert chart.dependencies == ()
    assert chart.ref.source is ChartSource.DIRECTORY
    assert chart.digest.startswith("sha256:")


def test_loads_a_packaged_chart_with_the_same_digest(webapp: Path, tmp_path: Path) -> None:
    archive = helm_python.package(webapp, destination=tmp_path)
    assert archive.endswith("webapp-0.3.0.tgz")
    from_archive = load_chart(archive, cache=ChartCache())
    from_dir = load_chart(webapp, cache=ChartCache())
    assert from_archive.ref.source is ChartSource.ARCHIVE
    assert from_archive.name == "webapp"
    assert from_archive.digest == from_dir.digest


def test_digest_ignores_timestamps_but_follows_content(webapp: Path) -> None:
    first = load_chart(webapp, cache=ChartCache()).digest
    assert load_chart(webapp, cache=ChartCache()).digest == first
    values = webapp / "values.yaml"
    os.utime(values, (1, 1))
    assert load_chart(webapp, cache=ChartCache()).digest == first
    values.write_text(values.read_text().replace("replicas: 1", "replicas: 2"))
    assert load_chart(webapp, cache=ChartCache()).digest != first


def test_digest_covers_subcharts(tmp_path: Path) -> None:
    umbrella = Path(shutil.copytree(CHARTS / "umbrella", tmp_path / "umbrella"))
    before = load_chart(umbrella, cache=ChartCache())
    assert before.dependencies[0].name == "cache"
    assert before.dependencies[0].condition == "cache.enabled"
    assert before.dependencies[0].present
    sub_values = umbrella / "charts" / "cache" / "values.yaml"
    sub_values.write_text(sub_values.read_text().replace("7.2", "7.4"))
    assert load_chart(umbrella, cache=ChartCache()).digest != before.digest


def test_cache_returns_the_loaded_chart_until_files_change(webapp: Path) -> None:
    cache = ChartCache()
    first = load_chart(webapp, cache=cache)
    assert load_chart(webapp, cache=cache) is first
    template = webapp / "templates" / "service.yaml"
    template.write_text(template.read_text() + "# changed\n")
    second = load_chart(webapp, cache=cache)
    assert second is not first
    assert second.digest != first.digest
    (webapp / "templates" / "extra.yaml").write_text("# new file\n")
    assert load_chart(webapp, cache=cache) is not second


def test_relative_paths_resolve_against_the_base_dir() -> None:
    chart = load_chart("webapp", base_dir=CHARTS, cache=ChartCache())
    assert chart.path == CHARTS / "webapp"


def test_missing_chart_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist") as caught:
        load_chart(tmp_path / "nope")
    assert caught.value.fix


def test_directory_without_chart_yaml_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="cannot load chart") as caught:
        load_chart(tmp_path / "empty", cache=ChartCache())
    assert caught.value.where == str(tmp_path / "empty")


def test_missing_dependency_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"absent 1\.2\.3") as caught:
        load_chart(CHARTS / "needsdep", cache=ChartCache())
    assert "helmdeck deps" in (caught.value.fix or "")


def test_library_chart_cannot_be_a_component() -> None:
    with pytest.raises(ConfigError, match="library chart"):
        load_chart(CHARTS / "library", cache=ChartCache())


@pytest.mark.parametrize(
    ("value", "expected", "source"),
    [
        ("charts/app", ChartRef("/p/charts/app"), ChartSource.DIRECTORY),
        ("dist/app-1.0.0.tgz", ChartRef("/p/dist/app-1.0.0.tgz"), ChartSource.ARCHIVE),
        ("/abs/app", ChartRef("/abs/app"), ChartSource.DIRECTORY),
        ("oci://reg.example.org/charts/app:1.2.0", ChartRef("oci://reg.example.org/charts/app:1.2.0"), ChartSource.OCI),
        (
            {"repo": "https://charts.example.org", "name": "redis", "version": "19.0.1"},
            ChartRef("redis", "https://charts.example.org", "19.0.1"),
            ChartSource.REPOSITORY,
        ),
        (
            {"repo": "oci://reg.example.org/charts/", "name": "app", "version": "1.0.0"},
            ChartRef("oci://reg.example.org/charts/app", None, "1.0.0"),
            ChartSource.OCI,
        ),
    ],
)
def test_chart_references(value: object, expected: ChartRef, source: ChartSource) -> None:
    ref = ChartRef.parse(value, base_dir=Path("/p"))  # type: ignore[arg-type]
    assert ref == expected
    assert ref.source is source


@pytest.mark.parametrize(
    "value",
    [
        {"repo": "https://charts.example.org", "version": "1"},
        {"name": "redis", "version": "1"},
        {"repo": "https://charts.example.org", "name": "redis", "tag": "1"},
    ],
)
def test_chart_mapping_needs_repo_and_name(value: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="needs repo and name"):
        ChartRef.parse(value)


@pytest.fixture
def chart_repository(tmp_path: Path) -> Iterator[str]:
    """An HTTP chart repository on localhost serving the webapp chart."""
    repo = tmp_path / "repo"
    repo.mkdir()
    helm_python.package(CHARTS / "webapp", destination=repo)
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(repo))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    helm_python.repo_index_generate(repo, base_url=url)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()


def test_pulls_a_repository_chart_once_into_the_cache(chart_repository: str, tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    ref = {"repo": chart_repository, "name": "webapp", "version": "0.3.0"}
    chart = load_chart(ref, cache_dir=cache_dir, cache=ChartCache())
    assert chart.name == "webapp"
    assert chart.path.name == "webapp-0.3.0.tgz"
    assert chart.path.is_relative_to(cache_dir)
    assert chart.digest == load_chart(CHARTS / "webapp", cache=ChartCache()).digest
    # A second load is served from the cache without asking the repository.
    (tmp_path / "repo" / "webapp-0.3.0.tgz").unlink()
    again = load_chart(ref, cache_dir=cache_dir, cache=ChartCache())
    assert again.path == chart.path


def test_unknown_repository_version_is_a_config_error(chart_repository: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot fetch chart") as caught:
        load_chart(
            {"repo": chart_repository, "name": "webapp", "version": "9.9.9"},
            cache_dir=tmp_path / "cache",
            cache=ChartCache(),
        )
    assert caught.value.fix


def test_build_dependencies_fills_charts_and_pins_a_lock(tmp_path: Path) -> None:
    shutil.copytree(CHARTS / "webapp", tmp_path / "webapp")
    parent = tmp_path / "parent"
    (parent / "templates").mkdir(parents=True)
    (parent / "Chart.yaml").write_text(
        "apiVersion: v2\nname: parent\nversion: 1.0.0\n"
        "dependencies:\n  - name: webapp\n    version: 0.3.0\n    repository: file://../webapp\n"
    )
    with pytest.raises(ConfigError, match="not in its charts/"):
        load_chart(parent, cache=ChartCache())
    assert [d.status for d in dependency_status(parent)] == ["missing"]

    statuses = build_dependencies(parent)
    assert [(d.name, d.ok) for d in statuses] == [("webapp", True)]
    assert (parent / "Chart.lock").is_file()
    loaded = load_chart(parent, cache=ChartCache())
    assert loaded.dependencies[0].present
    rendered = render(loaded, None, "p", "ns")
    assert any(o.kind == "Deployment" and o.name == "p" for o in rendered.manifests)

    # With a lock present, a rebuild restores charts/ from it.
    shutil.rmtree(parent / "charts")
    assert [d.ok for d in build_dependencies(parent)] == [True]


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("oci://reg.example.org/charts/app", ("oci://reg.example.org/charts/app", "app", None)),
        ("oci://reg.example.org:5000/charts/app:1.2.0", ("oci://reg.example.org:5000/charts/app", "app", "1.2.0")),
        ("oci://reg.example.org/app@sha256:abc", ("oci://reg.example.org/app", "app", "sha256:abc")),
    ],
)
def test_oci_references_split_into_base_name_and_version(reference: str, expected: tuple[str, str, str | None]) -> None:
    assert split_oci(reference) == expected


def test_oci_charts_are_cached_by_registry_path_name_and_version(tmp_path: Path) -> None:
    tagged = cache_entry(ChartRef("oci://reg.example.org/charts/app:1.2.0"), tmp_path)
    versioned = cache_entry(ChartRef("oci://reg.example.org/charts/app", version="1.2.0"), tmp_path)
    assert tagged == versioned
    assert tagged is not None and tagged.name == "app-1.2.0.tgz"
    other_registry = cache_entry(ChartRef("oci://mirror.example.org/charts/app:1.2.0"), tmp_path)
    assert other_registry != tagged
    assert cache_entry(ChartRef("oci://reg.example.org/charts/app"), tmp_path) is None


def test_a_chart_whose_values_hold_infinity_gets_a_fix_about_its_values(tmp_path: Path) -> None:
    """Issue 17: Go's "json: unsupported value: +Inf" came with the fix "point the component at a chart"."""
    from helmdeck.errors import ConfigError

    chart = tmp_path / "inf"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: inf\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("ratio: .inf\n")
    with pytest.raises(ConfigError) as caught:
        load_chart(str(chart))
    # the YAML gate meets it first, at its file and line, before Helm reads the chart
    assert ".inf (infinity) cannot be a value" in caught.value.message
    assert (caught.value.where or "").endswith("values.yaml:1:8") and "quote it" in (caught.value.fix or "")
    assert "unsupported value" not in caught.value.message


def test_an_unreachable_repository_is_named_by_its_url_not_a_temp_file(tmp_path: Path) -> None:
    sibling = tmp_path / "sibling"
    sibling.mkdir()
    (sibling / "Chart.yaml").write_text("apiVersion: v2\nname: sibling\nversion: 0.1.0\n")
    chart = tmp_path / "parent"
    chart.mkdir()
    # the second dependency: the SDK's private name for its repository counts from the first
    (chart / "Chart.yaml").write_text(
        "apiVersion: v2\nname: parent\nversion: 0.1.0\ndependencies:\n"
        "  - name: sibling\n    version: 0.1.0\n    repository: file://../sibling\n"
        "  - name: redis\n    version: 1.2.3\n    repository: http://127.0.0.1:9/stable\n"
    )
    with pytest.raises(ConfigError) as caught:
        build_dependencies(chart)
    text = f"{caught.value.message} {caught.value.fix}"
    assert "http://127.0.0.1:9/stable" in text and "redis 1.2.3" in caught.value.message
    assert "helm-c-dep" not in text and "index.yaml" not in text
    assert caught.value.where == str(chart / "Chart.yaml")


def test_a_dependency_without_repository_gets_that_hint_not_credentials(tmp_path: Path) -> None:
    chart = tmp_path / "parent"
    chart.mkdir()
    (chart / "Chart.yaml").write_text(
        "apiVersion: v2\nname: parent\nversion: 0.1.0\ndependencies:\n  - name: redis\n    version: 1.2.3\n"
    )
    with pytest.raises(ConfigError) as caught:
        build_dependencies(chart)
    assert "redis 1.2.3 has no `repository:`" in caught.value.message
    assert "repository:" in (caught.value.fix or "") and "credentials" not in (caught.value.fix or "")


def test_a_stale_lock_asks_for_deps_update_not_credentials(tmp_path: Path) -> None:
    chart = tmp_path / "parent"
    chart.mkdir()
    (chart / "Chart.yaml").write_text(
        "apiVersion: v2\nname: parent\nversion: 0.1.0\ndependencies:\n"
        "  - name: redis\n    version: 1.2.3\n    repository: http://127.0.0.1:9/stable\n"
    )
    (chart / "Chart.lock").write_text(
        "dependencies:\n- name: redis\n  repository: http://127.0.0.1:9/stable\n  version: 1.2.2\n"
        'digest: sha256:0000\ngenerated: "2026-01-01T00:00:00Z"\n'
    )
    with pytest.raises(ConfigError) as caught:
        build_dependencies(chart)
    assert "Chart.lock no longer matches" in caught.value.message
    assert "deps --update" in (caught.value.fix or "") and "credentials" not in (caught.value.fix or "")
