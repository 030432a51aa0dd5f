"""Without -e, a command on a deployed platform takes the environment it was last deployed with;
one the platform file no longer declares is an error naming it, never a silent fall back to base."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from helmdeck.app.rules import adopt_deployed_environment
from helmdeck.core.session import PlatformSession
from helmdeck.errors import ConfigError
from helmdeck.revisions.store import PlatformRevision, RevisionStore
from tests.fakes import fake_session

HELLO = Path(__file__).resolve().parents[2] / "examples" / "charts" / "hello"


def _session_after_deploy(tmp_path: Path, deployed: str) -> PlatformSession:
    path = tmp_path / "platform.yaml"
    path.write_text(
        textwrap.dedent(
            f"""
            apiVersion: helmdeck.dev/v1
            kind: Platform
            metadata: {{name: de}}
            spec:
              environments: {{demo: {{}}, prod: {{}}}}
              components:
                - {{name: web, chart: {HELLO}, namespace: de-app}}
            """
        )
    )
    session, _, _ = fake_session(path)
    store = RevisionStore(session.client, session.admin_namespace, session.platform_id)
    store.record(PlatformRevision(0, session.platform_id, deployed, "digest", "deploy", "ana"))
    return session


def test_the_environment_last_deployed_is_taken_and_said(tmp_path: Path) -> None:
    session = _session_after_deploy(tmp_path, "prod")
    adopt_deployed_environment(session)
    assert session.environment == "prod" and session.environment_from_last_deploy


def test_an_environment_no_longer_declared_is_an_error(tmp_path: Path) -> None:
    session = _session_after_deploy(tmp_path, "staging")
    with pytest.raises(ConfigError, match="last deployed with environment 'staging'") as err:
        adopt_deployed_environment(session)
    assert "demo, prod" in (err.value.fix or "")
