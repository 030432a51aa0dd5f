"""Loading platform.yaml: the valid reference file, and every kind of error with file:line and fix."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from helmdeck.errors import ConfigError
from helmdeck.spec import ChartRef, PlatformFileError, load_platform, parse_platform

FIXTURES = Path(__file__).parent / "fixtures"
DASHBOARDS = FIXTURES / "dashboards" / "platform.yaml"

HEADER = "apiVersion: helmdeck.dev/v1\nkind: Platform\nmetadata: {name: demo}\nspec:\n"


def write(tmp_path: Path, body: str, *, header: str = HEADER) -> Path:
    path = tmp_path / "platform.yaml"
    path.write_text(header + body)
    return path


def problems(tmp_path: Path, body: str, *, header: str = HEADER) -> list[ConfigError]:
    path = write(tmp_path, body, header=header)
    with pytest.raises(PlatformFileError) as caught:
        load_platform(path)
    return caught.value.problems


def one_problem(tmp_path: Path, body: str, *, header: str = HEADER) -> ConfigError:
    found = problems(tmp_path, body, header=header)
    assert len(found) == 1, [str(p) for p in found]
    return found[0]


def at(error: ConfigError) -> tuple[int, int]:
    """(line, column) from the error's where."""
    assert error.where is not None
    _, line, col = error.where.rsplit(":", 2)
    return int(line), int(col)


# --- the reference platform ------------------------------------------------------------------


def test_reference_platform_loads_with_resolved_paths() -> None:
    platform = load_platform(DASHBOARDS)
    base = DASHBOARDS.parent.resolve()
    assert platform.name == "dashboards"
    assert platform.source_path == DASHBOARDS.resolve()
    backend = platform.component("backend")
    assert backend.chart == str(base / "charts" / "backend")
    assert backend.chart_kind == "dir"
    assert backend.values == [base / "values" / "backend.yaml"]
    assert backend.environments["demo"].values == [base / "values" / "backend-demo.yaml"]
    assert platform.spec.environments["demo"].values == [base / "env" / "demo.yaml"]
    assert backend.set_values == {"replicas": 2, "image.tag": "1.4.0"}
    assert backend.health.timeout_seconds == 300
    assert platform.spec.extensions.catalog == [
        str(base / "extensions"),
        "oci://registry.example.org/dash/extensions",
    ]
    assert platform.spec.secrets["oauth-secret"].source == "env"


def test_relative_paths_resolve_against_the_platform_file_not_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    platform = load_platform(os.path.relpath(DASHBOARDS, tmp_path))
    assert platform.component("mongo").chart_path == (DASHBOARDS.parent / "charts" / "mongo").resolve()


def test_instance_prefix_applies_to_namespaces_not_release_names() -> None:
    platform = load_platform(DASHBOARDS)
    assert platform.instance == "lab2"
    assert platform.namespace_of("mongo") == "lab2-services"
    # minio names no namespace: the logical default `services`
    assert platform.namespace_of(platform.component("minio")) == "lab2-services"
    assert platform.release_name("backend") == "backend"
    assert platform.admin_namespace == "lab2-dash-admin"
    assert platform.logical_namespace("jobs") == "lab2-jobs"
    assert platform.data_dir("fast") == "/data/fast/lab2"
    assert platform.secret_store_name == "helmdeck-secrets-dashboards"


def test_without_instance_names_are_unchanged(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "  namespaces: {services: svc}\n"
        "  components:\n"
        "    - {name: a, chart: oci://r/a}\n"
        "    - {name: b, chart: oci://r/b, namespace: science}\n",
    )
    platform = load_platform(path)
    assert platform.namespace_of("a") == "svc"
    assert platform.namespace_of("b") == "science"  # a literal namespace
    assert platform.release_name("a") == "a"
    assert platform.admin_namespace == "admin"
    assert platform.data_dir("slow") is None


def test_chart_forms(tmp_path: Path) -> None:
    (tmp_path / "c.tgz").write_bytes(b"")
    path = write(
        tmp_path,
        "  components:\n"
        "    - {name: a, chart: oci://registry.example.org/charts/a}\n"
        "    - {name: b, chart: {repo: https://charts.example.org, name: b, version: 1.2.3}}\n"
        "    - {name: c, chart: c.tgz}\n",
    )
    platform = load_platform(path)
    a, b, c = platform.components
    assert (a.chart_kind, a.chart_path) == ("oci", None)
    assert b.chart_kind == "repo" and isinstance(b.chart, ChartRef) and b.chart.version == "1.2.3"
    assert c.chart_kind == "archive" and c.chart_path == (tmp_path / "c.tgz").resolve()


