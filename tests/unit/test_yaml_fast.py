"""The libyaml shortcut reads what ruamel.yaml reads, or leaves the document to ruamel.yaml.

Every YAML file of the repository and a set of scalars that YAML 1.1 and 1.2 read apart are read
both ways and compared; documents only ruamel.yaml is trusted with are left to it; positions come
when asked, the same as ruamel.yaml's.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

import helmdeck.spec.yaml_document as yaml_document
from helmdeck.errors import ConfigError
from helmdeck.spec.yaml_document import MAX_NODES, _ruamel_document, parse_yaml
from helmdeck.spec.yaml_fast import fast_data

ROOT = Path(__file__).resolve().parents[2]

SCALARS = [
    "1", "-1", "+1", "0", "-0", "017", "0o17", "0x1F", "0b101", "1_000", "1.5", "-1.5e3", "1e3", "1.",
    ".5", "+.5", ".inf", "-.Inf", "+.INF", ".nan", ".NaN", "true", "True", "TRUE", "false", "yes", "no",
    "on", "off", "y", "n", "~", "null", "Null", "NULL", "", "tRue", "1:30", "1_0.5", "0777", "12e",
    "0x", "-", "- a", "a b", "'1'", '"true"', "!!str 1", "'it''s'", '"\\u00e9\\n"', "2001-12-14",
    "<<", "=", "!!int '3'", "! 12", "&a 1", "[1, {a: b}]", "{a: 1, b: [x]}", "|\n  x\n  y", ">-\n  x\n  y",
]  # fmt: skip


def _files() -> list[Path]:
    found = [*ROOT.glob("examples/**/*.yaml"), *ROOT.glob("tests/**/*.yaml"), *ROOT.glob("examples/**/*.yml")]
    return sorted(p for p in found if "templates" not in p.parts)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _ruamel(text: str) -> Any:
    try:
        return _ruamel_document(text, "t.yaml").data
    except ConfigError:
        return ConfigError


@pytest.mark.parametrize("scalar", SCALARS)
def test_a_scalar_reads_as_ruamel_yaml_reads_it_or_is_left_to_it(scalar: str) -> None:
    for text in (f"key: {scalar}\n", f"- {scalar}\n", f"{scalar}\n"):
        done, data = fast_data(text, MAX_NODES)
        if done:
            assert _same(data, _ruamel(text)), (text, data, _ruamel(text))


def test_every_yaml_file_of_the_repository_reads_the_same_and_most_take_the_shortcut() -> None:
    files = _files()
    assert len(files) > 50
    shortcut = 0
    for path in files:
        text = path.read_text(encoding="utf-8")
        done, data = fast_data(text, MAX_NODES)
        if done:
            shortcut += 1
            assert _same(data, _ruamel(text)), path
    assert shortcut > len(files) * 0.8


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\na: 2\n",  # ruamel.yaml refuses a duplicate key
        "a: !secret x\n",  # an explicit tag
        "base: &b {x: 1}\nother:\n  <<: *b\n",  # a merge key
        "when: 2001-12-14\n",  # a timestamp
        "%YAML 1.1\n---\na: yes\n",  # a version directive: 1.1's booleans
        "? [a, b]\n: c\n",  # a complex key
        "a: 1\n---\nb: 2\n",  # two documents
        "a: [1, 2\n",  # a syntax error: ruamel.yaml's message and position
        "a: &x [*x]\n",  # a recursive alias
    ],
)
def test_what_only_ruamel_yaml_is_trusted_with_is_left_to_it(text: str) -> None:
    assert fast_data(text, MAX_NODES) == (False, None)


def test_many_aliases_are_left_to_ruamel_yaml_which_refuses_them() -> None:
    laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(6)
    )
    assert fast_data(laughs, MAX_NODES) == (False, None)
    with pytest.raises(ConfigError, match="nodes"):
        parse_yaml(laughs, "laughs.yaml")


def test_a_plain_document_is_read_without_ruamel_yaml_and_its_positions_come_when_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = (ROOT / "tests" / "unit" / "fixtures" / "dashboards" / "platform.yaml").read_text()
    reads: list[str] = []
    real = yaml_document._ruamel_document

    def counting(text: str, source: str) -> Any:
        reads.append(source)
        return real(text, source)

    monkeypatch.setattr(yaml_document, "_ruamel_document", counting)
    doc = parse_yaml(text, "platform.yaml")
    assert reads == []  # the data came from libyaml
    assert _same(doc.data, real(text, "platform.yaml").data)
    assert doc.positions == real(text, "platform.yaml").positions  # read once, when asked
    assert doc.where(("spec", "components", 1, "name")) == real(text, "platform.yaml").where(
        ("spec", "components", 1, "name")
    )
    assert reads == ["platform.yaml"]
