"""Charts' ``kubeVersion`` constraints against the version the cluster runs: a chart whose
constraint is invalid or excludes the cluster is one Helm refuses to install."""

from __future__ import annotations

from helmdeck.cluster import ServerVersion
from helmdeck.doctor.desired import PlatformView
from helmdeck.doctor.findings import Finding
from helmdeck.doctor.kube_version import ConstraintError, Version, satisfies


def check_kube_versions(view: PlatformView, version: ServerVersion) -> list[Finding]:
    """A finding per chart whose kubeVersion is invalid or excludes the cluster's version."""
    findings: list[Finding] = []
    cluster = version.git_version or f"v{version.semver}"
    try:
        Version.parse(cluster)
    except ConstraintError:
        cluster = f"v{version.semver}"
    for component in view.components.values():
        chart = component.chart
        constraint = chart.kube_version if chart is not None else None
        if not constraint:
            continue
        obj = f"chart {chart}"
        try:
            ok = satisfies(constraint, cluster)
        except ConstraintError as err:
            findings.append(
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
            findings.append(
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
    return findings
