"""What a live diagnosis works with: the session, the cluster, the report being written, and
cluster facts read once when first needed (nodes, storage classes). The checks in
``release_checks``, ``workload_checks`` and ``claim_checks`` build on it; ``live`` runs them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from helmdeck.cluster import KubeClient, ObjRef, list_objects
from helmdeck.cluster.pods import LogTail
from helmdeck.core.session import PlatformSession
from helmdeck.doctor.findings import DoctorReport, Finding, Severity
from helmdeck.doctor.scheduling import allocatable
from helmdeck.errors import HelmdeckError


def mapping_of(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def list_of(value: Any) -> Sequence[Any]:
    return value if isinstance(value, list) else []


def log_text(log: LogTail | None) -> tuple[str, dict[str, Any]]:
    """A sentence about a container's last log lines, and the lines for the details."""
    if log is None:
        return "", {}
    if log.unavailable:
        why = log.unavailable.removeprefix("logs unavailable: ")
        return f"; its logs are unavailable ({why})", {"logs": [], "logsUnavailable": log.unavailable}
    if not log.lines:
        return "; it logged nothing", {"logs": []}
    return f"; last log line: {log.lines[-1]}", {"logs": list(log.lines)}


@dataclass(frozen=True)
class ClaimProblem:
    reason: str
    fix: str
    details: dict[str, Any] = field(default_factory=dict)
    severity: Severity = "error"


@dataclass
class Diagnosis:
    session: PlatformSession
    client: KubeClient
    report: DoctorReport
    log_lines: int = 20
    _nodes: list[dict[str, Any]] | None = None
    _classes: dict[str, Mapping[str, Any]] | None = None
    _claims: dict[tuple[str, str], ClaimProblem | None] = field(default_factory=dict)
    release_objects: set[ObjRef] = field(default_factory=set)
    failed_releases: set[str] = field(default_factory=set)  # components whose release failed

    # -- cluster facts, read when first needed ------------------------------------------------
    def nodes(self) -> list[dict[str, Any]]:
        if self._nodes is None:
            try:
                self._nodes = list(list_objects(self.client, "v1", "Node"))
            except HelmdeckError:
                self._nodes = []
        return self._nodes

    def storage_classes(self) -> dict[str, Mapping[str, Any]]:
        if self._classes is None:
            try:
                objs = list_objects(self.client, "storage.k8s.io/v1", "StorageClass")
                self._classes = {str(o["metadata"]["name"]): o for o in objs}
            except HelmdeckError:
                self._classes = {}
        return self._classes

    def most_on_one_node(self, resource: str) -> Decimal:
        return max((allocatable(n).get(resource, Decimal(0)) for n in self.nodes()), default=Decimal(0))

    def add(
        self,
        severity: Severity,
        check: str,
        component: str | None,
        obj: str | None,
        reason: str,
        fix: str,
        **details: Any,
    ) -> None:
        self.report.add(Finding(severity, check, component, obj, reason, fix, details))
