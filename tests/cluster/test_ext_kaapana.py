"""A Kaapana-style multi-installable extension on the sandbox: two launches with different
parameters, each its own release whose objects carry its parameters as Kaapana passes them
(``global.NAME``, a multiple choice joined with commas). The Kubernetes API is never mocked here."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from lightkube.resources.core_v1 import ConfigMap, Namespace

from helmdeck.deploy.executor import Deployer
from helmdeck.engine.releases import ReleaseStatus
from tests.cluster.conftest import SandboxHandle
from tests.cluster.ext_support import KAAPANA_CHARTS, Platform, platform_file

pytestmark = pytest.mark.cluster


@pytest.fixture
def kaapana_plat(sandbox: SandboxHandle, tmp_path: Path) -> Iterator[Platform]:
    handle = Platform(sandbox, platform_file(tmp_path, f"k{secrets.token_hex(3)}", [KAAPANA_CHARTS]))
    deployed = Deployer(handle.session()).run()
    assert deployed.ok, deployed.as_dict()
    yield handle
    client = sandbox.client()
    for ns in handle.session().platform.all_namespaces():
        with contextlib.suppress(Exception):
            client.delete(Namespace, ns)


def test_two_launches_of_a_multi_installable_kaapana_workflow(kaapana_plat: Platform) -> None:
    first = kaapana_plat.manager().install(
        "kaapana-segmenter", {"task_ids": "Task006_Lung", "model": "2d"}, instance_name="lung"
    )
    assert first.ok, first.as_dict()
    second = kaapana_plat.manager().install(
        "kaapana-segmenter", {"task_ids": ["Task002_Heart", "Task003_Liver"], "fast_mode": True}
    )
    assert second.ok, second.as_dict()
    (auto,) = [c.name for c in second.components]
    assert auto.startswith("kaapana-segmenter-") and auto != "kaapana-segmenter-lung"

    s = kaapana_plat.session()
    ns = s.platform.logical_namespace("extensions")
    live = s.live_releases()
    assert {live[n].status for n in ("kaapana-segmenter-lung", auto)} == {ReleaseStatus.DEPLOYED}
    values = s.engine.get_values("kaapana-segmenter-lung", namespace=ns)
    assert "parameters" not in values
    assert values["global"]["task_ids"] == "Task006_Lung" and values["global"]["model"] == "2d"
    assert values["global"]["instance"] == s.platform.instance

    data = {cm.metadata.name: cm.data for cm in s.client.list(ConfigMap, namespace=ns) if cm.metadata and cm.data}
    assert data["kaapana-segmenter-lung"]["TASK_IDS"] == "Task006_Lung"
    assert data["kaapana-segmenter-lung"]["MODEL"] == "2d" and data["kaapana-segmenter-lung"]["FAST_MODE"] == "off"
    assert data[auto]["TASK_IDS"] == "Task002_Heart,Task003_Liver"
    assert data[auto]["MODEL"] == "3d_fullres" and data[auto]["FAST_MODE"] == "on"
    installed = {i.component: i.extension for i in kaapana_plat.manager().installed()}
    assert installed == {"kaapana-segmenter-lung": "kaapana-segmenter", auto: "kaapana-segmenter"}

    gone = kaapana_plat.manager().uninstall("kaapana-segmenter-lung")
    assert gone.ok, gone.as_dict()
    assert {i.component for i in kaapana_plat.manager().installed()} == {auto}
