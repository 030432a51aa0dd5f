"""What a deploy did, per component: for the report table, JSON output and the web UI."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Literal

from helmdeck.health import UNHEALTHY, FinalHealth, Health
from helmdeck.revisions.timeline import Timeline


class Outcome(enum.StrEnum):
    installed = "installed"
    upgraded = "upgraded"
    unchanged = "unchanged"
    failed = "failed"
    skipped = "skipped"
    removed = "removed"


@dataclass
class ComponentResult:
    name: str
    release: str
    namespace: str
    outcome: Outcome
    action: str = ""
    revision: int | None = None
    chart: str = ""
    seconds: float = 0.0
    message: str = ""
    recovered: str = ""  # what was done about a release a dead operator left pending
    rollback: str = ""  # what was done after a failed health gate
    failure: list[dict[str, Any]] = field(default_factory=list)  # failing objects, pods, events, logs
    failure_text: list[str] = field(default_factory=list)
    skipped_because: list[str] = field(default_factory=list)
    health: Health | Literal[""] = ""  # at the end of the operation ("": not checked)

    @property
    def ok(self) -> bool:
        return self.outcome not in (Outcome.failed, Outcome.skipped)

    def as_dict(self) -> dict[str, Any]:
        return {
            "component": self.name,
            "release": self.release,
            "namespace": self.namespace,
            "outcome": self.outcome.value,
            "action": self.action,
            "revision": self.revision,
            "chart": self.chart,
            "seconds": round(self.seconds, 2),
            "message": self.message,
            "recovered": self.recovered,
            "rollback": self.rollback,
            "failure": self.failure,
            "skippedBecause": self.skipped_because,
            "health": self.health,
        }


@dataclass
class DeployReport:
    platform: str
    environment: str | None
    components: list[ComponentResult] = field(default_factory=list)
    platform_revision: int | None = None
    seconds: float = 0.0
    took_over_from: str | None = None
    interrupted: bool = False  # by the user: components not started yet were left alone
    # every component of the platform at the end, by name: {"health": ..., "reason": ...}
    health: dict[str, FinalHealth] = field(default_factory=dict)
    timeline: Timeline | None = None  # where the time went (a deploy that changed nothing has one too)

    def unhealthy(self) -> dict[str, FinalHealth]:
        """Installed components that are not healthy at the end (unknown is not counted as broken)."""
        return {n: h for n, h in self.health.items() if h["health"] in UNHEALTHY}

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.components) and not self.unhealthy()

    def not_started(self) -> list[str]:
        """Components an interrupt (or a lost lease) kept from starting."""
        return [c.name for c in self.components if c.skipped_because == ["cancelled"]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "environment": self.environment,
            "ok": self.ok,
            "interrupted": self.interrupted,
            "notStarted": self.not_started(),
            "platformRevision": self.platform_revision,
            "seconds": round(self.seconds, 2),
            "tookOverFrom": self.took_over_from,
            "components": [c.as_dict() for c in self.components],
            "health": self.health,
            "timeline": self.timeline.as_dict() if self.timeline is not None else None,
        }
