"""What a CustomResourceDefinition says about its kind: the versions it serves, and for each
whether it declares a status subresource (the kind's contract about reporting health)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def crd_versions(crd: Mapping[str, Any]) -> dict[str, bool]:
    """Each served version of a CRD, and whether it declares a status subresource."""
    spec = _map(crd.get("spec"))
    out: dict[str, bool] = {}
    for entry in spec.get("versions") or []:
        version = _map(entry)
        if version.get("name") and version.get("served", True):
            out[str(version["name"])] = "status" in _map(version.get("subresources"))
    if not out and spec.get("version"):  # apiextensions v1beta1: one version, subresources beside it
        out[str(spec["version"])] = "status" in _map(spec.get("subresources"))
    return out
