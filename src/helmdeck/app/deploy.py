"""A platform's deploy as every front end runs it: its components, then the extensions the platform
file lists under ``extensions.preinstall``, installed once the components are healthy, unless
already there."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from helmdeck.core.progress import Progress
from helmdeck.core.session import PlatformSession
from helmdeck.deploy.executor import Deployer
from helmdeck.deploy.report import DeployReport
from helmdeck.errors import ConfigError
from helmdeck.extensions.preinstall import preinstall_extensions
from helmdeck.validation import catalog_findings


def deploy_platform(
    session: PlatformSession,
    *,
    only: Sequence[str] = (),
    parallel: int = 4,
    progress: Progress | None = None,
    preflight: bool = True,
    allow_destructive: bool = False,
    interrupt: threading.Event | None = None,
    before_changes: Callable[[], None] | None = None,
) -> DeployReport:
    """Deploy the components (``only`` some of them: then no extensions), then the preinstalled
    extensions if every component is healthy; one report of both."""
    deployer = Deployer(
        session,
        only=only,
        parallel=parallel,
        progress=progress,
        preflight=preflight,
        allow_destructive=allow_destructive,
        interrupt=interrupt,
        before_changes=before_changes,
    )
    if not only and not preflight:  # preflight reports it, with the rest
        missing = catalog_findings(session.platform)
        if missing:
            raise ConfigError(missing[0].reason, where=missing[0].object, fix=missing[0].fix)
    report = deployer.run()
    if report.ok and not only and not report.interrupted:
        for ext in preinstall_extensions(session, progress=progress):
            report.components.extend(ext.components)
            report.platform_revision = ext.platform_revision or report.platform_revision
            report.seconds += ext.seconds
    return report
