"""Preflight checks of a platform against a cluster, and diagnosis of a deployed platform's
unhealthy workloads; both report findings (severity, check, component, object, reason, fix).

Names are imported on first use (PEP 562), so importing one module of the package does not load
the others: the CLI starts without loading what its command does not need.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from helmdeck.lazy import lazy_getattr

if TYPE_CHECKING:
    from helmdeck.doctor.findings import SEVERITIES, DoctorReport, Finding, PreflightFailed, Severity
    from helmdeck.doctor.live import diagnose_platform, explain_statuses
    from helmdeck.doctor.preflight import check_before_deploy, run_preflight

_EXPORTS: dict[str, tuple[str, str]] = {
    "SEVERITIES": ("helmdeck.doctor.findings", "SEVERITIES"),
    "DoctorReport": ("helmdeck.doctor.findings", "DoctorReport"),
    "Finding": ("helmdeck.doctor.findings", "Finding"),
    "PreflightFailed": ("helmdeck.doctor.findings", "PreflightFailed"),
    "Severity": ("helmdeck.doctor.findings", "Severity"),
    "diagnose_platform": ("helmdeck.doctor.live", "diagnose_platform"),
    "explain_statuses": ("helmdeck.doctor.live", "explain_statuses"),
    "check_before_deploy": ("helmdeck.doctor.preflight", "check_before_deploy"),
    "run_preflight": ("helmdeck.doctor.preflight", "run_preflight"),
}

__getattr__ = lazy_getattr(__name__, _EXPORTS, globals())


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
