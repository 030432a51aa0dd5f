"""An install whose chart's own CRDs are not served yet is tried again (worker side, Helm faked:
the race with the API server's discovery cannot be provoked on demand; tests/cluster's
test_conditional_subchart_installs_as_values_say meets it now and then)."""

from __future__ import annotations

from typing import Any

import pytest

from helmdeck.engine import release_ops

NOT_SERVED = (
    'unable to build kubernetes objects from release manifest: resource mapping not found for name: "u-widget": '
    'no matches for kind "Widget" in version "example.helmdeck.dev/v1" ensure CRDs are installed first'
)


class _Handle:
    def __init__(self, *_: Any, **__: Any) -> None:
        pass

    def __enter__(self) -> _Handle:
        return self

    def __exit__(self, *_: object) -> None:
        pass

    def cancel(self) -> None:
        pass


class _FakeHelm:
    class HelmError(Exception):
        detail = None

    def __init__(self, crds: list[str], failures: int) -> None:
        helm = self
        self.configs = 0
        self.failures = failures

        class Config(_Handle):
            def __init__(self, **_: Any) -> None:
                helm.configs += 1

        class Chart(_Handle):
            @staticmethod
            def load_archive(_: bytes) -> Chart:
                return Chart()

            @property
            def crds(self) -> list[str]:
                return crds

        self.Config, self.Chart, self.HelmContext = Config, Chart, _Handle

    def chart_write(self, *_: Any, **__: Any) -> dict[str, Any]:
        if self.failures:
            self.failures -= 1
            raise self.HelmError(NOT_SERVED)
        return {"name": "u", "version": 1}


def _install(helm: _FakeHelm) -> dict[str, Any]:
    writer = release_ops.ReleaseWriter(helm, helm)
    request = {"op": "install", "release": "u", "options": {}, "values": {}, "cluster": {}, "id": 1}
    request["cluster"] = {"kubeconfig": None, "context": None, "namespace": "ns"}
    return writer.handle(request, b"archive")


@pytest.fixture(autouse=True)
def _no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(release_ops, "CRD_WAITS", (0.0, 0.0, 0.0))


def test_an_install_is_tried_again_with_a_fresh_config_until_its_crds_are_served() -> None:
    helm = _FakeHelm(["widgets.yaml"], failures=2)
    # the chart's CRDs changed the API groups the cluster serves: the parent hears it
    assert _install(helm) == {"ok": True, "result": {"name": "u", "version": 1}, "apisChanged": True}
    assert helm.configs == 3


def test_a_kind_no_crd_of_the_chart_provides_fails_at_once() -> None:
    helm = _FakeHelm([], failures=1)
    reply = _install(helm)
    assert not reply["ok"] and "ensure CRDs are installed first" in reply["message"] and helm.configs == 1


def test_the_tries_are_bounded() -> None:
    helm = _FakeHelm(["widgets.yaml"], failures=10)
    assert not _install(helm)["ok"] and helm.configs == 4
