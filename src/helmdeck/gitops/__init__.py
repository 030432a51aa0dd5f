"""GitOps export: the platform as Flux HelmReleases or Argo CD Applications (``helmdeck export``).

Names are imported on first use (PEP 562), so importing one module of the package does not load
the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from helmdeck.lazy import lazy_getattr

if TYPE_CHECKING:
    from helmdeck.gitops.errors import ExportError
    from helmdeck.gitops.export import ExportResult, GitopsTool, export_platform

_EXPORTS: dict[str, tuple[str, str]] = {
    "ExportError": ("helmdeck.gitops.errors", "ExportError"),
    "ExportResult": ("helmdeck.gitops.export", "ExportResult"),
    "GitopsTool": ("helmdeck.gitops.export", "GitopsTool"),
    "export_platform": ("helmdeck.gitops.export", "export_platform"),
}

__getattr__ = lazy_getattr(__name__, _EXPORTS, globals())

__all__ = ["ExportError", "ExportResult", "GitopsTool", "export_platform"]
