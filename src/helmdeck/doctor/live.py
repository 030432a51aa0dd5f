"""``helmdeck doctor --live``: every unhealthy object of the deployed platform, explained.

Health comes from :func:`helmdeck.cluster.observe` (one list per kind and namespace) and the
evidence (pods, container states, events, log lines) from :func:`helmdeck.cluster.diagnose`; this
module turns that evidence into findings that say what is wrong and what to do: why a pod is not
scheduled, which image cannot be pulled from where, how a container crashes, which init container
fails, why a Job or a Helm hook failed, what a quota rejected, why a claim is not bound, and which
Ingress already routes a host.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from helmdeck.cluster import ObjectStatus, ObjRef, list_objects, observe
from helmdeck.cluster.kinds import normalize
from helmdeck.core.session import PlatformSession
from helmdeck.core.status import latest_releases
from helmdeck.doctor.findings import DoctorReport, Finding
from helmdeck.doctor.ingress import default_ingress_class, is_ingress, route_conflicts, routes_of
from helmdeck.doctor.release_checks import ReleaseChecks
from helmdeck.errors import HelmdeckError
from helmdeck.manifests import parse_manifest_stream


@dataclass
class _Diagnosis(ReleaseChecks):
    # -- the platform -------------------------------------------------------------------------
    def run(self) -> None:
        platform = self.session.platform
        releases = latest_releases(self.session, platform.all_namespaces())
        owner: dict[ObjRef, str] = {}
        refs: list[ObjRef] = []
        ingresses: list[tuple[str, ObjRef, Mapping[str, Any]]] = []
        for name, stored in releases.items():
            if stored.status == "uninstalled":
                continue
            self._check_release(name, stored)
            for obj in parse_manifest_stream(stored.manifest, component=name):
                ref, _ = normalize(self.client, ObjRef.from_manifest(obj.body, stored.namespace))
                owner.setdefault(ref, name)
                refs.append(ref)
                self.release_objects.add(ref)
                if is_ingress(obj.group, obj.kind):
                    ingresses.append((name, ref, obj.body))
        if not releases:
            self.add(
                "info",
                "not-deployed",
                None,
                None,
                f"platform {self.session.platform_id} has no releases in the cluster",
                "deploy it first: helmdeck deploy",
            )
            return
        self.report.checks.append("workloads")
        for status in observe(self.client, refs) if refs else []:
            component = owner.get(status.ref, "?")
            if component in self.failed_releases and status.health.reason == "does not exist yet":
                continue  # never created: the release's own finding says why
            if not status.health.ready:
                self._explain(component, status)
        if ingresses:
            self.report.checks.append("ingress-conflicts")
            self._ingress_conflicts(ingresses)

    def _ingress_conflicts(self, ours: list[tuple[str, ObjRef, Mapping[str, Any]]]) -> None:
        try:
            live = list(list_objects(self.client, "networking.k8s.io/v1", "Ingress"))
            classes = {
                str(c["metadata"]["name"]): c for c in list_objects(self.client, "networking.k8s.io/v1", "IngressClass")
            }
        except HelmdeckError:
            return
        default = default_ingress_class(classes)
        mine = {(r.namespace, r.name) for _, r, _ in ours}
        theirs = [
            route
            for obj in live
            if (obj["metadata"].get("namespace"), obj["metadata"]["name"]) not in mine
            for route in routes_of(obj, None, default)
        ]
        routes = [(name, str(ref), r) for name, ref, body in ours for r in routes_of(body, ref.namespace, default)]
        self.report.extend(route_conflicts(routes, theirs))


def explain_statuses(
    session: PlatformSession, component: str, statuses: Sequence[ObjectStatus], *, log_lines: int = 20
) -> list[Finding]:
    """Findings for one component's unhealthy objects, e.g. those a failed health gate reports, so
    the deploy report can say what ``doctor --live`` would."""
    report = DoctorReport(session.platform_id, session.environment, "live")
    diagnosis = _Diagnosis(session, session.client, report, log_lines)
    for status in statuses:
        if not status.health.ready:
            diagnosis._explain(component, status)
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
    _Diagnosis(session, client, report, log_lines).run()
    report.seconds = time.monotonic() - start
    return report
