"""The Helm port: charts, rendering, and release operations (install, upgrade, rollback, ...).

Offline work (load_chart, render) needs no cluster; release operations go through a
:class:`HelmEngine` bound to a kubeconfig, made by :func:`engine_for`.
"""

from helmdeck.engine.charts import (
    ChartCache,
    ChartDependency,
    ChartFile,
    LoadedChart,
    default_cache_dir,
    load_chart,
)
from helmdeck.engine.dependencies import DependencyStatus, build_dependencies, dependency_status
from helmdeck.engine.helm_sdk import HelmSdkEngine, engine_for
from helmdeck.engine.port import CancelToken, HelmEngine
from helmdeck.engine.refs import ChartRef, ChartSource, RepositoryCredentials
from helmdeck.engine.releases import Release, ReleaseStatus
from helmdeck.engine.render import RenderedRelease, render
from helmdeck.engine.sdk_errors import ReleaseBusyError, ReleaseNotFoundError, ReleaseTimeoutError
from helmdeck.engine.template_errors import TemplateFailure, parse_template_error, template_error

__all__ = [
    "CancelToken",
    "ChartCache",
    "ChartDependency",
    "ChartFile",
    "ChartRef",
    "ChartSource",
    "DependencyStatus",
    "HelmEngine",
    "HelmSdkEngine",
    "LoadedChart",
    "Release",
    "ReleaseBusyError",
    "ReleaseNotFoundError",
    "ReleaseStatus",
    "ReleaseTimeoutError",
    "RenderedRelease",
    "RepositoryCredentials",
    "TemplateFailure",
    "build_dependencies",
    "default_cache_dir",
    "dependency_status",
    "engine_for",
    "load_chart",
    "parse_template_error",
    "render",
    "template_error",
]
