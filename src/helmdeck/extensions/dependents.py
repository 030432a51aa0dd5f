"""Which installed extensions require which: what an installed extension requires (read from its
chart in the catalog), and the installs that would lose a requirement if one went."""

from __future__ import annotations

from collections.abc import Sequence

from helmdeck.extensions.catalog import Catalog
from helmdeck.extensions.installed import InstalledExtension
from helmdeck.extensions.requirements import Requirement


def requirements_of(catalog: Catalog, installed: InstalledExtension) -> tuple[Requirement, ...]:
    """What an installed extension requires, read from its chart in the catalog."""
    for ext in catalog.versions(installed.extension):
        if ext.version == installed.version:
            return ext.requires
    versions = catalog.versions(installed.extension)
    return versions[0].requires if versions else ()


def dependents(catalog: Catalog, target: InstalledExtension, installed: Sequence[InstalledExtension]) -> list[str]:
    """Installed extensions that would lose a requirement if ``target`` went."""
    remaining = [i for i in installed if i.component != target.component]
    out = []
    for other in remaining:
        for req in requirements_of(catalog, other):
            if req.name != target.extension:
                continue
            if not any(i.extension == req.name and req.allows(i.version) for i in remaining):
                out.append(other.component)
    return out
