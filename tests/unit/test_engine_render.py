from __future__ import annotations

from pathlib import Path

import pytest

from helmdeck.engine import ChartCache, LoadedChart, engine_for, load_chart
from helmdeck.engine.render import render
from helmdeck.errors import ConfigError
from helmdeck.manifests import ManifestError, check_platform

CHARTS = Path(__file__).parent / "charts"


def chart(name: str) -> LoadedChart:
    return load_chart(CHARTS / name, cache=ChartCache())


def test_renders_objects_with_release_name_and_namespace() -> None:
    rendered = render(chart("webapp"), {"replicas": 3}, "shop", "services")
    kinds = [(o.kind, o.name) for o in rendered.manifests]
    assert kinds == [
        ("Deployment", "shop"),
        ("Ingress", "shop"),
        ("Service", "shop"),
        ("ConfigMap", "shop-config"),
    ]
    deployment = rendered.manifests[0]
    assert deployment.source == "webapp/templates/deployment.yaml"
    assert deployment.body["spec"]["replicas"] == 3
    assert rendered.namespace == "services"
    assert rendered.chart_name == "webapp" and rendered.chart_version == "0.3.0"


def test_hooks_are_separated_from_manifests() -> None:
    rendered = render(chart("webapp"), None, "shop", "services")
    (hook,) = rendered.hooks
    assert (hook.kind, hook.name) == ("Job", "shop-migrate")
    assert hook.hook_events == ("pre-install", "pre-upgrade")
    assert rendered.manifests and all(not o.is_hook for o in rendered.manifests)
    assert hook in rendered.objects


def test_notes_are_rendered() -> None:
    rendered = render(chart("webapp"), {"ingress": {"host": "shop.example.org"}}, "shop", "services")
    assert rendered.notes.strip() == "shop serves http://shop.example.org/"


def test_values_switch_templates_off() -> None:
    rendered = render(chart("webapp"), {"ingress": {"enabled": False}, "migrate": {"enabled": False}}, "a", "ns")
    assert [o.kind for o in rendered.manifests] == ["Deployment", "Service", "ConfigMap"]
    assert rendered.hooks == ()


def test_capabilities_and_upgrade_flag() -> None:
    install = render(chart("webapp"), None, "a", "ns", kube_version="v1.29.4")
    annotations = install.manifests[0].body["spec"]["template"]["metadata"]["annotations"]
    assert annotations == {"kube-version": "v1.29.4", "upgrade": "false"}
    upgrade = render(chart("webapp"), None, "a", "ns", is_upgrade=True)
    assert upgrade.manifests[0].body["spec"]["template"]["metadata"]["annotations"]["upgrade"] == "true"


def test_manifest_text_is_in_helm_install_order() -> None:
    text = render(chart("webapp"), None, "a", "ns").manifest_text()
    sources = [line for line in text.splitlines() if line.startswith("# Source:")]
    assert sources == [
        "# Source: webapp/templates/service.yaml",  # ConfigMap
        "# Source: webapp/templates/service.yaml",  # Service
        "# Source: webapp/templates/deployment.yaml",
        "# Source: webapp/templates/ingress.yaml",
    ]
    assert "helm.sh/hook" not in text


def test_template_error_names_chart_file_line_and_values_files() -> None:
    with pytest.raises(ConfigError) as caught:
        render(
            chart("faulty"),
            {"failRequired": True},
            "r",
            "ns",
            component="auth",
            values_files=["values/auth.yaml", "env/dev.yaml"],
        )
    error = caught.value
    assert error.where == "faulty/templates/config.yaml:8:12"
    assert "component auth (chart faulty)" in error.message
    assert "template faulty/templates/config.yaml line 8" in error.message
    assert "auth.token is required when failRequired is set" in error.message
    assert "values/auth.yaml, env/dev.yaml" in (error.fix or "")
    assert error.details["line"] == 8
    assert error.details["valuesFiles"] == ["values/auth.yaml", "env/dev.yaml"]


