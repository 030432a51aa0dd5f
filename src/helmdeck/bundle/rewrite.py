"""The platform file as a bundle carries it: the user's file, comments kept, with every chart,
values file, secret file and catalog entry pointing inside the bundle (and, for a one-environment
bundle, the other environments dropped).

Edits follow the model: the i-th component of the model is the i-th item of ``spec.components``,
so the document is walked by the same paths the loader reported errors with.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML


@dataclass
class Rewrites:
    """New values for the path-like fields, keyed by their position in the model."""

    charts: dict[int, str] = field(default_factory=dict)
    """component index -> chart path in the bundle"""
    component_values: dict[tuple[int, int], str] = field(default_factory=dict)
    """(component index, file index) -> path"""
    component_env_values: dict[tuple[int, str, int], str] = field(default_factory=dict)
    environment_values: dict[tuple[str, int], str] = field(default_factory=dict)
    catalog: dict[int, str] = field(default_factory=dict)
    secret_files: dict[str, str] = field(default_factory=dict)
    keep_environments: Sequence[str] | None = None
    """None: keep all"""


_HEADER = (
    "# Rewritten by `helmdeck bundle`: charts and values files point inside this bundle.\n"
    "# Files listed under `required` in bundle.json are provided at deploy time (helmdeck deploy --provide).\n"
)


def _get(node: Any, *names: str) -> Any:
    """The value of the first key in ``names`` present (camelCase and snake_case both validate)."""
    if isinstance(node, Mapping):
        for name in names:
            if name in node:
                return node[name]
    return None


def _pick(table: Mapping[tuple[Any, ...], str], *prefix: Any) -> list[tuple[int, str]]:
    """``(last index, value)`` of the entries of ``table`` whose key starts with ``prefix``."""
    n = len(prefix)
    return [(key[n], value) for key, value in table.items() if len(key) == n + 1 and key[:n] == prefix]


def _rewrite_environments(
    environments: Any, keep: set[str] | None, values: Mapping[tuple[Any, ...], str], *prefix: Any
) -> None:
    """An ``environments`` mapping (the platform's or a component's) without the environments not
    kept, each kept one's values files renamed as ``values`` (keyed by ``prefix``, environment, index) says."""
    if not isinstance(environments, dict):
        return
    for env in list(environments):
        if keep is not None and env not in keep:
            del environments[env]
            continue
        for j, new in _pick(values, *prefix, env):
            _set_item(_get(environments[env], "values"), j, new)


def _set_item(seq: Any, index: int, value: str) -> None:
    if isinstance(seq, list) and 0 <= index < len(seq):
        seq[index] = value


def _yaml() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def rewrite_platform_text(text: str, rewrites: Rewrites) -> str:
    """``text`` (a platform file that loaded) with the ``rewrites`` applied."""
    yaml = _yaml()
    doc = yaml.load(text)
    spec = doc["spec"]
    keep = set(rewrites.keep_environments) if rewrites.keep_environments is not None else None

    _rewrite_environments(_get(spec, "environments"), keep, rewrites.environment_values)

    for i, component in enumerate(spec["components"]):
        if i in rewrites.charts:
            component["chart"] = rewrites.charts[i]
        for j, new in _pick(rewrites.component_values, i):
            _set_item(_get(component, "values"), j, new)
        _rewrite_environments(_get(component, "environments"), keep, rewrites.component_env_values, i)

    for k, new in rewrites.catalog.items():
        _set_item(_get(_get(spec, "extensions"), "catalog"), k, new)

    secrets = _get(spec, "secrets")
    if isinstance(secrets, dict):
        for name, decl in secrets.items():
            if name in rewrites.secret_files and isinstance(decl, dict):
                key = "fromFile" if "fromFile" in decl else "from_file"
                decl[key] = rewrites.secret_files[name]

    out = io.StringIO()
    yaml.dump(doc, out)
    return _HEADER + out.getvalue()
