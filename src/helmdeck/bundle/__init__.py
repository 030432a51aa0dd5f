"""Offline bundles: a platform, its charts, values files and image list in one verifiable archive.

* :func:`create_bundle` writes one (``helmdeck bundle --out-file FILE``);
* :func:`verify_bundle` checks every file against its checksum (``helmdeck bundle verify``);
* :func:`read_images` lists the images to preload (``helmdeck bundle images``);
* :func:`open_bundle` and :func:`offline_guard` are how one is deployed
  (``helmdeck deploy --bundle FILE [--offline]``, through :func:`helmdeck.app.opening.open_platform`).

Names are imported on first use (PEP 562), so importing one module of the package does not load
the others: the CLI starts without loading what its command does not need.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from helmdeck.lazy import lazy_getattr

if TYPE_CHECKING:
    from helmdeck.bundle.create import BundleResult, create_bundle
    from helmdeck.bundle.errors import BundleError, BundleProblem
    from helmdeck.bundle.manifest import BundleManifest, ChartEntry, FileEntry, ImageEntry, RequiredFile
    from helmdeck.bundle.offline import OfflineRefused, network_references, offline_guard, write_offline_values
    from helmdeck.bundle.open import (
        bundle_manifest,
        check_contained,
        open_bundle,
        provide_files,
    )
    from helmdeck.bundle.verify import Verification, read_images, verify_bundle

_EXPORTS: dict[str, tuple[str, str]] = {
    "BundleResult": ("helmdeck.bundle.create", "BundleResult"),
    "create_bundle": ("helmdeck.bundle.create", "create_bundle"),
    "BundleError": ("helmdeck.bundle.errors", "BundleError"),
    "BundleProblem": ("helmdeck.bundle.errors", "BundleProblem"),
    "BundleManifest": ("helmdeck.bundle.manifest", "BundleManifest"),
    "ChartEntry": ("helmdeck.bundle.manifest", "ChartEntry"),
    "FileEntry": ("helmdeck.bundle.manifest", "FileEntry"),
    "ImageEntry": ("helmdeck.bundle.manifest", "ImageEntry"),
    "RequiredFile": ("helmdeck.bundle.manifest", "RequiredFile"),
    "OfflineRefused": ("helmdeck.bundle.offline", "OfflineRefused"),
    "network_references": ("helmdeck.bundle.offline", "network_references"),
    "offline_guard": ("helmdeck.bundle.offline", "offline_guard"),
    "write_offline_values": ("helmdeck.bundle.offline", "write_offline_values"),
    "bundle_manifest": ("helmdeck.bundle.open", "bundle_manifest"),
    "check_contained": ("helmdeck.bundle.open", "check_contained"),
    "open_bundle": ("helmdeck.bundle.open", "open_bundle"),
    "provide_files": ("helmdeck.bundle.open", "provide_files"),
    "Verification": ("helmdeck.bundle.verify", "Verification"),
    "read_images": ("helmdeck.bundle.verify", "read_images"),
    "verify_bundle": ("helmdeck.bundle.verify", "verify_bundle"),
}

__getattr__ = lazy_getattr(__name__, _EXPORTS, globals())


__all__ = [
    "BundleError",
    "BundleManifest",
    "BundleProblem",
    "BundleResult",
    "ChartEntry",
    "FileEntry",
    "ImageEntry",
    "OfflineRefused",
    "RequiredFile",
    "Verification",
    "bundle_manifest",
    "check_contained",
    "create_bundle",
    "network_references",
    "offline_guard",
    "open_bundle",
    "provide_files",
    "read_images",
    "verify_bundle",
    "write_offline_values",
]
