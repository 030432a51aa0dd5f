"""Why a Job failed: its failure condition, its backoff limit, and the exit code and last log
lines of a pod that failed (for a failed Job of a release and for a failed Helm hook alike)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from helmdeck.cluster import FailureReport, get_object, tail_logs
from helmdeck.doctor.live.context import LiveDiagnosis
from helmdeck.doctor.live.pod_failures import log_text
from helmdeck.wording import counted


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def job_failure(d: LiveDiagnosis, report: FailureReport) -> tuple[str, dict[str, Any]]:
    """Why a Job failed: its condition, its backoff limit and the exit code of a failed pod."""
    job = get_object(d.client, report.ref) or {}
    spec, status = _map(job.get("spec")), _map(job.get("status"))
    limit = spec.get("backoffLimit", 6)
    failures = status.get("failed", 0)
    text = f"{report.health.reason}; {counted(int(failures), 'failed pod')} with backoffLimit {limit}"
    details: dict[str, Any] = {"backoffLimit": limit, "failed": failures}
    for pod in report.pods:
        for c in pod.containers:
            code = c.exit_code if c.exit_code is not None else c.last_exit_code
            if code:
                text += f"; pod {pod.name} container {c.name} exited with code {code}"
                log = tail_logs(d.client, pod.namespace, pod.name, c.name, d.log_lines)
                sentence, log_details = log_text(log)
                details.update(log_details)
                return text + sentence, details
    return text, details
