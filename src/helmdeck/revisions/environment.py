"""Which environment a platform was last deployed with, from its latest platform revision: what
commands that act on the running platform (extensions, the server) use when none is given."""

from __future__ import annotations

from helmdeck.core.session import PlatformSession
from helmdeck.errors import ClusterError, ConfigError
from helmdeck.revisions.store import RevisionStore


def deployed_environment(session: PlatformSession) -> str | None:
    """The environment the platform was last deployed with (from its latest platform revision)."""
    try:
        latest = RevisionStore(session.client, session.admin_namespace, session.platform_id).latest()
    except ClusterError:
        return None
    return latest.environment if latest else None


def adopt_deployed_environment(session: PlatformSession) -> None:
    """Give a session without an environment the one its platform was last deployed with.

    Raises:
        ConfigError: that environment is no longer in the platform file (falling back to base
            values would silently undo it: the operator chooses with -e).
    """
    if session.environment is not None:
        return
    deployed = deployed_environment(session)
    if deployed is None:
        return
    known = session.platform.spec.environments
    if deployed not in known:
        raise ConfigError(
            f"platform {session.platform_id} was last deployed with environment {deployed!r}, which the "
            "platform file no longer declares",
            where=str(session.platform.source_path) if session.platform.source_path else None,
            fix=f"pass -e with the environment to use ({', '.join(known) or 'none declared: base values only'})",
        )
    session.use_last_deployed(deployed)
