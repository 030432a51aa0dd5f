"""What an extension install or uninstall did: a result per component (required extensions
first) and the platform revision it recorded."""

from __future__ import annotations

from dataclasses import dataclass, field

from helmdeck.deploy.report import ComponentResult
from helmdeck.serialize import JsonObject, json_field


@dataclass
class ExtensionReport(JsonObject):
    """What an install or uninstall did, per component (required extensions first)."""

    platform: str
    operation: str
    components: list[ComponentResult] = field(default_factory=list)
    platform_revision: int | None = None
    seconds: float = field(default=0.0, metadata=json_field(round=2))
    kept_data: list[str] = field(default_factory=list)  # claims an uninstall kept
    deleted_data: list[str] = field(default_factory=list)  # claims an uninstall asked to purge deleted
    #: what Helm's uninstall left (kept by policy, hooks), marked for a later purge, and why
    left: list[str] = field(default_factory=list)

    __json_computed__ = ("ok",)
    __json_order__ = (
        "platform",
        "operation",
        "ok",
        "platformRevision",
        "seconds",
        "components",
        "keptData",
        "deletedData",
        "left",
    )

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.components)
