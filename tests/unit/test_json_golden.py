"""The JSON of every result class, byte for byte as recorded in ``golden/json_shapes.json``: moving a
class from a hand-written ``as_dict`` to the serializer's declarations must not change what programs
read (keys, their order, rounding, omitted keys). ``HELMDECK_UPDATE_GOLDEN=1`` rewrites the file, for a
change of shape made on purpose (review its diff)."""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from helmdeck.serialize import to_json_data
from tests.unit.json_golden_cases import CASES

GOLDEN = Path(__file__).parent / "golden" / "json_shapes.json"
SRC = Path(__file__).parents[2] / "src" / "helmdeck"


def _text(data: Any) -> str:
    # as ``-o json`` prints it (cli/output.py): key order kept, nothing sorted
    return json.dumps(data, indent=2, sort_keys=False, default=str)


def _golden() -> dict[str, Any]:
    if os.environ.get("HELMDECK_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        data = {name: to_json_data(make()) for name, make in CASES.items()}
        GOLDEN.write_text(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
    loaded: dict[str, Any] = json.loads(GOLDEN.read_text())
    return loaded


GOLDEN_DATA = _golden()


def test_every_case_has_a_golden_and_every_golden_a_case() -> None:
    assert sorted(GOLDEN_DATA) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_json_is_the_golden(name: str) -> None:
    value = CASES[name]()
    assert _text(to_json_data(value)) == _text(GOLDEN_DATA[name])
    # the web service hands ``as_dict()`` to FastAPI: the same data, and plain (YAML's safe dumper
    # refuses str subclasses such as a StrEnum's members)
    if callable(getattr(value, "as_dict", None)):
        assert _text(value.as_dict()) == _text(GOLDEN_DATA[name])
        yaml.safe_dump(value.as_dict())


# Classes that keep a hand-written ``as_dict``: the shape is not a dataclass's fields (a flattened
# optional object, keys spread from a mapping, a computed tree), or the class belongs to work that
# changes it now. Each entry says why; a new class declares its shape (serialize.json_field) instead.
# By class name, not path: files move (doctor/ is being split) while the class stays.
HAND_WRITTEN: dict[str, str] = {}


def _hand_written_in(source: str, name: str = "<source>") -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(source, name)):
        if not isinstance(node, ast.ClassDef):
            continue
        for item in node.body:
            if isinstance(item, ast.FunctionDef) and item.name in ("as_dict", "to_dict"):
                found.add(node.name)
    # the one shared definition, which hands the declarations to the serializer
    found.discard("JsonObject")
    return found


def _hand_written() -> set[str]:
    return set().union(*(_hand_written_in(p.read_text(), str(p)) for p in sorted(SRC.rglob("*.py"))))


def test_no_new_hand_written_as_dict() -> None:
    new = sorted(_hand_written() - set(HAND_WRITTEN))
    assert not new, (
        f"{new}: declare the JSON shape instead (fields with serialize.json_field, __json_computed__, "
        "__json_order__, and the JsonObject mixin for callers of as_dict), or add the class to "
        "HAND_WRITTEN here with the reason the declarations cannot say it"
    )


def test_the_hand_written_list_is_not_stale() -> None:
    gone = sorted(set(HAND_WRITTEN) - _hand_written())
    assert not gone, f"{gone} no longer write their as_dict by hand: remove them from HAND_WRITTEN"


def test_the_guard_finds_a_hand_written_as_dict() -> None:
    source = (
        "class Written:\n    def as_dict(self):\n        return {}\n"
        "class Declared(JsonObject):\n    __json_value__ = 'view'\n"
    )
    assert _hand_written_in(source) == {"Written"}
    assert "Finding" not in _hand_written()
