"""The JSON Schema of the platform file, for editors (`helmdeck schema`)."""

from __future__ import annotations

from typing import Any

from helmdeck.spec.models import PlatformModel

SCHEMA_ID = "https://helmdeck.dev/schemas/platform-v1.json"


def json_schema() -> dict[str, Any]:
    """The platform file's schema (draft 2020-12), keys spelled as in YAML."""
    schema = PlatformModel.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "helmdeck platform",
        **{k: v for k, v in schema.items() if k != "title"},
    }
