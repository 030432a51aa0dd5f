"""GitOps export: the platform as Flux HelmReleases or Argo CD Applications (``helmdeck export``).

Names are imported on first use (PEP 562), so importing one module of the package does not load
the others. The imports below are the one list of them (see :mod:`helmdeck.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from helmdeck.lazy import lazy_getattr, listed_in

if TYPE_CHECKING:
    from helmdeck.gitops.errors import ExportError as ExportError
    from helmdeck.gitops.export import ExportResult as ExportResult
    from helmdeck.gitops.export import GitopsTool as GitopsTool
    from helmdeck.gitops.export import export_platform as export_platform

__getattr__ = lazy_getattr(__name__, listed_in(__file__), globals())