def test_error_inside_a_helper_names_the_template_and_the_helper() -> None:
    with pytest.raises(ConfigError) as caught:
        render(chart("faulty"), {"failNested": True}, "r", "ns")
    error = caught.value
    assert "template faulty/templates/config.yaml line 11" in error.message
    assert "faulty/templates/_helpers.tpl line 2" in error.message
    assert ".Values.deep.inner.value" in error.message
    assert error.where == "faulty/templates/_helpers.tpl:2:10"


def test_invalid_rendered_yaml_names_component_template_and_line() -> None:
    with pytest.raises(ManifestError) as caught:
        render(chart("faulty"), {"badYaml": True}, "r", "ns", component="broken-one")
    assert "component broken-one" in caught.value.message
    assert caught.value.where == "faulty/templates/broken.yaml:8:2 (rendered output)"


def test_schema_violation_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="/replicas") as caught:
        render(chart("webapp"), {"replicas": "three"}, "r", "ns", component="web", values_files=["web.yaml"])
    assert "web.yaml" in (caught.value.fix or "")


def test_bad_release_name_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="release name"):
        render(chart("webapp"), None, "Not_Valid", "ns")


def test_values_must_be_plain_data() -> None:
    with pytest.raises(ConfigError, match="plain data"):
        render(chart("webapp"), {"x": object()}, "r", "ns")


def test_disabled_subchart_does_not_stay_disabled() -> None:
    """helm_python drops disabled subcharts from a shared chart handle for good; renders must not."""
    umbrella = chart("umbrella")
    for enabled in (False, True, False, True):
        rendered = render(umbrella, {"cache": {"enabled": enabled}}, "r", "ns")
        assert any(o.kind == "StatefulSet" for o in rendered.manifests) is enabled


def test_crds_come_with_their_charts() -> None:
    umbrella = chart("umbrella")
    off = render(umbrella, None, "r", "ns")
    assert [o.name for o in off.crds] == ["widgets.example.helmdeck.dev"]
    on = render(umbrella, {"cache": {"enabled": True}}, "r", "ns")
    assert [o.source for o in on.crds] == ["umbrella/crds/widgets.yaml", "umbrella/charts/cache/crds/snapshots.yaml"]
    assert on.objects[:2] == on.crds


def test_rendered_releases_feed_the_platform_checks() -> None:
    webapp = chart("webapp")
    viewer = render(webapp, None, "viewer", "services", component="viewer")
    api = render(webapp, None, "api", "services", component="api")
    findings = check_platform(
        {"viewer": viewer.platform_entry(), "api": api.platform_entry()},
        owned_namespaces={"services"},
    )
    # Both components route web.example.org/ : the default values collide.
    errors = [f for f in findings if f.severity == "error"]
    assert [f.check for f in errors] == ["ingress-route-conflict"]
    # The migrate hooks are checked too: their container sets no requests.
    warnings = [f for f in findings if f.severity == "warning"]
    assert {(f.check, str(f.object)) for f in warnings} == {
        ("no-resource-requests", "Job services/viewer-migrate"),
        ("no-resource-requests", "Job services/api-migrate"),
    }


def test_engine_render_defaults_to_its_namespace() -> None:
    engine = engine_for(None, "services")
    rendered = engine.render(chart("webapp"), None, "shop")
    assert rendered.namespace == "services"


def test_an_infinite_value_is_named_not_left_to_go_s_json_decoder() -> None:
    """Issue 17: ``x: .inf`` ended in "invalid character 'I' looking for beginning of value"."""
    with pytest.raises(ConfigError) as caught:
        render(chart("webapp"), {"limits": {"ratio": [1.0, float("inf")]}}, "shop", "services")
    message = caught.value.message
    assert "invalid character" not in message and "limits.ratio[1] is .inf" in message
    assert "quote it" in (caught.value.fix or "")
    with pytest.raises(ConfigError, match=r"x is \.nan \(YAML's not-a-number\)"):
        render(chart("webapp"), {"x": float("nan")}, "shop", "services")
