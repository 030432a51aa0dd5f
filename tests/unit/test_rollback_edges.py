"""Rollback on the in-memory fakes: to where the platform already is changes and records nothing; past
a ``secrets rotate`` it warns (and its dry run too) that components get the old value back."""

from __future__ import annotations

from pathlib import Path

import pytest

from helmdeck.core.session import PlatformSession
from helmdeck.deploy.executor import Deployer
from helmdeck.revisions.rollback import rollback_platform
from helmdeck.revisions.rollback_preview import preview_rollback
from helmdeck.revisions.store import RevisionStore
from helmdeck.secrets.kube_store import KubeSecretStore
from tests.fakes import FakeEngine, FakeKube, fake_session, session_on, write_platform_file

HELLO = Path(__file__).resolve().parents[2] / "examples" / "charts" / "hello"


@pytest.fixture
def platform_file(tmp_path: Path) -> Path:
    path = write_platform_file(
        tmp_path,
        "rb",
        f"""
        secrets:
          api-token: {{generate: {{length: 24}}, into: [api.token, worker.apiToken]}}
        components:
          - {{name: api, chart: {HELLO}, namespace: rb-app}}
          - {{name: worker, chart: {HELLO}, namespace: rb-app}}
          - {{name: web, chart: {HELLO}, namespace: rb-app}}
        """,
    )
    return path


def _deploy(platform_file: Path, kube: FakeKube, engine: FakeEngine, *sets: str) -> None:
    assert Deployer(session_on(platform_file, kube, engine, *sets), preflight=False).run().ok


def _history(session: PlatformSession) -> list[int]:
    return [r.revision for r in RevisionStore(session.client, session.admin_namespace, session.platform_id).list()]


def test_a_rollback_to_the_current_revision_does_and_records_nothing(platform_file: Path) -> None:
    session, kube, engine = fake_session(platform_file)
    _deploy(platform_file, kube, engine)
    _deploy(platform_file, kube, engine, "web.replicas=3")
    assert _history(session) == [1, 2]
    kube.writes.clear()
    engine.calls.clear()

    report = rollback_platform(session, 2)
    assert report.nothing_to_do and report.ok and report.new_revision is None
    assert report.summary() == "platform rb is already at revision 2, nothing to do"
    assert report.as_dict()["nothingToDo"] is True
    assert _history(session) == [1, 2]  # no revision 3
    assert engine.calls == [] and kube.writes == []  # not even the lock was taken

    assert not rollback_platform(session, 1).nothing_to_do  # web goes back: that is something to do
    assert _history(session) == [1, 2, 3]


def test_a_rollback_past_a_rotation_warns_which_secret_and_which_components(platform_file: Path) -> None:
    session, kube, engine = fake_session(platform_file)
    _deploy(platform_file, kube, engine)
    old = session.secrets(create=False)["api-token"]
    KubeSecretStore(session.platform, kube).rotate("api-token")  # type: ignore[arg-type]
    _deploy(platform_file, kube, engine)  # api and worker get the new value
    assert engine.get_values("api", namespace="rb-app")["token"] != old

    preview = preview_rollback(session, 1)
    [restored] = preview.restored_secrets
    assert restored.secret == "api-token" and restored.components == ("api", "worker")
    assert "after platform revision 1" in restored.message() and "old value" in restored.message()
    assert preview.as_dict()["restoredSecrets"][0]["components"] == ["api", "worker"]
    assert old not in str(preview.as_dict())

    report = rollback_platform(session, 1)
    assert [r.secret for r in report.restored_secrets] == ["api-token"]
    assert report.restored_secrets[0].components == ("api", "worker")
    assert engine.get_values("api", namespace="rb-app")["token"] == old  # what the warning said

    # back to revision 2 (made after the rotation): nothing old is restored, nothing to warn about
    assert preview_rollback(session, 2).restored_secrets == []
