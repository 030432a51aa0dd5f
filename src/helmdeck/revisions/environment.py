"""Which environment a platform was last deployed with, from its latest platform revision: what
commands that act on the running platform (extensions, the server) use when none is given
(the rule itself is :func:`helmdeck.app.rules.adopt_deployed_environment`)."""

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
