"""A status read again and again, as the web service does every second: after the first reading it
lists only the release Secrets' metadata and decodes only the releases that changed, and lists the
objects together with the Secrets. None of that may make it stale: another actor's upgrade, an
uninstalled release and a deleted Deployment show at the next reading."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import helmdeck.core.status as status_module
from helmdeck.cluster.kinds import delete_object
from helmdeck.cluster.objects import ObjRef
from helmdeck.core.session import PlatformSession
from helmdeck.core.status import platform_status
from helmdeck.deploy.executor import Deployer
from helmdeck.deploy.undeploy import Undeployer
from tests.cluster.conftest import SandboxHandle, examples_dir
from tests.cluster.platform_files import platform

pytestmark = pytest.mark.cluster

HELLO = examples_dir() / "charts" / "hello"
COMPONENTS = 10


@pytest.fixture
def hellos(sandbox: SandboxHandle, tmp_path: Path, namespace: str) -> Iterator[Callable[..., PlatformSession]]:
    components = [
        {"name": f"c{i}", "chart": str(HELLO), "namespace": "services", "set": {"replicas": 1}}
        for i in range(COMPONENTS)
    ]
    factory = platform(sandbox, tmp_path, namespace, {"services": namespace, "admin": namespace}, components)
    report = Deployer(factory(), parallel=4).run()
    assert report.ok, report.as_dict()
    yield factory
    Undeployer(factory(), purge_data=True, timeout=60).run()


def _helm(sandbox: SandboxHandle, *args: str) -> None:
    env = {**os.environ, "KUBECONFIG": sandbox.kubeconfig}
    run = subprocess.run([str(sandbox.binaries["helm"]), *args], capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr


def _components(session: PlatformSession) -> dict[str, Any]:
    return {c.name: c for c in platform_status(session).components}


def test_a_repeated_status_decodes_only_what_changed_and_is_never_stale(
    hellos: Callable[..., PlatformSession], sandbox: SandboxHandle, namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoded: list[str] = []
    real_decode = status_module.decode_release

    def counting(secret: Any) -> Any:
        decoded.append(str(secret["metadata"]["name"]))
        return real_decode(secret)

    monkeypatch.setattr(status_module, "decode_release", counting)
    session = hellos()
    first = _components(session)
    assert {c.health for c in first.values()} == {"healthy"}, {n: c.reason for n, c in first.items()}
    assert {c.revision for c in first.values()} == {1}

    decoded.clear()
    again = _components(session)
    assert decoded == []  # nothing changed: no release read whole, none decoded
    assert {n: (c.revision, c.health) for n, c in again.items()} == {n: (1, "healthy") for n in first}

    # another actor upgrades one release with helm itself
    _helm(sandbox, "upgrade", "c3", str(HELLO), "-n", namespace, "--reuse-values")
    decoded.clear()
    upgraded = _components(session)
    assert decoded == ["sh.helm.release.v1.c3.v2"]
    assert upgraded["c3"].revision == 2
    assert {c.revision for n, c in upgraded.items() if n != "c3"} == {1}
    assert upgraded["c3"].health == "healthy"

    # a Deployment deleted behind helmdeck's back: the guessed lists are this reading's lists
    delete_object(sandbox.client(), ObjRef("apps/v1", "Deployment", "c0-hello", namespace))
    gone = _components(session)["c0"]
    assert gone.health != "healthy" and "c0-hello" in gone.reason

    # a release uninstalled by helm
    _helm(sandbox, "uninstall", "c5", "-n", namespace)
    assert _components(session)["c5"].status == "not installed"

    # every other release upgraded at once: more than are worth reading one by one
    for i in (1, 2, 4, 6, 7, 8, 9):
        _helm(sandbox, "upgrade", f"c{i}", str(HELLO), "-n", namespace, "--reuse-values")
    for i in (0, 3):
        _helm(sandbox, "upgrade", f"c{i}", str(HELLO), "-n", namespace, "--reuse-values")
    decoded.clear()
    last = _components(session)
    assert {n: c.revision for n, c in last.items()} == {
        **{f"c{i}": 2 for i in (1, 2, 4, 6, 7, 8, 9)},
        "c0": 2,
        "c3": 3,
        "c5": None,
    }
    assert len(decoded) == COMPONENTS - 1  # the newest revision of each release, never the older ones


def test_drift_looked_at_again_reads_neither_the_releases_nor_their_manifests_again(
    hellos: Callable[..., PlatformSession], namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The web service looks for drift every 20 s after a status: the releases' Secrets come as
    metadata (their data read before), each revision's manifest parsed once; a change still shows."""
    import helmdeck.plan.drift as drift_module
    from helmdeck.manifests import parse_manifest_stream
    from helmdeck.plan.drift import platform_drift

    parsed: list[str] = []
    whole_lists: list[str] = []
    real_lists = status_module.list_each

    def parsing(text: str, **kwargs: Any) -> Any:
        parsed.append(str(kwargs.get("component")))
        return parse_manifest_stream(text, **kwargs)

    def listing(client: Any, queries: Any, **kwargs: Any) -> Any:
        whole_lists.extend(str(q.namespace) for q in queries if q.kind == "Secret" and not q.metadata_only)
        return real_lists(client, queries, **kwargs)

    for module in (status_module, drift_module):
        monkeypatch.setattr(module, "parse_manifest_stream", parsing, raising=False)
    monkeypatch.setattr(status_module, "list_each", listing)
    session = hellos()
    names = session.platform.component_names
    platform_status(session)
    assert platform_drift(session, names) == {}
    parsed.clear()
    whole_lists.clear()
    assert platform_drift(session, names) == {}
    assert parsed == [] and whole_lists == []

    # drift made behind helmdeck's back shows at the next look
    from helmdeck.cluster.kinds import merge_patch_object

    merge_patch_object(
        session.client,
        ObjRef("apps/v1", "Deployment", "c2-hello", namespace),
        {"spec": {"replicas": 3}},
    )
    assert list(platform_drift(session, names)) == ["c2"]
