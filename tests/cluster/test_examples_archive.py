"""The archive reference platform with a key missing from its secrets file: validate names the key and
the file, and deploy stops before anything reaches the cluster."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
import yaml

from helmdeck.core.session import PlatformSession
from helmdeck.deploy.executor import Deployer
from helmdeck.errors import HelmdeckError
from helmdeck.spec import parse_platform
from helmdeck.validation import validate_platform
from tests.cluster.conftest import SandboxHandle, examples_dir

pytestmark = pytest.mark.cluster

ARCHIVE = examples_dir() / "archive"
KEYS = {
    "jwtSecret": "j" * 40,
    "mongoUri": "mongodb://archive:pw@mongo.example.org:27017/archive",
    "s3AccessKey": "access-key",
    "s3SecretKey": "secret-key-value",
}


def session_with_secrets(tmp_path: Path, sandbox: SandboxHandle, keys: dict[str, str]) -> tuple[PlatformSession, Path]:
    """The archive platform with its secrets file replaced by one holding ``keys`` (in tmp_path)."""
    secrets_file = tmp_path / "site-secrets.yaml"
    secrets_file.write_text(yaml.safe_dump({"secrets": keys}))
    text = (ARCHIVE / "platform.yaml").read_text()
    assert text.count("{values: [secrets.yaml]}") == 2
    text = text.replace("{values: [secrets.yaml]}", f"{{values: [{secrets_file}]}}")
    path = ARCHIVE / "platform.yaml"
    platform = parse_platform(text, source=str(path), path=path)
    session = PlatformSession(
        platform=platform, environment="demo", kubeconfig=sandbox.kubeconfig, instance=f"a{secrets.token_hex(3)}"
    )
    return session, secrets_file


def test_complete_secrets_file_validates(sandbox: SandboxHandle, tmp_path: Path) -> None:
    session, _ = session_with_secrets(tmp_path, sandbox, KEYS)
    report = validate_platform(session)
    assert report.ok, report.errors


@pytest.mark.parametrize("missing", ["mongoUri", "s3SecretKey"])
def test_missing_key_is_named_with_the_file(sandbox: SandboxHandle, tmp_path: Path, missing: str) -> None:
    keys = {k: v for k, v in KEYS.items() if k != missing}
    session, secrets_file = session_with_secrets(tmp_path, sandbox, keys)
    report = validate_platform(session)
    assert not report.ok
    (error,) = report.errors
    text = f"{error['reason']} {error.get('fix') or ''}"
    assert missing in error["reason"]
    assert secrets_file.name in text, text
    assert error["component"] == "archive"

    with pytest.raises(HelmdeckError, match=missing):
        Deployer(session).run()
    assert session.live_releases() == {}  # nothing was installed
