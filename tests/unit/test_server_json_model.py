"""The API's response models made from the domain types (server/json_model.py): what they send is the
domain's JSON byte for byte (keys, order, values), and they refuse a shape they cannot send as it is."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from pydantic import BaseModel

from helmdeck.serialize import JsonObject, json_field, json_keys, to_json_data
from helmdeck.server import models, models_deploy
from helmdeck.server.json_model import response_model
from tests.unit.json_golden_cases import CASES

# model -> golden cases of the domain class it is made from
MADE: list[tuple[type[BaseModel], str]] = [
    (models.Timeline, "Timeline"),
    (models.ObjectEvent, "EventSummary"),
    (models.ObjectEvent, "EventSummary/bare"),
    (models.CatalogProblem, "CatalogProblem"),
    (models.CatalogProblem, "CatalogProblem/fix"),
    (models_deploy.DestructiveChange, "DestructiveChange"),
    (models_deploy.PlannedComponent, "ComponentPlan"),
    (models_deploy.PlannedComponent, "ComponentPlan/new"),
]


@pytest.mark.parametrize(("model", "case"), MADE, ids=[f"{m.__name__}-{c}" for m, c in MADE])
def test_the_model_sends_the_domain_json_as_it_is(model: type[BaseModel], case: str) -> None:
    data = to_json_data(CASES[case]())
    # as FastAPI sends a response: validated, then dumped by alias in the model's field order
    sent = model.model_validate(data).model_dump(mode="json", by_alias=True)
    # the same keys in the same order, the same values (a float field sends a whole number as 0.0,
    # as the hand-written models did)
    assert sent == data and _keys(sent) == _keys(data)


def test_the_keys_the_service_adds_come_after_the_domain_ones() -> None:
    # the overview's status: the domain's component status, then its needs, links and drift
    component = {**to_json_data(CASES["ComponentStatus"]()), "needs": ["db"], "links": [], "drift": None}
    platform = {**to_json_data(CASES["PlatformStatus"]()), "observedAt": "2026-03-04T05:06:07Z"}
    platform["components"] = [component]
    sent = models.PlatformStatus.model_validate(platform).model_dump(mode="json", by_alias=True)
    assert sent == platform and _keys(sent) == _keys(platform)


def _keys(data: Any) -> Any:
    if isinstance(data, dict):
        return [(k, _keys(v)) for k, v in data.items()]
    if isinstance(data, list):
        return [_keys(v) for v in data]
    return None


@dataclass
class _Row(JsonObject):
    name: str
    size_bytes: int = 0
    tags: tuple[str, ...] = ()


def test_a_field_of_the_domain_type_is_in_the_model() -> None:
    model = response_model(_Row, docs={"size_bytes": "How large."})
    schema = model.model_json_schema(by_alias=True)
    assert list(schema["properties"]) == ["name", "sizeBytes", "tags"]
    assert schema["properties"]["sizeBytes"]["description"] == "How large."
    assert schema["properties"]["tags"]["type"] == "array"
    assert schema["required"] == ["name"]


@dataclass
class _Sparse(JsonObject):
    name: str
    note: str = field(default="", metadata=json_field(omit_if_empty=True))


def test_a_key_the_json_may_leave_out_is_refused() -> None:
    # the model would send it as null where the domain leaves it out: written by hand instead
    with pytest.raises(TypeError, match="'note'"):
        response_model(_Sparse)


@dataclass
class _Mapping(JsonObject):
    on: tuple[tuple[str, Any], ...]
    __json_value__ = "by_name"

    @property
    def by_name(self) -> dict[str, Any]:
        return dict(self.on)


def test_json_value_stands_for_the_object() -> None:
    assert to_json_data(_Mapping((("a", (1, 2)), ("b", None)))) == {"a": [1, 2], "b": None}
    with pytest.raises(TypeError, match="__json_value__"):
        json_keys(_Mapping)
