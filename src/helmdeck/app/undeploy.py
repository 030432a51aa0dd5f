"""Undeploy as every front end runs it: what a purge would delete (for the confirmation), then the
undeploy itself; the releases go in reverse dependency order, the data stays unless purged."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from helmdeck.deploy.undeploy import Undeployer

if TYPE_CHECKING:
    from helmdeck.core.progress import Progress
    from helmdeck.core.session import PlatformSession
    from helmdeck.deploy.undeploy import UndeployReport


def data_to_purge(session: PlatformSession) -> list[str]:
    """What ``undeploy --purge-data`` would delete now (read-only): what a confirmation lists."""
    return Undeployer(session, purge_data=True).data_to_purge()


def only_confirmed(confirmed: Iterable[str], refuse: Callable[[list[str]], Exception]) -> Callable[[list[str]], bool]:
    """The check a purge (``undeploy``, ``ext uninstall``) runs on the data it finds right before it
    deletes: what a person confirmed passes; anything else (data that appeared since it was listed)
    raises ``refuse(new items)``, so nothing is deleted that nobody was shown."""
    listed = set(confirmed)

    def check(found: list[str]) -> bool:
        new = [item for item in found if item not in listed]
        if new:
            raise refuse(new)
        return True

    return check


def undeploy_platform(
    session: PlatformSession,
    *,
    purge_data: bool = False,
    confirm: Callable[[list[str]], bool] | None = None,
    progress: Progress | None = None,
) -> UndeployReport:
    """Remove every release; with ``purge_data`` the platform's volumes, secrets and history too,
    once ``confirm`` accepted the list of them."""
    return Undeployer(session, purge_data=purge_data, confirm=confirm, progress=progress).run()
