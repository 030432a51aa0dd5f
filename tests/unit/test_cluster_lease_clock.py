"""The platform Lease on the in-memory cluster with a hand-advanced clock: expiry, takeover,
renewal and loss, each without waiting for real time (tests/cluster/test_cluster_lease.py checks
the same lock against the sandbox's API server)."""

from __future__ import annotations

import threading

import pytest

from helmdeck.cluster.lease import PlatformLock, describe
from helmdeck.errors import ClusterError
from tests.fakes import FakeKube, api_error
from tests.fakes.clock import ManualClock


def lock(kube: FakeKube, clock: ManualClock, holder: str, **kwargs: object) -> PlatformLock:
    kube.put({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "admin"}})
    return PlatformLock(kube, "admin", "dash", holder=holder, ttl_seconds=30, clock=clock, **kwargs)  # type: ignore[arg-type]


def until(condition: object, what: str) -> None:
    done = threading.Event()
    for _ in range(500):
        if condition():  # type: ignore[operator]
            return
        done.wait(0.01)
    raise AssertionError(f"never happened: {what}")


def test_a_live_holder_is_refused_until_its_lease_expires() -> None:
    kube, clock = FakeKube(), ManualClock()
    first = lock(kube, clock, "ana@box pid 1").acquire()
    first._stop.set()  # its renewer stops: from now on it is a dead holder
    with pytest.raises(ClusterError, match="being changed by ana@box pid 1"):
        lock(kube, clock, "bo@other pid 2").acquire()
    assert describe(kube, "admin", "dash", clock=clock).expired is False  # type: ignore[arg-type, union-attr]
    clock.advance(31)  # past renewTime + leaseDurationSeconds
    assert describe(kube, "admin", "dash", clock=clock).expired is True  # type: ignore[arg-type, union-attr]
    second = lock(kube, clock, "bo@other pid 2").acquire()
    assert second.took_over_from is not None and second.took_over_from.holder == "ana@box pid 1"
    info = describe(kube, "admin", "dash")  # type: ignore[arg-type]
    assert info is not None and info.holder == "bo@other pid 2" and info.transitions == 1
    second.release()


def test_the_renewer_pushes_the_lease_forward_every_third_of_its_ttl() -> None:
    kube, clock = FakeKube(), ManualClock()
    held = lock(kube, clock, "ana@box pid 1").acquire()
    before = describe(kube, "admin", "dash").renew_time  # type: ignore[arg-type, union-attr]
    until(lambda: clock.waits, "the renewer to start waiting")
    assert clock.waits[0] == 10  # ttl 30 / 3
    clock.advance(10)
    until(lambda: describe(kube, "admin", "dash").renew_time != before, "a renewal")  # type: ignore[arg-type, union-attr]
    clock.advance(25)  # 35 s after acquiring, but renewed at 10 s: still alive
    with pytest.raises(ClusterError, match="being changed by ana@box pid 1"):
        lock(kube, clock, "bo@other pid 2").acquire()
    held.release()
    assert describe(kube, "admin", "dash").holder is None  # type: ignore[arg-type, union-attr]


def test_renewals_failing_longer_than_the_ttl_lose_the_lock_and_say_so() -> None:
    kube, clock = FakeKube(), ManualClock()
    lost: list[str] = []
    held = lock(kube, clock, "ana@box pid 1", on_lost=lost.append).acquire()
    until(lambda: clock.waits, "the renewer to start waiting")
    for step in range(4):  # the API server refuses every renewal from now on
        kube.fail_next[("get", "Lease")] = api_error(503, "ServiceUnavailable", "etcd is down")
        clock.advance(10)
        until(lambda n=step: len(clock.waits) > n + 1 or lost, "the renewer's next round")
    until(lambda: lost, "the loss to be reported")
    assert lost[0].startswith("could not renew for 30s")
    with pytest.raises(ClusterError, match="lost the lock of platform dash"):
        held.check()
    held.release()


def test_a_lease_taken_by_someone_else_is_lost_at_the_next_renewal() -> None:
    kube, clock = FakeKube(), ManualClock()
    lost: list[str] = []
    held = lock(kube, clock, "ana@box pid 1", on_lost=lost.append).acquire()
    lease = kube.one("Lease", "helmdeck-lock-dash", "admin")
    assert lease is not None
    lease["spec"]["holderIdentity"] = "bo@other pid 2"
    kube.put(lease)
    until(lambda: clock.waits, "the renewer to start waiting")
    clock.advance(10)
    until(lambda: lost, "the loss to be reported")
    assert lost == ["the lease is now held by bo@other pid 2"]
    held.release()
    assert describe(kube, "admin", "dash").holder == "bo@other pid 2"  # type: ignore[arg-type, union-attr]
