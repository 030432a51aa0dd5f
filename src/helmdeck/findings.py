"""A finding: one thing wrong (or worth knowing), where it is and what to do about it. One model
for every check that reports them: manifest checks (validate), preflight and live diagnosis."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from helmdeck.serialize import JsonObject, json_field

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")


@dataclass(frozen=True)
class Finding(JsonObject):
    """One thing wrong (or worth knowing), where it is and what to do about it.

    ``component`` is None for platform- or cluster-wide findings; ``object`` names the Kubernetes
    object (``Deployment services/api``) when there is one; ``details`` carries what a reader may
    want beyond the reason (log lines, the scheduler's message), never secret values.
    """

    severity: Severity
    check: str
    component: str | None
    object: str | None
    reason: str
    fix: str
    details: dict[str, Any] = field(default_factory=dict, compare=False, metadata=json_field(omit_if_empty=True))
    #: the template that produced the object, for findings about rendered manifests
    template: str | None = field(default=None, metadata=json_field(omit_if_empty=True))

    __json_order__ = ("severity", "check", "component", "object", "reason", "fix", "template", "details")

    def line(self) -> str:
        """``error [storage-class] component db, PersistentVolumeClaim s/data: reason (fix: ...)``."""
        where = ", ".join(p for p in (f"component {self.component}" if self.component else "", self.object or "") if p)
        text = f"{self.severity} [{self.check}]"
        text += f" {where}: " if where else " "
        return f"{text}{self.reason} (fix: {self.fix})"
