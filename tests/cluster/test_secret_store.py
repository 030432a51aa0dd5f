"""The in-cluster secret store against the sandbox's real kube-apiserver."""

from __future__ import annotations

import base64
import contextlib
import json
from pathlib import Path

import pytest
from lightkube import Client, KubeConfig
from lightkube.resources.core_v1 import Namespace, Secret

from helmdeck.secrets.kube_store import META_ANNOTATION, KubeSecretStore
from helmdeck.spec import Platform, parse_platform
from tests.cluster.conftest import SandboxHandle

pytestmark = pytest.mark.cluster


def platform_in(admin_namespace: str, tmp_path: Path) -> Platform:
    text = (
        "apiVersion: helmdeck.dev/v1\nkind: Platform\nmetadata: {name: vault-test}\nspec:\n"
        f"  namespaces: {{admin: {admin_namespace}}}\n"
        "  secrets:\n"
        "    db-password: {generate: {length: 32}, into: [app.db.password]}\n"
        "    api-key: {generate: {length: 48, alphabet: hex}, into: [app.apiKey]}\n"
        "    oauth: {fromEnv: VAULT_TEST_OAUTH, into: [app.oauth]}\n"
        "  components:\n"
        "    - {name: app, chart: oci://registry.example.org/app}\n"
    )
    return parse_platform(text, path=tmp_path / "platform.yaml")


ENV = {"VAULT_TEST_OAUTH": "oauth-from-the-environment"}


def fresh_client(sandbox: SandboxHandle) -> Client:
    return Client(KubeConfig.from_file(sandbox.kubeconfig))


def test_secrets_are_created_once_and_stay_stable(sandbox: SandboxHandle, namespace: str, tmp_path: Path) -> None:
    platform = platform_in(namespace, tmp_path)
    first = KubeSecretStore(platform, sandbox.client(), environ=ENV).ensure()
    assert len(first["db-password"]) == 32 and len(first["api-key"]) == 48
    assert first["oauth"] == "oauth-from-the-environment"

    # another operator, another client, no environment variable: the same values
    second = KubeSecretStore(platform, fresh_client(sandbox), environ={}).ensure()
    assert second == first

    obj = sandbox.client().get(Secret, name="helmdeck-secrets-vault-test", namespace=namespace)
    assert obj.metadata is not None and obj.metadata.labels is not None
    assert obj.metadata.labels["helmdeck.dev/platform"] == "vault-test"
    assert {k: base64.b64decode(v).decode() for k, v in (obj.data or {}).items()} == first
    meta = json.loads((obj.metadata.annotations or {})[META_ANNOTATION])
    assert meta["oauth"]["source"] == "env:VAULT_TEST_OAUTH"
    assert meta["db-password"]["created"] and meta["db-password"]["rotated"] is None
    for value in first.values():
        assert value not in json.dumps(meta)


def test_rotate_and_list(sandbox: SandboxHandle, namespace: str, tmp_path: Path) -> None:
    platform = platform_in(namespace, tmp_path)
    store = KubeSecretStore(platform, sandbox.client(), environ=ENV)
    before = store.ensure()
    info = store.rotate("db-password")
    after = KubeSecretStore(platform, fresh_client(sandbox), environ=ENV).ensure()
    assert after["db-password"] != before["db-password"]
    assert after["api-key"] == before["api-key"] and after["oauth"] == before["oauth"]
    assert info.rotated is not None

    listed = {i.name: i for i in store.list()}
    assert set(listed) == {"db-password", "api-key", "oauth"}
    assert listed["db-password"].rotated == info.rotated
    assert listed["api-key"].rotated is None and listed["api-key"].stored
    assert store.reveal("db-password") == after["db-password"]


def test_concurrent_stores_do_not_overwrite_each_other(sandbox: SandboxHandle, namespace: str, tmp_path: Path) -> None:
    platform = platform_in(namespace, tmp_path)
    a = KubeSecretStore(platform, sandbox.client(), environ=ENV)
    b = KubeSecretStore(platform, fresh_client(sandbox), environ=ENV)
    # b reads, a writes in between, b's write must notice and build on a's values
    entries, token = b._read()
    assert token is None and entries == {}
    values_a = a.ensure()
    assert b.ensure() == values_a


def test_the_admin_namespace_is_created_when_missing(sandbox: SandboxHandle, namespace: str, tmp_path: Path) -> None:
    admin = f"{namespace}-adm"
    platform = platform_in(admin, tmp_path)
    client = sandbox.client()
    try:
        values = KubeSecretStore(platform, client, environ=ENV).ensure()
        assert client.get(Secret, name=platform.secret_store_name, namespace=admin).data is not None
        assert len(values) == 3
    finally:
        with contextlib.suppress(Exception):
            client.delete(Namespace, admin)
