"""An extension's typed parameters, read from its ``values.schema.json``.

By convention an extension chart keeps what a user chooses at install time under the values key
``parameters``; the schema of that object says each parameter's type, default, description and
whether it is required. Supported types: string, boolean, integer, number, a single choice (``enum``)
and a multiple choice (an array whose ``items`` have an ``enum``). ``writeOnly`` or
``format: password`` marks a secret (a password field in forms, redacted in output).

Values arrive as text (``--param k=v``, form fields) or typed (JSON API); :func:`check_parameters`
turns them into typed values, fills in defaults and checks the schema's constraints, failing with
an error that names the parameter, what it expects, and how to fix it.

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
condition holds. An ``if`` on a parameter that may be absent must list it under ``required``
(else JSON Schema counts the absent parameter as matching); only then, or when the parameter always
has a value (a default, or required), is the condition part of the subset. Anything richer (other
keywords in ``if``, ``else``, ``oneOf``, ``dependentSchemas``, ``then`` constraining values) is still
enforced by :func:`check_parameters`, which validates the whole ``parameters`` object against the
chart's schema with the ``jsonschema`` draft the schema names (Helm's default, 2020-12, if none),
but it has no clear condition to show: the form cannot follow it and relies on that server check.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import jsonschema
import referencing.exceptions
import yaml

from helmdeck.errors import ConfigError
from helmdeck.serialize import JsonObject, json_field
from helmdeck.spec.platform import did_you_mean
from helmdeck.spec.user_files import check_yaml_limits, read_user_text

PARAMETERS_KEY = "parameters"

ParamType = Literal["string", "boolean", "integer", "number", "choice", "multichoice"]

# a ``parameters`` object's keywords that say nothing about a single parameter: what the check of
# the object as a whole validates (each property is checked with its own schema before)
_OBJECT_KEYWORDS = (
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

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def _shown(value: Any) -> str:
    """A value as a user writes it (``true``, not Python's ``True``)."""
    return json.dumps(value) if isinstance(value, bool) or value is None else str(value)


@dataclass(frozen=True)
class Condition:
    """One case in which a parameter is required: every named parameter has one of its values
    (``None``: has any value, JSON Schema's "is present")."""

    on: tuple[tuple[str, tuple[Any, ...] | None], ...]

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
            f"{name} is given" if allowed is None else f"{name} is {' or '.join(_shown(v) for v in allowed)}"
            for name, allowed in self.on
        ]
        return " and ".join(parts)

    def as_dict(self) -> dict[str, list[Any] | None]:
        return {name: None if allowed is None else list(allowed) for name, allowed in self.on}


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


def _param_type(schema: Mapping[str, Any]) -> ParamType | None:
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


