"""Fixtures for tests against the sandbox cluster: one sandbox per test session, one namespace per test.

The sandbox is a real kube-apiserver with simulated nodes (see helmdeck.sandbox). A session reuses a
running sandbox of the same name, and stops the one it started unless HELMDECK_KEEP_SANDBOX=1.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from helmdeck.sandbox.cluster import Sandbox

if TYPE_CHECKING:
    from tests.cluster.ext_support import Platform

SANDBOX_NAME = os.environ.get("HELMDECK_TEST_SANDBOX", "helmdeck-test")


@dataclass
class SandboxHandle:
    sandbox: Sandbox
    kubeconfig: str

    def client(self) -> Any:
        return self.sandbox.client()

    @property
    def binaries(self) -> Any:
        return self.sandbox.binaries


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxHandle]:
    box = Sandbox(SANDBOX_NAME)
    started_here = not (box.exists() and box.status().running)
    result = box.up(nodes=2, gpu_node=True)
    yield SandboxHandle(box, str(result.kubeconfig))
    if started_here and os.environ.get("HELMDECK_KEEP_SANDBOX") != "1":
        box.down()


def _namespace_name(nodeid: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", nodeid.split("::")[-1].lower()).strip("-")[:40].strip("-")
    return f"t-{base}-{secrets.token_hex(3)}"


@pytest.fixture
def namespace(sandbox: SandboxHandle, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh namespace for one test, deleted afterwards (without waiting)."""
    from lightkube.models.meta_v1 import ObjectMeta
    from lightkube.resources.core_v1 import Namespace

    client = sandbox.client()
    name = _namespace_name(request.node.nodeid)
    client.create(Namespace(metadata=ObjectMeta(name=name, labels={"helmdeck.dev/test": "true"})))
    yield name
    with contextlib.suppress(Exception):
        client.delete(Namespace, name)


@pytest.fixture
def kubeconfig_env(sandbox: SandboxHandle, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("KUBECONFIG", sandbox.kubeconfig)
    return sandbox.kubeconfig


def examples_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def plat(sandbox: SandboxHandle, tmp_path: Path) -> Iterator[Platform]:
    """A deployed platform with an extension catalog (tiny charts, and a broken copy of one)."""
    from lightkube.resources.core_v1 import Namespace

    from helmdeck.deploy.executor import Deployer
    from tests.cluster.ext_support import EXT_CHARTS, Platform, platform_file

    instance = f"e{secrets.token_hex(3)}"
    extra = tmp_path / "extra"
    extra.mkdir()
    # a broken copy of tiny-app: its pod crash-loops in the sandbox
    broken = extra / "tiny-broken"
    shutil.copytree(EXT_CHARTS / "tiny-app", broken)
    chart_yaml = (broken / "Chart.yaml").read_text().replace("name: tiny-app", "name: tiny-broken")
    (broken / "Chart.yaml").write_text(chart_yaml.replace("helmdeck.dev/requires: tiny-base>=0.1.0 <1.0.0", ""))
    values = (
        (broken / "values.yaml")
        .read_text()
        .replace("podAnnotations: {}", 'podAnnotations: {"sandbox.helmdeck.dev/fail": "crash-loop"}')
    )
    (broken / "values.yaml").write_text(values)
    path = platform_file(tmp_path, instance, [EXT_CHARTS, extra])
    handle = Platform(sandbox, path)
    deployed = Deployer(handle.session()).run()
    assert deployed.ok, deployed.as_dict()
    yield handle
    client = sandbox.client()
    for ns in handle.session().platform.all_namespaces():
        with contextlib.suppress(Exception):
            client.delete(Namespace, ns)
