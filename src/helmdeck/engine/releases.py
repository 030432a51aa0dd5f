"""Helm releases as helmdeck sees them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from helmdeck.serialize import JsonObject, json_field


class ReleaseStatus(StrEnum):
    DEPLOYED = "deployed"
    FAILED = "failed"
    PENDING_INSTALL = "pending-install"
    PENDING_UPGRADE = "pending-upgrade"
    PENDING_ROLLBACK = "pending-rollback"
    SUPERSEDED = "superseded"
    UNINSTALLING = "uninstalling"
    UNINSTALLED = "uninstalled"
    UNKNOWN = "unknown"

    @property
    def pending(self) -> bool:
        """An operation started and has not finished (or its process died)."""
        return self in (
            ReleaseStatus.PENDING_INSTALL,
            ReleaseStatus.PENDING_UPGRADE,
            ReleaseStatus.PENDING_ROLLBACK,
            ReleaseStatus.UNINSTALLING,
        )

    @classmethod
    def parse(cls, value: object) -> ReleaseStatus:
        try:
            return cls(str(value))
        except ValueError:
            return cls.UNKNOWN


#: Labels Helm's release storage sets itself; they are not the user's release labels.
HELM_SYSTEM_LABELS = frozenset({"name", "owner", "status", "version", "createdAt", "modifiedAt"})


def _parse_time(value: object) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


@dataclass(frozen=True)
class Release(JsonObject):
    """One revision of a Helm release.

    ``manifest`` (the plain manifests, as stored by Helm) is filled by status and release actions,
    empty in listings and history; it can hold Secret data, so it is left out of the JSON (and so are
    the chart's notes).
    """

    name: str
    namespace: str
    revision: int
    status: ReleaseStatus
    chart_name: str = field(metadata=json_field(name="chart"))
    chart_version: str
    app_version: str | None
    updated: datetime | None
    description: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    notes: str = field(default="", metadata=json_field(exclude=True))
    manifest: str = field(default="", repr=False, metadata=json_field(exclude=True))

    @property
    def chart(self) -> str:
        return f"{self.chart_name}-{self.chart_version}"

    @classmethod
    def from_summary(cls, summary: Mapping[str, Any], info: Mapping[str, Any] | None = None) -> Release:
        """Build from helm_python's release summary, plus ``helm get``'s info block if fetched."""
        info = info or {}
        labels = summary.get("labels")
        return cls(
            name=str(summary.get("name", "")),
            namespace=str(summary.get("namespace", "")),
            revision=int(summary.get("revision") or 0),
            status=ReleaseStatus.parse(summary.get("status") or info.get("status")),
            chart_name=str(summary.get("chart_name", "")),
            chart_version=str(summary.get("chart_version", "")),
            app_version=str(summary["app_version"]) if summary.get("app_version") else None,
            updated=_parse_time(summary.get("deployed_at") or info.get("last_deployed")),
            description=str(summary.get("description") or info.get("description") or ""),
            labels=(
                {str(k): str(v) for k, v in labels.items() if k not in HELM_SYSTEM_LABELS}
                if isinstance(labels, Mapping)
                else {}
            ),
            notes=str(summary.get("notes") or info.get("notes") or ""),
            manifest=str(summary.get("manifest") or ""),
        )

    def without_manifest(self) -> Release:
        return replace(self, manifest="")