def _root(values_schema: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    root = ((values_schema or {}).get("properties") or {}).get(PARAMETERS_KEY)
    return root if isinstance(root, Mapping) else None


def _validator(values_schema: Mapping[str, Any]) -> type[Any]:
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

    known = _validator(values_schema).VALIDATORS
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
    root = _root(values_schema)
    if values_schema is None or root is None:
        return ()
    required = set(root.get("required") or [])
    defaults = (chart_defaults or {}).get(PARAMETERS_KEY)
    defaults = defaults if isinstance(defaults, Mapping) else {}
    out: list[Parameter] = []
    for name, prop in (root.get("properties") or {}).items():
        if not isinstance(prop, Mapping):
            continue
        kind = _param_type(prop)
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


@dataclass(frozen=True)
class ParameterRules:
    """What a chart's schema says of its ``parameters`` object as a whole (conditions, ``allOf``
    and the like), to check a set of values as Helm will, before anything is installed."""

    #: the values schema narrowed to those keywords of ``parameters`` (its definitions kept for $ref)
    schema: Mapping[str, Any]
    #: chart defaults of parameters no form asks for (objects, free lists), which Helm sees too
    others: Mapping[str, Any]

    def check(self, extension: str, values: Mapping[str, Any]) -> None:
        instance = {PARAMETERS_KEY: {**self.others, **values}}
        try:
            error = jsonschema.exceptions.best_match(_validator(self.schema)(self.schema).iter_errors(instance))
        except (jsonschema.exceptions.SchemaError, referencing.exceptions.Unresolvable):
            return  # a schema this narrowing breaks: Helm checks it whole at install
        if error is None:
            return
        at = "/".join(str(p) for p in [PARAMETERS_KEY, *list(error.absolute_schema_path)[2:]])
        below = [str(p) for p in list(error.absolute_path)[1:]]
        given = instance[PARAMETERS_KEY]
        missing = _missing(error, given)
        if missing is not None:
            raise ConfigError(
                f"extension {extension}: parameter {missing}: is required by the condition at {at} of "
                "the chart's values.schema.json",
                where=f"parameter {missing}",
                fix=f"give {missing} a value, or change the parameters that condition looks at",
                details={"parameter": missing, "schemaPath": at},
            )
        raise ConfigError(
            f"extension {extension}: parameters: {error.message}",
            where=f"parameter {below[0]}" if below else "parameters",
            fix=f"give the parameters what {at} of the chart's values.schema.json asks for",
            details={"schemaPath": at},
        )


def _missing(error: jsonschema.ValidationError, given: Mapping[str, Any]) -> str | None:
    """The parameter a ``required``/``dependentRequired`` failure misses (None for other failures)."""
    rule: Any = error.validator_value
    if len(error.absolute_path) != 1:
        return None
    if error.validator == "required" and isinstance(rule, list):
        wanted = rule
    elif error.validator in ("dependentRequired", "dependencies") and isinstance(rule, Mapping):
        wanted = [n for trigger, names in rule.items() if trigger in given and isinstance(names, list) for n in names]
    else:
        return None
    return next((str(n) for n in wanted if n not in given), None)


def parameter_rules(
    values_schema: Mapping[str, Any] | None, chart_defaults: Mapping[str, Any] | None = None
) -> ParameterRules | None:
    """The rules of the ``parameters`` object beyond its single properties (None when it has none)."""
    root = _root(values_schema)
    if values_schema is None or root is None:
        return None
    kept = {k: root[k] for k in _OBJECT_KEYWORDS if k in root}
    if not kept:
        return None
    schema: dict[str, Any] = {
        k: values_schema[k] for k in ("$schema", "$id", "$defs", "definitions") if k in values_schema
    }
    schema["properties"] = {PARAMETERS_KEY: kept}
    properties = root.get("properties") or {}
    typed = {k for k, prop in properties.items() if isinstance(prop, Mapping) and _param_type(prop) is not None}
    defaults = (chart_defaults or {}).get(PARAMETERS_KEY)
    others = {k: v for k, v in defaults.items() if k not in typed} if isinstance(defaults, Mapping) else {}
    return ParameterRules(schema=schema, others=others)


def parse_param_args(args: Iterable[str]) -> dict[str, str]:
    """``["task=Task003_Liver", "fast=true"]`` -> a dict; a ConfigError for items without ``=``."""
    out: dict[str, str] = {}
    for arg in args:
        key, sep, value = arg.partition("=")
        if not sep or not key.strip():
            raise ConfigError(
                f"--param {arg!r} is not NAME=VALUE",
                fix="write each parameter as --param NAME=VALUE, e.g. --param profile=scipy",
            )
        out[key.strip()] = value
    return out


ENV_PREFIX = "HELMDECK_PARAM_"


def env_name(parameter: str) -> str:
    """``HELMDECK_PARAM_DB_PASSWORD`` for ``db-password`` (or ``dbPassword``: ``HELMDECK_PARAM_DBPASSWORD``)."""
    return ENV_PREFIX + re.sub(r"[^A-Za-z0-9]", "_", parameter).upper()


def load_param_file(path: Path) -> dict[str, Any]:
    """A YAML or JSON mapping of parameter values, for values that must not appear in argv."""
    shown = str(path)
    try:
        text = read_user_text(path, shown, "parameter file", max_bytes=1024 * 1024)
    except FileNotFoundError:
        raise ConfigError(f"parameter file not found: {shown}", where=shown, fix="fix the path") from None
    except IsADirectoryError:
        raise ConfigError(f"{shown} is a directory", where=shown, fix="name a YAML file of NAME: VALUE") from None
    check_yaml_limits(text, shown)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{shown}:{mark.line + 1}" if mark is not None else shown
        raise ConfigError(f"{shown} is not valid YAML", where=where, fix="write NAME: VALUE lines") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{shown} is not a mapping of parameters", where=shown, fix="write NAME: VALUE lines")
    return {str(k): v for k, v in data.items()}


def params_from_env(parameters: Sequence[Parameter], environ: Mapping[str, str]) -> dict[str, str]:
    """Values of the extension's parameters given as ``HELMDECK_PARAM_<NAME>`` variables."""
    return {p.name: environ[env_name(p.name)] for p in parameters if env_name(p.name) in environ}


def _error(extension: str, param: Parameter, message: str) -> ConfigError:
    hint = f"give {param.name} {param.expects}"
    if param.description:
        hint += f" ({param.description})"
    return ConfigError(
        f"extension {extension}: parameter {param.name}: {message}",
        where=f"parameter {param.name}",
        fix=hint,
        details={"parameter": param.name, "expected": param.expects, "choices": list(param.choices)},
    )


def _coerce_scalar(extension: str, param: Parameter, value: Any, kind: str) -> Any:
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise _error(extension, param, f"{value!r} is not true or false")
    if kind in ("integer", "number"):
        if isinstance(value, bool):
            raise _error(extension, param, f"{value!r} is not a number")
        if isinstance(value, int | float):
            number: int | float = value
        else:
            try:
                text = str(value).strip()
                number = int(text) if kind == "integer" or text.lstrip("-").isdigit() else float(text)
            except ValueError:
                raise _error(
                    extension, param, f"{value!r} is not {'a whole number' if kind == 'integer' else 'a number'}"
                ) from None
        if kind == "integer" and isinstance(number, float):
            if not number.is_integer():
                raise _error(extension, param, f"{value!r} is not a whole number")
            number = int(number)
        return number
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise _error(extension, param, f"{value!r} is not text")


def _choice(extension: str, param: Parameter, value: Any, choices: Sequence[Any]) -> Any:
    for choice in choices:
        if value == choice or (isinstance(value, str) and not isinstance(choice, str) and value == str(choice)):
            return choice
    best = did_you_mean(str(value), [str(c) for c in choices], "choice")
    raise _error(extension, param, f"{value!r} is not a choice ({best})")


def coerce(extension: str, param: Parameter, value: Any) -> Any:
    """``value`` (text or typed) as the parameter's type; a ConfigError when it cannot be."""
    if param.type == "choice":
        return _choice(extension, param, value, param.choices)
    if param.type == "multichoice":
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                try:
                    value = json.loads(text)
                except ValueError:
                    raise _error(extension, param, f"{value!r} is not a list") from None
            else:
                value = [v.strip() for v in text.split(",") if v.strip()]
        if not isinstance(value, list | tuple):
            raise _error(extension, param, f"{value!r} is not a list")
        picked = [_choice(extension, param, v, param.choices) for v in value]
        if len(set(map(str, picked))) != len(picked):
            raise _error(extension, param, "a choice is listed twice")
        return picked
    return _coerce_scalar(extension, param, value, param.type)


def _constraint_message(error: jsonschema.ValidationError) -> str:
    keyword = error.validator
    value = error.validator_value
    if keyword == "pattern":
        return f"{error.instance!r} does not match the pattern {value}"
    if keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        words = {
            "minimum": "at least",
            "maximum": "at most",
            "exclusiveMinimum": "more than",
            "exclusiveMaximum": "less than",
        }
        return f"{error.instance!r} must be {words[str(keyword)]} {value}"
    if keyword in ("minLength", "maxLength"):
        return f"must be {'at least' if keyword == 'minLength' else 'at most'} {value} characters long"
    if keyword in ("minItems", "maxItems"):
        return f"must have {'at least' if keyword == 'minItems' else 'at most'} {value} choices"
    return error.message


def _required_when(
    extension: str, param: Parameter, condition: Condition, by_name: Mapping[str, Parameter], more: Sequence[str]
) -> ConfigError:
    """``param`` missing while ``condition`` holds; ``more`` are the others it requires that are
    missing too, named at once so one correction does."""
    undo = []
    for name, allowed in condition.on:
        other = by_name.get(name)
        if allowed is None:
            undo.append(f"leave {name} out")
        elif other is not None and other.type == "boolean" and len(allowed) == 1:
            undo.append(f"set {name} to {_shown(not allowed[0])}")
        else:
            undo.append(f"set {name} to something other than {' or '.join(_shown(v) for v in allowed)}")
    also = f" (as {'is' if len(more) == 1 else 'are'} {', '.join(more)})" if more else ""
    error = _error(extension, param, f"is required when {condition.describe()}{also}")
    return ConfigError(
        error.message,
        where=error.where,
        fix=f"{error.fix}, or {' or '.join(undo)}",
        details={**error.details, "requiredWhen": condition.as_dict(), "alsoMissing": list(more)},
    )


def check_parameters(
    extension: str,
    parameters: Sequence[Parameter],
    given: Mapping[str, Any],
    *,
    fill_defaults: bool = True,
    rules: ParameterRules | None = None,
) -> dict[str, Any]:
    """Typed, checked parameter values: ``given`` plus defaults for the rest.

    Raises ConfigError naming the parameter for an unknown name, a value of the wrong type or
    outside the choices or constraints, a required parameter without a value or default, and a
    conditionally required one without a value while its condition holds (naming the condition);
    then, with ``rules``, for what the schema says of the parameters together.
    """
    by_name = {p.name: p for p in parameters}
    unknown = [k for k in given if k not in by_name]
    if unknown:
        name = unknown[0]
        known = list(by_name)
        raise ConfigError(
            f"extension {extension} has no parameter {name!r}",
            where=f"parameter {name}",
            fix=(did_you_mean(name, known, "parameter") + f" (parameters: {', '.join(known)})")
            if known
            else f"extension {extension} takes no parameters",
            details={"parameter": name, "known": known},
        )
    out: dict[str, Any] = {}
    for param in parameters:
        if param.name in given and given[param.name] is not None:
            value = coerce(extension, param, given[param.name])
        elif param.has_default:
            if not fill_defaults:
                continue
            value = param.default
        elif param.required:
            raise _error(extension, param, "is required and has no default")
        else:
            continue
        validator_cls = jsonschema.validators.validator_for(param.schema, default=jsonschema.Draft7Validator)
        errors = sorted(validator_cls(param.schema).iter_errors(value), key=lambda e: list(e.path))
        if errors:
            raise _error(extension, param, _constraint_message(errors[0]))
        out[param.name] = value
    # conditions see what the chart will get, defaults included even when not filled in here
    seen = {**{p.name: p.default for p in parameters if p.has_default}, **out}
    missing = [(p, c) for p in parameters if p.name not in seen for c in p.required_when if c.holds(seen)]
    if missing:
        param, holding = missing[0]
        more = [p.name for p, c in missing[1:] if c == holding and p.name != param.name]
        raise _required_when(extension, param, holding, by_name, more)
    if rules is not None:
        rules.check(extension, seen)
    return out


def secret_values(parameters: Sequence[Parameter], values: Mapping[str, Any]) -> dict[str, str]:
    """The secret parameters' values by name, for redaction."""
    return {
        f"parameter {p.name}": str(values[p.name])
        for p in parameters
        if p.secret and isinstance(values.get(p.name), str) and values[p.name]
    }
