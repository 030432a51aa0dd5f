"""Manifests build their objects without PyYAML's per-node construction (the cost of ``status`` at
scale), to the same values and errors PyYAML's own construction gives."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from helmdeck.manifests import ManifestError, parse_documents, parse_manifest_stream
from helmdeck.manifests import parse as parse_module

PLAIN = """\
# Source: chart/templates/deploy.yaml
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, labels: {app: api, "n": 3}}
spec:
  replicas: 2
  paused: false
  template:
    spec:
      containers:
        - name: c
          args: ["--a", 1, 2.5, 1e+06, null, ~, yes, "2024-01-01", 2024-01-01, 0x1F, 0o17, .inf]
          env: []
"""

ODD = [
    # anchors and aliases, merge keys, explicit tags, binary, sets, ordered maps, keys not strings
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nbase: &b {x: 1, y: [1, 2]}\ndata:\n  <<: *b\n  z: *b\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: !!map {a: !!str 1, b: !!int '2', c: !!binary aGk=}\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ns: !!set {a, b}\no: !!omap [{a: 1}, {b: 2}]\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n1: one\ntrue: yes\n~: none\n2.5: f\n= : v\n",
    "apiVersion: v1\nkind: List\nitems:\n  - &o {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n  - *o\n",
]


class _Reference(parse_module._ManifestLoader):
    """The same resolvers with PyYAML's own resolution and construction."""

    construct_document = yaml.constructor.BaseConstructor.construct_document
    resolve = yaml.resolver.BaseResolver.resolve


def reference(text: str) -> list[Any]:
    return [doc for doc in yaml.load_all(text, Loader=_Reference) if doc is not None]


@pytest.mark.parametrize("text", [PLAIN, *ODD])
def test_objects_are_the_ones_pyyaml_builds(text: str) -> None:
    bodies = [obj.body for obj in parse_manifest_stream(text)]
    expected = reference(text)
    if expected[0].get("kind") == "List":
        expected = expected[0]["items"]
    assert bodies == expected
    assert repr(bodies) == repr(expected)  # the same types (1 is not True, 2.5 not "2.5")


def test_plain_manifests_skip_pyyaml_per_node_construction(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[yaml.Node] = []
    original = yaml.constructor.BaseConstructor.construct_object

    def counting(self: Any, node: yaml.Node, deep: bool = False) -> Any:
        calls.append(node)
        return original(self, node, deep)

    monkeypatch.setattr(yaml.constructor.BaseConstructor, "construct_object", counting)
    (obj,) = parse_manifest_stream(PLAIN)
    assert obj.body["spec"]["replicas"] == 2 and calls == []


def test_an_alias_is_the_same_value_as_its_anchor() -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nbase: &b {x: [1]}\ndata: {z: *b}\n"
    (obj,) = parse_documents(text, source="t.yaml")
    assert obj.body["data"]["z"] is obj.body["base"] and obj.body == reference(text)[0]


@pytest.mark.parametrize(
    "text", ["apiVersion: v1\nkind: A\nmetadata: {name: a}\n? [1, 2]\n: x\n", "apiVersion: v1\nkind: !!nope A\n"]
)
def test_errors_stay_pyyaml_errors_named_by_template(text: str) -> None:
    with pytest.raises(ManifestError, match=r"t\.yaml renders invalid YAML"):
        parse_documents(text, source="t.yaml")
