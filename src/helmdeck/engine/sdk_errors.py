"""Turning helm_python's exceptions into helmdeck errors that say what to do."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import ClassVar

import helm_python

from helmdeck.engine.template_errors import parse_template_error, template_error
from helmdeck.errors import ClusterError, ConfigError, HelmdeckError


class ReleaseNotFoundError(ClusterError):
    """The release (or the asked-for revision of it) does not exist."""


class ReleaseBusyError(ClusterError):
    """Another operation on the release is in progress, or one died and left it pending."""

    http_status: ClassVar[int] = 409


class ReleaseTimeoutError(ClusterError):
    """The operation did not finish in time, or was cancelled."""


# Fragments of Helm's messages -> (error class, fix). Checked in order; the first match wins.
_RELEASE_HINTS: tuple[tuple[str, type[ClusterError], str], ...] = (
    (
        "another operation (install/upgrade/rollback) is in progress",
        ReleaseBusyError,
        "wait for the other operation; if its process died, the release is stuck pending and the "
        "next helmdeck deploy recovers it once no live operator holds the platform lock",
    ),
    (
        "a name that is still in use",
        ClusterError,
        "the release already exists: upgrade it, or uninstall it first",
    ),
    (
        "release has no",
        ReleaseNotFoundError,
        "that revision does not exist; `helmdeck history` (or helm history) lists the revisions",
    ),
    (
        "has no deployed releases",
        ClusterError,
        "every revision of this release failed; uninstall it and install again",
    ),
    (
        "exists and cannot be imported into the current release",
        ClusterError,
        "an object of this chart already exists and belongs to another release or was created "
        "outside Helm: delete it, rename it in values, or let helmdeck take ownership",
    ),
    (
        "context deadline exceeded",
        ReleaseTimeoutError,
        "raise the component's health timeout, or look at why its pods do not become ready",
    ),
    (
        "timed out waiting",
        ReleaseTimeoutError,
        "raise the component's health timeout, or look at why its pods do not become ready",
    ),
    (
        "forbidden",
        ClusterError,
        "the kubeconfig's user lacks permission for this; use an account allowed to manage the namespace",
    ),
    (
        "unauthorized",
        ClusterError,
        "the kubeconfig's credentials were refused; refresh them",
    ),
)


# Install and upgrade report template and schema failures as release errors, not render errors.
_TEMPLATE_MARKERS = ("execution error at (", "parse error at (", "template: ", '  executing "')
_SCHEMA_MARKER = "values don't meet the specifications of the schema"


def _is_template_failure(text: str) -> bool:
    return any(marker in text for marker in _TEMPLATE_MARKERS) and bool(parse_template_error(text).locations)


def _detail(exc: helm_python.HelmError) -> str:
    return " ".join(str(exc.detail or exc).split())


def release_error(
    exc: helm_python.HelmError,
    *,
    action: str,
    release: str,
    namespace: str,
    chart: str | None = None,
    component: str | None = None,
    values_files: Sequence[str] = (),
) -> HelmdeckError:
    """Map an exception from a release action (install, upgrade, status, ...) to a helmdeck error."""
    where = f"release {namespace}/{release}"
    detail = _detail(exc)
    raw = str(exc.detail or exc)
    if isinstance(exc, helm_python.HelmRenderError) or _is_template_failure(raw):
        return template_error(
            str(exc.detail or exc), chart=chart or release, component=component, values_files=values_files
        )
    if isinstance(exc, helm_python.HelmValuesError) or _SCHEMA_MARKER in raw:
        return ConfigError(
            f"values for {where} are rejected: {detail}",
            where=where,
            fix="correct the values the chart's values.schema.json complains about"
            + (f" (values files: {', '.join(values_files)})" if values_files else ""),
        )
    if isinstance(exc, helm_python.HelmNotFoundError):
        return ReleaseNotFoundError(
            f"{action}: not found ({detail})",
            where=where,
            fix="check the release name and namespace; `helmdeck status` lists the platform's releases",
        )
    if isinstance(exc, helm_python.HelmCancelledError):
        return ReleaseTimeoutError(f"{action} was cancelled or timed out: {detail}", where=where)
    if isinstance(exc, helm_python.HelmKubeError):
        return cluster_unreachable(exc)
    if isinstance(exc, helm_python.HelmInvalidArgError):
        return ConfigError(f"{action}: {detail}", where=where)
    if isinstance(exc, helm_python.HelmChartLoadError | helm_python.HelmChartInvalidError):
        return ConfigError(f"{action}: the chart is not usable: {detail}", where=where)
    lowered = detail.lower()
    for fragment, cls, fix in _RELEASE_HINTS:
        if fragment in lowered:
            return cls(f"{action} failed: {detail}", where=where, fix=fix)
    return ClusterError(f"{action} failed: {detail}", where=where)


def cluster_unreachable(exc: helm_python.HelmError) -> ClusterError:
    return ClusterError(
        f"cannot reach the Kubernetes cluster: {_detail(exc)}",
        fix="check the kubeconfig (its server address and credentials); for the local sandbox run "
        "`helmdeck sandbox status`",
    )


_NON_FINITE = re.compile(r"json: unsupported value: (\+Inf|-Inf|NaN)")


def chart_error(exc: helm_python.HelmError, *, ref: str) -> ConfigError:
    """Map an exception from loading or fetching a chart."""
    detail = _detail(exc)
    if isinstance(exc, helm_python.HelmRegistryError | helm_python.HelmRepoError):
        return ConfigError(
            f"cannot fetch chart {ref}: {detail}",
            where=ref,
            fix="check the chart reference and version, that the repository or registry is reachable, "
            "and its credentials",
        )
    non_finite = _NON_FINITE.search(detail)
    if non_finite is not None:
        # Go's YAML reads .inf and .nan, then its JSON conversion cannot write them
        shown = {"+Inf": ".inf", "-Inf": "-.inf", "NaN": ".nan"}[non_finite.group(1)]
        return ConfigError(
            f"cannot load chart {ref}: a values file of the chart holds {shown}, which Helm cannot read "
            "(values become JSON, which has no such number)",
            where=ref,
            fix=f"in the chart's values.yaml, write a number instead of {shown} or quote it ('{shown}')",
        )
    return ConfigError(
        f"cannot load chart {ref}: {detail}",
        where=ref,
        fix="point the component at a chart directory (with Chart.yaml), a .tgz chart archive, an "
        "oci:// reference, or a repository chart with a version",
    )
