"""Which environment a platform was last deployed with, from its latest platform revision: what
commands that act on the running platform (extensions, the server) use when none is given."""

from __future__ import annotations

from helmdeck.core.session import PlatformSession
from helmdeck.errors import ClusterError
from helmdeck.revisions.store import RevisionStore


def deployed_environment(session: PlatformSession) -> str | None:
    """The environment the platform was last deployed with (from its latest platform revision)."""
    try:
        latest = RevisionStore(session.client, session.admin_namespace, session.platform_id).latest()
    except ClusterError:
        return None
    return latest.environment if latest else None


def adopt_deployed_environment(session: PlatformSession) -> None:
    """Give a session without an environment the one its platform was last deployed with, if that
    environment is still in the platform file (a removed one falls back to base values, as asked)."""
    if session.environment is not None:
        return
    deployed = deployed_environment(session)
    if deployed is not None and deployed in session.platform.spec.environments:
        session.use_last_deployed(deployed)
