"""Offline bundles: a platform, its charts, values files and image list in one verifiable archive.

* :func:`create_bundle` writes one (``helmdeck bundle --out-file FILE``);
* :func:`verify_bundle` checks every file against its checksum (``helmdeck bundle verify``);
* :func:`read_images` lists the images to preload (``helmdeck bundle images``);
* :func:`open_bundle` and :func:`offline_guard` are how one is deployed
  (``helmdeck deploy --bundle FILE [--offline]``, through :func:`helmdeck.app.opening.open_platform`).

Names are imported on first use (PEP 562), so importing one module of the package does not load
the others: the CLI starts without loading what its command does not need.
Its names are listed once, as the imports under ``TYPE_CHECKING`` (see :mod:`helmdeck.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from helmdeck.lazy import lazy_getattr, listed_in

if TYPE_CHECKING:
    from helmdeck.bundle.create import BundleResult as BundleResult
    from helmdeck.bundle.create import create_bundle as create_bundle
    from helmdeck.bundle.errors import BundleError as BundleError
    from helmdeck.bundle.errors import BundleProblem as BundleProblem
    from helmdeck.bundle.manifest import BundleManifest as BundleManifest
    from helmdeck.bundle.manifest import ChartEntry as ChartEntry
    from helmdeck.bundle.manifest import FileEntry as FileEntry
    from helmdeck.bundle.manifest import ImageEntry as ImageEntry
    from helmdeck.bundle.manifest import RequiredFile as RequiredFile
    from helmdeck.bundle.offline import OfflineRefused as OfflineRefused
    from helmdeck.bundle.offline import network_references as network_references
    from helmdeck.bundle.offline import offline_guard as offline_guard
    from helmdeck.bundle.offline import write_offline_values as write_offline_values
    from helmdeck.bundle.open import bundle_manifest as bundle_manifest
    from helmdeck.bundle.open import check_contained as check_contained
    from helmdeck.bundle.open import open_bundle as open_bundle
    from helmdeck.bundle.open import provide_files as provide_files
    from helmdeck.bundle.verify import Verification as Verification
    from helmdeck.bundle.verify import read_images as read_images
    from helmdeck.bundle.verify import verify_bundle as verify_bundle


__getattr__ = lazy_getattr(__name__, listed_in(__file__), globals())
