"""Values: Helm's merging, layering with provenance ("who set backend.replicas?"), --set parsing."""

from helmdeck.values.chart_defaults import load_chart_defaults
from helmdeck.values.files import ValuesFile, load_values_file, parse_values
from helmdeck.values.layers import NOTHING, Layer, LayeredValues, Provenance, compute_values
from helmdeck.values.merge import coalesce, merge_maps
from helmdeck.values.paths import join_key, lookup, nest, split_key
from helmdeck.values.set_expressions import parse_set

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