def test_component_lookup_suggests_the_closest_name() -> None:
    platform = load_platform(DASHBOARDS)
    with pytest.raises(ConfigError) as caught:
        platform.component("backnd")
    assert caught.value.fix == "did you mean 'backend'?"


def test_unknown_environment_lists_the_known_ones() -> None:
    platform = load_platform(DASHBOARDS)
    with pytest.raises(ConfigError) as caught:
        platform.environment("prod")
    assert "known: demo, dev" in caught.value.message
    assert caught.value.where is not None and caught.value.where.endswith("platform.yaml:19:3")


# --- errors ---------------------------------------------------------------------------------


def test_missing_file_says_how_to_name_another(tmp_path: Path) -> None:
    with pytest.raises(PlatformFileError) as caught:
        load_platform(tmp_path / "nope.yaml")
    assert "not found" in caught.value.message
    assert "-f/--file" in (caught.value.fix or "")


def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "platform.yaml"
    path.write_bytes(b"apiVersion: \xff\n")
    with pytest.raises(PlatformFileError, match="not UTF-8"):
        load_platform(path)


def test_yaml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    error = one_problem(tmp_path, "  components: [\n    {name: a, chart: x\n")
    assert "YAML syntax error" in error.message
    assert error.where is not None and "platform.yaml:" in error.where
    assert at(error)[0] == 7


def test_duplicate_yaml_key_is_a_syntax_error_at_the_second_key(tmp_path: Path) -> None:
    error = one_problem(tmp_path, "  gpu: auto\n  gpu: off\n  components: []\n")
    assert "key 'gpu' appears twice in one mapping (lines 5 and 6)" in error.message
    assert at(error)[0] == 6


@pytest.mark.parametrize(
    ("text", "shape"),
    [("", "empty"), ("# only a comment\n", "empty"), ("- a\n- b\n", "list"), ("just text\n", "string")],
)
def test_a_file_that_is_not_a_mapping(tmp_path: Path, text: str, shape: str) -> None:
    error = one_problem(tmp_path, text, header="")
    assert shape in error.message
    assert "apiVersion" in (error.fix or "")


def test_unknown_key_suggests_the_closest_valid_key(tmp_path: Path) -> None:
    error = one_problem(
        tmp_path,
        "  components:\n    - name: a\n      chart: oci://r/a\n      neds: [b]\n",
    )
    assert error.message == "unknown key 'neds' in spec.components[0]"
    assert at(error) == (8, 7)
    assert error.fix is not None and error.fix.startswith("did you mean 'needs'?")


def test_unknown_key_at_the_top_level(tmp_path: Path) -> None:
    header = "apiVersion: helmdeck.dev/v1\nkind: Platform\nmetadata: {name: x}\nspecs: {}\n"
    found = problems(tmp_path, "", header=header)
    messages = {p.message: p for p in found}
    assert "unknown key 'specs' in the document" in messages
    assert messages["unknown key 'specs' in the document"].fix == (
        "did you mean 'spec'? (valid keys here: apiVersion, kind, metadata, spec)"
    )
    assert "the document is missing the required key 'spec'" in messages


def test_unknown_key_inside_a_chart_reference(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        "  components:\n    - name: a\n      chart:\n        repo: https://x\n        name: a\n        versoin: 1\n",
    )
    unknown = next(p for p in found if p.message.startswith("unknown key"))
    assert unknown.message == "unknown key 'versoin' in spec.components[0].chart"
    assert at(unknown) == (10, 9)
    assert (unknown.fix or "").startswith("did you mean 'version'?")
    missing = next(p for p in found if "missing" in p.message)
    assert missing.message == "spec.components[0].chart is missing the required key 'version'"
    assert at(missing) == (7, 7)


def test_wrong_type(tmp_path: Path) -> None:
    error = one_problem(tmp_path, "  components:\n    - name: a\n      chart: oci://r/a\n      needs: b\n")
    assert error.message == "spec.components[0].needs: expected a list, got a string ('b')"
    assert at(error) == (8, 7)
    assert error.fix == "write a list here"


def test_wrong_literal_lists_the_allowed_values(tmp_path: Path) -> None:
    error = one_problem(tmp_path, "  gpu: sometimes\n  components: []\n")
    assert at(error) == (5, 3)
    assert error.fix == "use 'auto', 'required' or 'off'"


