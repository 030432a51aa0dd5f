"""Helm's two ways of combining values, reimplemented so every step can be traced.

* :func:`merge_maps` is how Helm folds the values a user supplies (``-f`` files, then
  ``--set``): later wins, maps merge key by key, lists and scalars replace, and ``null``
  is kept as a value.
* :func:`coalesce` is how Helm lays those user values over a chart's defaults: the user
  wins, maps merge, a user ``null`` deletes the chart's key, and nulls in the chart's own
  defaults are dropped.

Both follow the Helm SDK we embed (4.2; the unit tests compare them with it on random
inputs); like Helm they never fail: a map meeting a non-map goes to the higher layer.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any


def merge_maps(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``override`` over ``base``; neither input is modified (the result may share sub-values)."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict):
            current = out.get(key)
            if isinstance(current, dict):
                out[key] = merge_maps(current, value)
                continue
        out[key] = value
    return out


def coalesce(defaults: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """User ``values`` over a chart's ``defaults`` (a chart without subcharts), as Helm renders it."""
    dest = copy.deepcopy(dict(values))
    for key, default in defaults.items():
        if key in dest:
            given = dest[key]
            if given is None:
                del dest[key]
            elif isinstance(given, dict) and isinstance(default, dict):
                _coalesce_tables(given, _without_nulls(default))
        elif default is not None:
            dest[key] = _without_nulls(default) if isinstance(default, dict) else copy.deepcopy(default)
    return dest


def _coalesce_tables(dst: dict[str, Any], src: dict[str, Any]) -> None:
    """Fill ``dst`` (the higher layer) from ``src``; a null in ``dst`` removes a non-null default."""
    non_null_defaults = {k for k, v in src.items() if v is not None}
    for key, value in dst.items():
        if value is None:
            src[key] = None
    for key, default in src.items():
        if key in dst:
            given = dst[key]
            if given is None and key in non_null_defaults:
                del dst[key]
            elif isinstance(default, dict) and isinstance(given, dict):
                _coalesce_tables(given, default)
        else:
            dst[key] = default


def _without_nulls(data: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of ``data`` with null entries of nested maps removed (lists left alone)."""
    return {k: _without_nulls(v) if isinstance(v, dict) else copy.deepcopy(v) for k, v in data.items() if v is not None}
