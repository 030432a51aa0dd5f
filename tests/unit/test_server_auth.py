from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from helmdeck.errors import ConfigError
from helmdeck.server.audit import AuditLog
from helmdeck.server.auth import Role, TokenStore


def test_tokens_are_stored_hashed_in_a_private_file(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "state" / "tokens.json")
    record, secret = store.create("alice", Role.operator)
    text = store.path.read_text()
    assert secret not in text and secret.split("_")[-1] not in text
    data = json.loads(text)["tokens"][0]
    assert data["name"] == "alice" and data["role"] == "operator" and len(data["salt"]) == 32
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert store.verify(secret) == record
    assert store.verify(secret) == record  # remembered
    assert store.verify(secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
    assert store.verify("hdk_000000000000_" + "x" * 43) is None
    assert store.verify("garbage") is None


def test_same_secret_gets_different_hashes(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "tokens.json")
    store.create("a", "viewer")
    store.create("b", "viewer")
    a, b = (json.loads(store.path.read_text())["tokens"][i] for i in (0, 1))
    assert a["salt"] != b["salt"] and a["hash"] != b["hash"]


def test_revoke_takes_effect_in_other_store_instances(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    server_side = TokenStore(path)
    cli_side = TokenStore(path)
    record, secret = cli_side.create("bob", "admin")
    assert server_side.verify(secret) is not None
    cli_side.revoke("bob")
    assert server_side.verify(secret) is None
    assert server_side.get(record.id) is None
    with pytest.raises(ConfigError, match="no token with id or name 'bob'"):
        cli_side.revoke("bob")


def test_names_and_roles_are_checked(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "tokens.json")
    with pytest.raises(ConfigError, match="is not a role"):
        store.create("x", "root")
    with pytest.raises(ConfigError, match="not allowed"):
        store.create("../../etc", "viewer")
    store.create("x", "viewer")
    with pytest.raises(ConfigError, match="exists"):
        store.create("x", "admin")
    assert Role.viewer < Role.operator < Role.admin
    assert store.empty() is False and TokenStore(tmp_path / "none.json").empty()


def test_audit_log_lines(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.log")
    log.record(actor="alice", role="operator", action="ext install", target="x", result="started", detail={"a": 1})
    log.record(actor="alice", role="operator", action="ext install", target="x", result="succeeded")
    entries = log.tail()
    assert [e["result"] for e in entries] == ["started", "succeeded"]
    assert entries[0]["detail"] == {"a": 1} and entries[0]["time"].endswith("+00:00")
    assert stat.S_IMODE(log.path.stat().st_mode) == 0o600
    assert log.tail(1)[0]["result"] == "succeeded"
