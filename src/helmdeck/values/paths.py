"""Dotted value paths; defined with the platform file (which uses them in ``set`` and ``into``)."""

from helmdeck.spec.value_paths import join_key, lookup, nest, split_key

__all__ = ["join_key", "lookup", "nest", "split_key"]
