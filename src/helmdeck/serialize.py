"""One serializer for every result helmdeck prints or serves as JSON: dataclasses become objects with
camelCase keys (Kubernetes' casing), enums their value, times ISO 8601, paths strings; mappings and
sequences are walked.

A result class says how it differs from its plain fields by declarations, not by a hand-written
``as_dict``: ``json_field(...)`` in a field's metadata (another key, omitted when empty, rounded, left
out), ``__json_computed__`` for properties and methods the JSON carries too, ``__json_order__`` when the
keys come in another order than the fields, ``__json_value__`` when the JSON is no object of the
class's own fields but another value the class computes (a mapping, a view made for reading). The
:class:`JsonObject` mixin gives such a class the ``as_dict`` its callers use. A few classes still write
``as_dict`` themselves (tests/unit/test_json_golden.py lists them); the serializer uses it."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import PurePath
from typing import Any, ClassVar

# the key of a field's metadata that holds its JSON declaration
_META = "helmdeck.json"


@dataclasses.dataclass(frozen=True)
class JsonField:
    """How one field (or computed attribute) appears in the JSON; see :func:`json_field`."""

    name: str | None = None
    omit_if_empty: bool = False
    omit_if: Callable[[Any], bool] | None = None
    round: int | None = None
    exclude: bool = False
    redact: str | None = None
    spread: tuple[str, ...] = ()
    convert: Callable[[Any], Any] | None = None


def json_field(
    *,
    name: str | None = None,
    omit_if_empty: bool = False,
    omit_if: Callable[[Any], bool] | None = None,
    round: int | None = None,
    exclude: bool = False,
    redact: str | None = None,
    spread: tuple[str, ...] = (),
    convert: Callable[[Any], Any] | None = None,
) -> dict[str, JsonField]:
    """A field's metadata saying how it appears in the JSON: ``dataclasses.field(metadata=json_field(...))``.

    ``name``: the key, when not the field's name in camelCase. ``omit_if_empty``: no key when the value
    is falsy (None, "", empty). ``omit_if``: no key when the predicate holds (a sentinel). ``round``:
    digits a float keeps. ``exclude``: internal, never in the JSON. ``redact``: the name of a boolean
    attribute; when it is true the value is shown as null (a secret parameter's default). ``spread``:
    these keys of the field's mapping appear in the object itself, where present, in place of the field
    (a parameter's schema keywords; the field's own key in ``__json_order__`` says where they go, or
    the spread keys themselves, each in its place among the others).
    ``convert``: a function a value that is not None goes through first, for a nested object shown in
    another shape than its own JSON (a pod inside a resource tree, as a smaller view).
    """
    return {_META: JsonField(name, omit_if_empty, omit_if, round, exclude, redact, spread, convert)}


@dataclasses.dataclass(frozen=True)
class Computed:
    """A property or method (called without arguments) whose value the JSON carries too."""

    attr: str
    spec: JsonField


def computed(attr: str, *, name: str | None = None, round: int | None = None, spread: tuple[str, ...] = ()) -> Computed:
    """An entry of ``__json_computed__`` needing more than the attribute's name: its key, its rounding,
    or the keys of its mapping that appear in the object itself (see :func:`json_field`)."""
    return Computed(attr, JsonField(name=name, round=round, spread=spread))


class JsonObject:
    """A dataclass whose JSON its declarations say; ``as_dict`` gives that JSON as plain data."""

    __slots__ = ()
    #: properties, methods (called without arguments) or class constants the JSON carries after the fields
    __json_computed__: ClassVar[tuple[str | Computed, ...]] = ()
    #: every key, in the order the JSON has them, when not the fields' order then the computed ones
    __json_order__: ClassVar[tuple[str, ...]] = ()
    #: a property or method (called without arguments) whose value the JSON shows in place of the fields
    __json_value__: ClassVar[str] = ""

    def as_dict(self) -> dict[str, Any]:
        return _object_data(self)


def camel(name: str) -> str:
    """``spec_digest`` -> ``specDigest``."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@dataclasses.dataclass(frozen=True)
class _Entry:
    key: str
    attr: str
    spec: JsonField
    call: bool  # a computed method, called for its value


# a class's shape, worked out (and checked) on its first serialization
_SHAPES: dict[type, tuple[_Entry, ...]] = {}


def _shape(cls: type) -> tuple[_Entry, ...]:
    shape = _SHAPES.get(cls)
    if shape is None:
        shape = _SHAPES[cls] = _make_shape(cls)
    return shape


def _make_shape(cls: type) -> tuple[_Entry, ...]:
    """The keys of ``cls``'s JSON, in order, from its fields and declarations."""
    entries = []
    for f in dataclasses.fields(cls):
        spec = f.metadata.get(_META) or JsonField()
        if not spec.exclude:
            entries.append(_Entry(spec.name or camel(f.name), f.name, spec, call=False))
    for item in getattr(cls, "__json_computed__", ()):
        attr, spec = (item, JsonField()) if isinstance(item, str) else (item.attr, item.spec)
        member = getattr(cls, attr, None)
        if member is None:
            raise TypeError(f"{cls.__qualname__}.__json_computed__ names {attr!r}, which the class lacks")
        # a method is called; a property or a class constant is read
        entries.append(_Entry(spec.name or camel(attr), attr, spec, call=callable(member)))
    order: tuple[str, ...] = getattr(cls, "__json_order__", ())
    if not order:
        return tuple(entries)
    by_key: dict[str, _Entry] = {}
    for e in entries:
        if e.spec.spread and e.key not in order and all(k in order for k in e.spec.spread):
            # the spread keys ordered one by one among the others
            for k in e.spec.spread:
                by_key[k] = _Entry(k, e.attr, dataclasses.replace(e.spec, spread=(k,)), e.call)
        else:
            by_key[e.key] = e
    if sorted(order) != sorted(by_key):
        raise TypeError(
            f"{cls.__qualname__}.__json_order__ must name every key once: it has {sorted(order)}, "
            f"the class makes {sorted(by_key)}"
        )
    return tuple(by_key[k] for k in order)


def json_keys(cls: type) -> tuple[tuple[str, str, bool], ...]:
    """The keys of ``cls``'s JSON object in order, each as (key, attribute, omitted when empty): what
    a schema of that JSON (the web service's response models) is made from. Refused for a class whose
    JSON is no object of its own keys (``__json_value__``) or spreads a mapping's keys."""
    stand_in = getattr(cls, "__json_value__", "")
    if stand_in:
        raise TypeError(f"{cls.__qualname__}'s JSON is its {stand_in!r} (``__json_value__``), not its keys")
    out = []
    for e in _shape(cls):
        if e.spec.spread:
            raise TypeError(f"{cls.__qualname__}.{e.attr} spreads its keys into the object: they are no one key")
        out.append((e.key, e.attr, e.spec.omit_if_empty or e.spec.omit_if is not None))
    return tuple(out)


def _object_data(value: Any) -> dict[str, Any]:
    stand_in: str = getattr(type(value), "__json_value__", "")
    if stand_in:
        return _stand_in_data(value, stand_in)
    out: dict[str, Any] = {}
    called: dict[str, Any] = {}  # a method's value, once for the keys it spreads into
    for entry in _shape(type(value)):
        spec = entry.spec
        if entry.attr in called:
            item = called[entry.attr]
        else:
            item = getattr(value, entry.attr)
            if entry.call:
                item = called[entry.attr] = item()
        if spec.convert is not None and item is not None:
            item = spec.convert(item)
        if spec.redact is not None and getattr(value, spec.redact):
            item = None
        if (spec.omit_if_empty and not item) or (spec.omit_if is not None and spec.omit_if(item)):
            continue
        if spec.spread:
            out.update({k: to_json_data(item[k]) for k in spec.spread if k in item})
            continue
        if spec.round is not None and item is not None:
            item = round(item, spec.round)
        out[entry.key] = to_json_data(item)
    return out


def _stand_in_data(value: Any, attr: str) -> dict[str, Any]:
    item = getattr(value, attr)
    data = to_json_data(item() if callable(item) else item)
    if not isinstance(data, dict):
        # as_dict promises an object; a class whose JSON is a list or a scalar is no JsonObject
        raise TypeError(
            f"{type(value).__qualname__}.__json_value__ ({attr!r}) gives {type(data).__name__}, not an object"
        )
    return data


_PLAIN = frozenset({str, int, float, bool, type(None)})


def to_json_data(value: Any) -> Any:
    """``value`` as plain JSON data (dicts, lists, strings, numbers, booleans, None)."""
    # plain data first, by exact type (a subclass, an enum of str, takes the checks below): most of
    # what a large result holds is plain already, and the checks for everything else (attributes,
    # abstract classes) were most of the time serializing a status of 1000 components took
    cls = type(value)
    if cls in _PLAIN:
        return value
    if cls is dict:
        return {str(k): to_json_data(v) for k, v in value.items()}
    if cls is list:
        return [to_json_data(v) for v in value]
    if isinstance(value, JsonObject) and type(value).as_dict is JsonObject.as_dict:
        return _object_data(value)  # not through as_dict: the data is plain already
    as_dict = getattr(value, "as_dict", None)
    if callable(as_dict) and not isinstance(value, type):
        return to_json_data(as_dict())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _object_data(value)
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
