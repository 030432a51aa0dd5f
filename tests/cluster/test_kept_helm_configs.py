"""Release workers keep Helm Configs between writes (:mod:`helmdeck.engine.helm_configs`): a write
after one that added an API group must still see it in ``.Capabilities``, as a fresh Config would."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from lightkube.resources.apiextensions_v1 import CustomResourceDefinition

from helmdeck.engine import ChartCache, engine_for, load_chart, release_writes
from helmdeck.engine.options import InstallOptions
from tests.cluster.conftest import SandboxHandle

pytestmark = pytest.mark.cluster

GROUP = "kept.helmdeck.dev"
CRD = f"gadgets.{GROUP}"
_CRD_TEMPLATE = f"""apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: {CRD}
spec:
  group: {GROUP}
  names: {{kind: Gadget, plural: gadgets, singular: gadget}}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {{type: object, x-kubernetes-preserve-unknown-fields: true}}
"""
# what a chart that adapts to the cluster does (an operator's CRs only where the operator's API is)
_USER_TEMPLATE = f"""{{{{- if .Capabilities.APIVersions.Has "{GROUP}/v1" }}}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{{{ .Release.Name }}}}-sees-gadgets
data: {{}}
{{{{- end }}}}
"""


def _chart(root: Path, name: str, template: str) -> Path:
    chart = root / name
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n")
    (chart / "templates" / "objects.yaml").write_text(template)
    return chart


@pytest.fixture
def one_release_worker(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every write in the same worker, so the one that comes after the API change is offered the
    Config an earlier write left."""
    release_writes.stop_idle()
    monkeypatch.setenv("HELMDECK_RELEASE_WORKERS", "1")
    yield
    release_writes.stop_idle()


@pytest.fixture
def gadget_crd(sandbox: SandboxHandle) -> Iterator[None]:
    yield
    with contextlib.suppress(Exception):
        sandbox.client().delete(CustomResourceDefinition, CRD)


def _established(sandbox: SandboxHandle) -> None:
    client = sandbox.client()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        crd = client.get(CustomResourceDefinition, CRD)
        conditions = (crd.status.conditions if crd.status else None) or []
        if any(c.type == "Established" and c.status == "True" for c in conditions):
            return
        time.sleep(0.2)
    raise AssertionError(f"{CRD} never became Established")


@pytest.mark.usefixtures("one_release_worker", "gadget_crd")
def test_a_write_after_an_api_group_appeared_sees_it(sandbox: SandboxHandle, namespace: str, tmp_path: Path) -> None:
    engine = engine_for(sandbox.kubeconfig, namespace)
    cache = ChartCache()
    user = load_chart(_chart(tmp_path, "user", _USER_TEMPLATE), cache=cache)
    before = engine.install(user, "before", {})
    assert "sees-gadgets" not in before.manifest  # the group is not there yet, and the worker keeps its Config
    generation = release_writes.api_generation()
    engine.install(load_chart(_chart(tmp_path, "gadgets", _CRD_TEMPLATE), cache=cache), "gadgets", {})
    assert release_writes.api_generation() > generation  # its manifest defines a kind
    _established(sandbox)
    after = engine.install(user, "after", {})
    assert "after-sees-gadgets" in after.manifest
    # and a write that changes no API group leaves the kept Configs to the next one
    generation = release_writes.api_generation()
    engine.install(user, "again", {})
    assert release_writes.api_generation() == generation


@pytest.mark.usefixtures("one_release_worker", "gadget_crd")
def test_a_write_after_its_needs_sees_the_groups_they_added_at_run_time(
    sandbox: SandboxHandle, namespace: str, tmp_path: Path
) -> None:
    """An operator that creates its CRDs when it starts leaves no trace in any manifest; what
    ``needs`` it is installed once it is ready, and must see them."""
    engine = engine_for(sandbox.kubeconfig, namespace)
    user = load_chart(_chart(tmp_path, "user", _USER_TEMPLATE), cache=ChartCache())
    assert "sees-gadgets" not in engine.install(user, "before", {}).manifest
    generation = release_writes.api_generation()
    sandbox.client().create(CustomResourceDefinition.from_dict(yaml.safe_load(_CRD_TEMPLATE)))
    _established(sandbox)
    ready = time.monotonic()  # when what it needs was ready, as deploy passes it
    after = engine.install(user, "after", {}, InstallOptions(capabilities_after=ready))
    assert "after-sees-gadgets" in after.manifest
    assert release_writes.api_generation() == generation  # nothing but the moment told the worker
