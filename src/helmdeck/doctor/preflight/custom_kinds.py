"""Preflight of the custom kinds the platform uses: served by the cluster, by a chart's CRDs or by
an earlier component; for a kind nobody serves, the versions the cluster's CRDs do serve."""

from __future__ import annotations

from helmdeck.doctor.preflight.rendering import custom_kinds_used
from helmdeck.doctor.preflight.run import PreflightRun
from helmdeck.doctor.rules.custom_kinds import check_custom_kinds, crd_served_versions
from helmdeck.doctor.rules.desired import PlatformView


def check_served_kinds(run: PreflightRun, view: PlatformView) -> None:
    served: dict[tuple[str, str], bool] = {}

    def is_served(api_version: str, kind: str) -> bool:
        if (api_version, kind) not in served:
            served[(api_version, kind)] = run.kind(api_version, kind) is not None
        return served[(api_version, kind)]

    missing = [k for k in custom_kinds_used(view.components.values()) if not is_served(*k)]
    cluster_versions = _crd_versions(run) if missing else {}
    run.report.extend(check_custom_kinds(view, is_served, cluster_versions))


def _crd_versions(run: PreflightRun) -> dict[tuple[str, str], tuple[str, ...]]:
    crds = (
        run.listed(
            "list CustomResourceDefinitions",
            "apiextensions.k8s.io/v1",
            "CustomResourceDefinition",
            "version hints for custom kinds",
        )
        or []
    )
    out: dict[tuple[str, str], tuple[str, ...]] = {}
    for crd in crds:
        spec = crd.get("spec") or {}
        kind = (spec.get("names") or {}).get("kind")
        if kind:
            out[(str(spec.get("group", "")), str(kind))] = crd_served_versions(crd)
    return out
