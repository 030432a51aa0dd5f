"""Charts' ``kubeVersion`` constraints against the version the cluster runs: a chart whose
constraint is invalid or excludes the cluster is one Helm refuses to install."""

from __future__ import annotations

from helmdeck.cluster import ServerVersion
from helmdeck.core.chart_kube_version import kube_version_refusal
from helmdeck.doctor.findings import Finding
from helmdeck.doctor.rules.desired import PlatformView


def check_kube_versions(view: PlatformView, version: ServerVersion) -> list[Finding]:
    """A finding per chart whose kubeVersion is invalid or excludes the cluster's version."""
    findings: list[Finding] = []
    for component in view.components.values():
        chart = component.chart
        refusal = kube_version_refusal(chart.kube_version if chart is not None else None, version)
        if refusal is None:
            continue
        message = refusal.message if refusal.invalid else f"chart {chart} {refusal.message}"
        details = {} if refusal.invalid else {"constraint": refusal.constraint, "cluster": refusal.cluster}
        findings.append(
            Finding("error", "kube-version", component.name, f"chart {chart}", message, refusal.fix, details)
        )
    return findings
