"""A gate joining a shared stream that has not caught up with the writes before it: the gate's own
reading of its objects stands until the stream has taken in a change at least as new."""

from __future__ import annotations

from typing import Any

from helmdeck.cluster.gate_state import GateEvaluator, Store, Stream
from helmdeck.cluster.gate_view import GateView, resource_version
from helmdeck.cluster.kinds import KindInfo
from helmdeck.cluster.objects import ObjRef

CONFIGMAP = KindInfo("v1", "ConfigMap", "configmaps", True)
DEPLOYMENT = KindInfo("apps/v1", "Deployment", "deployments", True)
STREAM = Stream(DEPLOYMENT, "services")
WEB = ObjRef("apps/v1", "Deployment", "web", "services")


def web(version: int, generation: int, observed: int) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "services", "generation": generation, "resourceVersion": str(version)},
        "spec": {"replicas": 1},
        "status": {"observedGeneration": observed, "replicas": 1, "updatedReplicas": 1, "availableReplicas": 1},
    }


def test_a_lagging_stream_does_not_pass_an_upgrade_on_its_old_copy() -> None:
    shared, marks = Store(), {STREAM: 100}
    shared.replace(STREAM, [web(100, 1, 1), {"metadata": {"name": "other"}}])  # ready, before the upgrade
    view = GateView(shared, marks)
    view.read(STREAM, "web", 120, web(118, 2, 1))  # the upgrade, not yet observed by its controller
    evaluator = GateEvaluator([(WEB, DEPLOYMENT)], shared_streams=True)
    [status] = evaluator.evaluate(view, 0.0)
    assert status.health.state == "progressing", status.health
    listed = view.listed(STREAM)
    assert listed is not None and sorted(listed) == ["other", "web"]
    # the stream catches up (an event at least as new as the reading): it is the truth from then on
    shared.apply(STREAM, "MODIFIED", web(125, 2, 2))
    marks[STREAM] = 125
    [status] = evaluator.evaluate(view, 1.0)
    assert status.health.ready, status.health
    assert view.readings[STREAM] == {}


def test_an_object_the_reading_did_not_find_is_gone_even_if_the_stream_still_has_it() -> None:
    shared, marks = Store(), {STREAM: 100}
    shared.replace(STREAM, [web(100, 1, 1)])
    view = GateView(shared, marks)
    view.read(STREAM, "web", 130, None)
    listed = view.listed(STREAM)
    assert listed is not None and "web" not in listed and len(listed) == 0


def test_before_the_stream_is_listed_the_reading_is_all_there_is() -> None:
    view = GateView(Store(), {})
    assert view.listed(STREAM) is None
    view.read(STREAM, "web", 7, web(7, 1, 1))
    listed = view.listed(STREAM)
    assert listed is not None and listed["web"]["metadata"]["resourceVersion"] == "7"


def test_shared_streams_follow_a_namespaced_kind_whole() -> None:
    one = GateEvaluator([(WEB, DEPLOYMENT)], shared_streams=True)
    own = GateEvaluator([(WEB, DEPLOYMENT)])
    assert one.streams[WEB] == STREAM
    assert own.streams[WEB] == Stream(DEPLOYMENT, "services", "web")


def test_shared_streams_keep_secrets_and_cluster_scoped_objects_narrowed() -> None:
    secret = ObjRef("v1", "Secret", "web-tls", "services")
    crd = ObjRef("apiextensions.k8s.io/v1", "CustomResourceDefinition", "widgets.example.org", None)
    crd_kind = KindInfo("apiextensions.k8s.io/v1", "CustomResourceDefinition", "customresourcedefinitions", False)
    config = ObjRef("v1", "ConfigMap", "web", "services")
    evaluator = GateEvaluator(
        [(secret, KindInfo("v1", "Secret", "secrets", True)), (crd, crd_kind), (config, CONFIGMAP)],
        shared_streams=True,
    )
    assert [s.name for s in evaluator.streams.values()] == ["web-tls", "widgets.example.org", None]


def test_resource_versions_that_are_not_numbers_are_not_ordered() -> None:
    assert resource_version("42") == 42
    assert resource_version("a1b2") is None
    assert resource_version(None) is None
