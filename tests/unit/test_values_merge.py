"""Helm's map rules: merge_maps for user layers, coalesce over chart defaults (checked against Helm)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import helm_python
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helmdeck.values import coalesce, merge_maps


def test_later_layer_wins_and_maps_merge_recursively() -> None:
    base = {"a": 1, "m": {"x": 1, "y": {"deep": True}}, "keep": "me"}
    over = {"a": 2, "m": {"y": {"deeper": 1}, "z": 3}}
    assert merge_maps(base, over) == {"a": 2, "m": {"x": 1, "y": {"deep": True, "deeper": 1}, "z": 3}, "keep": "me"}
    assert base == {"a": 1, "m": {"x": 1, "y": {"deep": True}}, "keep": "me"}  # inputs untouched


def test_lists_replace_rather_than_merge() -> None:
    assert merge_maps({"hosts": ["a", "b"]}, {"hosts": ["c"]}) == {"hosts": ["c"]}
    assert coalesce({"hosts": ["a", "b"]}, {"hosts": ["c"]}) == {"hosts": ["c"]}


def test_merge_maps_keeps_null_so_a_later_coalesce_can_delete() -> None:
    assert merge_maps({"a": {"b": 1}}, {"a": None}) == {"a": None}
    assert merge_maps({"a": None}, {"a": {"b": 1}}) == {"a": {"b": 1}}


def test_null_deletes_a_chart_default() -> None:
    defaults = {"resources": {"limits": {"cpu": 1}}, "a": 1, "nested": {"x": 1, "y": 2}}
    assert coalesce(defaults, {"resources": None, "nested": {"x": None}}) == {"a": 1, "nested": {"y": 2}}


def test_a_map_and_a_scalar_the_higher_layer_wins() -> None:
    assert coalesce({"a": {"b": 1}}, {"a": "flat"}) == {"a": "flat"}
    assert coalesce({"a": "flat"}, {"a": {"b": 1}}) == {"a": {"b": 1}}
    assert merge_maps({"a": {"b": 1}}, {"a": "flat"}) == {"a": "flat"}


def test_coalesce_does_not_modify_its_inputs() -> None:
    defaults = {"a": {"b": 1, "c": None}}
    values = {"a": {"b": None}}
    coalesce(defaults, values)
    assert defaults == {"a": {"b": 1, "c": None}} and values == {"a": {"b": None}}


# --- the same results as Helm itself ----------------------------------------------------------

keys = st.sampled_from(["a", "b", "c", "global"])
leaves = st.none() | st.integers(-3, 3) | st.sampled_from(["x", "", "y"]) | st.booleans()
trees = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=12,
)
maps = st.dictionaries(keys, trees, max_size=4)


@pytest.fixture(scope="module")
def chart_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("chart")
    (path / "Chart.yaml").write_text("apiVersion: v2\nname: probe\nversion: 0.1.0\n")
    yield path


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(defaults=maps, layers=st.lists(maps, min_size=1, max_size=3))
def test_coalesce_over_merged_layers_matches_helm(
    chart_dir: Path, defaults: dict[str, Any], layers: list[dict[str, Any]]
) -> None:
    (chart_dir / "values.yaml").write_text(json.dumps(defaults))  # JSON is YAML: no key surprises
    with helm_python.Chart.load(chart_dir) as chart:
        user: dict[str, Any] = {}
        for layer in layers:
            user = merge_maps(user, layer)
        assert coalesce(chart.values, user) == chart.merge_values(user)
