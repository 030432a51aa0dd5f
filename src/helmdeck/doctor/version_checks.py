"""Kubernetes versions: charts' kubeVersion constraints against the cluster, and the API versions of
custom resources against their served CRD versions.
"""

from __future__ import annotations

from typing import Any

from helmdeck.cluster import (
    list_objects,
)
from helmdeck.doctor.custom_kinds import crd_served_versions
from helmdeck.doctor.desired import PlatformView
from helmdeck.doctor.findings import Finding
from helmdeck.doctor.kube_version import ConstraintError, Version, satisfies
from helmdeck.doctor.preflight_run import PreflightRun


def check_kube_versions(run: PreflightRun, view: PlatformView) -> None:
    assert run.version is not None
    run.report.checks.append("kube-version")
    cluster = run.version.git_version or f"v{run.version.semver}"
    try:
        Version.parse(cluster)
    except ConstraintError:
        cluster = f"v{run.version.semver}"
    for component in view.components.values():
        chart = component.chart
        constraint = chart.kube_version if chart is not None else None
        if not constraint:
            continue
        obj = f"chart {chart}"
        try:
            ok = satisfies(constraint, cluster)
        except ConstraintError as err:
            run.report.add(
                Finding(
                    "error",
                    "kube-version",
                    component.name,
                    obj,
                    f"Chart.yaml kubeVersion {constraint!r} is not a valid constraint ({err}); "
                    "Helm refuses to install the chart",
                    "fix kubeVersion in the chart's Chart.yaml (for example >=1.25.0-0), or use another chart version",
                )
            )
            continue
        if not ok:
            run.report.add(
                Finding(
                    "error",
                    "kube-version",
                    component.name,
                    obj,
                    f"chart {chart} requires Kubernetes {constraint}, but the cluster runs {cluster}",
                    "use a version of the chart that supports this Kubernetes version, or upgrade the cluster",
                    {"constraint": constraint, "cluster": cluster},
                )
            )


def crd_versions(run: PreflightRun) -> dict[tuple[str, str], tuple[str, ...]]:
    assert run.client is not None
    client = run.client
    crds: list[dict[str, Any]] = run.fact(
        "list CustomResourceDefinitions",
        lambda: list(list_objects(client, "apiextensions.k8s.io/v1", "CustomResourceDefinition")),
        [],
        "version hints for custom kinds",
    )
    out: dict[tuple[str, str], tuple[str, ...]] = {}
    for crd in crds:
        spec = crd.get("spec") or {}
        kind = (spec.get("names") or {}).get("kind")
        if kind:
            out[(str(spec.get("group", "")), str(kind))] = crd_served_versions(crd)
    return out
