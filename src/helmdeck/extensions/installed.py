"""The platform's installed extensions: read from its live releases (a release labelled with an
extension chart's name is an install of it), and found by component or extension name."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from helmdeck.engine.releases import Release, ReleaseStatus
from helmdeck.errors import ConfigError
from helmdeck.labels import EXTENSION_LABEL
from helmdeck.serialize import JsonObject


@dataclass
class InstalledExtension(JsonObject):
    component: str
    extension: str
    release: str
    namespace: str
    version: str
    revision: int
    status: str
    updated: str | None = None


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


def find_installed(name: str, installed: Sequence[InstalledExtension]) -> InstalledExtension:
    """An installed extension by component name, or by extension name when installed once."""
    for inst in installed:
        if inst.component == name:
            return inst
    same = [i for i in installed if i.extension == name]
    if len(same) == 1:
        return same[0]
    if len(same) > 1:
        raise ConfigError(
            f"extension {name} is installed {len(same)} times: {', '.join(i.component for i in same)}",
            fix="name the install to remove, e.g. 'helmdeck ext uninstall " + same[0].component + "'",
        )
    known = [i.component for i in installed]
    raise ConfigError(
        f"no installed extension named {name!r}: nothing was changed",
        fix=f"installed: {', '.join(known)}"
        if known
        else "nothing to uninstall: this platform has no extension installed (helmdeck ext list shows the catalog)",
    )


def check_uninstallable(name: str, live: Mapping[str, Release]) -> None:
    """Refuse, before anything is written, to uninstall what is not installed: an extension
    uninstalled already (its history kept for a rollback) is named as such."""
    rel = live.get(name)
    if rel is not None and rel.labels.get(EXTENSION_LABEL) and rel.status is ReleaseStatus.UNINSTALLED:
        raise ConfigError(
            f"extension {name} is uninstalled already (its history is kept for a platform rollback): "
            "nothing was changed",
            fix=f"to bring it back: helmdeck ext install {rel.labels[EXTENSION_LABEL]}",
        )
    find_installed(name, installed_extensions(live))
