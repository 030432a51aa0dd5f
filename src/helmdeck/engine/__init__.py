"""The Helm port: charts, rendering, and release operations (install, upgrade, rollback, ...).

Offline work (load_chart, render) needs no cluster; release operations go through a
:class:`HelmEngine` bound to a kubeconfig, made by :func:`engine_for`.

Names are imported on first use (PEP 562), so importing one module of the package does not load
the others: the CLI starts without loading what its command does not need.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from helmdeck.lazy import lazy_getattr

if TYPE_CHECKING:
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
    from helmdeck.engine.release_writes import running as release_writes_running
    from helmdeck.engine.release_writes import stop as stop_release_writes
    from helmdeck.engine.releases import Release, ReleaseStatus
    from helmdeck.engine.render import RenderedRelease
    from helmdeck.engine.sdk_errors import ReleaseBusyError, ReleaseNotFoundError, ReleaseTimeoutError
    from helmdeck.engine.template_errors import TemplateFailure, parse_template_error, template_error

_EXPORTS: dict[str, tuple[str, str]] = {
    "ChartCache": ("helmdeck.engine.charts", "ChartCache"),
    "ChartDependency": ("helmdeck.engine.charts", "ChartDependency"),
    "ChartFile": ("helmdeck.engine.charts", "ChartFile"),
    "LoadedChart": ("helmdeck.engine.charts", "LoadedChart"),
    "default_cache_dir": ("helmdeck.engine.charts", "default_cache_dir"),
    "load_chart": ("helmdeck.engine.charts", "load_chart"),
    "DependencyStatus": ("helmdeck.engine.dependencies", "DependencyStatus"),
    "build_dependencies": ("helmdeck.engine.dependencies", "build_dependencies"),
    "dependency_status": ("helmdeck.engine.dependencies", "dependency_status"),
    "HelmSdkEngine": ("helmdeck.engine.helm_sdk", "HelmSdkEngine"),
    "engine_for": ("helmdeck.engine.helm_sdk", "engine_for"),
    "CancelToken": ("helmdeck.engine.port", "CancelToken"),
    "HelmEngine": ("helmdeck.engine.port", "HelmEngine"),
    "ChartRef": ("helmdeck.engine.refs", "ChartRef"),
    "ChartSource": ("helmdeck.engine.refs", "ChartSource"),
    "RepositoryCredentials": ("helmdeck.engine.refs", "RepositoryCredentials"),
    "release_writes_running": ("helmdeck.engine.release_writes", "running"),
    "stop_release_writes": ("helmdeck.engine.release_writes", "stop"),
    "Release": ("helmdeck.engine.releases", "Release"),
    "ReleaseStatus": ("helmdeck.engine.releases", "ReleaseStatus"),
    "RenderedRelease": ("helmdeck.engine.render", "RenderedRelease"),
    "ReleaseBusyError": ("helmdeck.engine.sdk_errors", "ReleaseBusyError"),
    "ReleaseNotFoundError": ("helmdeck.engine.sdk_errors", "ReleaseNotFoundError"),
    "ReleaseTimeoutError": ("helmdeck.engine.sdk_errors", "ReleaseTimeoutError"),
    "TemplateFailure": ("helmdeck.engine.template_errors", "TemplateFailure"),
    "parse_template_error": ("helmdeck.engine.template_errors", "parse_template_error"),
    "template_error": ("helmdeck.engine.template_errors", "template_error"),
}

# `render` is imported from helmdeck.engine.render: a lazy name cannot share its submodule's name
__getattr__ = lazy_getattr(__name__, _EXPORTS, globals())


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
    "release_writes_running",
    "stop_release_writes",
    "template_error",
]
