"""Fuzzing the platform loader: any input gives a Platform or a ConfigError, never a traceback."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helmdeck.errors import ConfigError
from helmdeck.spec import Platform, PlatformFileError, parse_platform

DASHBOARDS = Path(__file__).parent / "fixtures" / "dashboards" / "platform.yaml"
BASE = yaml.safe_load(DASHBOARDS.read_text())

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check(text: str) -> Platform | None:
    """Parse; a failure must be a PlatformFileError whose every problem says where and how to fix."""
    try:
        return parse_platform(text, source="platform.yaml", path=DASHBOARDS.resolve())
    except PlatformFileError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert isinstance(problem, ConfigError)
            assert problem.message and problem.where and problem.fix
        assert str(exc)
        return None


TOKENS = [
    ":",
    ": ",
    "-",
    "- ",
    " ",
    "\n",
    "  ",
    "{",
    "}",
    "[",
    "]",
    ",",
    "&a ",
    "*a",
    "!!str ",
    "!!binary ",
    "!tag ",
    "'",
    '"',
    "apiVersion",
    "kind",
    "Platform",
    "helmdeck.dev/v1",
    "metadata",
    "name",
    "spec",
    "components",
    "chart",
    "needs",
    "values",
    "set",
    "secrets",
    "generate",
    "environments",
    "a",
    "1",
    "-1",
    "1.5",
    "null",
    "~",
    "true",
    "<<",
    "? ",
    "|",
    ">",
    "#",
    "\t",
    "%YAML 1.2\n",
    "---\n",
    "...\n",
    "\\",
    "\x00",
    "\x07",
    "é",
    "2024-01-01",
    "0x1F",
    ".inf",
    "!!timestamp ",
    "!!int ",
    "!!float ",
    "!!map ",
    "!!seq ",
]

yamlish = st.lists(st.sampled_from(TOKENS), max_size=60).map("".join)

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
structures = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=25,
)


@FUZZ
@given(st.text(max_size=300))
def test_arbitrary_text(text: str) -> None:
    check(text)


@FUZZ
@given(yamlish)
def test_yaml_like_text(text: str) -> None:
    check(text)


@FUZZ
@given(structures)
def test_arbitrary_structures(data: Any) -> None:
    check(yaml.safe_dump(data))


@FUZZ
@given(structures)
def test_arbitrary_structures_under_the_right_header(spec: Any) -> None:
    check(
        yaml.safe_dump({"apiVersion": "helmdeck.dev/v1", "kind": "Platform", "metadata": {"name": "x"}, "spec": spec})
    )


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


PATHS = _paths(BASE)[1:]


@FUZZ
@given(st.data())
def test_mutations_of_a_valid_platform(data: st.DataObject) -> None:
    doc = copy.deepcopy(BASE)
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(PATHS))
        parent: Any = doc
        try:
            for part in path[:-1]:
                parent = parent[part]
            action = data.draw(st.sampled_from(["replace", "delete", "add"]))
            if action == "replace":
                parent[path[-1]] = data.draw(structures)
            elif action == "delete":
                del parent[path[-1]]
            elif isinstance(parent, dict):
                parent[data.draw(st.text(max_size=8))] = data.draw(structures)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed this path
    check(yaml.safe_dump(doc))


names = st.from_regex(r"[a-z][a-z0-9]{0,6}", fullmatch=True)


@FUZZ
@given(st.lists(names, min_size=1, max_size=12, unique=True), st.data())
def test_valid_platforms_load_and_order_their_components(components: list[str], data: st.DataObject) -> None:
    spec_components: list[dict[str, Any]] = []
    for i, name in enumerate(components):
        needs = data.draw(st.lists(st.sampled_from(components[:i]), unique=True)) if i else []
        spec_components.append({"name": name, "chart": f"oci://registry.example.org/{name}", "needs": needs})
    doc = {
        "apiVersion": "helmdeck.dev/v1",
        "kind": "Platform",
        "metadata": {"name": "fuzz"},
        "spec": {"instance": data.draw(st.sampled_from(["", "lab2"])), "components": spec_components},
    }
    platform = check(yaml.safe_dump(doc))
    assert platform is not None
    order = {name: n for n, level in enumerate(platform.topological_order()) for name in level}
    assert sorted(order) == sorted(components)
    for c in spec_components:
        assert all(order[d] < order[c["name"]] for d in c["needs"])
        assert platform.release_name(c["name"]).endswith(c["name"])
