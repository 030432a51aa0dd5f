"""The exported JSON Schema describes the platform file as the loader reads it."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import yaml

from helmdeck.spec import json_schema

ROOT = Path(__file__).resolve().parents[2]
PLATFORMS = [
    ROOT / "tests" / "unit" / "fixtures" / "dashboards" / "platform.yaml",
    *sorted((ROOT / "examples").glob("*/platform.yaml")),
]


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(schema["required"]) == {"apiVersion", "kind", "metadata", "spec"}
    assert schema["additionalProperties"] is False
    component = schema["$defs"]["Component"]["properties"]
    assert {"name", "chart", "namespace", "needs", "values", "set", "environments", "health", "gpu"} <= set(component)
    assert "fastDataDir" in schema["$defs"]["Storage"]["properties"]


@pytest.mark.parametrize("path", PLATFORMS, ids=lambda p: p.parent.name)
def test_reference_platforms_validate_against_the_schema(path: Path) -> None:
    jsonschema.validate(yaml.safe_load(path.read_text()), json_schema())


def test_schema_rejects_unknown_keys() -> None:
    data = yaml.safe_load(PLATFORMS[0].read_text())
    data["spec"]["components"][0]["neds"] = []
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, json_schema())
