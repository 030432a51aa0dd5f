"""``--offline``: refuse whatever needs the network, and keep images to what the nodes already have.

Offline, a deploy may read only local files: a component chart or an extension catalog entry that
is an ``oci://`` reference or a chart repository is refused, each named with the component (or
entry) and where the platform file says it. Everything else helmdeck does talks to the cluster
alone.

Images are preloaded on air-gapped nodes, so pods must not try to pull: the offline layer sets
``global.imagePullPolicy: IfNotPresent`` (the convention our example charts read, letting one key
reach every chart and subchart) and, for each component, every ``pullPolicy``/``imagePullPolicy``
key its chart's defaults declare (the common ``image.pullPolicy`` included), since most charts read
only their own key. The layer is an umbrella values file given before the user's ``--values``, so
the user can still override it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from helmdeck.engine import ChartRef, load_chart
from helmdeck.errors import ConfigError
from helmdeck.spec import Platform

PULL_POLICY = "IfNotPresent"
_POLICY_KEYS = ("pullPolicy", "imagePullPolicy")


class OfflineRefused(ConfigError):
    """The platform needs the network; ``refused`` holds one ConfigError per reference."""

    refused: list[ConfigError]

    def __init__(self, refused: list[ConfigError]) -> None:
        first = refused[0]
        message = (
            first.message
            if len(refused) == 1
            else f"{len(refused)} references need the network: " + "; ".join(r.message for r in refused)
        )
        super().__init__(
            message,
            where=first.where,
            fix="build an offline bundle on a connected machine (`helmdeck bundle --out-file FILE`) and deploy it with "
            "--bundle, or point these at local charts",
            details={"refused": [r.as_dict() for r in refused]},
        )
        self.refused = refused


def network_references(platform: Platform) -> list[ConfigError]:
    """One error per chart reference of ``platform`` that needs the network to load."""
    out: list[ConfigError] = []
    for i, component in enumerate(platform.components):
        if component.chart_kind in ("oci", "repo"):
            source = component.chart if isinstance(component.chart, str) else component.chart.model_dump()
            out.append(
                ConfigError(
                    f"component {component.name}: chart {ChartRef.parse(source)} is remote",
                    where=platform.where(("spec", "components", i, "chart")),
                )
            )
    for k, entry in enumerate(platform.spec.extensions.catalog):
        if "://" in entry:
            out.append(
                ConfigError(
                    f"extension catalog entry {entry} is remote",
                    where=platform.where(("spec", "extensions", "catalog", k)),
                )
            )
    return out


def _policy_paths(values: Mapping[str, Any], path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Paths of the string-valued pull policy keys in a chart's defaults (not under ``global``)."""
    out: list[tuple[str, ...]] = []
    for key, value in values.items():
        here = (*path, str(key))
        if isinstance(value, Mapping):
            if not (not path and key == "global"):
                out += _policy_paths(value, here)
        elif key in _POLICY_KEYS and isinstance(value, str):
            out.append(here)
    return out


def _nest(paths: list[tuple[str, ...]], value: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path in paths:
        node = out
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return out


def offline_guard(platform: Platform) -> dict[str, Any]:
    """Refuse a platform that needs the network; else the offline values layer (umbrella style).

    Raises:
        OfflineRefused: naming every remote chart reference and catalog entry.
    """
    refused = network_references(platform)
    if refused:
        raise OfflineRefused(refused)
    layer: dict[str, Any] = {"global": {"imagePullPolicy": PULL_POLICY}}
    for component in platform.components:
        source = component.chart if isinstance(component.chart, str) else component.chart.model_dump()
        chart = load_chart(source, base_dir=platform.base_dir)
        paths = _policy_paths(chart.default_values)
        if paths:
            layer[component.name] = _nest(paths, PULL_POLICY)
    return layer


def write_offline_values(platform: Platform, directory: Path) -> Path:
    """:func:`offline_guard`'s layer written as ``offline-values.yaml`` in ``directory`` (for ``cli_files``)."""
    layer = offline_guard(platform)
    path = directory / "offline-values.yaml"
    path.write_text(
        "# helmdeck --offline: images come from the nodes, never from a registry\n"
        + yaml.safe_dump(layer, sort_keys=True),
        encoding="utf-8",
    )
    return path
