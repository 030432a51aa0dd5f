"""One serializer for every result helmdeck prints or serves as JSON: objects that know their JSON
(``as_dict``) give it, other dataclasses become objects with camelCase keys (Kubernetes' casing),
enums their value, times ISO 8601, paths strings; mappings and sequences are walked."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import PurePath
from typing import Any


def camel(name: str) -> str:
    """``spec_digest`` -> ``specDigest``."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def to_json_data(value: Any) -> Any:
    """``value`` as plain JSON data (dicts, lists, strings, numbers, booleans, None)."""
    as_dict = getattr(value, "as_dict", None)
    if callable(as_dict) and not isinstance(value, type):
        return to_json_data(as_dict())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {camel(f.name): to_json_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return to_json_data(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): to_json_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [to_json_data(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
