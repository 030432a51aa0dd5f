"""The platform operation lock: a coordination.k8s.io/v1 Lease, renewed while an operation runs.

A live holder is never disturbed. A holder that died (killed process, lost machine) stops renewing;
once ``renewTime + leaseDurationSeconds`` has passed the lease is expired and the next operation
takes it over, learning who held it (``took_over_from``) so it can recover what that holder left
half done. Every write carries the resourceVersion read just before, so two takers cannot both win.
"""

from __future__ import annotations

import getpass
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Protocol, cast

import httpx2
import lightkube
from lightkube.generic_resource import GenericNamespacedResource

from helmdeck.cluster.client import api_error, translate_errors, unreachable
from helmdeck.cluster.errors import PlatformBusy
from helmdeck.cluster.events import parse_time
from helmdeck.cluster.kinds import KindInfo, resource_class
from helmdeck.errors import ClusterError
from helmdeck.serialize import JsonObject

_LEASE = KindInfo("coordination.k8s.io/v1", "Lease", "leases", True)
_ATTEMPTS = 5


def lease_name(platform: str) -> str:
    return f"helmdeck-lock-{platform}"


def default_holder() -> str:
    """``user@host pid N``: enough for a person to find the process holding the lock."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry, e.g. an arbitrary uid in a container
        user = f"uid{os.getuid()}"
    return f"{user}@{socket.gethostname()} pid {os.getpid()}"


def dead_local_holder(holder: str) -> bool:
    """True when ``holder`` names a process on this host that no longer runs.

    A killed operator cannot release its lease; on the same machine we can tell at once that it is
    gone instead of waiting for the lease to expire. Holders on other hosts are judged by expiry only.
    """
    _user, _, rest = holder.partition("@")
    host, sep, pid_text = rest.partition(" pid ")
    if not sep or host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def micro_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _show(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "an unknown time"


@dataclass(frozen=True)
class LeaseInfo(JsonObject):
    namespace: str
    name: str
    holder: str | None  # None: free (released, or never held)
    since: datetime | None  # acquireTime
    renew_time: datetime | None
    duration_seconds: int
    transitions: int
    expired: bool

    @property
    def free(self) -> bool:
        return not self.holder or self.expired

    @property
    def expires(self) -> datetime | None:
        last = self.renew_time or self.since
        return last + timedelta(seconds=self.duration_seconds) if last else None


def lease_info(obj: Mapping[str, Any], now: datetime) -> LeaseInfo:
    """What a Lease object says, judged at ``now``: expired once renewTime + duration has passed."""
    meta = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    duration = spec.get("leaseDurationSeconds")
    duration = duration if isinstance(duration, int) else 0
    since = parse_time(spec.get("acquireTime"))
    renew = parse_time(spec.get("renewTime"))
    last = renew or since
    expired = last is None or last + timedelta(seconds=duration) < now
    transitions = spec.get("leaseTransitions")
    return LeaseInfo(
        namespace=str(meta.get("namespace", "")),
        name=str(meta.get("name", "")),
        holder=spec.get("holderIdentity") or None,
        since=since,
        renew_time=renew,
        duration_seconds=duration,
        transitions=transitions if isinstance(transitions, int) else 0,
        expired=expired,
    )


class Clock(Protocol):
    """Time as the lock sees it; tests pass one they advance by hand instead of sleeping."""

    def now(self) -> datetime: ...

    def monotonic(self) -> float: ...

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        """Wait ``seconds`` or until ``stop`` is set; True when it was set."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        return stop.wait(seconds)


SYSTEM_CLOCK = SystemClock()