def test_missing_field_points_at_the_enclosing_item(tmp_path: Path) -> None:
    error = one_problem(tmp_path, "  components:\n    - name: a\n      namespace: services\n")
    assert error.message == "spec.components[0] is missing the required key 'chart'"
    assert at(error) == (6, 7)
    assert error.fix == "add `chart:` under spec.components[0]"


def test_invalid_names_explain_the_allowed_form(tmp_path: Path) -> None:
    error = one_problem(tmp_path, "  components:\n    - name: My_Backend\n      chart: oci://r/a\n")
    assert "'My_Backend' is not a valid name" in error.message
    assert "DNS label" in (error.fix or "")
    assert at(error) == (6, 7)


def test_secret_needs_exactly_one_source(tmp_path: Path) -> None:
    error = one_problem(tmp_path, "  secrets:\n    pw: {generate: {}, fromEnv: PW}\n  components: []\n")
    assert "exactly one source, it has generate and fromEnv" in error.message
    assert at(error) == (6, 5)


def test_duplicate_component_names(tmp_path: Path) -> None:
    error = one_problem(
        tmp_path,
        "  components:\n    - name: a\n      chart: oci://r/a\n    - name: a\n      chart: oci://r/b\n",
    )
    assert error.message == "component name 'a' is used twice (first on line 6)"
    assert at(error) == (8, 7)
    assert "own name" in (error.fix or "")


def test_needs_naming_an_unknown_component(tmp_path: Path) -> None:
    error = one_problem(
        tmp_path,
        "  components:\n"
        "    - {name: backend, chart: oci://r/b, needs: [mongodb]}\n"
        "    - {name: mongo, chart: oci://r/m}\n",
    )
    assert error.message == "component 'backend' needs 'mongodb', which is not a component of this platform"
    assert at(error) == (6, 49)
    assert error.fix == "did you mean 'mongo'?"


def test_dependency_cycle_prints_the_cycle(tmp_path: Path) -> None:
    error = one_problem(
        tmp_path,
        "  components:\n"
        "    - {name: a, chart: oci://r/a, needs: [b]}\n"
        "    - {name: b, chart: oci://r/b, needs: [c]}\n"
        "    - {name: c, chart: oci://r/c, needs: [a]}\n",
    )
    assert error.message == "dependency cycle: a -> b -> c -> a"
    assert at(error)[0] == 6


def test_every_cycle_is_reported(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        "  components:\n"
        "    - {name: a, chart: oci://r/a, needs: [b]}\n"
        "    - {name: b, chart: oci://r/b, needs: [a]}\n"
        "    - {name: c, chart: oci://r/c, needs: [c]}\n",
    )
    assert sorted(p.message for p in found) == ["dependency cycle: a -> b -> a", "dependency cycle: c -> c"]


def test_missing_values_file_names_the_file_and_the_line(tmp_path: Path) -> None:
    error = one_problem(
        tmp_path,
        "  components:\n    - name: a\n      chart: oci://r/a\n      values:\n        - values/a.yaml\n",
    )
    assert "values file" in error.message and "values/a.yaml" in error.message
    assert "referenced on line 9" in error.message
    assert at(error) == (9, 11)


def test_missing_local_chart(tmp_path: Path) -> None:
    error = one_problem(tmp_path, "  components:\n    - {name: a, chart: charts/a}\n")
    assert "chart" in error.message and "charts/a" in error.message
    assert at(error)[0] == 6


def test_missing_environment_file(tmp_path: Path) -> None:
    error = one_problem(tmp_path, "  environments:\n    demo: {values: [env/demo.yaml]}\n  components: []\n")
    assert "env/demo.yaml" in error.message
    assert at(error)[0] == 6


def test_component_environment_that_the_platform_does_not_declare(tmp_path: Path) -> None:
    error = one_problem(
        tmp_path,
        "  environments: {demo: {}, dev: {}}\n"
        "  components:\n"
        "    - name: a\n"
        "      chart: oci://r/a\n"
        "      environments: {demoo: {}}\n",
    )
    assert "environment 'demoo'" in error.message and "known: demo, dev" in error.message
    assert (error.fix or "").startswith("did you mean 'demo'?")
    assert at(error)[0] == 9


def test_secret_injected_into_an_unknown_component(tmp_path: Path) -> None:
    error = one_problem(
        tmp_path,
        "  secrets:\n    pw: {generate: {}, into: [backnd.db.password]}\n"
        "  components:\n    - {name: backend, chart: oci://r/b}\n",
    )
    assert "no component 'backnd'" in error.message
    assert (error.fix or "").startswith("did you mean 'backend'?")


