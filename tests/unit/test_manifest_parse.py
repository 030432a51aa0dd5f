from __future__ import annotations

import pytest

from helmdeck.errors import ConfigError
from helmdeck.manifests import (
    ManifestError,
    in_install_order,
    manifest_text,
    parse_documents,
    parse_manifest_stream,
)

TWO_OBJECTS = """\
---
# a leading comment
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  since: 2024-01-01
  enabled: "true"
---
# only a comment: no object
---

---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: services
"""


def test_parses_documents_and_drops_empty_ones() -> None:
    objects = parse_documents(TWO_OBJECTS, source="app/templates/all.yaml", component="backend")
    assert [(o.kind, o.name, o.namespace) for o in objects] == [
        ("ConfigMap", "settings", None),
        ("Deployment", "api", "services"),
    ]
    assert [o.index for o in objects] == [0, 1]
    assert objects[1].group == "apps"
    assert objects[0].group == ""
    # The line of each object's first content line in the rendered template.
    assert objects[0].line == 3
    assert objects[1].line == 15
    assert objects[0].source == "app/templates/all.yaml"


def test_dates_stay_strings_as_kubernetes_reads_them() -> None:
    (settings, _) = parse_documents(TWO_OBJECTS, source="t.yaml")
    assert settings.body["data"]["since"] == "2024-01-01"


def test_object_text_is_the_rendered_document() -> None:
    (settings, api) = parse_documents(TWO_OBJECTS, source="t.yaml")
    assert settings.text.startswith("# a leading comment\napiVersion: v1")
    assert api.text.endswith("namespace: services")


def test_invalid_yaml_names_component_template_and_line() -> None:
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n"
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n labels: x\n"
    )
    with pytest.raises(ManifestError) as caught:
        parse_documents(text, source="web/templates/cm.yaml", component="web")
    error = caught.value
    assert isinstance(error, ConfigError)
    assert "component web" in error.message
    assert "web/templates/cm.yaml" in error.message
    assert error.where == "web/templates/cm.yaml:10:2 (rendered output)"
    assert error.fix


def test_error_never_quotes_the_rendered_text() -> None:
    text = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  password: hunter2: oops\n"
    with pytest.raises(ManifestError) as caught:
        parse_documents(text, source="t.yaml")
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("just a string\n", "a YAML str"),
        ("- a\n- b\n", "a YAML list"),
        ("kind: ConfigMap\nmetadata: {name: x}\n", "without apiVersion"),
        ("apiVersion: v1\nmetadata: {name: x}\n", "without kind"),
        ("apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n", "ConfigMap without metadata.name"),
    ],
)
def test_documents_that_are_not_objects_are_rejected(text: str, problem: str) -> None:
    with pytest.raises(ManifestError, match=problem):
        parse_documents(text, source="t.yaml", component="c")


def test_generate_name_counts_as_a_name() -> None:
    (job,) = parse_documents("apiVersion: batch/v1\nkind: Job\nmetadata:\n  generateName: migrate-\n", source="t.yaml")
    assert job.name == "migrate-"


def test_a_v1_list_yields_its_items() -> None:
    text = (
        "apiVersion: v1\nkind: List\nitems:\n"
        "  - {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n"
        "  - {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\n"
    )
    assert [o.name for o in parse_documents(text, source="t.yaml")] == ["a", "b"]


def test_hook_annotations() -> None:
    (job,) = parse_documents(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: m\n  annotations:\n"
        "    helm.sh/hook: pre-install, pre-upgrade\n    helm.sh/hook-weight: '-5'\n"
        "    helm.sh/hook-delete-policy: before-hook-creation\n",
        source="t.yaml",
    )
    assert job.is_hook
    assert job.hook_events == ("pre-install", "pre-upgrade")
    assert job.hook_weight == -5
    assert job.hook_delete_policies == ("before-hook-creation",)


def test_release_manifest_stream_keeps_sources() -> None:
    stream = (
        "---\n# Source: web/templates/a.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"
        "---\n# Source: web/templates/a.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: y}\n"
        "---\n# Source: web/templates/b.yaml\napiVersion: v1\nkind: Service\nmetadata: {name: z}\n"
    )
    objects = parse_manifest_stream(stream, component="web")
    assert [(o.source, o.index, o.name) for o in objects] == [
        ("web/templates/a.yaml", 0, "x"),
        ("web/templates/a.yaml", 1, "y"),
        ("web/templates/b.yaml", 0, "z"),
    ]
    assert objects[0].text == "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}"
    # Writing the objects back gives the same stream.
    assert manifest_text(objects) == stream


def test_install_order_puts_kinds_in_helm_order() -> None:
    text = "\n---\n".join(
        f"apiVersion: v1\nkind: {kind}\nmetadata: {{name: {name}}}"
        for kind, name in [
            ("Deployment", "d"),
            ("Widget", "w"),
            ("ConfigMap", "c1"),
            ("Gadget", "g"),
            ("Namespace", "n"),
            ("ConfigMap", "c2"),
        ]
    )
    ordered = in_install_order(parse_documents(text, source="t.yaml"))
    assert [o.name for o in ordered] == ["n", "c1", "c2", "d", "g", "w"]


def test_numbers_read_as_go_reads_them() -> None:
    """Go templates print a large number as ``1e+06``; Helm and the API server read it as a number,
    YAML 1.1 (a float needs a dot) as a string, which the API server's dry run then refused."""
    text = "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: high}\n"
    text += "value: 1e+06\ndescription: 1e+06x\nratio: 2.5e3\nplain: e5\n"
    (obj,) = parse_manifest_stream(text, component="c")
    assert obj.body["value"] == 1_000_000 and isinstance(obj.body["value"], float)
    assert obj.body["ratio"] == 2500
    assert obj.body["description"] == "1e+06x" and obj.body["plain"] == "e5"
