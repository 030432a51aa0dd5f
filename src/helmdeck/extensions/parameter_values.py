"""Typed, checked parameter values: text or typed input coerced to each parameter's type, defaults
filled in, the schema's constraints and conditions checked, with errors that name the parameter,
what it expects and how to fix it (see :mod:`helmdeck.extensions.parameters` for the subset of
JSON Schema that is understood)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import jsonschema

from helmdeck.errors import ConfigError
from helmdeck.extensions.parameter_rules import ParameterRules
from helmdeck.extensions.parameters import Condition, Parameter, shown
from helmdeck.spec.platform import did_you_mean

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


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
            undo.append(f"set {name} to {shown(not allowed[0])}")
        else:
            undo.append(f"set {name} to something other than {' or '.join(shown(v) for v in allowed)}")
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
