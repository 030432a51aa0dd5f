"""The values an extension is rendered and installed with: the platform's shared ``global``
values, and the install's parameters where the chart's templates read them (``parameters.NAME``
for helmdeck's charts, ``global.NAME`` for Kaapana's, see :mod:`helmdeck.extensions.kaapana`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from helmdeck.extensions.catalog import Extension
from helmdeck.extensions.kaapana import kaapana_global_values
from helmdeck.extensions.parameters import PARAMETERS_KEY


def extension_values(ext: Extension, shared: Mapping[str, Any], parameters: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {"global": dict(shared)}
    if ext.parameter_style == "kaapana":
        # Kaapana lays extension parameters over the platform's globals, so they win a clash
        values["global"].update(kaapana_global_values(ext.parameters, parameters))
    elif parameters or ext.parameters:
        values[PARAMETERS_KEY] = dict(parameters)
    return values


def default_parameters(ext: Extension) -> dict[str, Any]:
    """What an install without parameters would get, for rendering the catalog's charts (images)."""
    if ext.parameter_style != "kaapana":
        return {}
    return {p.name: p.default for p in ext.parameters if p.has_default}
