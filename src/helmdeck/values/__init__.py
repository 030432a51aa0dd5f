"""Values: Helm's merging, layering with provenance ("who set backend.replicas?"), --set parsing.

Names are imported on first use (PEP 562), so importing one module of the package does not load
the others: the CLI starts without loading what its command does not need.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from helmdeck.lazy import lazy_getattr

if TYPE_CHECKING:
    from helmdeck.values.chart_defaults import load_chart_defaults
    from helmdeck.values.files import ValuesFile, load_values_file, parse_values
    from helmdeck.values.layers import NOTHING, Layer, LayeredValues, Provenance, compute_values
    from helmdeck.values.merge import coalesce, merge_maps
    from helmdeck.values.paths import join_key, lookup, nest, split_key
    from helmdeck.values.set_expressions import parse_set

_EXPORTS: dict[str, tuple[str, str]] = {
    "load_chart_defaults": ("helmdeck.values.chart_defaults", "load_chart_defaults"),
    "ValuesFile": ("helmdeck.values.files", "ValuesFile"),
    "load_values_file": ("helmdeck.values.files", "load_values_file"),
    "parse_values": ("helmdeck.values.files", "parse_values"),
    "NOTHING": ("helmdeck.values.layers", "NOTHING"),
    "Layer": ("helmdeck.values.layers", "Layer"),
    "LayeredValues": ("helmdeck.values.layers", "LayeredValues"),
    "Provenance": ("helmdeck.values.layers", "Provenance"),
    "compute_values": ("helmdeck.values.layers", "compute_values"),
    "coalesce": ("helmdeck.values.merge", "coalesce"),
    "merge_maps": ("helmdeck.values.merge", "merge_maps"),
    "join_key": ("helmdeck.values.paths", "join_key"),
    "lookup": ("helmdeck.values.paths", "lookup"),
    "nest": ("helmdeck.values.paths", "nest"),
    "split_key": ("helmdeck.values.paths", "split_key"),
    "parse_set": ("helmdeck.values.set_expressions", "parse_set"),
}

__getattr__ = lazy_getattr(__name__, _EXPORTS, globals())


__all__ = [
    "NOTHING",
    "Layer",
    "LayeredValues",
    "Provenance",
    "ValuesFile",
    "coalesce",
    "compute_values",
    "join_key",
    "load_chart_defaults",
    "load_values_file",
    "lookup",
    "merge_maps",
    "nest",
    "parse_set",
    "parse_values",
    "split_key",
]
