"""Finding, by reading only, that a deploy has nothing to change.

A deploy that changes nothing should write nothing: no Lease taken and renewed, no secrets store
rewritten, no pull Secret applied again, no platform revision recorded. So before the lock is
taken, the deploy looks: is every namespace there, every secret stored as ``ensure`` would leave
it, every pull Secret copy current, every target release in sync (the same decision plan makes),
and nothing to remove? Only then does it go on without the lock, checking health alone.

Without the lock another operator may start meanwhile; that is safe because this deploy writes
nothing, and a lease held by a live operator sends the deploy down the usual path, which waits or
refuses with that operator's name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from helmdeck.cluster import PlatformLock
from helmdeck.cluster.namespaces import get_namespace
from helmdeck.core.session import DesiredComponent, PlatformSession
from helmdeck.deploy.platform_steps import dropped, pull_secret_copies_current
from helmdeck.engine.releases import Release
from helmdeck.plan.state import ReleaseDecision, ReleaseState, release_states


@dataclass(frozen=True)
class Unchanged:
    """What the deploy read while finding nothing to change, so it need not read it again."""

    desired: dict[str, DesiredComponent]
    live: dict[str, Release]
    states: dict[str, ReleaseDecision]


def nothing_to_change(s: PlatformSession, targets: Sequence[str], *, whole_platform: bool) -> Unchanged | None:
    """The platform as read when a deploy of ``targets`` would change nothing, else None (cheap
    checks first, the release states last)."""
    lease = PlatformLock(s.client, s.admin_namespace, s.platform_id).describe()
    if lease is not None and not lease.free:
        return None
    for ns in s.platform.all_namespaces():
        found = get_namespace(s.client, ns)
        if found is None or (found.get("status") or {}).get("phase") == "Terminating":
            return None
    secrets: dict[str, str] = {}
    if s.platform.spec.secrets:
        from helmdeck.secrets.kube_store import KubeSecretStore

        current = KubeSecretStore(s.platform, s.client).current()
        if current is None:
            return None
        secrets = current
    if not pull_secret_copies_current(s):
        return None
    live = s.live_releases()
    if any(name not in live for name in targets):
        return None
    desired = s.desired(secrets=secrets)
    if whole_platform and dropped(live, desired):
        return None
    states = release_states(s, desired, live, targets)
    if any(d.state is not ReleaseState.in_sync for d in states.values()):
        return None
    return Unchanged(desired, live, states)
