"""The component page's data on the in-memory cluster and Helm engine: the release's objects as a
tree, its values and manifests with every secret redacted, and the diff from the previous revision."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from helmdeck.core.component_detail import ComponentNotFound, component_detail
from helmdeck.core.session import PlatformSession
from helmdeck.deploy.executor import Deployer
from helmdeck.secrets.kube_store import KubeSecretStore
from tests.fakes import FakeEngine, FakeKube, fake_session, session_on

COMPAPP = Path(__file__).resolve().parents[1] / "web" / "charts" / "compapp"


@pytest.fixture
def platform_file(tmp_path: Path) -> Path:
    path = tmp_path / "platform.yaml"
    path.write_text(
        textwrap.dedent(
            f"""
            apiVersion: helmdeck.dev/v1
            kind: Platform
            metadata: {{name: cd}}
            spec:
              secrets:
                app-password: {{generate: {{length: 24}}, into: [app.auth.password]}}
              components:
                - {{name: app, chart: {COMPAPP}, namespace: cd-app}}
            """
        )
    )
    return path


def _deploy(platform_file: Path, kube: FakeKube, engine: FakeEngine, *sets: str) -> None:
    assert Deployer(session_on(platform_file, kube, engine, *sets), preflight=False).run().ok


def test_tree_values_and_diff_with_the_secret_redacted(platform_file: Path) -> None:
    session, kube, engine = fake_session(platform_file)
    _deploy(platform_file, kube, engine)
    _deploy(platform_file, kube, engine, "app.message=changed")
    password = KubeSecretStore(session.platform, kube).reveal("app-password")  # type: ignore[arg-type]

    detail = component_detail(session, "app")

    assert password not in json.dumps(detail)
    assert (detail["revision"], detail["previousRevision"], detail["status"]) == (2, 1, "deployed")
    kinds = [(n["kind"], n["name"], n["health"]) for n in detail["tree"]]
    assert kinds[0] == ("Deployment", "app", "healthy")
    assert [k for k, _, _ in kinds] == ["Deployment", "Service", "PersistentVolumeClaim", "ConfigMap", "Secret"]
    assert "password: <redacted:app-password>" in detail["values"]
    assert "password: <redacted>" in detail["manifest"]  # the Secret's payload, whatever it holds
    assert "+message: changed" in detail["valuesDiff"]
    assert "+  message: changed" in detail["manifestDiff"]
    assert "password" not in detail["manifestDiff"]  # the Secret did not change: not in the diff


def test_a_declared_component_never_installed_and_an_unknown_one(tmp_path: Path) -> None:
    path = tmp_path / "platform.yaml"
    path.write_text(
        textwrap.dedent(
            f"""
            apiVersion: helmdeck.dev/v1
            kind: Platform
            metadata: {{name: cd}}
            spec:
              components:
                - {{name: app, chart: {COMPAPP}, namespace: cd-app}}
            """
        )
    )
    session, _kube, _engine = fake_session(path)
    detail = component_detail(session, "app")
    assert (detail["installed"], detail["status"], detail["tree"]) == (False, "not installed", [])
    with pytest.raises(ComponentNotFound, match="no component named 'nope'"):
        component_detail(session, "nope")


def test_a_release_the_platform_file_does_not_declare(platform_file: Path, tmp_path: Path) -> None:
    """Extensions (and components removed from the file) are releases without declared secrets."""
    _session, kube, engine = fake_session(platform_file)
    _deploy(platform_file, kube, engine)
    shrunk = tmp_path / "shrunk" / "platform.yaml"
    shrunk.parent.mkdir()
    text = platform_file.read_text().replace("[app.auth.password]", "[]").replace("{name: app,", "{name: other,")
    shrunk.write_text(text)
    session = PlatformSession(shrunk, client=kube, engine=engine)  # type: ignore[arg-type]
    assert session.platform.component_names == ["other"]
    detail = component_detail(session, "app")
    assert detail["installed"] and detail["tree"][0]["name"] == "app"
    assert "password: <redacted:auth.password>" in detail["values"]  # named like a credential: hidden anyway
