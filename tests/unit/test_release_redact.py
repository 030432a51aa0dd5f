"""Redaction of a release's values and manifests: declared secret paths, schema-marked fields,
credential-named keys, and Secret payloads, which never show."""

from __future__ import annotations

import base64

from helmdeck.secrets.redact import Redactor
from helmdeck.secrets.release_redact import (
    redact_secret_data,
    redact_values,
    redacted_manifest,
    schema_secret_paths,
)

VALUES = {
    "db": {"password": "s3cr3t-db-pass", "existingSecret": "db-auth", "user": "app"},
    "minio": {"rootPassword": "minio-root-xyz", "accessKey": "plain", "secretKey": "minio-secret-key"},
    "parameters": {"license": "k-123456", "size": "1Gi"},
    "clients": [{"name": "a", "clientSecret": "cs-987654"}],
    "replicas": 2,
}


def test_declared_paths_schema_fields_and_credential_keys() -> None:
    paths = [("db-password", ("db", "password")), ("missing", ("nowhere", "x"))]
    out, found = redact_values(VALUES, paths)
    assert out["db"] == {"password": "<redacted:db-password>", "existingSecret": "db-auth", "user": "app"}
    assert out["minio"] == {
        "rootPassword": "<redacted:minio.rootPassword>",
        "accessKey": "plain",
        "secretKey": "<redacted:minio.secretKey>",
    }
    assert out["clients"][0]["clientSecret"] == "<redacted:clients.0.clientSecret>"
    assert out["parameters"] == {"license": "k-123456", "size": "1Gi"}  # not named like a credential
    assert found["db-password"] == "s3cr3t-db-pass" and "missing" not in found
    assert VALUES["db"]["password"] == "s3cr3t-db-pass"  # the input is left alone


def test_schema_marks_secret_fields() -> None:
    schema = {
        "properties": {
            "parameters": {
                "properties": {
                    "license": {"type": "string", "format": "password"},
                    "token": {"type": "string", "writeOnly": True},
                    "size": {"type": "string"},
                }
            }
        }
    }
    paths = schema_secret_paths(schema)
    assert paths == [("parameters", "license"), ("parameters", "token")]
    out, found = redact_values(VALUES, [(".".join(p), p) for p in paths])
    assert out["parameters"] == {"license": "<redacted:parameters.license>", "size": "1Gi"}
    assert found["parameters.license"] == "k-123456"
    assert schema_secret_paths(None) == []


def test_secret_payloads_never_show_and_changes_show_without_values() -> None:
    secret = {"kind": "Secret", "data": {"a": "YWFh", "b": "YmJi"}, "stringData": {"c": "ccc"}}
    assert redact_secret_data(secret) == {
        "kind": "Secret",
        "data": {"a": "<redacted>", "b": "<redacted>"},
        "stringData": {"c": "<redacted>"},
    }
    other = {"kind": "Secret", "data": {"a": "YWFh", "b": "changed"}}
    assert redact_secret_data(secret, other)["data"] == {"a": "<redacted>", "b": "<redacted, changed>"}
    config = {"kind": "ConfigMap", "data": {"a": "visible"}}
    assert redact_secret_data(config) == config


def test_manifest_hides_secret_data_and_known_values_elsewhere() -> None:
    encoded = base64.b64encode(b"s3cr3t-db-pass").decode()
    manifest = f"""---
# Source: app/templates/secret.yaml
apiVersion: v1
kind: Secret
metadata:
  name: db-auth
data:
  password: {encoded}
---
# Source: app/templates/deploy.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  template:
    spec:
      containers:
        - name: app
          env:
            - name: DB_PASSWORD
              value: s3cr3t-db-pass
"""
    text = redacted_manifest(manifest, "apps", "app", Redactor({"db-password": "s3cr3t-db-pass"}))
    assert "s3cr3t-db-pass" not in text and encoded not in text
    assert "password: <redacted>" in text and "value: <redacted:db-password>" in text
    assert "# Secret/apps/db-auth" in text and "# Deployment/apps/app" in text
