"""Preflight checks of a platform against a cluster, and diagnosis of a deployed platform's
unhealthy workloads; both report findings (severity, check, component, object, reason, fix)."""

from helmdeck.doctor.findings import SEVERITIES, DoctorReport, Finding, PreflightFailed, Severity
from helmdeck.doctor.live import diagnose_platform, explain_statuses
from helmdeck.doctor.preflight import check_before_deploy, run_preflight

__all__ = [
    "SEVERITIES",
    "DoctorReport",
    "Finding",
    "PreflightFailed",
    "Severity",
    "check_before_deploy",
    "diagnose_platform",
    "explain_statuses",
    "run_preflight",
]
