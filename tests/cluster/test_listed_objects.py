"""Objects listed or watched are kept without their field managers (about half of a Deployment,
ReplicaSet, Pod or Service as the API server sends them; nothing that lists or watches reads them),
and the writes that need them still see them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

import lightkube
import pytest

from helmdeck.cluster.client import make_client
from helmdeck.cluster.gate_service import gate_service
from helmdeck.cluster.gate_state import Stream
from helmdeck.cluster.kinds import KindInfo, ListQuery, apply_object, get_object, list_each, list_metadata, list_objects
from helmdeck.cluster.objects import ObjRef

pytestmark = pytest.mark.cluster

CONFIG_MAP = KindInfo("v1", "ConfigMap", "configmaps", True)


@pytest.fixture
def client(sandbox: Any) -> lightkube.Client:
    return make_client(sandbox.kubeconfig)


def test_listed_and_watched_objects_carry_no_field_managers(client: lightkube.Client, namespace: str) -> None:
    doc = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "fields"}, "data": {"a": "1"}}
    apply_object(client, doc, namespace=namespace)
    fetched = get_object(client, ObjRef("v1", "ConfigMap", "fields", namespace))
    assert fetched is not None and fetched["metadata"].get("managedFields"), "the API server sends them"

    (listed,) = [
        o for o in list_objects(client, "v1", "ConfigMap", namespace=namespace) if o["metadata"]["name"] == "fields"
    ]
    assert (listed["apiVersion"], listed["kind"], listed["data"]) == ("v1", "ConfigMap", {"a": "1"})
    assert "managedFields" not in listed["metadata"] and listed["metadata"]["uid"] == fetched["metadata"]["uid"]

    (meta,) = [
        o for o in list_metadata(client, "v1", "ConfigMap", namespace=namespace) if o["metadata"]["name"] == "fields"
    ]
    assert "managedFields" not in meta["metadata"] and meta["metadata"]["resourceVersion"]

    (each,) = list_each(client, [ListQuery("v1", "ConfigMap", namespace), ListQuery("v1", "ConfigMap", namespace)])[:1]
    assert isinstance(each, list) and all("managedFields" not in o["metadata"] for o in each)

    service = gate_service(client)
    items, version = asyncio.run_coroutine_threadsafe(
        service.read(Stream(CONFIG_MAP, namespace)), service.loop()
    ).result(30)
    assert version and [o["metadata"]["name"] for o in items if o["metadata"]["name"] == "fields"] == ["fields"]
    assert all("managedFields" not in o["metadata"] and o["kind"] == "ConfigMap" for o in items)


def _named(name: str, objects: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [o for o in objects if o["metadata"]["name"] == name]
