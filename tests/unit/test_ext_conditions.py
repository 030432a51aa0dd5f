"""Conditionally required parameters: JSON Schema's ``dependentRequired`` and ``if``/``then`` on the
``parameters`` object, as metadata (``requiredWhen``) and as errors naming the condition."""

from __future__ import annotations

from typing import Any

import pytest

from helmdeck.engine import load_chart
from helmdeck.errors import ConfigError
from helmdeck.extensions.catalog import Catalog, Extension, extension_from_chart
from helmdeck.extensions.parameter_rules import parameter_rules
from helmdeck.extensions.parameter_values import check_parameters
from helmdeck.extensions.parameters import Condition, Parameter, parameters_from_schema

from .ext_support import EXT_CHARTS

KAAPANA_CHARTS = EXT_CHARTS.parent / "kaapana"


@pytest.fixture(scope="module")
def storage() -> Extension:
    return extension_from_chart(load_chart(str(EXT_CHARTS / "tiny-storage")), "test")


def _schema(parameters: dict[str, Any], draft: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": {"parameters": {"type": "object", **parameters}}}
    if draft:
        schema["$schema"] = draft
    return schema


def _check(schema: dict[str, Any], given: dict[str, Any], defaults: dict[str, Any] | None = None) -> dict[str, Any]:
    chart_defaults = {"parameters": defaults or {}}
    params = parameters_from_schema(schema, chart_defaults)
    return check_parameters("x", params, given, rules=parameter_rules(schema, chart_defaults))


def _by_name(ext: Extension) -> dict[str, Parameter]:
    return {p.name: p for p in ext.parameters}


def test_conditions_from_if_then_in_all_of_and_dependent_required(storage: Extension) -> None:
    by = _by_name(storage)
    s3 = Condition((("storage", ("s3",)),))
    assert by["bucket"].required_when == by["endpoint"].required_when == by["accessKey"].required_when == (s3,)
    assert by["backupHour"].required_when == (Condition((("backup", (True,)),)),)
    assert by["notifyFrom"].required_when == (Condition((("notifyEmail", None),)),)
    # storage is required outright; a condition would add nothing
    assert by["storage"].required and not by["storage"].required_when
    assert not by["bucket"].required and not by["notifyEmail"].required_when


def test_metadata_shows_the_condition_in_camel_case(storage: Extension) -> None:
    params = {p["name"]: p for p in storage.as_dict()["parameters"]}
    assert params["bucket"]["requiredWhen"] == [{"storage": ["s3"]}]
    assert params["backupHour"]["requiredWhen"] == [{"backup": [True]}]
    assert params["notifyFrom"]["requiredWhen"] == [{"notifyEmail": None}]
    assert "requiredWhen" not in params["storage"] and "requiredWhen" not in params["backup"]


def test_condition_descriptions() -> None:
    both = Condition((("storage", ("s3", "minio")), ("backup", (True,))))
    assert both.describe() == "storage is s3 or minio and backup is true"
    assert Condition((("s3Bucket", None),)).describe() == "s3Bucket is given"
    assert both.holds({"storage": "minio", "backup": True}) and not both.holds({"storage": "minio", "backup": 1})
    assert not both.holds({"storage": "local", "backup": True}) and not both.holds({"backup": True})


def test_missing_while_the_condition_holds_names_parameter_condition_and_fix(storage: Extension) -> None:
    with pytest.raises(ConfigError) as caught:
        storage.check_parameters({"storage": "s3", "bucket": "scans"})
    err = caught.value
    assert err.message == (
        "extension tiny-storage: parameter endpoint: is required when storage is s3 (as is accessKey)"
    )
    assert err.where == "parameter endpoint"
    assert err.fix == "give endpoint text (e.g. https://s3.example.org), or set storage to something other than s3"
    assert err.details["requiredWhen"] == {"storage": ["s3"]} and err.details["alsoMissing"] == ["accessKey"]

    with pytest.raises(ConfigError, match=r"parameter backupHour: is required when backup is true") as caught:
        storage.check_parameters({"backup": "yes"})  # text as a form or --param sends it
    assert caught.value.fix == "give backupHour a whole number, or set backup to false"

    with pytest.raises(ConfigError, match=r"parameter notifyFrom: is required when notifyEmail is given") as caught:
        storage.check_parameters({"notifyEmail": "ops@example.org"})
    assert caught.value.fix == "give notifyFrom text, or leave notifyEmail out"


def test_not_required_while_the_condition_does_not_hold(storage: Extension) -> None:
    assert storage.check_parameters({}) == {"storage": "local", "backup": False}
    assert storage.check_parameters({"storage": "local", "backup": "false"}) == {"storage": "local", "backup": False}
    full = {"storage": "s3", "bucket": "scans", "endpoint": "https://s3.example.org", "accessKey": "k"}
    assert storage.check_parameters(full)["bucket"] == "scans"
    assert storage.check_parameters({"backup": True, "backupHour": "3"})["backupHour"] == 3


def test_a_default_makes_the_condition_hold_and_satisfies_it() -> None:
    schema = _schema(
        {
            "properties": {"mode": {"enum": ["a", "b"]}, "target": {"type": "string"}},
            "if": {"properties": {"mode": {"const": "b"}}},
            "then": {"required": ["target"]},
        }
    )
    with pytest.raises(ConfigError, match="parameter target: is required when mode is b"):
        _check(schema, {}, {"mode": "b"})
    assert _check(schema, {}, {"mode": "b", "target": "t"}) == {"mode": "b", "target": "t"}
    assert _check(schema, {}, {"mode": "a"}) == {"mode": "a"}


def test_dependent_required_follows_the_schemas_draft() -> None:
    props = {"properties": {"user": {"type": "string"}, "password": {"type": "string"}}}
    modern = _schema({**props, "dependentRequired": {"user": ["password"]}})
    (_, password) = parameters_from_schema(modern)
    assert password.required_when == (Condition((("user", None),)),)
    # Draft-07 has no dependentRequired (Helm ignores it there too) but says the same with dependencies
    old = "http://json-schema.org/draft-07/schema#"
    assert not parameters_from_schema(_schema({**props, "dependentRequired": {"user": ["password"]}}, old))[
        1
    ].required_when
    assert _check(_schema({**props, "dependentRequired": {"user": ["password"]}}, old), {"user": "u"}) == {"user": "u"}
    drafted = _schema({**props, "dependencies": {"user": ["password"]}}, old)
    assert parameters_from_schema(drafted)[1].required_when == (Condition((("user", None),)),)
    with pytest.raises(ConfigError, match="parameter password: is required when user is given"):
        _check(drafted, {"user": "u"})


def test_an_if_on_a_parameter_that_may_be_absent_must_require_it() -> None:
    """JSON Schema's if matches an absent property, so ``{"const": "b"}`` alone on an optional
    parameter without default is no "mode is b" condition: the form cannot show it, the check of the
    whole object still enforces what Helm would."""
    schema = _schema(
        {
            "properties": {"mode": {"enum": ["a", "b"]}, "target": {"type": "string"}},
            "if": {"properties": {"mode": {"const": "b"}}},
            "then": {"required": ["target"]},
        }
    )
    (_, target) = parameters_from_schema(schema)
    assert not target.required_when
    with pytest.raises(ConfigError) as caught:
        _check(schema, {})
    assert caught.value.message == (
        "extension x: parameter target: is required by the condition at parameters/then/required "
        "of the chart's values.schema.json"
    )
    assert caught.value.where == "parameter target"
    assert _check(schema, {"mode": "a"}) == {"mode": "a"}


def test_richer_conditions_are_enforced_without_metadata() -> None:
    schema = _schema(
        {
            "properties": {"url": {"type": "string"}, "token": {"type": "string"}, "user": {"type": "string"}},
            "required": ["url"],
            # a pattern in if, and an else: beyond what a form can follow
            "if": {"properties": {"url": {"pattern": "^https://"}}},
            "then": {"required": ["token"]},
            "else": {"required": ["user"]},
        }
    )
    assert all(not p.required_when for p in parameters_from_schema(schema))
    with pytest.raises(ConfigError, match="parameter token: is required by the condition at parameters/then/required"):
        _check(schema, {"url": "https://x"})
    with pytest.raises(ConfigError, match="parameter user: is required by the condition at parameters/else/required"):
        _check(schema, {"url": "http://x"})
    # a condition on values rather than presence: the schema's own words, the parameter named
    one_of = _schema(
        {"properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}, "not": {"required": ["a", "b"]}}
    )
    with pytest.raises(ConfigError) as caught:
        _check(one_of, {"a": 1, "b": 2})
    assert caught.value.where == "parameters" and "parameters/not" in (caught.value.fix or "")
    assert _check(schema, {"url": "http://x", "user": "u"})["user"] == "u"


def test_the_whole_object_check_sees_chart_defaults_of_parameters_no_form_asks_for() -> None:
    schema = _schema(
        {
            "properties": {"mode": {"enum": ["a", "b"]}, "extra": {"type": "object"}},
            "if": {"properties": {"mode": {"const": "b"}}, "required": ["mode"]},
            "then": {"required": ["extra"]},
        }
    )
    # extra is an object: no form field, but its chart default satisfies the condition
    assert _check(schema, {"mode": "b"}, {"extra": {"k": 1}}) == {"mode": "b"}
    with pytest.raises(ConfigError, match="parameter extra: is required by the condition at parameters/then"):
        _check(schema, {"mode": "b"})


def test_kaapana_extension_params_have_no_conditions() -> None:
    catalog = Catalog([str(KAAPANA_CHARTS)]).load()
    kaapana = [e for e in catalog.latest() if e.parameter_style == "kaapana"]
    assert kaapana and all(not p.required_when for e in kaapana for p in e.parameters)
    assert all(e.parameter_rules is None for e in kaapana)


def test_a_dependency_on_a_parameter_no_form_asks_for_is_still_enforced() -> None:
    schema = _schema(
        {
            "properties": {"extra": {"type": "object"}, "target": {"type": "string"}},
            "dependentRequired": {"extra": ["target"]},
        }
    )
    (target,) = parameters_from_schema(schema)  # extra, an object, has no field
    assert not target.required_when
    with pytest.raises(
        ConfigError, match="parameter target: is required by the condition at parameters/dependentRequired"
    ):
        _check(schema, {}, {"extra": {"k": 1}})
    assert _check(schema, {}) == {}
