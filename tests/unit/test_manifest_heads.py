"""A reader of identities (``status``, the inventory) parses each object only as far as its head
(apiVersion, kind, metadata) when the text tells where the head ends, and the whole document
otherwise; either way the head is the one the whole parse gives."""

from __future__ import annotations

from typing import Any

import pytest

from helmdeck.core.inventory_parts import release_parts
from helmdeck.manifests import ManifestError, parse_manifest_stream
from helmdeck.manifests import parse as parse_module

DEPLOYMENT = """\
---
# Source: chart/templates/deploy.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  labels: {app: api, "n": 3}
  annotations:
    helm.sh/resource-policy: keep
spec:
  replicas: 2
  template:
    spec:
      containers: [{name: c, image: "x:1"}]
"""

HEADS = [
    DEPLOYMENT,
    # keys in another order, a namespace, comments between the keys, a comment on the separator line
    "--- # c\nkind: Service\n# x\nmetadata:\n  namespace: n\n  name: s # y\napiVersion: v1\nspec: {}\n",
    # the head last: nothing follows it
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  generateName: g\n",
    # a block scalar and a multi-line quoted annotation inside the head
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  annotations:\n    a: |\n      x\n"
    '    b: "p\n      q"\ndata: {}\n',
    # an anchor in the head, its alias after it
    "apiVersion: v1\nkind: ConfigMap\nmetadata: &m {name: c}\ndata: *m\n",
]

WHOLE = [
    # what a head cannot be told from: the whole document is parsed
    "apiVersion: v1\nkind: ConfigMap\nspec: {}\nmetadata: {name: c}\n",  # a key before the head ends
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {}\nmetadata: {name: b}\n",  # repeated: b wins
    '"apiVersion": v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {}\n',  # a quoted key
    "--- {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}\n",  # on the separator line
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "c\ndata: x"\n',  # a key line inside a quote
    "apiVersion: v1\nkind: List\nmetadata: {name: l}\nitems: [{apiVersion: v1, kind: Pod, metadata: {name: a}}]\n",
    "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: s}\nspec: {replicas: 1}\n",  # a kind read whole
]

READ_WHOLE = frozenset({"StatefulSet"})


def heads(text: str) -> list[tuple[Any, ...]]:
    return [
        ({k: o.body[k] for k in ("apiVersion", "kind", "metadata")}, o.source, o.index, o.line, o.text)
        for o in parse_manifest_stream(text, component="c", whole_kinds=READ_WHOLE)
    ]


def whole(text: str) -> list[tuple[Any, ...]]:
    return [
        ({k: o.body[k] for k in ("apiVersion", "kind", "metadata")}, o.source, o.index, o.line, o.text)
        for o in parse_manifest_stream(text, component="c")
    ]


@pytest.mark.parametrize("text", HEADS)
def test_a_head_is_read_alone_as_the_whole_parse_reads_it(text: str) -> None:
    objects = parse_manifest_stream(text, component="c", whole_kinds=READ_WHOLE)
    assert [set(o.body) for o in objects] == [{"apiVersion", "kind", "metadata"}]
    assert heads(text) == whole(text)


@pytest.mark.parametrize("text", WHOLE)
def test_what_a_head_cannot_be_told_from_is_parsed_whole(text: str) -> None:
    objects = parse_manifest_stream(text, component="c", whole_kinds=READ_WHOLE)
    assert [o.body for o in objects] == [o.body for o in parse_manifest_stream(text, component="c")]


def test_a_stream_of_both_keeps_sources_indexes_and_lines() -> None:
    text = DEPLOYMENT + "---\n# Source: chart/templates/deploy.yaml\n" + WHOLE[-1] + HEADS[1]
    assert heads(text) == whole(text)


@pytest.mark.parametrize(
    "text",
    [
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {labels: {a: b}}\ndata: {}\n",  # no name
        "apiVersion: 1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {}\n",  # not a string
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [c\ndata: {}\n",  # invalid YAML in the head
    ],
)
def test_a_bad_head_fails_as_the_whole_parse_does(text: str) -> None:
    with pytest.raises(ManifestError) as whole_error:
        parse_manifest_stream(text, component="c")
    with pytest.raises(ManifestError) as head_error:
        parse_manifest_stream(text, component="c", whole_kinds=READ_WHOLE)
    assert str(head_error.value) == str(whole_error.value)


def test_release_parts_build_no_spec_of_a_kind_they_do_not_read(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[Any] = []
    plain = parse_module._ManifestLoader._plain

    def counting(self: Any, node: Any, done: dict[int, Any]) -> Any:
        built.append(node)
        return plain(self, node, done)

    monkeypatch.setattr(parse_module._ManifestLoader, "_plain", counting)
    parts = release_parts(None, DEPLOYMENT, "ns", "c", release="r")
    assert [(o.ref.kind, o.ref.name, o.keep) for o in parts.objects] == [("Deployment", "api", True)]
    values = {n.value for n in built if isinstance(n.value, str)}
    assert "api" in values and "x:1" not in values and "containers" not in values
