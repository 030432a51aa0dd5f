"""The component graph: levels, dependents, cycles."""

from __future__ import annotations

from pathlib import Path

import pytest

from helmdeck.spec import load_platform
from helmdeck.spec.graph import dependents, find_cycle, levels

DASHBOARDS = Path(__file__).parent / "fixtures" / "dashboards" / "platform.yaml"


def test_levels_keep_declaration_order_within_a_level() -> None:
    needs = {"web": ["api"], "db": [], "api": ["db", "cache"], "cache": [], "docs": []}
    assert levels(needs) == [["db", "cache", "docs"], ["api"], ["web"]]


def test_levels_of_the_reference_platform() -> None:
    platform = load_platform(DASHBOARDS)
    assert platform.topological_order() == [["mongo", "minio"], ["backend"]]


def test_every_component_comes_after_what_it_needs() -> None:
    needs = {f"c{i}": [f"c{j}" for j in range(i) if (i * 7 + j) % 3 == 0] for i in range(40)}
    order = {name: n for n, level in enumerate(levels(needs)) for name in level}
    assert set(order) == set(needs)
    for name, deps in needs.items():
        assert all(order[d] < order[name] for d in deps)


def test_dependents_are_transitive_and_ordered() -> None:
    needs = {"db": [], "api": ["db"], "worker": ["api"], "web": ["api"], "docs": []}
    assert dependents(needs, "db") == ["api", "worker", "web"]
    assert dependents(needs, "web") == []
    platform = load_platform(DASHBOARDS)
    assert platform.dependents("mongo") == ["backend"]


def test_find_cycle() -> None:
    assert find_cycle({"a": ["b"], "b": []}) is None
    assert find_cycle({"a": ["a"]}) == ["a", "a"]
    assert find_cycle({"a": ["b"], "b": ["c"], "c": ["b"]}) == ["b", "c", "b"]
    assert find_cycle({"a": ["zzz"]}) is None  # unknown names are the loader's other check


def test_levels_reject_a_cycle() -> None:
    with pytest.raises(ValueError, match="a -> b -> a"):
        levels({"a": ["b"], "b": ["a"]})


def test_a_long_chain_does_not_hit_the_recursion_limit() -> None:
    needs = {f"c{i}": [f"c{i - 1}"] if i else [] for i in range(5000)}
    assert find_cycle(needs) is None
    needs["c0"] = ["c4999"]
    cycle = find_cycle(needs)
    assert cycle is not None and len(cycle) == 5001


def test_looking_up_every_component_by_name_reads_the_list_once() -> None:
    """namespace_of and release_name look a component up per component: a scan each time made
    status of a platform of 1000 components quadratic."""
    from helmdeck.spec import parse_platform

    names = [f"c{i}" for i in range(50)]
    body = "".join(f"  - {{name: {n}, chart: oci://example.org/c, namespace: ns}}\n" for n in names)
    platform = parse_platform(
        "apiVersion: helmdeck.dev/v1\nkind: Platform\nmetadata: {name: demo}\nspec:\n  components:\n" + body
    )
    reads = 0

    class Counting(list):  # type: ignore[type-arg]
        def __iter__(self):  # type: ignore[no-untyped-def]
            nonlocal reads
            reads += 1
            return super().__iter__()

    platform.spec.components = Counting(platform.spec.components)
    assert [platform.namespace_of(n) for n in names] == ["ns"] * 50
    assert [platform.component(n).name for n in names] == names
    assert all(platform.has_component(n) for n in names)
    assert reads <= 2, reads
