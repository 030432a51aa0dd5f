"""A secret read from a file (or variable) that gives no value: validate and deploy say so, naming
the file and the platform file's key, before anything is written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helmdeck.deploy.executor import Deployer
from helmdeck.errors import ConfigError
from helmdeck.secrets.kube_store import KubeSecretStore
from helmdeck.spec import load_platform
from helmdeck.validation import secret_source_findings
from tests.fakes import fake_session, write_platform_file

HELLO = Path(__file__).resolve().parents[2] / "examples" / "charts" / "hello"


@pytest.fixture
def platform_file(tmp_path: Path) -> Path:
    path = write_platform_file(
        tmp_path,
        "sf",
        f"""
        secrets:
          api-key: {{fromFile: secrets/api-key.txt, into: [api.token]}}
          db-pass: {{fromEnv: SF_DB_PASS_FOR_TEST, into: [api.dbPassword]}}
        components:
          - {{name: api, chart: {HELLO}, namespace: sf-app}}
        """,
    )
    return path


def _validate(platform_file: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SF_DB_PASS_FOR_TEST"}
    return subprocess.run(
        [sys.executable, "-m", "helmdeck.cli.main", "validate", "-f", str(platform_file), "-o", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_validate_refuses_a_missing_secret_file_naming_file_and_key(platform_file: Path) -> None:
    run = _validate(platform_file)
    assert run.returncode == 1, run.stderr
    findings = [f for f in json.loads(run.stdout)["findings"] if f["check"] == "secrets"]
    by_severity = {f["severity"]: f for f in findings}
    missing = by_severity["error"]
    assert "secrets/api-key.txt" in missing["reason"] and "spec.secrets.api-key.fromFile" in missing["reason"]
    assert missing["object"].startswith(f"{platform_file}:")
    assert "create" in missing["fix"]
    # an unset variable may well be set where the deploy runs: a warning without the store
    assert "SF_DB_PASS_FOR_TEST" in by_severity["warning"]["reason"]

    (platform_file.parent / "secrets").mkdir()
    (platform_file.parent / "secrets" / "api-key.txt").write_text("k3y\n")
    run = _validate(platform_file)
    assert run.returncode == 0, run.stdout
    assert "k3y" not in run.stdout


def test_an_empty_secret_file_is_an_error_even_when_a_value_is_stored(platform_file: Path) -> None:
    (platform_file.parent / "secrets").mkdir()
    (platform_file.parent / "secrets" / "api-key.txt").write_text("")
    platform = load_platform(platform_file)
    (finding,) = [f for f in secret_source_findings(platform, {"api-key", "db-pass"})]
    assert finding.severity == "error" and "is empty" in finding.reason


def test_deploy_without_preflight_refuses_before_writing_anything(
    platform_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SF_DB_PASS_FOR_TEST", "p4ss")
    session, kube, engine = fake_session(platform_file)
    with pytest.raises(ConfigError) as caught:
        Deployer(session, preflight=False).run()
    assert "secrets/api-key.txt" in caught.value.message and "spec.secrets.api-key.fromFile" in caught.value.message
    assert caught.value.where.startswith(str(platform_file))
    assert kube.writes == [] and engine.calls == []  # no namespace, no store, no release


def test_a_value_stored_by_an_earlier_deploy_still_serves(platform_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SF_DB_PASS_FOR_TEST", "p4ss")
    secret_file = platform_file.parent / "secrets" / "api-key.txt"
    secret_file.parent.mkdir()
    secret_file.write_text("k3y\n")
    session, kube, _engine = fake_session(platform_file)
    assert Deployer(session, preflight=False).run().ok
    secret_file.unlink()
    monkeypatch.delenv("SF_DB_PASS_FOR_TEST")
    assert set(KubeSecretStore(session.platform, kube).stored()) == {"api-key", "db-pass"}  # type: ignore[arg-type]
    session.refuse_unavailable_secrets()  # both stored: nothing to refuse
    assert secret_source_findings(session.platform, session.stored_secret_names()) == []


def test_a_missing_catalog_entry_is_refused_when_deploy_would_read_it(tmp_path: Path) -> None:
    from helmdeck.app.deploy import deploy_platform
    from helmdeck.validation import catalog_findings

    path = write_platform_file(
        tmp_path,
        "cat",
        f"""
        extensions: {{catalog: [extensions/], preinstall: [jupyterlab]}}
        components:
          - {{name: api, chart: {HELLO}, namespace: cat-app}}
        """,
    )
    [finding] = catalog_findings(load_platform(path))
    assert finding.severity == "error" and "spec.extensions.catalog[0]" in finding.reason
    assert "preinstall jupyterlab" in finding.reason and finding.object.startswith(f"{path}:")

    session, kube, engine = fake_session(path)
    with pytest.raises(ConfigError, match="does not exist"):
        deploy_platform(session, preflight=False)
    assert kube.writes == [] and engine.calls == []  # refused before the components, not after

    (tmp_path / "extensions").mkdir()
    assert catalog_findings(load_platform(path)) == []
