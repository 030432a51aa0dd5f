"""What the cluster holds of a platform's extensions: installed instances (from release labels),
the desired release of one to install, and the report of an install or uninstall."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from helmdeck.core.session import DesiredComponent
from helmdeck.deploy.report import ComponentResult
from helmdeck.engine.releases import Release, ReleaseStatus
from helmdeck.labels import EXTENSION_LABEL


@dataclass
class DesiredExtension(DesiredComponent):
    """A component desired from an extension chart; its release also carries the extension label."""

    extension: str = ""

    def labels(self, platform_id: str, environment: str | None) -> dict[str, str]:
        return {**super().labels(platform_id, environment), EXTENSION_LABEL: self.extension}


@dataclass
class InstalledExtension:
    component: str
    extension: str
    release: str
    namespace: str
    version: str
    revision: int
    status: str
    updated: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "component": self.component,
            "extension": self.extension,
            "release": self.release,
            "namespace": self.namespace,
            "version": self.version,
            "revision": self.revision,
            "status": self.status,
            "updated": self.updated,
        }


@dataclass
class ExtensionReport:
    """What an install or uninstall did, per component (required extensions first)."""

    platform: str
    operation: str
    components: list[ComponentResult] = field(default_factory=list)
    platform_revision: int | None = None
    seconds: float = 0.0

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
        }


def installed_extensions(live: Mapping[str, Release]) -> list[InstalledExtension]:
    """The platform's extensions among its live releases (uninstalled ones left out)."""
    out = []
    for name, rel in sorted(live.items()):
        ext = rel.labels.get(EXTENSION_LABEL)
        if not ext or rel.status is ReleaseStatus.UNINSTALLED:
            continue
        out.append(
            InstalledExtension(
                component=name,
                extension=ext,
                release=rel.name,
                namespace=rel.namespace,
                version=rel.chart_version,
                revision=rel.revision,
                status=rel.status.value,
                updated=rel.updated.isoformat() if rel.updated else None,
            )
        )
    return out
