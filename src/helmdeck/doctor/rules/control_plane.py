"""Is anyone scheduling? A cluster whose scheduler (or controller manager) died accepts every
object and then starts nothing: pods stay Pending without even an "Unschedulable" condition.
Both hold a leader Lease in kube-system that a live process renews every few seconds."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from helmdeck.cluster.events import parse_time
from helmdeck.doctor.findings import Finding

#: leader leases that must be renewed, and what stops without them
_LEADERS = {
    "kube-scheduler": "no new pod would ever be placed on a node",
    "kube-controller-manager": "no Deployment, Job or StatefulSet would ever create its pods",
}
#: how long past a lease's duration before it counts as abandoned (a restarted leader waits for the
#: old lease to expire before it takes over)
_SLACK_SECONDS = 10.0


def check_control_plane(leases: Iterable[Mapping[str, Any]], now: datetime | None = None) -> list[Finding]:
    """Errors for leaders whose lease went stale. A missing lease says nothing (managed clusters
    may not show their control plane), so it is no finding."""
    now = now or datetime.now(UTC)
    by_name = {str((lease.get("metadata") or {}).get("name")): lease for lease in leases}
    findings = []
    for name, consequence in _LEADERS.items():
        lease = by_name.get(name)
        if lease is None:
            continue
        spec = lease.get("spec") or {}
        renewed = parse_time(spec.get("renewTime")) or parse_time(spec.get("acquireTime"))
        duration = float(spec.get("leaseDurationSeconds") or 15)
        if renewed is None:
            continue
        age = (now - renewed).total_seconds()
        if age > duration + _SLACK_SECONDS:
            findings.append(
                Finding(
                    "error",
                    "control-plane",
                    None,
                    f"Lease kube-system/{name}",
                    f"{name} has not renewed its leader lease for {age:.0f}s: it is not running, so {consequence}",
                    f"start {name} again (on the helmdeck sandbox: helmdeck sandbox up restarts dead "
                    "components; elsewhere ask the cluster's administrator)",
                    {"component": name, "secondsSinceRenewal": round(age)},
                )
            )
    return findings
