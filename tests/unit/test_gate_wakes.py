"""What a gate costs per watch event in a namespace of many components: the Pods and ReplicaSets of
other components do not wake it (it evaluated itself again for each of theirs), and an event costs
the owner index an update, not a rebuild over the namespace's objects."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import pytest

from helmdeck.cluster import gate_state
from helmdeck.cluster.gate_service import _Feed
from helmdeck.cluster.gate_state import GateEvaluator, Store
from helmdeck.cluster.pods import index_by_owner
from tests.unit.test_cluster_gate import (
    BACKEND,
    DEPLOYMENT_KIND,
    POD_STREAM,
    REPLICASET,
    RS_STREAM,
    RUNNING,
    deployment,
    pod,
)


def other_pod(i: int) -> dict[str, Any]:
    """A pod of another component of the namespace."""
    p = pod(RUNNING)
    p["metadata"].update(name=f"other-{i}", uid=f"other-pod-{i}")
    p["metadata"]["ownerReferences"] = [{"kind": "ReplicaSet", "name": f"other-rs-{i}", "uid": f"other-rs-{i}"}]
    return p


def followed(evaluator: GateEvaluator) -> tuple[dict[Any, _Feed], asyncio.Event]:
    """The gate's streams as the gate service feeds them, and the gate's wake-up event."""
    waiter = asyncio.Event()
    feeds = {}
    for stream, interest in evaluator.interest().items():
        feeds[stream] = _Feed(stream)
        feeds[stream].waiters[waiter] = interest
    return feeds, waiter


def woken(feed: _Feed, waiter: asyncio.Event, store: Store, event: str, obj: dict[str, Any]) -> bool:
    """Apply the event as the gate service does and tell whether it woke the gate."""
    waiter.clear()
    before = store.apply(feed.stream, event, obj)
    feed.wake(obj["metadata"]["name"], (before, obj))
    return waiter.is_set()


def test_other_components_pods_do_not_wake_the_gate_its_own_do() -> None:
    evaluator = GateEvaluator([(BACKEND, DEPLOYMENT_KIND)], shared_streams=True)
    store = Store()
    store.replace(evaluator.streams[BACKEND], [deployment(0)])
    store.replace(RS_STREAM, [])
    store.replace(POD_STREAM, [])
    feeds, waiter = followed(evaluator)
    evaluator.evaluate(store, 0)
    # the Deployment's ReplicaSet appears: it concerns the gate by its owner, the Deployment
    assert woken(feeds[RS_STREAM], waiter, store, "ADDED", copy.deepcopy(REPLICASET))
    evaluator.evaluate(store, 1)
    for i in range(20):
        assert not woken(feeds[POD_STREAM], waiter, store, "ADDED", other_pod(i))
    # its own pod (owned by its ReplicaSet, learnt at the last evaluation) wakes it, and so does
    # the pod's removal
    assert woken(feeds[POD_STREAM], waiter, store, "ADDED", pod(RUNNING))
    assert woken(feeds[POD_STREAM], waiter, store, "DELETED", pod(RUNNING))
    # a pod its ReplicaSet lets go of (orphaned) concerns it too: the pod was one of its own
    store.apply(POD_STREAM, "ADDED", pod(RUNNING))
    orphan = pod(RUNNING)
    orphan["metadata"]["ownerReferences"] = []
    assert woken(feeds[POD_STREAM], waiter, store, "MODIFIED", orphan)
    # a relisting concerns every gate
    waiter.clear()
    feeds[POD_STREAM].wake()
    assert waiter.is_set()


def test_an_event_updates_the_owner_index_without_rebuilding_it(monkeypatch: pytest.MonkeyPatch) -> None:
    builds: list[int] = []

    def counted(objs: Any) -> Any:
        builds.append(1)
        return index_by_owner(objs)

    monkeypatch.setattr(gate_state, "index_by_owner", counted)
    evaluator = GateEvaluator([(BACKEND, DEPLOYMENT_KIND)], shared_streams=True)
    store = Store()
    store.replace(evaluator.streams[BACKEND], [deployment(0)])
    store.replace(RS_STREAM, [REPLICASET])
    store.replace(POD_STREAM, [other_pod(i) for i in range(50)])
    evaluator.evaluate(store, 0)
    for i in range(50):
        store.apply(POD_STREAM, "MODIFIED", other_pod(i))
        store.apply(POD_STREAM, "ADDED", other_pod(100 + i))
        store.apply(POD_STREAM, "DELETED", other_pod(100 + i))
        evaluator.evaluate(store, 1)
    store.apply(POD_STREAM, "ADDED", pod(RUNNING))
    [status] = evaluator.evaluate(store, 2)
    assert [p.name for p in status.pods] == ["backend-1-abc"]
    assert len(builds) == 2, "an index per stream, built once"
    # the same index a rebuild would give, in the same order
    pods = list((store.listed(POD_STREAM) or {}).values())
    assert store.owner_index(POD_STREAM) == index_by_owner(pods)
