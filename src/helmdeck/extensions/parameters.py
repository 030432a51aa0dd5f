"""An extension's typed parameters, read from its ``values.schema.json``.

By convention an extension chart keeps what a user chooses at install time under the values key
``parameters``; the schema of that object says each parameter's type, default, description and
whether it is required. Supported types: string, boolean, integer, number, a single choice (``enum``)
and a multiple choice (an array whose ``items`` have an ``enum``). ``writeOnly`` or
``format: password`` marks a secret (a password field in forms, redacted in output).

Values arrive as text (``--param k=v``, form fields: :mod:`~helmdeck.extensions.parameter_input`) or
typed (JSON API); :func:`~helmdeck.extensions.parameter_values.check_parameters` turns them into
typed values, fills in defaults and checks the schema's constraints, failing with an error that
names the parameter, what it expects, and how to fix it.

Conditionally required parameters are written as JSON Schema writes them, on the ``parameters``
object, so charts stay standard (Helm checks the same schema at install):

* ``dependentRequired: {"s3Bucket": ["s3Endpoint"]}``: s3Endpoint is required when s3Bucket has a
  value (Draft 2019-09 and later, Helm's default; a Draft-07 schema's ``dependencies`` with a list
  says the same);
* ``if``/``then``, on the object or inside its ``allOf``, where ``if`` only compares parameters with
  ``const`` or ``enum`` (and may list them under ``required``) and ``then`` lists ``required``
  parameters: ``{"if": {"properties": {"storage": {"const": "s3"}}, "required": ["storage"]},
  "then": {"required": ["bucket", "endpoint"]}}``.

That subset becomes each parameter's :attr:`Parameter.required_when`, shown in metadata as
``requiredWhen: [{"storage": ["s3"]}]`` (``null`` for "has any value"), checked with an error that
names the condition, and followed by the install form, which asks for the field only while its
condition holds. An ``if`` on a parameter that may be absent must list it under ``required`` (else
JSON Schema counts the absent parameter as matching); only then, or when the parameter always has a
value (a default, or required), is the condition part of the subset. Anything richer (other keywords
in ``if``, ``else``, ``oneOf``, ``dependentSchemas``, ``then`` constraining values) is still
enforced by :func:`~helmdeck.extensions.parameter_values.check_parameters`, which validates the
whole ``parameters`` object against the chart's schema with the ``jsonschema`` draft the schema
names (Helm's default, 2020-12, if none), but it has no clear condition to show: the form cannot
follow it and relies on that server check.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import jsonschema

from helmdeck.serialize import JsonObject, json_field

PARAMETERS_KEY = "parameters"

ParamType = Literal["string", "boolean", "integer", "number", "choice", "multichoice"]

# a ``parameters`` object's keywords that say nothing about a single parameter: what the check of
# the object as a whole validates (each property is checked with its own schema before)
OBJECT_KEYWORDS = (
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "if",
    "then",
    "else",
    "dependentRequired",
    "dependentSchemas",
    "dependencies",
    "minProperties",
    "maxProperties",
)
# what an ``if`` property may say and still be a condition helmdeck can show and a form can follow
_IF_ANNOTATIONS = {"title", "description", "$comment"}


def shown(value: Any) -> str:
    """A value as a user writes it (``true``, not Python's ``True``)."""
    return json.dumps(value) if isinstance(value, bool) or value is None else str(value)


@dataclass(frozen=True)
class Condition(JsonObject):
    """One case in which a parameter is required: every named parameter has one of its values
    (``None``: has any value, JSON Schema's "is present"). Its JSON is that mapping of names."""

    on: tuple[tuple[str, tuple[Any, ...] | None], ...]

    __json_value__ = "by_name"

    @property
    def by_name(self) -> dict[str, tuple[Any, ...] | None]:
        return dict(self.on)

    def holds(self, values: Mapping[str, Any]) -> bool:
        for name, allowed in self.on:
            if name not in values:
                return False
            if allowed is not None and not any(_same(values[name], v) for v in allowed):
                return False
        return True

    def describe(self) -> str:
        """``storage is s3``, ``storage is s3 or minio and backup is true``, ``s3Bucket is given``."""
        parts = [
            f"{name} is given" if allowed is None else f"{name} is {' or '.join(shown(v) for v in allowed)}"
            for name, allowed in self.on
        ]
        return " and ".join(parts)


def _same(value: Any, wanted: Any) -> bool:
    # JSON Schema's const: true is not 1, though Python says so
    return value == wanted and isinstance(value, bool) == isinstance(wanted, bool)


_SHOWN_KEYWORDS = ("minimum", "maximum", "pattern", "minLength", "maxLength", "minItems", "maxItems")


@dataclass(frozen=True)
class Parameter(JsonObject):
    name: str
    type: ParamType
    title: str
    description: str = ""
    # a secret's default is never shown
    default: Any = field(default=None, metadata=json_field(redact="secret"))
    has_default: bool = field(default=False, metadata=json_field(exclude=True))
    required: bool = False
    choices: tuple[Any, ...] = field(default=(), metadata=json_field(omit_if_empty=True))
    secret: bool = False
    # the keywords a form needs to check a value, shown with the parameter itself
    schema: Mapping[str, Any] = field(default_factory=dict, repr=False, metadata=json_field(spread=_SHOWN_KEYWORDS))
    #: required when any of these holds (empty: required or not as ``required`` says)
    required_when: tuple[Condition, ...] = field(default=(), metadata=json_field(omit_if_empty=True))

    __json_order__ = (
        "name",
        "type",
        "title",
        "description",
        "required",
        "secret",
        "default",
        "choices",
        "requiredWhen",
        "schema",
    )

    @property
    def expects(self) -> str:
        """What a value must look like, for error messages and help."""
        if self.type == "choice":
            return "one of " + ", ".join(str(c) for c in self.choices)
        if self.type == "multichoice":
            return "a comma-separated list of " + ", ".join(str(c) for c in self.choices)
        if self.type == "boolean":
            return "true or false"
        return {"integer": "a whole number", "number": "a number", "string": "text"}[self.type]


def param_type(schema: Mapping[str, Any]) -> ParamType | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        kind = kinds[0] if len(kinds) == 1 else None
    if "enum" in schema and kind in (None, "string", "integer", "number"):
        return "choice"
    if kind == "array":
        items = schema.get("items")
        if isinstance(items, Mapping) and isinstance(items.get("enum"), list):
            return "multichoice"
        return None
    if kind in ("string", "boolean", "integer", "number"):
        return kind  # type: ignore[no-any-return]
    return None


def declares_parameters(values_schema: Mapping[str, Any] | None) -> bool:
    """Whether the schema describes a ``parameters`` object (helmdeck's way of declaring them)."""
    properties = (values_schema or {}).get("properties")
    return isinstance(properties, Mapping) and isinstance(properties.get(PARAMETERS_KEY), Mapping)


def parameters_object(values_schema: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    root = ((values_schema or {}).get("properties") or {}).get(PARAMETERS_KEY)
    return root if isinstance(root, Mapping) else None


def validator_class(values_schema: Mapping[str, Any]) -> type[Any]:
    """The jsonschema validator of the draft the chart's schema names; Helm 4's default, 2020-12,
    when it names none."""
    return jsonschema.validators.validator_for(values_schema, default=jsonschema.Draft202012Validator)


def _if_condition(test: Any, by_name: Mapping[str, Parameter]) -> Condition | None:
    """The condition an ``if`` states, or None when it says more than the supported subset."""
    if not isinstance(test, Mapping) or set(test) - {"properties", "required"} - _IF_ANNOTATIONS:
        return None
    properties = test.get("properties") or {}
    listed = test.get("required") or []
    if not isinstance(properties, Mapping) or not isinstance(listed, list):
        return None
    on: list[tuple[str, tuple[Any, ...] | None]] = []
    for name, sub in properties.items():
        param = by_name.get(name)
        if param is None or param.type == "multichoice" or not isinstance(sub, Mapping):
            return None
        keys = set(sub) - _IF_ANNOTATIONS
        if keys == {"const"}:
            allowed: tuple[Any, ...] = (sub["const"],)
        elif keys == {"enum"} and isinstance(sub["enum"], list) and sub["enum"]:
            allowed = tuple(sub["enum"])
        else:
            return None
        # JSON Schema's if matches an absent property: only a parameter that always has a value, or
        # one the if requires, compares as "storage is s3" reads
        if name not in listed and not (param.has_default or param.required):
            return None
        on.append((name, allowed))
    for name in listed:
        if not isinstance(name, str) or name not in by_name:
            return None
        if name not in properties:
            on.append((name, None))
    return Condition(tuple(on)) if on else None


def _conditions(
    root: Mapping[str, Any], values_schema: Mapping[str, Any], by_name: Mapping[str, Parameter]
) -> dict[str, list[Condition]]:
    """Each parameter's conditions from the supported subset of the ``parameters`` object's keywords."""
    out: dict[str, list[Condition]] = {}

    def add(names: Any, condition: Condition) -> None:
        for name in names if isinstance(names, list) else []:
            if isinstance(name, str) and name in by_name and condition not in out.get(name, []):
                out.setdefault(name, []).append(condition)

    known = validator_class(values_schema).VALIDATORS
    # a Draft-07 chart's "dependencies" list is 2019-09's dependentRequired; each only in its drafts,
    # as Helm ignores a keyword its draft does not have
    for keyword in ("dependentRequired", "dependencies"):
        entries = root.get(keyword) if keyword in known else None
        for trigger, needed in entries.items() if isinstance(entries, Mapping) else ():
            if trigger in by_name:
                add(needed, Condition(((str(trigger), None),)))
    all_of = root.get("allOf")
    blocks = [root, *(all_of if isinstance(all_of, list) else [])]
    for block in blocks:
        if not isinstance(block, Mapping) or "if" not in block or not isinstance(block.get("then"), Mapping):
            continue
        condition = _if_condition(block["if"], by_name)
        if condition is not None:
            add(block["then"].get("required"), condition)
    return out


def parameters_from_schema(
    values_schema: Mapping[str, Any] | None, chart_defaults: Mapping[str, Any] | None = None
) -> tuple[Parameter, ...]:
    """The parameters an extension chart declares (none when its schema has no ``parameters``).

    Defaults come from the chart's values.yaml (what Helm would use), else the schema's ``default``.
    Properties of types forms cannot ask for (objects, free lists) are left out.
    """
    root = parameters_object(values_schema)
    if values_schema is None or root is None:
        return ()
    required = set(root.get("required") or [])
    defaults = (chart_defaults or {}).get(PARAMETERS_KEY)
    defaults = defaults if isinstance(defaults, Mapping) else {}
    out: list[Parameter] = []
    for name, prop in (root.get("properties") or {}).items():
        if not isinstance(prop, Mapping):
            continue
        kind = param_type(prop)
        if kind is None:
            continue
        if name in defaults:
            default, has_default = defaults[name], True
        elif "default" in prop:
            default, has_default = prop["default"], True
        else:
            default, has_default = None, False
        if kind == "multichoice":
            items = prop.get("items") or {}
            choices = tuple(items.get("enum") or ())
        else:
            choices = tuple(prop.get("enum") or ())
        out.append(
            Parameter(
                name=str(name),
                type=kind,
                title=str(prop.get("title") or name),
                description=str(prop.get("description") or ""),
                default=default,
                has_default=has_default,
                required=name in required,
                choices=choices,
                secret=bool(prop.get("writeOnly")) or prop.get("format") == "password",
                schema=prop,
            )
        )
    conditions = _conditions(root, values_schema, {p.name: p for p in out})
    return tuple(
        replace(p, required_when=tuple(conditions[p.name])) if p.name in conditions and not p.required else p
        for p in out
    )
