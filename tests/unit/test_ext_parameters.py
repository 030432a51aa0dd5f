from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from helmdeck.engine import load_chart
from helmdeck.errors import ConfigError
from helmdeck.extensions.parameter_input import parse_param_args
from helmdeck.extensions.parameter_values import check_parameters, secret_values
from helmdeck.extensions.parameters import Parameter, parameters_from_schema

from .ext_support import EXT_CHARTS


@pytest.fixture(scope="module")
def params() -> tuple[Parameter, ...]:
    chart = load_chart(str(EXT_CHARTS / "tiny-app"))
    return parameters_from_schema(chart.values_schema, chart.default_values)


def test_types_defaults_and_flags(params: tuple[Parameter, ...]) -> None:
    by = {p.name: p for p in params}
    assert [p.name for p in params] == ["size", "tokenless", "token", "replicas", "profile", "modalities", "note"]
    assert by["size"].type == "string" and by["size"].default == "1Gi" and by["size"].required
    assert by["tokenless"].type == "boolean" and by["tokenless"].default is True
    assert by["token"].secret and by["token"].as_dict()["default"] is None
    assert by["replicas"].type == "integer" and by["replicas"].as_dict()["maximum"] == 3
    assert by["profile"].type == "choice" and by["profile"].choices == ("minimal", "scipy", "pytorch")
    assert by["modalities"].type == "multichoice" and by["modalities"].default == ["CT"]
    assert by["note"].type == "string" and not by["note"].has_default and not by["note"].required
    assert by["size"].title == "Storage size" and by["size"].description.startswith("Volume size")


def test_text_values_are_coerced_and_defaults_filled(params: tuple[Parameter, ...]) -> None:
    got = check_parameters(
        "tiny-app",
        params,
        {"tokenless": "false", "replicas": "2", "profile": "pytorch", "modalities": "CT, MR", "token": "s3cret-token"},
    )
    assert got == {
        "size": "1Gi",
        "tokenless": False,
        "token": "s3cret-token",
        "replicas": 2,
        "profile": "pytorch",
        "modalities": ["CT", "MR"],
    }
    assert secret_values(params, got) == {"parameter token": "s3cret-token"}


def test_typed_values_pass(params: tuple[Parameter, ...]) -> None:
    got = check_parameters("tiny-app", params, {"tokenless": True, "replicas": 3, "modalities": ["PT"]})
    assert got["tokenless"] is True and got["replicas"] == 3 and got["modalities"] == ["PT"]


def test_multichoice_accepts_json_list(params: tuple[Parameter, ...]) -> None:
    got = check_parameters("tiny-app", params, {"modalities": '["MR", "PT"]'})
    assert got["modalities"] == ["MR", "PT"]


@pytest.mark.parametrize(
    ("given", "message", "fix"),
    [
        ({"profil": "scipy"}, "has no parameter 'profil'", "did you mean 'profile'"),
        ({"tokenless": "maybe"}, "parameter tokenless: 'maybe' is not true or false", "true or false"),
        ({"replicas": "two"}, "parameter replicas: 'two' is not a whole number", "a whole number"),
        ({"replicas": "2.5"}, "parameter replicas: '2.5' is not a whole number", "a whole number"),
        ({"replicas": "7"}, "parameter replicas: 7 must be at most 3", "a whole number"),
        ({"replicas": True}, "parameter replicas: True is not a number", "a whole number"),
        ({"profile": "scipi"}, "parameter profile: 'scipi' is not a choice (did you mean 'scipy'?)", "one of minimal"),
        ({"modalities": "CT,XR"}, "parameter modalities: 'XR' is not a choice", "comma-separated list"),
        ({"modalities": "CT,CT"}, "a choice is listed twice", "comma-separated"),
        ({"modalities": ""}, "must have at least 1 choices", "comma-separated"),
        ({"size": "lots"}, "parameter size: 'lots' does not match the pattern", "Volume size"),
        ({"size": 12}, "does not match the pattern", "text"),
    ],
)
def test_bad_values_name_parameter_expectation_and_fix(
    params: tuple[Parameter, ...], given: dict[str, Any], message: str, fix: str
) -> None:
    with pytest.raises(ConfigError) as err:
        check_parameters("tiny-app", params, given)
    assert message in err.value.message
    assert err.value.fix is not None and fix in err.value.fix


def test_required_without_default_is_reported() -> None:
    schema = {
        "properties": {
            "parameters": {
                "type": "object",
                "properties": {"task": {"type": "string", "enum": ["a", "b"]}},
                "required": ["task"],
            }
        }
    }
    params = parameters_from_schema(schema, {})
    with pytest.raises(ConfigError, match="parameter task: is required and has no default") as err:
        check_parameters("x", params, {})
    assert err.value.details["choices"] == ["a", "b"]
    assert check_parameters("x", params, {"task": "b"}) == {"task": "b"}


def test_schema_without_parameters_has_none() -> None:
    assert parameters_from_schema(None) == ()
    assert parameters_from_schema({"properties": {"replicas": {"type": "integer"}}}) == ()
    with pytest.raises(ConfigError, match="takes no parameters"):
        check_parameters("x", (), {"a": "1"})


def test_unsupported_types_are_left_out() -> None:
    schema = {
        "properties": {
            "parameters": {
                "properties": {
                    "obj": {"type": "object"},
                    "free": {"type": "array", "items": {"type": "string"}},
                    "num": {"type": "number"},
                    "nullable": {"type": ["string", "null"]},
                }
            }
        }
    }
    assert [(p.name, p.type) for p in parameters_from_schema(schema)] == [("num", "number"), ("nullable", "string")]
    (num, _) = parameters_from_schema(schema)
    assert check_parameters("x", (num,), {"num": "2.5"}) == {"num": 2.5}
    assert check_parameters("x", (num,), {"num": "3"}) == {"num": 3}


def test_parse_param_args() -> None:
    assert parse_param_args(["a=1", "b=x=y", "c="]) == {"a": "1", "b": "x=y", "c": ""}
    with pytest.raises(ConfigError, match="is not NAME=VALUE"):
        parse_param_args(["novalue"])


def test_a_parameter_file_with_a_number_too_long_for_python_names_the_line(tmp_path: Path) -> None:
    """Issue 17: "use sys.set_int_max_str_digits()" reached the user from a --param-file."""
    from helmdeck.extensions.parameter_input import load_param_file

    path = tmp_path / "p.yaml"
    path.write_text("profile: minimal\nreplicas: " + "1" * 5000 + "\n")
    with pytest.raises(ConfigError) as caught:
        load_param_file(path)
    assert "set_int_max_str_digits" not in str(caught.value) and "more than 4300 digits" in caught.value.message
    assert caught.value.where == f"{path}:2"