class PlatformLock:
    """The lock of one platform: ``with PlatformLock(client, ns, "dashboards"): ...``.

    The namespace must exist. While held, a daemon thread renews the lease every ttl/3 seconds; if
    renewal fails for longer than the ttl, or someone else holds the lease, ``lost`` turns True,
    ``on_lost`` is called once (from the renewer thread) and ``check()`` raises.
    """

    def __init__(
        self,
        client: lightkube.Client,
        namespace: str,
        platform: str,
        *,
        holder: str | None = None,
        ttl_seconds: int = 30,
        on_lost: Callable[[str], None] | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.client = client
        self.clock = clock
        self.namespace = namespace
        self.platform = platform
        self.name = lease_name(platform)
        self.holder = holder or default_holder()
        self.ttl_seconds = ttl_seconds
        self.on_lost = on_lost
        self.took_over_from: LeaseInfo | None = None
        self.lost_reason: str | None = None
        self._held = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_renewal = 0.0
        self._res = cast(type[GenericNamespacedResource], resource_class(_LEASE))

    @property
    def held(self) -> bool:
        return self._held and self.lost_reason is None

    @property
    def lost(self) -> bool:
        return self.lost_reason is not None

    @property
    def where(self) -> str:
        return f"Lease {self.namespace}/{self.name}"

    # -- reading ---------------------------------------------------------------------------------

    def _get(self) -> dict[str, Any] | None:
        with translate_errors(self.client, f"read the lock {self.where}", self.where):
            try:
                return dict(self.client.get(self._res, self.name, namespace=self.namespace))
            except lightkube.ApiError as err:
                if err.status.code == 404:
                    return None
                raise

    def describe(self) -> LeaseInfo | None:
        """The lease as it stands: holder, since, last renewal, expired; None when there is none."""
        obj = self._get()
        return lease_info(obj, self.clock.now()) if obj is not None else None

    # -- taking ----------------------------------------------------------------------------------

    def _body(self, spec: dict[str, Any], resource_version: str | None = None) -> GenericNamespacedResource:
        meta: dict[str, Any] = {
            "name": self.name,
            "namespace": self.namespace,
            "labels": {"app.kubernetes.io/managed-by": "helmdeck", "helmdeck.dev/platform": self.platform},
        }
        if resource_version:
            meta["resourceVersion"] = resource_version
        body = {"apiVersion": _LEASE.api_version, "kind": "Lease", "metadata": meta, "spec": spec}
        return cast(GenericNamespacedResource, cast(Any, self._res)(body))

    def _refuse(self, info: LeaseInfo) -> ClusterError:
        return PlatformBusy(
            f"platform {self.platform} is being changed by {info.holder} since {_show(info.since)}",
            where=self.where,
            fix=(
                "wait for that operation to finish; if its process is gone, the lock expires "
                f"{info.duration_seconds}s after its last renewal (at {_show(info.expires)}) and the "
                "next operation takes it over"
            ),
            details={"lease": info.as_dict()},
        )

    def acquire(self, holder: str | None = None, ttl_seconds: int | None = None) -> PlatformLock:
        """Take the lock (creating the lease, or taking over a free or expired one) and start renewing.

        Raises ClusterError "platform P is being changed by H since T" when a live holder has it.
        """
        if self._held:
            return self
        if holder:
            self.holder = holder
        if ttl_seconds:
            self.ttl_seconds = ttl_seconds
        for _ in range(_ATTEMPTS):
            now = self.clock.now()
            stamp = micro_time(now)
            obj = self._get()
            spec: dict[str, Any] = {
                "holderIdentity": self.holder,
                "leaseDurationSeconds": self.ttl_seconds,
                "acquireTime": stamp,
                "renewTime": stamp,
            }
            if obj is None:
                spec["leaseTransitions"] = 0
                if self._write(self._body(spec), create=True):
                    return self._start(None)
                continue
            info = lease_info(obj, now)
            live_holder = info.holder and info.holder != self.holder and not info.expired
            if live_holder and not dead_local_holder(str(info.holder)):
                raise self._refuse(info)
            spec["leaseTransitions"] = info.transitions + (1 if info.holder != self.holder else 0)
            rv = obj.get("metadata", {}).get("resourceVersion")
            if self._write(self._body(spec, rv), create=False):
                previous = info if info.holder and info.holder != self.holder else None
                return self._start(previous)
        raise ClusterError(
            f"could not take the lock of platform {self.platform}: it kept changing under us",
            where=self.where,
            fix="another operation is starting at the same moment; retry",
        )

    def _write(self, body: GenericNamespacedResource, *, create: bool) -> bool:
        """Create or replace; False when another writer got there first (409)."""
        action = f"{'create' if create else 'update'} the lock {self.where}"
        try:
            if create:
                self.client.create(body, namespace=self.namespace)
            else:
                self.client.replace(body)
        except lightkube.ApiError as err:
            if err.status.code == 409:
                return False
            if err.status.code == 404 and create:
                raise ClusterError(
                    f"namespace {self.namespace} for the lock of platform {self.platform} does not exist",
                    where=self.where,
                    fix="create the namespace first (deploy does so)",
                ) from err
            raise api_error(self.client, err, action, self.where) from err
        except (httpx2.TransportError, OSError) as err:
            raise unreachable(self.client, err, action) from err
        return True

    def _start(self, previous: LeaseInfo | None) -> PlatformLock:
        self.took_over_from = previous
        self.lost_reason = None
        self._held = True
        self._last_renewal = self.clock.monotonic()
        self._stop.clear()
        self._thread = threading.Thread(target=self._renew_loop, name=f"lease-{self.name}", daemon=True)
        self._thread.start()
        return self

    # -- keeping ---------------------------------------------------------------------------------

    def _renew_loop(self) -> None:
        interval = max(self.ttl_seconds / 3, 0.2)
        while not self.clock.wait(self._stop, interval):
            try:
                self.renew()
            except ClusterError as err:
                if self.clock.monotonic() - self._last_renewal > self.ttl_seconds:
                    self._mark_lost(f"could not renew for {self.ttl_seconds}s: {err.message}")
            if self.lost_reason is not None:
                return

    def renew(self) -> None:
        """Push renewTime forward once (the renewer thread calls this every ttl/3 seconds)."""
        for _ in range(_ATTEMPTS):
            obj = self._get()
            info = lease_info(obj, self.clock.now()) if obj is not None else None
            if info is None or info.holder != self.holder:
                taker = info.holder if info and info.holder else "nobody"
                self._mark_lost(f"the lease is now held by {taker}")
                return
            assert obj is not None
            spec = dict(obj.get("spec") or {})
            spec["renewTime"] = micro_time(self.clock.now())
            if self._write(self._body(spec, obj.get("metadata", {}).get("resourceVersion")), create=False):
                self._last_renewal = self.clock.monotonic()
                return

    def _mark_lost(self, reason: str) -> None:
        if self.lost_reason is None:
            self.lost_reason = reason
            if self.on_lost is not None:
                self.on_lost(reason)

    def check(self) -> None:
        """Raise if the lock was lost: an operation must not go on changing the platform then."""
        if self.lost_reason is not None:
            raise ClusterError(
                f"lost the lock of platform {self.platform}: {self.lost_reason}",
                where=self.where,
                fix="check the connection to the cluster and whether another operation took over",
            )

    # -- letting go ------------------------------------------------------------------------------

    def release(self) -> None:
        """Stop renewing and free the lease (if it is still ours)."""
        if not self._held:
            return
        self._held = False
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)
        self._thread = None
        for _ in range(_ATTEMPTS):
            obj = self._get()
            if obj is None or (obj.get("spec") or {}).get("holderIdentity") != self.holder:
                return
            spec = {k: v for k, v in (obj.get("spec") or {}).items() if k != "holderIdentity"}
            spec["renewTime"] = micro_time(self.clock.now())
            if self._write(self._body(spec, obj.get("metadata", {}).get("resourceVersion")), create=False):
                return

    def __enter__(self) -> PlatformLock:
        return self.acquire()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            self.release()
        except ClusterError:
            if exc is None:
                raise
            # the operation's own error matters more; the lease expires by itself within the ttl


def describe(
    client: lightkube.Client, namespace: str, platform: str, *, clock: Clock = SYSTEM_CLOCK
) -> LeaseInfo | None:
    """Who holds (or last held) the lock of a platform, without taking it (expired as of ``clock``)."""
    return PlatformLock(client, namespace, platform, clock=clock).describe()
