"""The platform's desired state as preflight sees it: each component rendered (a component that
fails to render is a finding), with the secrets it would get, and custom kinds the cluster serves
as cluster-scoped placed as such."""

from __future__ import annotations

from collections.abc import Iterable

from helmdeck.core.session import DesiredComponent
from helmdeck.doctor.findings import Finding
from helmdeck.doctor.preflight.run import PreflightRun
from helmdeck.doctor.rules.desired import REQUIRES_GPU_ANNOTATION, ComponentView, PlatformView
from helmdeck.errors import HelmdeckError
from helmdeck.manifests import is_builtin
from helmdeck.secrets.store import placeholder_secrets


def render(run: PreflightRun) -> PlatformView:
    """Each component's rendered objects; a component that fails to render is a finding."""
    session, platform = run.session, run.session.platform
    run.report.checks.append("render")
    secrets: dict[str, str] = {}
    if platform.spec.secrets and run.client is not None:
        try:
            secrets = session.secrets(create=False)
        except HelmdeckError as err:
            run.report.add(
                Finding(
                    "warning",
                    "render",
                    None,
                    err.where,
                    f"secrets unavailable: {err.message}",
                    err.fix or "check access to the admin namespace",
                )
            )
    if not secrets and platform.spec.secrets:
        secrets = placeholder_secrets(platform)
    views: list[ComponentView] = []
    for name, desired in session.desired_each(platform.component_names, secrets).items():
        if isinstance(desired, HelmdeckError):
            fix = desired.fix or "fix the chart or its values"
            run.report.add(Finding("error", "render", name, desired.where, desired.message, fix))
            continue
        views.append(component_view(run, desired))
    cluster_scoped = served_cluster_scoped(run, views)
    return PlatformView(views, cluster_scoped=cluster_scoped)


def component_view(run: PreflightRun, desired: DesiredComponent) -> ComponentView:
    component = run.session.platform.component(desired.name)
    annotation = desired.chart.annotations.get(REQUIRES_GPU_ANNOTATION, "").strip().lower()
    return ComponentView(
        name=desired.name,
        namespace=desired.namespace,
        objects=(*desired.rendered.manifests, *desired.rendered.hooks),
        chart_crds=desired.rendered.crds,
        chart=desired.chart,
        needs=tuple(component.needs),
        gpu=component.gpu or annotation == "true",
        desired=desired,
    )


def custom_kinds_used(views: Iterable[ComponentView]) -> set[tuple[str, str]]:
    return {
        (obj.api_version, obj.kind)
        for view in views
        for obj in view.objects
        if obj.kind and obj.api_version and not is_builtin(obj.group, obj.kind)
    }


def served_cluster_scoped(run: PreflightRun, views: list[ComponentView]) -> set[tuple[str, str]]:
    """Custom kinds the cluster serves as cluster-scoped, so objects of them are placed right."""
    if run.client is None:
        return set()
    out = set()
    for api_version, kind in custom_kinds_used(views):
        info = run.kind(api_version, kind)
        if info is not None and not info.namespaced:
            out.add((info.group, kind))
    return out
