"""Offline bundles: a platform, its charts, values files and image list in one verifiable archive.

* :func:`create_bundle` writes one (``helmdeck bundle -o FILE``);
* :func:`verify_bundle` checks every file against its checksum (``helmdeck bundle verify``);
* :func:`read_images` lists the images to preload (``helmdeck bundle images``);
* :func:`session_from_bundle` deploys from one (``helmdeck deploy --bundle FILE [--offline]``),
  through :func:`open_bundle` and :func:`offline_guard`; :func:`session_for_deploy` is what the
  ``deploy`` and ``plan`` commands call (bundle or platform file, offline or not).
"""

from helmdeck.bundle.create import BundleResult, create_bundle
from helmdeck.bundle.errors import BundleError, BundleProblem
from helmdeck.bundle.manifest import BundleManifest, ChartEntry, FileEntry, ImageEntry, RequiredFile
from helmdeck.bundle.offline import OfflineRefused, network_references, offline_guard, write_offline_values
from helmdeck.bundle.open import (
    bundle_manifest,
    check_contained,
    open_bundle,
    provide_files,
    session_for_deploy,
    session_from_bundle,
)
from helmdeck.bundle.verify import Verification, read_images, verify_bundle

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
    "session_for_deploy",
    "session_from_bundle",
    "verify_bundle",
    "write_offline_values",
]
