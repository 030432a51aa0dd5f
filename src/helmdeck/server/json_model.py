"""Response models (for the OpenAPI document and the check of what the API sends) made from the domain
types themselves: the keys, their order and their types come from the dataclass and its JSON
declarations (``helmdeck.serialize``), so a field added to a result is in the API's schema without
being written out again here. What the API adds is the descriptions (``docs``) and, in a subclass,
keys the service adds to the domain's JSON."""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import PurePath
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic.alias_generators import to_camel

from helmdeck.serialize import json_keys


class Out(BaseModel):
    # a field the code sends but the model does not declare is an error, not silently dropped; JSON
    # keys in Kubernetes' casing (camelCase), whatever the Python names
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        # a subclass of a made model (the API's name, its docstring, keys the service adds) stands
        # for the domain class from now on: models made later nest it, not the bare one
        for base in cls.__bases__:
            domain = _DOMAINS.get(base)
            if domain is not None:
                _MODELS[domain] = cls


# a domain class -> its model, so a nested type is made once and keeps the name it was given
_MODELS: dict[type, type[BaseModel]] = {}
# a made model -> its domain class
_DOMAINS: dict[type, type] = {}


def response_model(
    cls: type, *, name: str | None = None, docs: Mapping[str, str] | None = None, order: Sequence[str] = ()
) -> type[BaseModel]:
    """The model of ``cls``'s JSON (a dataclass; nested dataclasses get models of their own, made
    here unless made before under a name of their own). ``docs``: descriptions by attribute name.
    ``order``: attribute names in the order the API has always sent them, where it differs from the
    domain's (FastAPI sends a model's keys in its fields' order)."""
    made = _MODELS.get(cls)
    if made is not None:
        return made
    hints = typing.get_type_hints(cls)
    defaults = {f.name: f for f in dataclasses.fields(cls)}
    fields: dict[str, Any] = {}
    for key, attr, omitted_when_empty in json_keys(cls):
        api_type = _api_type(hints[attr] if attr in defaults else _returned(cls, attr))
        spec: dict[str, Any] = {"description": (docs or {}).get(attr)}
        if key != to_camel(attr):
            spec["alias"] = key
        if omitted_when_empty:
            # the model would send the key as null where the domain's JSON leaves it out
            raise TypeError(f"{cls.__qualname__}: the JSON may leave {key!r} out; its model is written by hand")
        f = defaults.get(attr)
        if f is None:
            pass  # computed: always sent
        elif f.default is not dataclasses.MISSING:
            spec["default"] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            spec["default_factory"] = f.default_factory
        fields[attr] = (api_type, Field(**spec))
    if order:
        if sorted(order) != sorted(fields):
            raise TypeError(f"{cls.__qualname__}: the order must name {sorted(fields)}")
        fields = {attr: fields[attr] for attr in order}
    model: type[BaseModel] = create_model(name or cls.__name__, __base__=Out, __module__=__name__, **fields)
    _MODELS[cls] = model
    _DOMAINS[model] = cls
    return model


def _returned(cls: type, attr: str) -> Any:
    """The type a computed key has: what its property or method returns."""
    member = getattr(cls, attr)
    if isinstance(member, property):
        return typing.get_type_hints(member.fget)["return"]
    if callable(member):
        return typing.get_type_hints(member)["return"]
    return type(member)  # a class constant


def _api_type(tp: Any) -> Any:
    """The type of a value as the serializer writes it: sequences become lists, mappings objects with
    string keys, times and paths strings, nested dataclasses their models; enums stay (the schema
    lists their words)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        out: Any = _api_type(args[0])
        for arg in args[1:]:
            out = out | _api_type(arg)
        return out
    if origin is typing.Literal or tp is Any or tp is type(None):
        return tp
    if origin in (tuple, list, set, frozenset, Sequence):
        return list[_api_type(args[0])] if args else list[Any]  # type: ignore[misc]
    if origin in (dict, Mapping):
        return dict[str, _api_type(args[1])] if args else dict[str, Any]  # type: ignore[misc]
    if isinstance(tp, type):
        if dataclasses.is_dataclass(tp):
            return response_model(tp)
        if issubclass(tp, enum.Enum) or issubclass(tp, str | int | float | bool):
            return tp
        if issubclass(tp, datetime | date | PurePath):
            return str
    raise TypeError(f"no API type for {tp!r}")
