"""What ``doctor`` reports: findings (severity, check, component, object, reason, fix) and the
report that holds them, for preflight checks and live diagnosis alike."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from helmdeck.errors import HelmdeckError
from helmdeck.findings import SEVERITIES, Finding, Severity
from helmdeck.serialize import JsonObject, computed, json_field
from helmdeck.wording import counted


@dataclass
class DoctorReport(JsonObject):
    """The findings of one doctor run (``mode`` preflight or live) and which checks ran."""

    platform: str
    environment: str | None
    mode: Literal["preflight", "live"]
    # shown errors first (``sorted``)
    findings: list[Finding] = field(default_factory=list, metadata=json_field(exclude=True))
    checks: list[str] = field(default_factory=list)
    cluster: str | None = None  # the server version, once reached
    user: str | None = None  # who the cluster says we are
    seconds: float = field(default=0.0, metadata=json_field(round=3))

    __json_computed__ = ("ok", "summary", computed("sorted", name="findings"))
    __json_order__ = (
        "platform",
        "environment",
        "mode",
        "ok",
        "cluster",
        "user",
        "summary",
        "checks",
        "findings",
        "seconds",
    )

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
        text = ", ".join(counted(n, s) for n, s in counts if n)
        return text or "no problems found"

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
            f"preflight found {counted(errors, 'error')}; nothing was installed:\n{lines}",
            where=f"platform {report.platform}",
            fix="fix each error as its fix says and run again; `helmdeck doctor` repeats the checks "
            "(--no-preflight skips them, at your own risk)",
            details={"preflight": report.as_dict()},
        )
        self.report = report


__all__ = ["SEVERITIES", "DoctorReport", "Finding", "PreflightFailed", "Severity"]
