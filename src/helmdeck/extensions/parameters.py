"""An extension's typed parameters, read from its ``values.schema.json``.

By convention an extension chart keeps what a user chooses at install time under the values key
``parameters``; the schema of that object says each parameter's type, default, description and
whether it is required. Supported types: string, boolean, integer, number, a single choice (``enum``)
and a multiple choice (an array whose ``items`` have an ``enum``). ``writeOnly`` or
``format: password`` marks a secret (a password field in forms, redacted in output).

Values arrive as text (``--param k=v``, form fields) or typed (JSON API); :func:`check_parameters`
turns them into typed values, fills in defaults and checks the schema's constraints, failing with
an error that names the parameter, what it expects, and how to fix it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import jsonschema
import yaml

from helmdeck.errors import ConfigError
from helmdeck.spec.platform import did_you_mean
from helmdeck.spec.user_files import check_yaml_limits, read_user_text

PARAMETERS_KEY = "parameters"

ParamType = Literal["string", "boolean", "integer", "number", "choice", "multichoice"]

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


@dataclass(frozen=True)
class Parameter:
    name: str
    type: ParamType
    title: str
    description: str = ""
    default: Any = None
    has_default: bool = False
    required: bool = False
    choices: tuple[Any, ...] = ()
    secret: bool = False
    schema: Mapping[str, Any] = field(default_factory=dict, repr=False)

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

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "title": self.title,
            "description": self.description,
            "required": self.required,
            "secret": self.secret,
            "default": None if self.secret else self.default,
        }
        if self.choices:
            out["choices"] = list(self.choices)
        for key in ("minimum", "maximum", "pattern", "minLength", "maxLength", "minItems", "maxItems"):
            if key in self.schema:
                out[key] = self.schema[key]
        return out


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


def parameters_from_schema(
    values_schema: Mapping[str, Any] | None, chart_defaults: Mapping[str, Any] | None = None
) -> tuple[Parameter, ...]:
    """The parameters an extension chart declares (none when its schema has no ``parameters``).

    Defaults come from the chart's values.yaml (what Helm would use), else the schema's ``default``.
    Properties of types forms cannot ask for (objects, free lists) are left out.
    """
    if not values_schema:
        return ()
    root = (values_schema.get("properties") or {}).get(PARAMETERS_KEY)
    if not isinstance(root, Mapping):
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
    return tuple(out)


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


def check_parameters(
    extension: str, parameters: Sequence[Parameter], given: Mapping[str, Any], *, fill_defaults: bool = True
) -> dict[str, Any]:
    """Typed, checked parameter values: ``given`` plus defaults for the rest.

    Raises ConfigError naming the parameter for an unknown name, a value of the wrong type or
    outside the choices or constraints, and a required parameter without a value or default.
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
    return out


def secret_values(parameters: Sequence[Parameter], values: Mapping[str, Any]) -> dict[str, str]:
    """The secret parameters' values by name, for redaction."""
    return {
        f"parameter {p.name}": str(values[p.name])
        for p in parameters
        if p.secret and isinstance(values.get(p.name), str) and values[p.name]
    }
