"""Which environment a platform was last deployed with, from its latest platform revision: what
extension installs and the web service use when no environment is given."""

from __future__ import annotations

from helmdeck.core.session import PlatformSession
from helmdeck.errors import ClusterError
from helmdeck.revisions.store import RevisionStore


def deployed_environment(session: PlatformSession) -> str | None:
    """The environment the platform was last deployed with (None before its first deploy)."""
    try:
        latest = RevisionStore(session.client, session.admin_namespace, session.platform_id).latest()
    except ClusterError:
        return None
    return latest.environment if latest else None
