"""What an install asks the API server besides its writes: no OpenAPI documents (Helm's client-side
validation is skipped, see :mod:`helmdeck.engine.release_ops`), while a field the schema does not
declare is still refused, by the server, naming it."""

from __future__ import annotations

from pathlib import Path

import pytest

from helmdeck.engine import ChartCache, ReleaseStatus, engine_for, load_chart
from helmdeck.errors import HelmdeckError
from helmdeck.sandbox.request_metrics import RequestMetrics
from tests.cluster.conftest import SandboxHandle

pytestmark = pytest.mark.cluster

DEFAULTS = Path(__file__).resolve().parent / "charts" / "stored" / "defaults"


def test_install_and_upgrade_fetch_no_openapi_document(sandbox: SandboxHandle, namespace: str) -> None:
    """Helm's client-side validation fetched and parsed the group's OpenAPI v3 document for every
    install and upgrade, only to learn the server validates fields itself: two thirds of a small
    chart's install CPU."""
    engine = engine_for(sandbox.kubeconfig, namespace)
    chart = load_chart(DEFAULTS, cache=ChartCache())
    metrics = RequestMetrics(sandbox.kubeconfig)
    before = metrics.path_gets("openapi/v3")
    assert engine.install(chart, "app", {}).status is ReleaseStatus.DEPLOYED
    assert engine.upgrade(chart, "app", {"replicas": 2}).revision == 2
    assert metrics.path_gets("openapi/v3") == before


def test_a_field_not_in_the_schema_is_refused_by_the_server_naming_it(sandbox: SandboxHandle, namespace: str) -> None:
    """Without the client-side validation, the install is refused as before: Helm's server-side apply
    asks for strict field validation. (A deploy refuses it earlier, at preflight's dry run: see
    test_plan_stored.)"""
    engine = engine_for(sandbox.kubeconfig, namespace)
    chart = load_chart(DEFAULTS, cache=ChartCache())
    with pytest.raises(HelmdeckError) as caught:
        engine.install(chart, "app", {"misspelt": True})
    assert ".spec.minReadySecond: field not declared in schema" in caught.value.message
    assert f"{namespace}/app" in caught.value.message
    engine.install(chart, "fine", {})
    with pytest.raises(HelmdeckError) as caught:
        engine.upgrade(chart, "fine", {"misspelt": True})
    assert ".spec.minReadySecond: field not declared in schema" in caught.value.message
