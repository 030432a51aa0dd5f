"""What a health gate costs among many components of its namespace: the Pods and ReplicaSets of
the others do not make it evaluate itself again (in a deploy of 1000 components, 100 to a
namespace, every gate evaluated itself for every Pod event of its namespace: most of the gates'
CPU)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import lightkube
import pytest

from helmdeck.cluster.client import make_client
from helmdeck.cluster.gate_state import GateEvaluator, ObjectStatus, Store
from helmdeck.cluster.watch import GateResult, wait_healthy
from tests.cluster.test_cluster_watch import create, deployment

pytestmark = pytest.mark.cluster

OTHERS = 20


def test_a_gate_evaluates_on_its_own_objects_changes_not_on_its_neighbours(
    sandbox: Any, namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    client: lightkube.Client = make_client(sandbox.kubeconfig)
    evaluations: Counter[str] = Counter()
    real = GateEvaluator.evaluate

    def counted(self: GateEvaluator, store: Store, now: float) -> list[ObjectStatus]:
        evaluations[self.targets[0][0].name] += 1
        return real(self, store, now)

    monkeypatch.setattr(GateEvaluator, "evaluate", counted)
    # the neighbours turn ready while "web" still waits: their pods come and change meanwhile
    docs = [deployment("web", namespace, annotations={"sandbox.helmdeck.dev/ready-after": "6s"})]
    docs += [
        deployment(f"n{i}", namespace, annotations={"sandbox.helmdeck.dev/ready-after": f"{1 + i % 3}s"})
        for i in range(OTHERS)
    ]
    refs = create(client, *docs)
    results: dict[str, GateResult] = {}

    def gate(i: int) -> None:
        results[refs[i].name] = wait_healthy(client, [refs[i]], timeout=60)

    threads = [threading.Thread(target=gate, args=(i,)) for i in range(len(refs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.ok for r in results.values()), {n: r.message() for n, r in results.items()}
    # web's own Deployment, ReplicaSet and Pod change a few times each (and the three streams list
    # once); each of its neighbours' pods and ReplicaSets changes as often: woken by those it
    # evaluated itself some fifty times
    assert evaluations["web"] <= 20, evaluations
