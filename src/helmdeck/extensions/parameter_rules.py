"""What an extension chart's schema says of its ``parameters`` object as a whole (conditions,
``allOf`` and the like, beyond single parameters), checked as Helm will check it at install."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema
import referencing.exceptions

from helmdeck.errors import ConfigError
from helmdeck.extensions.parameters import (
    OBJECT_KEYWORDS,
    PARAMETERS_KEY,
    param_type,
    parameters_object,
    validator_class,
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
            error = jsonschema.exceptions.best_match(validator_class(self.schema)(self.schema).iter_errors(instance))
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
    root = parameters_object(values_schema)
    if values_schema is None or root is None:
        return None
    kept = {k: root[k] for k in OBJECT_KEYWORDS if k in root}
    if not kept:
        return None
    schema: dict[str, Any] = {
        k: values_schema[k] for k in ("$schema", "$id", "$defs", "definitions") if k in values_schema
    }
    schema["properties"] = {PARAMETERS_KEY: kept}
    properties = root.get("properties") or {}
    typed = {k for k, prop in properties.items() if isinstance(prop, Mapping) and param_type(prop) is not None}
    defaults = (chart_defaults or {}).get(PARAMETERS_KEY)
    others = {k: v for k, v in defaults.items() if k not in typed} if isinstance(defaults, Mapping) else {}
    return ParameterRules(schema=schema, others=others)
