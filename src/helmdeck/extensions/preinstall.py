"""The extensions the platform file lists under ``extensions.preinstall``, installed once the
components are healthy, unless already there (:func:`helmdeck.app.deploy.deploy_platform` runs it)."""

from __future__ import annotations

from helmdeck.core.progress import Progress
from helmdeck.core.session import PlatformSession
from helmdeck.extensions.catalog import Catalog
from helmdeck.extensions.manager import ExtensionManager
from helmdeck.extensions.report import ExtensionReport
from helmdeck.extensions.state import default_state_dir, upload_dir


def preinstall_extensions(session: PlatformSession, *, progress: Progress | None = None) -> list[ExtensionReport]:
    wanted = list(session.platform.spec.extensions.preinstall)
    if not wanted:
        return []
    catalog = Catalog.for_platform(session.platform, upload_dir(default_state_dir(session.platform_id)))
    manager = ExtensionManager(session, catalog, progress=progress)
    present = {ext.extension for ext in manager.installed()}
    return [manager.install(name) for name in wanted if name not in present]
