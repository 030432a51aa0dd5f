"""Rendered manifests: parsing, indexing by identity, platform-wide checks and inventories."""

from helmdeck.manifests.checks import (
    BUILTIN_NAMESPACES,
    Finding,
    Severity,
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
    inventory,
    list_images,
)
from helmdeck.manifests.objects import ManifestObject, ObjectKey, ObjectRef
from helmdeck.manifests.order import in_install_order, manifest_text
from helmdeck.manifests.parse import ManifestError, parse_documents, parse_manifest_stream
from helmdeck.manifests.scopes import ScopeResolver, is_builtin

__all__ = [
    "BUILTIN_NAMESPACES",
    "CustomKindUse",
    "Finding",
    "ImageRef",
    "ImageUse",
    "Inventory",
    "ManifestError",
    "ManifestObject",
    "ObjectIndex",
    "ObjectKey",
    "ObjectRef",
    "PlacedObject",
    "PlatformObjects",
    "ScopeResolver",
    "Severity",
    "StorageClassUse",
    "VolumeClaimUse",
    "check_platform",
    "in_install_order",
    "inventory",
    "is_builtin",
    "list_images",
    "manifest_text",
    "parse_documents",
    "parse_manifest_stream",
]
