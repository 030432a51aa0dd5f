"""The serializer's declarations: a dataclass says how its JSON differs from its fields (another key,
omitted when empty, rounded, internal, redacted, computed attributes, another order) instead of
writing ``as_dict`` by hand."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from helmdeck.serialize import JsonObject, computed, json_field, to_json_data

SENTINEL: Any = object()


@dataclass
class Step(JsonObject):
    name: str = field(metadata=json_field(name="component"))
    started: datetime | None = None
    took_seconds: float = field(default=0.0, metadata=json_field(round=2))
    note: str = field(default="", metadata=json_field(omit_if_empty=True))
    previous: Any = field(default=SENTINEL, metadata=json_field(omit_if=lambda v: v is SENTINEL))
    internal: dict[str, Any] = field(default_factory=dict, metadata=json_field(exclude=True))
    secret: bool = False
    default: str | None = field(default=None, metadata=json_field(redact="secret"))
    schema: dict[str, Any] = field(default_factory=dict, metadata=json_field(spread=("minimum", "pattern")))

    __json_computed__ = ("ok", computed("summary", name="text"), computed("half", round=1))

    @property
    def ok(self) -> bool:
        return not self.note

    def summary(self) -> str:
        return f"{self.name} took {self.took_seconds:.0f}s"

    @property
    def half(self) -> float:
        return self.took_seconds / 2


def test_declarations_shape_the_json() -> None:
    step = Step("api", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), 1.23456, internal={"x": 1}, default="d")
    step.schema.update({"minimum": 0, "title": "not shown"})
    assert json.dumps(to_json_data(step)) == json.dumps(
        {
            "component": "api",
            "started": "2026-01-02T03:04:05+00:00",
            "tookSeconds": 1.23,
            "secret": False,
            "default": "d",
            "minimum": 0,
            "ok": True,
            "text": "api took 1s",
            "half": 0.6,
        }
    )


def test_omitted_keys_appear_when_set_and_a_redacted_value_is_null() -> None:
    data = to_json_data(Step("api", note="slow", previous=None, secret=True, default="hunter2"))
    assert data["note"] == "slow" and data["previous"] is None and "previous" in data
    assert data["default"] is None and "hunter2" not in json.dumps(data)


def test_as_dict_of_the_mixin_is_the_serializers_json() -> None:
    step = Step("api", previous=0)
    assert step.as_dict() == to_json_data(step) and step.as_dict()["previous"] == 0


@dataclass
class Ordered(JsonObject):
    b: int
    a: int

    __json_computed__ = ("c",)
    __json_order__ = ("c", "a", "b")

    @property
    def c(self) -> int:
        return self.a + self.b


def test_the_order_declared_is_the_keys_order() -> None:
    assert json.dumps(Ordered(1, 2).as_dict()) == '{"c": 3, "a": 2, "b": 1}'


@dataclass
class BadOrder(JsonObject):
    a: int
    b: int

    __json_order__ = ("a",)


@dataclass
class BadComputed(JsonObject):
    a: int

    __json_computed__ = ("nowhere",)


def test_a_wrong_declaration_says_which_class_and_what() -> None:
    with pytest.raises(TypeError, match=r"BadOrder.__json_order__ must name every key once.*'b'"):
        to_json_data(BadOrder(1, 2))
    with pytest.raises(TypeError, match=r"BadComputed.__json_computed__ names 'nowhere'"):
        to_json_data(BadComputed(1))


@dataclass
class Special(Ordered):
    def as_dict(self) -> dict[str, Any]:
        return {"special": True}


def test_a_subclass_that_writes_its_as_dict_is_served_by_it() -> None:
    assert to_json_data(Special(1, 2)) == {"special": True}


def test_a_plain_dataclass_is_still_its_fields_in_camel_case() -> None:
    @dataclass
    class Plain:
        chart_version: str
        extra: tuple[int, ...] = ()

    assert to_json_data(Plain("1.0", (1, 2))) == {"chartVersion": "1.0", "extra": [1, 2]}


@dataclass(frozen=True)
class _Small(JsonObject):
    size: int


@dataclass
class _Holder(JsonObject):
    # shown as a smaller view than its own JSON; None stays None (the converter never sees it)
    item: Step | None = field(default=None, metadata=json_field(convert=lambda s: _Small(len(s.name))))


def test_a_converted_field_is_shown_in_the_converters_shape() -> None:
    assert _Holder(Step("api")).as_dict() == {"item": {"size": 3}}
    assert _Holder().as_dict() == {"item": None}


@dataclass
class _Flat(JsonObject):
    # a computed mapping's keys ordered one by one among the fields; the method is called once
    first: int
    last: int
    calls: list[int] = field(default_factory=list, metadata=json_field(exclude=True))

    __json_computed__ = (computed("inner", spread=("a", "b")),)
    __json_order__ = ("a", "first", "b", "last")

    def inner(self) -> dict[str, int]:
        self.calls.append(1)
        return {"a": 10, "b": 20}


def test_spread_keys_may_each_have_their_place_in_the_order() -> None:
    flat = _Flat(1, 2)
    assert json.dumps(flat.as_dict()) == json.dumps({"a": 10, "first": 1, "b": 20, "last": 2})
    assert len(flat.calls) == 1
