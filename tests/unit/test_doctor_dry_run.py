"""Preflight's dry run names the values key (and the file and line) behind a value the API server
refuses, without a cluster."""

from __future__ import annotations

from pathlib import Path

from helmdeck.core.session import PlatformSession
from helmdeck.doctor.preflight.dry_run import value_origin
from helmdeck.secrets.store import placeholder_secrets

DASHBOARDS = Path(__file__).resolve().parents[2] / "examples" / "dashboards" / "platform.yaml"


def test_the_values_key_behind_a_refused_value() -> None:
    session = PlatformSession(DASHBOARDS, environment="demo")
    backend = session.desired_one("backend", placeholder_secrets(session.platform))
    # "dashboards" is the value of several keys: the refused field's name picks one
    cause = ("spec.template.spec.containers[0].env[1].bucket", 'Invalid value: "dashboards": too short')
    assert value_origin([cause], backend) == ("minio.bucket", "examples/dashboards/values/backend.yaml:5")
    cause = ("metadata.annotations.mode", 'Invalid value: "single-user": not allowed')
    assert value_origin([cause], backend) == ("auth.mode", "examples/dashboards/env/demo.yaml:27")
    assert value_origin([("spec.replicas", "Required value")], backend) is None
    assert value_origin([("spec.x", "Invalid value: 31337: no")], backend) is None  # no key holds it
