"""What a deploy did, per component: for the report table, JSON output and the web UI."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Literal

from helmdeck.health import UNHEALTHY, FinalHealth, Health
from helmdeck.revisions.timeline import Timeline
from helmdeck.serialize import JsonObject, json_field


class Outcome(enum.StrEnum):
    installed = "installed"
    upgraded = "upgraded"
    unchanged = "unchanged"
    failed = "failed"
    skipped = "skipped"
    removed = "removed"


@dataclass
class ComponentResult(JsonObject):
    name: str = field(metadata=json_field(name="component"))
    release: str
    namespace: str
    outcome: Outcome
    action: str = ""
    revision: int | None = None
    chart: str = ""
    seconds: float = field(default=0.0, metadata=json_field(round=2))
    message: str = ""
    recovered: str = ""  # what was done about a release a dead operator left pending
    rollback: str = ""  # what was done after a failed health gate
    failure: list[dict[str, Any]] = field(default_factory=list)  # failing objects, pods, events, logs
    failure_text: list[str] = field(default_factory=list, metadata=json_field(exclude=True))
    skipped_because: list[str] = field(default_factory=list)
    health: Health | Literal[""] = ""  # at the end of the operation ("": not checked)

    @property
    def ok(self) -> bool:
        return self.outcome not in (Outcome.failed, Outcome.skipped)


@dataclass
class DeployReport(JsonObject):
    platform: str
    environment: str | None
    components: list[ComponentResult] = field(default_factory=list)
    platform_revision: int | None = None
    seconds: float = field(default=0.0, metadata=json_field(round=2))
    took_over_from: str | None = None
    interrupted: bool = False  # by the user: components not started yet were left alone
    # every component of the platform at the end, by name: {"health": ..., "reason": ...}
    health: dict[str, FinalHealth] = field(default_factory=dict)
    timeline: Timeline | None = None  # where the time went (a deploy that changed nothing has one too)
    # False when the deploy changed nothing and found the platform healthy: no revision was
    # recorded, and ``platform_revision`` is the latest one, which still describes the platform
    recorded: bool = True

    __json_computed__ = ("ok", "not_started")
    __json_order__ = (
        "platform",
        "environment",
        "ok",
        "interrupted",
        "notStarted",
        "platformRevision",
        "recorded",
        "seconds",
        "tookOverFrom",
        "components",
        "health",
        "timeline",
    )

    def unhealthy(self) -> dict[str, FinalHealth]:
        """Installed components that are not healthy at the end (unknown is not counted as broken)."""
        return {n: h for n, h in self.health.items() if h["health"] in UNHEALTHY}

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.components) and not self.unhealthy()

    def not_started(self) -> list[str]:
        """Components an interrupt (or a lost lease) kept from starting."""
        return [c.name for c in self.components if c.skipped_because == ["cancelled"]]
