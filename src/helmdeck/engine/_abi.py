"""Direct calls into libhelm_c for options helm_python's wrappers do not pass through.

helm_python 0.2.2 forwards a subset of the options its native library accepts: its ``Chart.render``
has no ``kube_version``/``api_versions``, ``uninstall`` and ``rollback`` have no ``disable_hooks``,
``install``/``upgrade`` have no ``wait_for_jobs``/``take_ownership``/``skip_crds``, ``list`` has no
``selector``. The library's option keys are documented ABI ("additive only") and decoded strictly,
so an unknown key fails loudly rather than being ignored. Everything else goes through the public
wrappers; this module is the one place that touches ``helm_python._native``.
"""

from __future__ import annotations

import json
from typing import Any

import helm_python
from helm_python import _native

_NO_HANDLE = 0


def _opts(pairs: dict[str, Any]) -> str | None:
    present = {k: v for k, v in pairs.items() if v is not None and v is not False}
    return json.dumps(present) if present else None


def _values(values: dict[str, Any] | None) -> str | None:
    return None if values is None else json.dumps(values)


def _context(context: helm_python.HelmContext | None) -> object:
    return _native.HANDLE(_NO_HANDLE) if context is None else context._raw()


def render(chart: helm_python.Chart, values: dict[str, Any] | None, **options: Any) -> dict[str, str]:
    rendered = _native.call_string("helm_render", chart._raw(), _values(values), _opts(options))
    manifests: dict[str, str] = json.loads(rendered)
    return manifests


def chart_write(
    op: str,
    config: helm_python.Config,
    chart: helm_python.Chart,
    name: str,
    values: dict[str, Any] | None,
    context: helm_python.HelmContext | None,
    options: dict[str, Any],
) -> dict[str, Any]:
    """``helm_install`` or ``helm_upgrade`` (``op``), which take the same arguments: a loaded chart
    (no reference), the release's name and values, options."""
    payload = _native.call_string(
        f"helm_{op}", config._raw(), _context(context), chart._raw(), None, name, _values(values), _opts(options)
    )
    release: dict[str, Any] = json.loads(payload)
    return release


def uninstall(config: helm_python.Config, name: str, **options: Any) -> dict[str, Any]:
    payload = _native.call_string("helm_uninstall", config._raw(), name, _opts(options))
    result: dict[str, Any] = json.loads(payload)
    return result


def rollback(config: helm_python.Config, name: str, **options: Any) -> None:
    _native.call_status("helm_rollback", config._raw(), name, _opts(options))


def list_releases(config: helm_python.Config, **options: Any) -> list[dict[str, Any]]:
    payload = _native.call_string("helm_list", config._raw(), _opts(options))
    releases: list[dict[str, Any]] = json.loads(payload)
    return releases
