"""The one serializer returns plain data as it is, without the checks result objects need."""

from __future__ import annotations

import pytest


def test_plain_data_takes_the_fast_path_and_subclasses_the_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plain dicts, lists and scalars are returned without the checks for result objects (a status
    of 1000 components is mostly plain data: those checks were most of its serialization)."""
    import dataclasses
    import enum

    from helmdeck import serialize

    asked: list[object] = []
    real = dataclasses.is_dataclass

    def spy(value: object) -> bool:
        asked.append(value)
        return real(value)

    monkeypatch.setattr(serialize.dataclasses, "is_dataclass", spy)
    data = {"a": [1, "x", None, 2.5, True, {"b": []}], 3: "three"}
    assert serialize.to_json_data(data) == {"a": [1, "x", None, 2.5, True, {"b": []}], "3": "three"}
    assert asked == []

    class Colour(enum.StrEnum):
        red = "r"

    class Level(enum.IntEnum):
        high = 3

    assert serialize.to_json_data({"c": Colour.red, "l": [Level.high]}) == {"c": "r", "l": [3]}
    assert type(serialize.to_json_data(Colour.red)) is str and type(serialize.to_json_data(Level.high)) is int
