"""The Helm port: charts, rendering, and release operations (install, upgrade, rollback, ...).

Offline work (load_chart, render) needs no cluster; release operations go through a
:class:`HelmEngine` bound to a kubeconfig, made by :func:`engine_for`.

Names are imported on first use (PEP 562), so importing one module of the package does not load
the others: the CLI starts without loading what its command does not need.
Its names are listed once, as the imports under ``TYPE_CHECKING`` (see :mod:`helmdeck.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from helmdeck.lazy import lazy_getattr, listed_in

if TYPE_CHECKING:
    from helmdeck.engine.charts import ChartCache as ChartCache
    from helmdeck.engine.charts import ChartDependency as ChartDependency
    from helmdeck.engine.charts import ChartFile as ChartFile
    from helmdeck.engine.charts import LoadedChart as LoadedChart
    from helmdeck.engine.charts import default_cache_dir as default_cache_dir
    from helmdeck.engine.charts import load_chart as load_chart
    from helmdeck.engine.dependencies import DependencyStatus as DependencyStatus
    from helmdeck.engine.dependencies import build_dependencies as build_dependencies
    from helmdeck.engine.dependencies import dependency_status as dependency_status
    from helmdeck.engine.helm_sdk import HelmSdkEngine as HelmSdkEngine
    from helmdeck.engine.helm_sdk import engine_for as engine_for
    from helmdeck.engine.port import CancelToken as CancelToken
    from helmdeck.engine.port import HelmEngine as HelmEngine
    from helmdeck.engine.refs import ChartRef as ChartRef
    from helmdeck.engine.refs import ChartSource as ChartSource
    from helmdeck.engine.refs import RepositoryCredentials as RepositoryCredentials
    from helmdeck.engine.releases import Release as Release
    from helmdeck.engine.releases import ReleaseStatus as ReleaseStatus
    from helmdeck.engine.render import RenderedRelease as RenderedRelease
    from helmdeck.engine.sdk_errors import ReleaseBusyError as ReleaseBusyError
    from helmdeck.engine.sdk_errors import ReleaseNotFoundError as ReleaseNotFoundError
    from helmdeck.engine.sdk_errors import ReleaseTimeoutError as ReleaseTimeoutError
    from helmdeck.engine.template_errors import TemplateFailure as TemplateFailure
    from helmdeck.engine.template_errors import parse_template_error as parse_template_error
    from helmdeck.engine.template_errors import template_error as template_error

# `render` is imported from helmdeck.engine.render: a lazy name cannot share its submodule's name
__getattr__ = lazy_getattr(__name__, listed_in(__file__), globals())
