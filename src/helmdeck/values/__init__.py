"""Values: Helm's merging, layering with provenance ("who set backend.replicas?"), --set parsing.

Names are imported on first use (PEP 562), so importing one module of the package does not load
the others: the CLI starts without loading what its command does not need.
Its names are listed once, as the imports under ``TYPE_CHECKING`` (see :mod:`helmdeck.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from helmdeck.lazy import lazy_getattr, listed_in

if TYPE_CHECKING:
    from helmdeck.values.chart_defaults import load_chart_defaults as load_chart_defaults
    from helmdeck.values.files import ValuesFile as ValuesFile
    from helmdeck.values.files import load_values_file as load_values_file
    from helmdeck.values.files import parse_values as parse_values
    from helmdeck.values.layers import NOTHING as NOTHING
    from helmdeck.values.layers import Layer as Layer
    from helmdeck.values.layers import LayeredValues as LayeredValues
    from helmdeck.values.layers import Provenance as Provenance
    from helmdeck.values.layers import compute_values as compute_values
    from helmdeck.values.merge import coalesce as coalesce
    from helmdeck.values.merge import merge_maps as merge_maps
    from helmdeck.values.paths import join_key as join_key
    from helmdeck.values.paths import lookup as lookup
    from helmdeck.values.paths import nest as nest
    from helmdeck.values.paths import split_key as split_key
    from helmdeck.values.set_expressions import parse_set as parse_set


__getattr__ = lazy_getattr(__name__, listed_in(__file__), globals())
