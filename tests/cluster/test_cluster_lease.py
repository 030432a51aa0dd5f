"""The platform lock on a real API server: acquire, refuse, renew, release, expired takeover, races."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import lightkube
import pytest

from helmdeck.cluster.client import make_client
from helmdeck.cluster.kinds import apply_object
from helmdeck.cluster.lease import PlatformLock, describe, lease_name, micro_time
from helmdeck.errors import ClusterError
from tests.fakes.clock import ManualClock

pytestmark = pytest.mark.cluster


@pytest.fixture
def client(sandbox: Any) -> lightkube.Client:
    return make_client(sandbox.kubeconfig)


def test_acquire_refuse_release(client: lightkube.Client, namespace: str) -> None:
    first = PlatformLock(client, namespace, "dash", holder="ana@box pid 1")
    second = PlatformLock(client, namespace, "dash", holder="bo@other pid 2")
    with first:
        info = describe(client, namespace, "dash")
        assert info is not None
        assert (info.holder, info.expired, info.name) == ("ana@box pid 1", False, lease_name("dash"))
        with pytest.raises(ClusterError) as refused:
            second.acquire()
        assert refused.value.message.startswith("platform dash is being changed by ana@box pid 1 since ")
        assert refused.value.where == f"Lease {namespace}/helmdeck-lock-dash"
        assert refused.value.fix and "expires" in refused.value.fix
        assert not second.held
    after = describe(client, namespace, "dash")
    assert after is not None and after.holder is None
    with second:
        assert second.held
        assert second.took_over_from is None  # released cleanly: nothing to recover
    # another platform's lock is independent
    with PlatformLock(client, namespace, "other", holder="ana@box pid 1"):
        pass


def test_renewer_keeps_a_short_lease_alive(client: lightkube.Client, namespace: str) -> None:
    clock = ManualClock(datetime.now(UTC))
    with PlatformLock(client, namespace, "dash", holder="ana@box pid 1", ttl_seconds=3, clock=clock) as lock:
        first = describe(client, namespace, "dash")
        assert first is not None and first.renew_time is not None
        eventually(lambda: clock.waits, "the renewer waits for its first round")
        clock.advance(1)  # a third of the ttl: the renewer's turn
        eventually(lambda: describe(client, namespace, "dash").renew_time > first.renew_time, "a renewal")  # type: ignore[union-attr, operator]
        later = describe(client, namespace, "dash")
        assert later is not None and not later.expired
        with pytest.raises(ClusterError, match="being changed by ana@box pid 1"):
            PlatformLock(client, namespace, "dash", holder="bo@other pid 2", ttl_seconds=3).acquire()
        lock.check()


def eventually(condition: Callable[[], object], what: str, timeout: float = 20) -> None:
    """Poll the API server until ``condition`` holds (a real cluster answers in its own time)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        threading.Event().wait(0.05)


def test_expired_lease_of_a_dead_holder_is_taken_over(client: lightkube.Client, namespace: str) -> None:
    # what a SIGKILLed operation leaves behind: a lease nobody renews any more
    stale = datetime.now(UTC) - timedelta(seconds=90)
    apply_object(
        client,
        {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": lease_name("dash"), "namespace": namespace},
            "spec": {
                "holderIdentity": "ana@box pid 4242",
                "leaseDurationSeconds": 30,
                "acquireTime": micro_time(stale - timedelta(seconds=60)),
                "renewTime": micro_time(stale),
                "leaseTransitions": 3,
            },
        },
    )
    before = describe(client, namespace, "dash")
    assert before is not None and before.expired and before.holder == "ana@box pid 4242"

    with PlatformLock(client, namespace, "dash", holder="bo@other pid 2") as lock:
        assert lock.took_over_from is not None
        assert lock.took_over_from.holder == "ana@box pid 4242"
        assert lock.took_over_from.expired
        now = describe(client, namespace, "dash")
        assert now is not None
        assert (now.holder, now.transitions, now.expired) == ("bo@other pid 2", 4, False)


def test_live_lease_is_not_taken_over_even_when_old(client: lightkube.Client, namespace: str) -> None:
    recent = datetime.now(UTC)
    apply_object(
        client,
        {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": lease_name("dash"), "namespace": namespace},
            "spec": {
                "holderIdentity": "ana@box pid 4242",
                "leaseDurationSeconds": 30,
                "acquireTime": micro_time(recent - timedelta(hours=2)),
                "renewTime": micro_time(recent),
            },
        },
    )
    with pytest.raises(ClusterError, match=r"being changed by ana@box pid 4242 since \d{4}-\d\d-\d\d"):
        PlatformLock(client, namespace, "dash", holder="bo@other pid 2").acquire()


def test_only_one_of_many_simultaneous_takers_wins(client: lightkube.Client, namespace: str) -> None:
    locks = [PlatformLock(client, namespace, "dash", holder=f"user@host pid {i}") for i in range(6)]
    results: dict[int, str] = {}
    barrier = threading.Barrier(len(locks))

    def take(i: int) -> None:
        barrier.wait()
        try:
            locks[i].acquire()
            results[i] = "won"
        except ClusterError as err:
            results[i] = err.message

    threads = [threading.Thread(target=take, args=(i,)) for i in range(len(locks))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        winners = [i for i, r in results.items() if r == "won"]
        assert len(winners) == 1, results
        holder = f"user@host pid {winners[0]}"
        for i, r in results.items():
            if i != winners[0]:
                assert r.startswith(f"platform dash is being changed by {holder}") or "kept changing" in r
    finally:
        for lock in locks:
            lock.release()


def test_a_lock_taken_from_under_us_is_reported_lost(client: lightkube.Client, namespace: str) -> None:
    lost: list[str] = []
    lock = PlatformLock(client, namespace, "dash", holder="ana@box pid 1", on_lost=lost.append).acquire()
    try:
        # someone forcibly rewrites the lease (e.g. an admin clearing it by hand)
        apply_object(
            client,
            {
                "apiVersion": "coordination.k8s.io/v1",
                "kind": "Lease",
                "metadata": {"name": lease_name("dash"), "namespace": namespace},
                "spec": {"holderIdentity": "bo@other pid 2"},
            },
            force=True,
            field_manager="someone-else",
        )
        lock.renew()
        assert lock.lost and lost == ["the lease is now held by bo@other pid 2"]
        with pytest.raises(ClusterError, match="lost the lock of platform dash"):
            lock.check()
    finally:
        lock.release()
    # releasing a lost lock leaves the new holder alone
    info = describe(client, namespace, "dash")
    assert info is not None and info.holder == "bo@other pid 2"


def test_lock_in_a_missing_namespace_says_so(client: lightkube.Client) -> None:
    with pytest.raises(ClusterError, match="namespace no-such-ns-x1 for the lock of platform dash does not exist"):
        PlatformLock(client, "no-such-ns-x1", "dash").acquire()
