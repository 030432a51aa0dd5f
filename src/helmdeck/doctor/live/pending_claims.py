"""Why a volume claim is not bound: it does not exist, names a missing StorageClass, has no
default class to fall back on, uses a class without a provisioner, or the provisioner fails or is
still working."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from helmdeck.cluster import EventSummary, KubeClient, ObjRef, get_object, recent_events
from helmdeck.doctor.findings import Severity
from helmdeck.doctor.live.context import LiveDiagnosis
from helmdeck.doctor.rules.storage import default_class
from helmdeck.errors import HelmdeckError

NO_PROVISIONER = "kubernetes.io/no-provisioner"


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


@dataclass(frozen=True)
class ClaimProblem:
    reason: str
    fix: str
    details: dict[str, Any] = field(default_factory=dict)
    severity: Severity = "error"


def claim_problem(d: LiveDiagnosis, namespace: str, name: str, *, has_pod: bool) -> ClaimProblem | None:
    """Why a claim is not bound: missing class, no default, no provisioner, provisioning errors."""
    key = (namespace, name)
    if key not in d.claims:
        d.claims[key] = find_claim_problem(d, namespace, name, has_pod=has_pod)
    return d.claims[key]


def find_claim_problem(d: LiveDiagnosis, namespace: str, name: str, *, has_pod: bool) -> ClaimProblem | None:
    claim = get_object(d.client, ObjRef("v1", "PersistentVolumeClaim", name, namespace))
    who = f"claim {name}"
    if claim is None:
        return ClaimProblem(f"{who} does not exist", "create the claim, or fix the claimName the pod references")
    if _map(claim.get("status")).get("phase") == "Bound":
        return None
    wanted = _map(claim.get("spec")).get("storageClassName")
    classes = d.storage_classes()
    names = ", ".join(sorted(classes)) or "none"
    if wanted is None:
        wanted = default_class(classes)
        if wanted is None:
            return ClaimProblem(
                f"{who} names no StorageClass and the cluster has no default one, so nothing provisions it",
                f"set storageClassName in values (classes here: {names}) or mark a class default",
            )
    if wanted == "":
        return ClaimProblem(
            f'{who} asks for no class (storageClassName "") and no matching PersistentVolume exists',
            "create a PersistentVolume for it, or set a StorageClass in values",
        )
    if wanted not in classes:
        return ClaimProblem(
            f"{who} names StorageClass {wanted}, which does not exist, so it stays Pending",
            f"set the claim's storageClassName in values to one of: {names}; or create StorageClass {wanted}",
            {"storageClass": wanted},
        )
    provisioner = str(classes[wanted].get("provisioner", ""))
    if provisioner == NO_PROVISIONER:
        return ClaimProblem(
            f"{who} uses StorageClass {wanted}, which has no provisioner: it binds only to a matching "
            "pre-created PersistentVolume, and none exists",
            "create a PersistentVolume for it, or use a class with a dynamic provisioner",
        )
    events = [e for e in events_of(d.client, namespace, "PersistentVolumeClaim", name) if e.warning]
    if events:
        return ClaimProblem(
            f"{who}: provisioning with StorageClass {wanted} fails: {events[-1].message}",
            f"fix the provisioner {provisioner} or the class's parameters",
        )
    mode = str(classes[wanted].get("volumeBindingMode") or "Immediate")
    if mode == "WaitForFirstConsumer" and not has_pod:
        return None  # binds once a pod using it is scheduled
    return ClaimProblem(
        f"{who} waits for provisioner {provisioner} (StorageClass {wanted}) to create a volume",
        f"check that the provisioner {provisioner} is installed and running",
        severity="warning",
    )


def events_of(client: KubeClient, namespace: str, kind: str, name: str) -> list[EventSummary]:
    try:
        return list(recent_events(client, namespace, {(kind, name)}, limit=5))
    except HelmdeckError:
        return []
