"""The platform-wide values every extension gets under ``global``.

What the platform file says (:func:`helmdeck.values.layers.platform_globals`: instance, namespaces,
data directories, registry, pull secret, storage class), then the ``global`` sections of the
environment's values files (the domain lives there), as platform components see them. Keys an
extension's schema does not declare (where its ``global`` forbids other properties) are left out,
so a platform setting a chart does not know cannot break its install.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from helmdeck.spec.platform import Platform
from helmdeck.values.files import load_values_file
from helmdeck.values.layers import platform_globals
from helmdeck.values.merge import merge_maps


def environment_globals(platform: Platform, environment: str | None) -> dict[str, Any]:
    """The ``global`` sections of the environment's values files, merged in order."""
    out: dict[str, Any] = {}
    if environment is None:
        return out
    for path in platform.environment(environment).values:
        section = load_values_file(path).data.get("global")
        if isinstance(section, dict):
            out = merge_maps(out, section)
    return out


def _accepted(values: dict[str, Any], schema: Mapping[str, Any] | None) -> dict[str, Any]:
    if not isinstance(schema, Mapping) or schema.get("additionalProperties", True) is not False:
        return values
    declared = schema.get("properties") or {}
    return {k: v for k, v in values.items() if k in declared}


def shared_values(
    platform: Platform, environment: str | None, values_schema: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """``global`` values for an extension of ``platform`` (filtered by the chart's schema)."""
    shared = merge_maps(platform_globals(platform), environment_globals(platform, environment))
    global_schema = ((values_schema or {}).get("properties") or {}).get("global")
    return _accepted(shared, global_schema if isinstance(global_schema, Mapping) else None)
