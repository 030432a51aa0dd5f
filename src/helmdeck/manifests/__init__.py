"""Rendered manifests: parsing, indexing by identity, platform-wide checks and inventories.

Names are imported on first use (PEP 562), so importing one module of the package does not load
the others: the CLI starts without loading what its command does not need.
Its names are listed once, as the imports under ``TYPE_CHECKING`` (see :mod:`helmdeck.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from helmdeck.lazy import lazy_getattr, listed_in

if TYPE_CHECKING:
    from helmdeck.findings import Finding as Finding
    from helmdeck.findings import Severity as Severity
    from helmdeck.manifests.checks import BUILTIN_NAMESPACES as BUILTIN_NAMESPACES
    from helmdeck.manifests.checks import check_platform as check_platform
    from helmdeck.manifests.images import ImageRef as ImageRef
    from helmdeck.manifests.index import ObjectIndex as ObjectIndex
    from helmdeck.manifests.index import PlacedObject as PlacedObject
    from helmdeck.manifests.index import PlatformObjects as PlatformObjects
    from helmdeck.manifests.inventory import CustomKindUse as CustomKindUse
    from helmdeck.manifests.inventory import ImageUse as ImageUse
    from helmdeck.manifests.inventory import Inventory as Inventory
    from helmdeck.manifests.inventory import StorageClassUse as StorageClassUse
    from helmdeck.manifests.inventory import VolumeClaimUse as VolumeClaimUse
    from helmdeck.manifests.inventory import list_images as list_images
    from helmdeck.manifests.objects import ManifestObject as ManifestObject
    from helmdeck.manifests.objects import ObjectKey as ObjectKey
    from helmdeck.manifests.objects import ObjRef as ObjRef
    from helmdeck.manifests.order import in_install_order as in_install_order
    from helmdeck.manifests.order import manifest_text as manifest_text
    from helmdeck.manifests.parse import ManifestError as ManifestError
    from helmdeck.manifests.parse import parse_documents as parse_documents
    from helmdeck.manifests.parse import parse_manifest_stream as parse_manifest_stream
    from helmdeck.manifests.scopes import ScopeResolver as ScopeResolver
    from helmdeck.manifests.scopes import is_builtin as is_builtin


# `inventory` is imported from helmdeck.manifests.inventory: a lazy name cannot share its submodule's name
__getattr__ = lazy_getattr(__name__, listed_in(__file__), globals())
