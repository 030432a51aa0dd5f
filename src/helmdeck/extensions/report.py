"""What an extension install or uninstall did: a result per component (required extensions
first) and the platform revision it recorded."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from helmdeck.deploy.report import ComponentResult


@dataclass
class ExtensionReport:
    """What an install or uninstall did, per component (required extensions first)."""

    platform: str
    operation: str
    components: list[ComponentResult] = field(default_factory=list)
    platform_revision: int | None = None
    seconds: float = 0.0
    kept_data: list[str] = field(default_factory=list)  # claims an uninstall kept
    deleted_data: list[str] = field(default_factory=list)  # claims an uninstall asked to purge deleted

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.components)

    def as_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "operation": self.operation,
            "ok": self.ok,
            "platformRevision": self.platform_revision,
            "seconds": round(self.seconds, 2),
            "components": [c.as_dict() for c in self.components],
            "keptData": self.kept_data,
            "deletedData": self.deleted_data,
        }
