"""``helmdeck doctor --live``: every unhealthy object of the deployed platform, explained.

Health comes from :func:`helmdeck.cluster.observe` (one list per kind and namespace) and the
evidence (pods, container states, events, log lines) from :func:`helmdeck.cluster.diagnose`; this
module walks the platform's releases and hands each unhealthy object to the module that explains
its kind of failure: release records and hooks (:mod:`~helmdeck.doctor.live.release_records`), failed
Jobs (:mod:`~helmdeck.doctor.live.job_failures`), rejected pod creation
(:mod:`~helmdeck.doctor.live.creation`), failing containers
(:mod:`~helmdeck.doctor.live.pod_failures`), Pending pods (:mod:`~helmdeck.doctor.live.pending_pods`),
unbound claims (:mod:`~helmdeck.doctor.live.pending_claims`) and Ingress host conflicts
(:mod:`~helmdeck.doctor.live.ingress`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from helmdeck.cluster import ObjectStatus, ObjRef, diagnose, observe
from helmdeck.cluster.kinds import normalize
from helmdeck.cluster.readiness import is_workload
from helmdeck.core.session import PlatformSession
from helmdeck.core.status import latest_releases, release_objects
from helmdeck.doctor.findings import DoctorReport, Finding, Severity
from helmdeck.doctor.live.context import LiveDiagnosis
from helmdeck.doctor.live.creation import creation_failures
from helmdeck.doctor.live.ingress import ingress_conflicts
from helmdeck.doctor.live.job_failures import job_failure
from helmdeck.doctor.live.pending_claims import claim_problem
from helmdeck.doctor.live.pod_failures import explain_pods
from helmdeck.doctor.live.release_records import check_release
from helmdeck.doctor.rules.ingress import is_ingress
from helmdeck.errors import HelmdeckError
from helmdeck.manifests import parse_manifest_stream


def diagnose_releases(d: LiveDiagnosis) -> None:
    """The platform's releases, then every unhealthy object they hold."""
    platform = d.session.platform
    releases = latest_releases(d.session, platform.all_namespaces())
    owner: dict[ObjRef, str] = {}
    refs: list[ObjRef] = []
    ingresses: list[tuple[str, ObjRef, Mapping[str, Any]]] = []
    finished_jobs: set[ObjRef] = set()
    template_claims: set[ObjRef] = set()
    for name, stored in releases.items():
        if stored.status == "uninstalled":
            continue
        check_release(d, name, stored)
        # what the release holds as the inventory counts it (status, undeploy and purge too): its
        # objects in any namespace and the claims its StatefulSets' claim templates make
        parts = release_objects(stored, name)
        if stored.status == "deployed":
            # a deployed release passed its gate: its TTL Jobs that are gone finished and were removed
            finished_jobs |= parts.ttl_jobs
        made = {normalize(d.client, claim)[0] for claim in parts.template_claims()}
        template_claims |= made
        for ref in parts.refs():
            ref, _ = normalize(d.client, ref)
            owner.setdefault(ref, name)
            refs.append(ref)
            d.release_objects.add(ref)
        # an Ingress's rules are in its body, which the parts do not keep
        for obj in parse_manifest_stream(stored.manifest, component=name):
            if is_ingress(obj.group, obj.kind):
                ref, _ = normalize(d.client, ObjRef.from_manifest(obj.body, stored.namespace))
                ingresses.append((name, ref, obj.body))
    if not releases:
        d.add(
            "info",
            "not-deployed",
            None,
            None,
            f"platform {d.session.platform_id} has no releases in the cluster",
            "deploy it first: helmdeck deploy",
        )
        return
    d.report.checks.append("workloads")
    statuses = (
        observe(d.client, refs, finished_jobs=finished_jobs, rules=d.session.health_rules, absent_is_missing=True)
        if refs
        else []
    )
    for status in statuses:
        component = owner.get(status.ref, "?")
        if component in d.failed_releases and status.health.missing:
            continue  # perhaps never created: the release's own finding says why
        if status.ref in template_claims and status.health.missing:
            continue  # its StatefulSet makes it before its pod: the StatefulSet's finding says why not
        if not status.health.ready:
            explain(d, component, status)
    if ingresses:
        d.report.checks.append("ingress-conflicts")
        ingress_conflicts(d, ingresses)


