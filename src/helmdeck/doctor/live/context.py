"""The state of one ``doctor --live`` diagnosis: the platform session, the report being filled,
the cluster facts read when first needed (nodes, StorageClasses, claims already judged) and what
the platform's releases hold. The modules that explain one kind of failure add findings to it."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from helmdeck.cluster import KubeClient, ObjRef, list_objects
from helmdeck.core.session import PlatformSession
from helmdeck.doctor.findings import DoctorReport, Finding, Severity
from helmdeck.doctor.rules.scheduling import allocatable
from helmdeck.errors import HelmdeckError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from helmdeck.doctor.live.pending_claims import ClaimProblem


@dataclass
class LiveDiagnosis:
    session: PlatformSession
    client: KubeClient
    report: DoctorReport
    log_lines: int = 20
    _nodes: list[dict[str, Any]] | None = None
    _classes: dict[str, Mapping[str, Any]] | None = None
    claims: dict[tuple[str, str], ClaimProblem | None] = field(default_factory=dict)  # judged so far
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
