"""Rendered manifests: parsing, indexing by identity, platform-wide checks and inventories.

Names are imported on first use (PEP 562), so importing one module of the package does not load
the others: the CLI starts without loading what its command does not need.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from helmdeck.lazy import lazy_getattr

if TYPE_CHECKING:
    from helmdeck.findings import Finding, Severity
    from helmdeck.manifests.checks import (
        BUILTIN_NAMESPACES,
        check_platform,
    )
    from helmdeck.manifests.images import ImageRef
    from helmdeck.manifests.index import ObjectIndex, PlacedObject, PlatformObjects
    from helmdeck.manifests.inventory import (
        CustomKindUse,
        ImageUse,
        Inventory,
        StorageClassUse,
        VolumeClaimUse,
        list_images,
    )
    from helmdeck.manifests.objects import ManifestObject, ObjectKey, ObjRef
    from helmdeck.manifests.order import in_install_order, manifest_text
    from helmdeck.manifests.parse import ManifestError, parse_documents, parse_manifest_stream
    from helmdeck.manifests.scopes import ScopeResolver, is_builtin

_EXPORTS: dict[str, tuple[str, str]] = {
    "BUILTIN_NAMESPACES": ("helmdeck.manifests.checks", "BUILTIN_NAMESPACES"),
    "Finding": ("helmdeck.findings", "Finding"),
    "Severity": ("helmdeck.findings", "Severity"),
    "check_platform": ("helmdeck.manifests.checks", "check_platform"),
    "ImageRef": ("helmdeck.manifests.images", "ImageRef"),
    "ObjectIndex": ("helmdeck.manifests.index", "ObjectIndex"),
    "PlacedObject": ("helmdeck.manifests.index", "PlacedObject"),
    "PlatformObjects": ("helmdeck.manifests.index", "PlatformObjects"),
    "CustomKindUse": ("helmdeck.manifests.inventory", "CustomKindUse"),
    "ImageUse": ("helmdeck.manifests.inventory", "ImageUse"),
    "Inventory": ("helmdeck.manifests.inventory", "Inventory"),
    "StorageClassUse": ("helmdeck.manifests.inventory", "StorageClassUse"),
    "VolumeClaimUse": ("helmdeck.manifests.inventory", "VolumeClaimUse"),
    "list_images": ("helmdeck.manifests.inventory", "list_images"),
    "ManifestObject": ("helmdeck.manifests.objects", "ManifestObject"),
    "ObjectKey": ("helmdeck.manifests.objects", "ObjectKey"),
    "ObjRef": ("helmdeck.manifests.objects", "ObjRef"),
    "in_install_order": ("helmdeck.manifests.order", "in_install_order"),
    "manifest_text": ("helmdeck.manifests.order", "manifest_text"),
    "ManifestError": ("helmdeck.manifests.parse", "ManifestError"),
    "parse_documents": ("helmdeck.manifests.parse", "parse_documents"),
    "parse_manifest_stream": ("helmdeck.manifests.parse", "parse_manifest_stream"),
    "ScopeResolver": ("helmdeck.manifests.scopes", "ScopeResolver"),
    "is_builtin": ("helmdeck.manifests.scopes", "is_builtin"),
}

# `inventory` is imported from helmdeck.manifests.inventory: a lazy name cannot share its submodule's name
__getattr__ = lazy_getattr(__name__, _EXPORTS, globals())


__all__ = [
    "BUILTIN_NAMESPACES",
    "CustomKindUse",
    "Finding",
    "ImageRef",
    "ImageUse",
    "Inventory",
    "ManifestError",
    "ManifestObject",
    "ObjRef",
    "ObjectIndex",
    "ObjectKey",
    "PlacedObject",
    "PlatformObjects",
    "ScopeResolver",
    "Severity",
    "StorageClassUse",
    "VolumeClaimUse",
    "check_platform",
    "in_install_order",
    "is_builtin",
    "list_images",
    "manifest_text",
    "parse_documents",
    "parse_manifest_stream",
]