def explain(d: LiveDiagnosis, component: str, status: ObjectStatus) -> None:
    """One unhealthy object of a component, explained by what its kind of failure needs."""
    ref, state = status.ref, status.health
    if state.missing:
        d.add(
            "error",
            "missing",
            component,
            str(ref),
            "deleted outside helmdeck: the release installed it and it is gone",
            "deploy again to create it (helmdeck deploy); helmdeck plan shows it as drift",
        )
        return
    if ref.kind == "PersistentVolumeClaim" and ref.group == "":
        problem = claim_problem(d, ref.namespace or "", ref.name, has_pod=False)
        if problem is not None:
            d.add(
                problem.severity,
                "claim-unbound",
                component,
                str(ref),
                problem.reason,
                problem.fix,
                **problem.details,
            )
        return
    if not (is_workload(ref.api_version, ref.kind) or (ref.kind == "Pod" and ref.group == "")):
        severity: Severity = "error" if state.failed or state.state == "unknown" else "info"
        d.add(
            severity,
            "unhealthy",
            component,
            str(ref),
            f"{state.state}: {state.reason}",
            "see the object's status and events: " + _describe(ref),
        )
        return
    _explain_workload(d, component, status)


def _describe(ref: ObjRef) -> str:
    return f"kubectl describe {ref.kind.lower()} {ref.name}" + (f" -n {ref.namespace}" if ref.namespace else "")


def _explain_workload(d: LiveDiagnosis, component: str, status: ObjectStatus) -> None:
    """A workload (or pod): its Job's failure, or its pods' (failing containers, rejected creation)."""
    ref, state = status.ref, status.health
    try:
        report = diagnose(d.client, ref, observed=state, log_lines=d.log_lines)
    except HelmdeckError as err:
        d.add(
            "error" if state.failed else "info",
            "unhealthy",
            component,
            str(ref),
            f"{state.state}: {state.reason} (details unavailable: {err.message})",
            err.fix or "retry",
        )
        return
    before = len(d.report.findings)
    if ref.kind == "Job" and state.failed:
        why, details = job_failure(d, report)
        d.add(
            "error",
            "job-failed",
            component,
            str(ref),
            why,
            "fix what makes the pod fail (see its exit code and logs), then deploy again to re-run the Job",
            **details,
        )
    else:
        creation_failures(d, component, ref, report)
        explain_pods(d, component, ref, report)
    if len(d.report.findings) == before:
        verdict: Severity = "error" if state.failed else "info"
        d.add(
            verdict,
            "unhealthy",
            component,
            str(ref),
            f"{state.state}: {state.reason}",
            "wait if it is still starting; otherwise see " + _describe(ref),
        )


def explain_statuses(
    session: PlatformSession, component: str, statuses: Sequence[ObjectStatus], *, log_lines: int = 20
) -> list[Finding]:
    """Findings for one component's unhealthy objects, e.g. those a failed health gate reports, so
    the deploy report can say what ``doctor --live`` would."""
    report = DoctorReport(session.platform_id, session.environment, "live")
    diagnosis = LiveDiagnosis(session, session.client, report, log_lines)
    for status in statuses:
        if not status.health.ready:
            explain(diagnosis, component, status)
    return report.sorted()


def diagnose_platform(session: PlatformSession, *, log_lines: int = 20) -> DoctorReport:
    """Every unhealthy object of the deployed platform, explained (``helmdeck doctor --live``)."""
    start = time.monotonic()
    report = DoctorReport(session.platform_id, session.environment, "live")
    report.checks.append("cluster")
    try:
        client = session.client
    except HelmdeckError as err:
        report.add(Finding("error", "cluster", None, err.where, err.message, err.fix or "check the kubeconfig"))
        report.seconds = time.monotonic() - start
        return report
    report.checks.append("releases")
    diagnose_releases(LiveDiagnosis(session, client, report, log_lines))
    report.seconds = time.monotonic() - start
    return report