def test_secret_into_a_path_with_an_empty_key(tmp_path: Path) -> None:
    error = one_problem(
        tmp_path,
        "  secrets:\n    pw: {generate: {}, into: [backend.db..password]}\n"
        "  components:\n    - {name: backend, chart: oci://r/b}\n",
    )
    assert "'backend.db..password' is not COMPONENT.key.path" in error.message


def test_release_name_too_long(tmp_path: Path) -> None:
    name = "a" * 54
    error = one_problem(tmp_path, f"  components:\n    - {{name: {name}, chart: oci://r/a}}\n")
    assert "Helm allows 53" in error.message


def test_all_problems_are_reported_together(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "  gpu: sometimes\n"
        "  components:\n"
        "    - {name: a, chart: oci://r/a, neds: []}\n"
        "    - {name: B, chart: oci://r/b}\n",
    )
    with pytest.raises(PlatformFileError) as caught:
        load_platform(path)
    error = caught.value
    assert len(error.problems) == 3
    assert error.message == "3 problems in " + error.problems[0].where.split(":")[0]  # type: ignore[union-attr]
    text = str(error)
    for problem in error.problems:
        assert problem.message in text
    assert [p["error"] for p in error.as_dict()["details"]["problems"]] == [p.message for p in error.problems]
    # in file order
    lines = [at(p)[0] for p in error.problems]
    assert lines == sorted(lines)


def test_parse_platform_without_a_file_resolves_against_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "charts" / "a").mkdir(parents=True)
    platform = parse_platform(HEADER + "  components:\n    - {name: a, chart: charts/a}\n")
    assert platform.component("a").chart_path == tmp_path.resolve() / "charts" / "a"
    assert platform.source_path is None


# --- namespaces the whole cluster shares -----------------------------------------------------


@pytest.mark.parametrize("reserved", ["default", "kube-system", "kube-public", "kube-node-lease"])
def test_a_cluster_wide_namespace_is_refused_where_it_is_declared(tmp_path: Path, reserved: str) -> None:
    body = (
        f"  namespaces: {{services: {reserved}}}\n  components:\n    - {{name: web, chart: ./c, namespace: services}}\n"
    )
    (tmp_path / "c").mkdir()
    error = one_problem(tmp_path, body)
    assert f"namespace '{reserved}' (spec.namespaces.services) is shared by the whole cluster" in str(error)
    assert at(error)[0] == 5
    assert error.fix is not None and "namespaces of its own" in error.fix


def test_a_component_placed_literally_in_kube_system_is_refused(tmp_path: Path) -> None:
    (tmp_path / "c").mkdir()
    error = one_problem(tmp_path, "  components:\n    - {name: web, chart: ./c, namespace: kube-system}\n")
    assert "component 'web' is placed in namespace 'kube-system'" in str(error)
    assert at(error)[0] == 6


def test_an_instance_prefix_makes_a_reserved_name_a_namespace_of_its_own(tmp_path: Path) -> None:
    (tmp_path / "c").mkdir()
    path = write(tmp_path, "  instance: lab2\n  components:\n    - {name: web, chart: ./c, namespace: default}\n")
    assert load_platform(path).namespace_of("web") == "lab2-default"


def test_an_absurd_health_timeout_is_refused_with_the_limit_named(tmp_path: Path) -> None:
    """Issue 17: ``99999999999999999999h`` was accepted."""
    body = "  components:\n    - name: a\n      chart: charts/a\n      health: {timeout: 99999999999999999999h}\n"
    error = one_problem(tmp_path, body)
    assert "is longer than the limit of 24h" in error.message and at(error)[0] == 8
    (tmp_path / "charts" / "a").mkdir(parents=True)
    ok = write(tmp_path, body.replace("99999999999999999999h", "24h"))
    assert load_platform(ok).components[0].health.timeout_seconds == 86400


def test_a_number_too_long_for_python_is_refused_without_python_s_advice(tmp_path: Path) -> None:
    """Issue 17: "use sys.set_int_max_str_digits()" reached the user."""
    body = "  components:\n    - name: a\n      chart: charts/a\n      set: {x: " + "1" * 5000 + "}\n"
    path = write(tmp_path, body)
    with pytest.raises(ConfigError) as caught:
        load_platform(path)
    assert "set_int_max_str_digits" not in str(caught.value)
    assert "a number has more than 4300 digits" in caught.value.message
    assert caught.value.where is not None and caught.value.where.endswith(":8")
