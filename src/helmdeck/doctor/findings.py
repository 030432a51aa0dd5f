"""What ``doctor`` reports: findings (severity, check, component, object, reason, fix) and the
report that holds them, for preflight checks and live diagnosis alike."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from helmdeck.errors import HelmdeckError

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")


@dataclass(frozen=True)
class Finding:
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
    details: dict[str, Any] = field(default_factory=dict, compare=False)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "severity": self.severity,
            "check": self.check,
            "component": self.component,
            "object": self.object,
            "reason": self.reason,
            "fix": self.fix,
        }
        if self.details:
            out["details"] = self.details
        return out

    def line(self) -> str:
        """``error [storage-class] component db, PersistentVolumeClaim s/data: reason (fix: ...)``."""
        where = ", ".join(p for p in (f"component {self.component}" if self.component else "", self.object or "") if p)
        text = f"{self.severity} [{self.check}]"
        text += f" {where}: " if where else " "
        return f"{text}{self.reason} (fix: {self.fix})"


@dataclass
class DoctorReport:
    """The findings of one doctor run (``mode`` preflight or live) and which checks ran."""

    platform: str
    environment: str | None
    mode: Literal["preflight", "live"]
    findings: list[Finding] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    cluster: str | None = None  # the server version, once reached
    user: str | None = None  # who the cluster says we are
    seconds: float = 0.0

    def add(self, finding: Finding) -> None:
        if finding not in self.findings:
            self.findings.append(finding)

    def extend(self, findings: Iterable[Finding]) -> None:
        for finding in findings:
            self.add(finding)

    def of(self, severity: Severity) -> list[Finding]:
        return [f for f in self.findings if f.severity == severity]

    @property
    def errors(self) -> list[Finding]:
        return self.of("error")

    @property
    def warnings(self) -> list[Finding]:
        return self.of("warning")

    @property
    def ok(self) -> bool:
        """No errors (warnings and infos do not stop a deploy)."""
        return not self.errors

    def sorted(self) -> list[Finding]:
        """Errors first, then warnings, then infos; in the order found within each."""
        return sorted(self.findings, key=lambda f: SEVERITIES.index(f.severity))

    def summary(self) -> str:
        counts = [(len(self.of(s)), s) for s in SEVERITIES]
        text = ", ".join(f"{n} {s}{'s' if n != 1 else ''}" for n, s in counts if n)
        return text or "no problems found"

    def as_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "environment": self.environment,
            "mode": self.mode,
            "ok": self.ok,
            "cluster": self.cluster,
            "user": self.user,
            "summary": self.summary(),
            "checks": list(self.checks),
            "findings": [f.as_dict() for f in self.sorted()],
            "seconds": round(self.seconds, 3),
        }

    def raise_for_errors(self) -> None:
        """Raise :class:`PreflightFailed` when there are errors."""
        if not self.ok:
            raise PreflightFailed(self)


class PreflightFailed(HelmdeckError):
    """Preflight found errors: the operation stops before it changes anything."""

    def __init__(self, report: DoctorReport) -> None:
        errors = report.errors
        lines = "\n".join(f"  - {f.line().removeprefix('error ')}" for f in errors)
        super().__init__(
            f"preflight found {len(errors)} error{'s' if len(errors) != 1 else ''}; nothing was installed:\n{lines}",
            where=f"platform {report.platform}",
            fix="fix each error as its fix says and run again; `helmdeck doctor` repeats the checks "
            "(--no-preflight skips them, at your own risk)",
            details={"preflight": report.as_dict()},
        )
        self.report = report
