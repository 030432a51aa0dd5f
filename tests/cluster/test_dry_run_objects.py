"""Dry runs on a real API server: an apply dry run answers for an object that exists, one as a
creation (hooks, which Helm creates anew) says it cannot check it; neither writes anything."""

from __future__ import annotations

from typing import Any

import lightkube
import pytest

from helmdeck.cluster import dry_run_objects
from helmdeck.cluster.client import make_client
from helmdeck.cluster.kinds import apply_object, get_object
from helmdeck.cluster.objects import ObjRef

pytestmark = pytest.mark.cluster


@pytest.fixture
def client(sandbox: Any) -> lightkube.Client:
    return make_client(sandbox.kubeconfig)


def _configmap(name: str, value: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"k": value}}


def test_apply_and_creation_dry_runs(client: lightkube.Client, namespace: str) -> None:
    apply_object(client, _configmap("there", "old"), namespace=namespace)
    docs = [(_configmap("there", "new"), namespace), (_configmap("hook", "new"), namespace)]

    applied = dry_run_objects(client, docs)
    assert [a.stored and a.stored["data"] for a in applied] == [{"k": "new"}, {"k": "new"}]

    created = dry_run_objects(client, docs, create=True)
    assert created[0].stored is None
    assert created[0].unchecked == "it exists already (Helm replaces a hook when it runs)"
    assert created[1].stored is not None and created[1].stored["data"] == {"k": "new"}

    live = get_object(client, ObjRef("v1", "ConfigMap", "there", namespace))
    assert live is not None and live["data"] == {"k": "old"}
    assert get_object(client, ObjRef("v1", "ConfigMap", "hook", namespace)) is None
