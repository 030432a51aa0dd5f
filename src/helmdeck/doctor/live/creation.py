"""Pods a controller could not create (FailedCreate): a ResourceQuota or a LimitRange rejected
them, or something else did (an admission webhook, a missing ServiceAccount...)."""

from __future__ import annotations

from helmdeck.cluster import FailureReport, ObjRef
from helmdeck.doctor.live.context import LiveDiagnosis


def creation_failures(d: LiveDiagnosis, component: str, ref: ObjRef, report: FailureReport) -> None:
    """Pods the controller could not create: quota and LimitRange rejections (FailedCreate)."""
    messages = [e.message for e in report.events if e.reason == "FailedCreate" and e.warning]
    if not messages and "cannot create pods" in report.health.reason:
        messages = [report.health.reason]
    if not messages:
        return
    message = messages[-1]
    if "exceeded quota" in message:
        quota = message.split("exceeded quota:", 1)[1].split(",", 1)[0].strip()
        d.add(
            "error",
            "quota-rejected",
            component,
            str(ref),
            f"ResourceQuota {ref.namespace}/{quota} rejects its pods: {message}",
            f"raise the quota (kubectl -n {ref.namespace} edit resourcequota {quota}) or lower the replicas or "
            f"resource requests of component {component} in values",
            quota=quota,
        )
    elif "LimitRange" in message or "per Container" in message or "per Pod" in message:
        d.add(
            "error",
            "limit-range-rejected",
            component,
            str(ref),
            f"a LimitRange in namespace {ref.namespace} rejects its pods: {message}",
            "change the component's resource requests/limits in values to fit the namespace's LimitRange",
        )
    else:
        d.add(
            "error",
            "create-failed",
            component,
            str(ref),
            f"its pods cannot be created: {message}",
            "fix what the message names (admission webhook, missing ServiceAccount, pod security...)",
        )
