"""One operation that changes a platform (deploy, rollback, undeploy, extension install/uninstall):
its namespaces, the platform's Lease held for the whole of it, and the revision it records.

The Lease is what lets a later operation tell a dead operator's half-done release from a live
one's, so an operation that loses it (renewals failed past the ttl, or another operator took the
lease over) must stop changing the platform: the loss sets ``cancel``, which the deploy executor
and the other services check between steps, and every write of a revision checks the lease first.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from helmdeck.cluster import LeaseInfo, PlatformLock, ensure_namespaces
from helmdeck.core.session import PlatformSession
from helmdeck.errors import ClusterError
from helmdeck.revisions.store import PlatformRevision, RevisionStore


@dataclass
class PlatformOperation:
    """What an operation body gets: the session, the held lock and a cancel event set on lock loss."""

    session: PlatformSession
    lock: PlatformLock | None
    cancel: threading.Event = field(default_factory=threading.Event)

    @property
    def took_over_from(self) -> LeaseInfo | None:
        """The dead holder whose expired lease this operation took over, if any."""
        return self.lock.took_over_from if self.lock is not None else None

    @property
    def revisions(self) -> RevisionStore:
        s = self.session
        return RevisionStore(s.client, s.admin_namespace, s.platform_id)

    def check(self) -> None:
        """Raise when the lock was lost: nothing may change the platform after that."""
        if self.lock is not None:
            self.lock.check()

    def ensure_namespaces(self, names: Iterable[str]) -> None:
        self.check()
        ensure_namespaces(self.session.client, sorted(set(names)), self.session.platform_id)

    def record(self, revision: PlatformRevision) -> PlatformRevision:
        """Store the platform revision this operation produced (refused once the lock is lost)."""
        self.check()
        return self.revisions.record(revision)


@contextmanager
def platform_operation(
    session: PlatformSession,
    *,
    namespaces: Iterable[str] = (),
    cancel: threading.Event | None = None,
    locked: bool = True,
    on_lost: Callable[[str], None] | None = None,
) -> Iterator[PlatformOperation]:
    """Hold the platform's Lease around the body, after making the admin namespace (where the Lease
    lives) and ``namespaces``.

    ``cancel`` (made when not given) is set when the lease is lost, so long-running bodies stop
    starting new steps. ``locked=False`` is for an undeploy that finds no usable admin namespace:
    there is nothing of the platform left to lock or to protect.
    """
    op = PlatformOperation(session, None, cancel if cancel is not None else threading.Event())
    if not locked:
        yield op
        return

    def lost(reason: str) -> None:
        op.cancel.set()
        if on_lost is not None:
            on_lost(reason)

    client = session.client
    ensure_namespaces(client, [session.admin_namespace], session.platform_id)
    op.lock = PlatformLock(client, session.admin_namespace, session.platform_id, on_lost=lost)
    op.lock.acquire()
    try:
        if namespaces:
            op.ensure_namespaces(namespaces)
        yield op
    except BaseException:
        # the body's error matters more; an unreleased lease expires within its ttl
        with contextlib.suppress(ClusterError):
            op.lock.release()
        raise
    op.lock.release()
