"""A shared stream that breaks in a way nobody foresaw, or stops delivering, must not hold the gates
following it until their timeout: the stream lists again, and a gate reads its waiting objects
again past its streams every RESYNC seconds (an informer's resync)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import lightkube
import pytest

from helmdeck.cluster import gate_run
from helmdeck.cluster.client import make_client
from helmdeck.cluster.gate_service import GateService
from helmdeck.cluster.gate_state import Stream
from helmdeck.cluster.objects import ObjRef
from helmdeck.cluster.watch import wait_healthy
from tests.cluster.test_cluster_watch import create, deployment

pytestmark = pytest.mark.cluster


Web = tuple[lightkube.Client, list[ObjRef]]


@pytest.fixture
def web(sandbox: Any, namespace: str) -> Web:
    """A Deployment that turns ready a second after it is made, and a client."""
    client: lightkube.Client = make_client(sandbox.kubeconfig)
    return client, create(client, deployment("web", namespace, annotations={"sandbox.helmdeck.dev/ready-after": "1s"}))


def _deployments(stream: Stream) -> bool:
    return stream.info.kind == "Deployment"


def test_a_stream_broken_by_an_unforeseen_error_lists_again(web: Web, monkeypatch: pytest.MonkeyPatch) -> None:
    client, refs = web
    real_list = GateService._list
    broken: list[Stream] = []

    async def list_once_broken(self: GateService, stream: Stream) -> Any:
        if _deployments(stream) and not broken:
            broken.append(stream)
            raise RuntimeError("a decoder's surprise")
        return await real_list(self, stream)

    monkeypatch.setattr(GateService, "_list", list_once_broken)
    monkeypatch.setattr(gate_run, "RESYNC", 1000.0, raising=False)  # the stream itself must recover
    result = wait_healthy(client, refs, timeout=30)
    assert broken, "the stream was not broken: the test proves nothing"
    assert result.ok, result.message()


def test_a_stream_that_stops_delivering_holds_a_gate_no_longer_than_the_resync(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, refs = web
    real_list = GateService._list

    async def silent(self: GateService, stream: Stream) -> Any:
        items, version, events = await real_list(self, stream)
        if not _deployments(stream):
            return items, version, events

        async def nothing() -> AsyncIterator[tuple[str, Any]]:
            await asyncio.Event().wait()  # a watch that stalls: no event, no error
            yield "", {}

        return items, version, nothing()

    monkeypatch.setattr(GateService, "_list", silent)
    monkeypatch.setattr(gate_run, "RESYNC", 2.0)
    result = wait_healthy(client, refs, timeout=30)
    assert result.ok, result.message()
