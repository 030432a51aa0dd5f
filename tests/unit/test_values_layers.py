"""Layering a component's values, and the provenance of every key."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import helm_python
import pytest

from helmdeck.errors import ConfigError
from helmdeck.spec import Platform, load_platform
from helmdeck.values import NOTHING, LayeredValues, compute_values, load_chart_defaults

FIXTURE = Path(__file__).parent / "fixtures" / "dashboards"
SECRETS = {"minio-root-password": "m1n10-R00t-pa55w0rd-0123456789ab", "oauth-secret": "goog-0auth-s3cret"}


@pytest.fixture
def platform() -> Platform:
    return load_platform(FIXTURE / "platform.yaml")


def backend(
    platform: Platform, env: str | None = "demo", cli_files: Sequence[Path] = (), cli_sets: Sequence[str] = ()
) -> LayeredValues:
    return compute_values(
        platform,
        "backend",
        env,
        chart_defaults=load_chart_defaults(platform.component("backend")),
        cli_files=cli_files,
        cli_sets=cli_sets,
        secret_values=SECRETS,
    )


def test_layers_in_order(platform: Platform) -> None:
    values = backend(platform, cli_sets=["image.tag=2.0"])
    assert [layer.kind for layer in values.layers] == [
        "chart",
        "platform",
        "values",
        "set",
        "environment",
        "environment",
        "environment-values",
        "secret",
        "secret",
        "--set",
    ]
    merged = values.merged
    assert merged["replicas"] == 1  # chart 1 < values file 3 < set 2 < environment 1
    assert merged["image"] == {"repository": "registry.example.org/dash/backend", "tag": "2.0"}
    assert merged["global"]["domain"] == "demo.example.org"  # the environment's global section
    # what the platform file says, for every chart
    assert merged["global"]["namespaces"]["admin"] == platform.admin_namespace
    assert merged["global"]["instance"] == platform.instance
    assert merged["auth"]["mode"] == "demo"  # the component's own demo file
    assert merged["auth"]["google"] == {"clientId": "", "secret": SECRETS["oauth-secret"]}
    assert merged["minio"]["password"] == SECRETS["minio-root-password"]
    assert "resources" not in merged  # deleted by `resources: null` in values/backend-demo.yaml
    assert merged["ingress"]["hosts"] == ["dash.example.org"]  # lists replace
    assert merged["ingress"]["annotations"] == {}  # null in env/demo.yaml deleted the chart's annotation
    assert "mongo" not in merged  # the environment file's section for another component stays there


def test_without_an_environment_only_the_base_layers_apply(platform: Platform) -> None:
    values = backend(platform, env=None)
    assert [layer.kind for layer in values.layers] == ["chart", "platform", "values", "set", "secret", "secret"]
    assert values.merged["replicas"] == 2
    assert values.merged["resources"] == {"requests": {"cpu": "100m", "memory": "128Mi"}}
    assert "domain" not in values.merged["global"]  # only the platform file's own globals


def test_merged_is_what_helm_gives_the_templates(platform: Platform) -> None:
    values = backend(platform)
    with helm_python.Chart.load(platform.component("backend").chart_path) as chart:  # type: ignore[arg-type]
        assert values.merged == chart.merge_values(values.user_values)
    assert "replicas" not in values.chart_defaults or values.chart_defaults["replicas"] == 1


def test_explain_lists_every_layer_with_file_line_and_what_it_overrode(platform: Platform) -> None:
    entries = backend(platform).explain("replicas")
    assert [(e.layer, e.location, e.value, e.overrode) for e in entries] == [
        ("chart", "tests/unit/fixtures/dashboards/charts/backend/values.yaml:1", 1, NOTHING),
        ("values", "tests/unit/fixtures/dashboards/values/backend.yaml:1", 3, 1),
        ("set", "tests/unit/fixtures/dashboards/platform.yaml:40", 2, 3),
        ("environment", "tests/unit/fixtures/dashboards/env/demo.yaml:4", 1, 2),
    ]
    assert entries[0].as_dict() == {
        "key": "replicas",
        "layer": "chart",
        "source": "tests/unit/fixtures/dashboards/charts/backend/values.yaml",
        "file": "tests/unit/fixtures/dashboards/charts/backend/values.yaml",
        "line": 1,
        "value": 1,
    }
    assert entries[1].as_dict()["overrode"] == 1


def test_explain_a_dotted_set_key_and_the_command_line(platform: Platform) -> None:
    entries = backend(platform, cli_sets=["image.tag=2.0"]).explain("image.tag")
    assert [(e.layer, e.location, e.value) for e in entries] == [
        ("chart", "tests/unit/fixtures/dashboards/charts/backend/values.yaml:4", "latest"),
        ("set", "tests/unit/fixtures/dashboards/platform.yaml:41", "1.4.0"),
        ("--set", "--set", "2.0"),
    ]


def test_explain_a_deletion(platform: Platform) -> None:
    values = backend(platform)
    entries = values.explain("resources")
    last = entries[-1]
    assert (last.layer, last.location, last.deletes) == (
        "environment-values",
        "tests/unit/fixtures/dashboards/values/backend-demo.yaml:3",
        True,
    )
    assert last.overrode == {"requests": {"cpu": "100m", "memory": "128Mi"}}
    assert values.get("resources") == (False, None)
    # a key below the deleted one is explained by the same entry
    assert values.explain("resources.requests.cpu")[-1] == last


def test_explain_keys_with_literal_dots(platform: Platform) -> None:
    entries = backend(platform).explain("ingress.annotations.nginx\\.ingress\\.kubernetes\\.io/proxy-body-size")
    assert [(e.layer, e.value) for e in entries] == [("chart", "10m"), ("environment", None)]
    assert entries[1].location == "tests/unit/fixtures/dashboards/env/demo.yaml:7"


def test_explain_redacts_secret_values(platform: Platform) -> None:
    values = backend(platform, cli_sets=["minio.password=override"])
    entries = values.explain("minio.password")
    assert [(e.layer, e.source, e.value) for e in entries] == [
        ("chart", "tests/unit/fixtures/dashboards/charts/backend/values.yaml", ""),
        ("secret", "secret:minio-root-password", "<redacted:minio-root-password>"),
        ("--set", "--set", "override"),
    ]
    assert entries[2].overrode == "<redacted:minio-root-password>"
    assert values.merged["minio"]["password"] == "override"
    redacted = backend(platform).redacted()
    assert redacted["minio"]["password"] == "<redacted:minio-root-password>"
    assert redacted["auth"]["google"]["secret"] == "<redacted:oauth-secret>"


def test_command_line_files_come_after_secrets_and_before_set(platform: Platform, tmp_path: Path) -> None:
    extra = tmp_path / "extra.yaml"
    extra.write_text("replicas: 7\nminio:\n  password: from-file\n")
    values = backend(platform, cli_files=[extra], cli_sets=["replicas=9"])
    assert values.merged["replicas"] == 9
    assert values.merged["minio"]["password"] == "from-file"
    kinds = [(e.layer, e.line) for e in values.explain("replicas")][-2:]
    assert kinds == [("file", 1), ("--set", None)]


def test_a_secret_without_a_value_is_an_error(platform: Platform) -> None:
    with pytest.raises(ConfigError, match="secret 'oauth-secret' has no value"):
        compute_values(platform, "backend", None, {}, secret_values={"minio-root-password": "x"})


def test_unknown_environment(platform: Platform) -> None:
    with pytest.raises(ConfigError) as caught:
        backend(platform, env="staging")
    assert "known: demo, dev" in caught.value.message


def test_unknown_component(platform: Platform) -> None:
    with pytest.raises(ConfigError) as caught:
        compute_values(platform, "mongodb", None, {})
    assert caught.value.fix == "did you mean 'mongo'?"


def copy_fixture(tmp_path: Path) -> Path:
    target = tmp_path / "dashboards"
    shutil.copytree(FIXTURE, target)
    return target


def test_an_environment_section_for_no_component_is_an_error(tmp_path: Path) -> None:
    root = copy_fixture(tmp_path)
    (root / "env" / "dev.yaml").write_text("global: {}\nbakend:\n  replicas: 2\n")
    platform = load_platform(root / "platform.yaml")
    with pytest.raises(ConfigError) as caught:
        compute_values(platform, "mongo", "dev", {}, secret_values=SECRETS)
    assert "section 'bakend'" in caught.value.message
    assert caught.value.where is not None and caught.value.where.endswith("env/dev.yaml:2")
    assert (caught.value.fix or "").startswith("did you mean 'backend'?")


def test_an_environment_section_that_is_not_a_mapping(tmp_path: Path) -> None:
    root = copy_fixture(tmp_path)
    (root / "env" / "dev.yaml").write_text("global: {}\nmongo: 3\n")
    platform = load_platform(root / "platform.yaml")
    with pytest.raises(ConfigError, match="section 'mongo' must be a mapping"):
        compute_values(platform, "mongo", "dev", {}, secret_values=SECRETS)


def test_values_file_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    root = copy_fixture(tmp_path)
    (root / "values" / "backend.yaml").write_text("replicas: 3\ningress:\n  hosts: [a\n")
    platform = load_platform(root / "platform.yaml")
    with pytest.raises(ConfigError) as caught:
        backend(platform)
    assert "backend.yaml is not valid YAML" in caught.value.message
    assert caught.value.where is not None and caught.value.where.endswith("values/backend.yaml:3")


def test_helm_yaml_rules_apply_to_values_files(tmp_path: Path) -> None:
    root = copy_fixture(tmp_path)
    (root / "values" / "backend.yaml").write_text("enabled: on\ncount: 010\n")
    platform = load_platform(root / "platform.yaml")
    merged = backend(platform).merged
    assert merged["enabled"] is True and merged["count"] == 8  # YAML 1.1, as Helm reads it


def test_chart_defaults_as_a_plain_dict_have_no_lines(platform: Platform) -> None:
    values = compute_values(platform, "mongo", "demo", {"persistence": {"size": "10Gi"}}, secret_values=SECRETS)
    assert values.merged["persistence"] == {"size": "1Gi"}
    assert [(e.layer, e.location) for e in values.explain("persistence.size")] == [
        ("chart", "chart defaults"),
        ("environment", "tests/unit/fixtures/dashboards/env/demo.yaml:10"),
    ]


def test_remote_charts_need_deps_first(tmp_path: Path) -> None:
    (tmp_path / "platform.yaml").write_text(
        "apiVersion: helmdeck.dev/v1\nkind: Platform\nmetadata: {name: x}\nspec:\n"
        "  components: [{name: a, chart: oci://registry.example.org/a}]\n"
    )
    platform = load_platform(tmp_path / "platform.yaml")
    with pytest.raises(ConfigError) as caught:
        load_chart_defaults(platform.component("a"))
    assert "helmdeck deps" in (caught.value.fix or "")


def test_chart_defaults_from_an_archive_keep_their_lines(tmp_path: Path) -> None:
    archive = helm_python.package(FIXTURE / "charts" / "backend", destination=tmp_path)
    (tmp_path / "platform.yaml").write_text(
        "apiVersion: helmdeck.dev/v1\nkind: Platform\nmetadata: {name: x}\nspec:\n"
        f"  components: [{{name: backend, chart: {Path(archive).name}}}]\n"
    )
    platform = load_platform(tmp_path / "platform.yaml")
    defaults = load_chart_defaults(platform.component("backend"))
    assert defaults.data["replicas"] == 1
    assert defaults.line_of(("ingress", "hosts")) == 17
    assert defaults.shown.endswith(".tgz:values.yaml")


def test_leaf_keys(platform: Platform) -> None:
    keys = backend(platform).leaf_keys()
    assert "replicas" in keys and "image.tag" in keys and "ingress.annotations" in keys
