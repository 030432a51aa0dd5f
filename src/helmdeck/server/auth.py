"""API tokens with roles, stored hashed.

A token reads ``hdk_<id>_<secret>``: the id finds the record, the secret is checked against its
scrypt hash (random salt per token) with a constant-time comparison. The file (``tokens.json`` in the
state directory, mode 0600) never holds a token itself, and a token is shown once, when created.
Roles are ordered: viewer (reads) < operator (installs, uninstalls, rolls back) < admin (tokens,
uploads, audit log).

Checking scrypt costs tens of milliseconds by design, so a token that passed is remembered by its
SHA-256 for a few minutes (a revoke rewrites the file and forgets every remembered token), and
the server runs the check in a worker thread.
"""

from __future__ import annotations

import contextlib
import enum
import fcntl
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from helmdeck.errors import ConfigError

_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
#: how long a token that passed scrypt is trusted by its SHA-256 alone
VERIFIED_SECONDS = 300.0
_TOKEN = re.compile(r"^hdk_([0-9a-f]{12})_([A-Za-z0-9_-]{20,})$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,62}$")


class Role(enum.IntEnum):
    viewer = 1
    operator = 2
    admin = 3

    @classmethod
    def parse(cls, text: str) -> Role:
        try:
            return cls[text]
        except KeyError:
            raise ConfigError(f"{text!r} is not a role", fix="use one of: " + ", ".join(r.name for r in cls)) from None


@dataclass(frozen=True)
class TokenRecord:
    id: str
    name: str
    role: str
    created: str
    salt: str
    hash: str

    @property
    def level(self) -> Role:
        return Role[self.role]

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "role": self.role, "created": self.created}


def _hash(secret: str, salt: bytes) -> str:
    return hashlib.scrypt(secret.encode(), salt=salt, **_SCRYPT).hex()


class TokenStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._records: dict[str, TokenRecord] = {}
        self._stamp: tuple[int, int] | None = None
        # sha256 of a checked token -> (token id, until when it is trusted without scrypt)
        self._verified: dict[str, tuple[str, float]] = {}

    # -- file --------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _reload(self) -> None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            self._records, self._stamp, self._verified = {}, None, {}
            return
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp == self._stamp:
            return
        data = json.loads(self.path.read_text(encoding="utf-8") or "{}")
        self._records = {r["id"]: TokenRecord(**r) for r in data.get("tokens", [])}
        self._stamp = stamp
        self._verified = {}

    def _save(self) -> None:
        payload = json.dumps({"tokens": [asdict(r) for r in self._records.values()]}, indent=2)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(payload)
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)
        self._stamp = None
        self._reload()

    # -- operations --------------------------------------------------------------------------
    def records(self) -> list[TokenRecord]:
        with self._lock:
            self._reload()
            return sorted(self._records.values(), key=lambda r: r.created)

    def empty(self) -> bool:
        return not self.records()

    def create(self, name: str, role: Role | str) -> tuple[TokenRecord, str]:
        """A new token; the returned secret is the only time it exists outside its holder."""
        level = role if isinstance(role, Role) else Role.parse(role)
        if not _NAME.match(name):
            raise ConfigError(
                f"token name {name!r} is not allowed",
                fix="use 1-63 letters, digits, spaces and . _ @ -, starting with a letter or digit",
            )
        secret_part = secrets.token_urlsafe(32)
        with self._lock, self._file_lock():
            self._stamp = None
            self._reload()
            if any(r.name == name for r in self._records.values()):
                raise ConfigError(f"a token named {name!r} exists", fix="pick another name, or revoke that one first")
            token_id = secrets.token_hex(6)
            salt = secrets.token_bytes(16)
            record = TokenRecord(
                id=token_id,
                name=name,
                role=level.name,
                created=datetime.now(UTC).isoformat(timespec="seconds"),
                salt=salt.hex(),
                hash=_hash(secret_part, salt),
            )
            self._records[token_id] = record
            self._save()
        return record, f"hdk_{token_id}_{secret_part}"

    def revoke(self, id_or_name: str) -> TokenRecord:
        with self._lock, self._file_lock():
            self._stamp = None
            self._reload()
            found = [r for r in self._records.values() if id_or_name in (r.id, r.name)]
            if not found:
                raise ConfigError(f"no token with id or name {id_or_name!r}", fix="see 'helmdeck serve token list'")
            del self._records[found[0].id]
            self._save()
            return found[0]

    def get(self, token_id: str) -> TokenRecord | None:
        with self._lock:
            self._reload()
            return self._records.get(token_id)

    def verify(self, token: str) -> TokenRecord | None:
        """The record of a valid token, else None (same work for a wrong secret as a right one)."""
        match = _TOKEN.match(token.strip())
        if match is None:
            return None
        token_id, secret_part = match.groups()
        digest = hashlib.sha256(token.strip().encode()).hexdigest()
        with self._lock:
            self._reload()
            record = self._records.get(token_id)
            if record is None:
                return None
            known, until = self._verified.get(digest, ("", 0.0))
            if hmac.compare_digest(known, token_id) and time.monotonic() < until:
                return record
        ok = hmac.compare_digest(_hash(secret_part, bytes.fromhex(record.salt)), record.hash)
        if not ok:
            return None
        with self._lock:
            if self._records.get(token_id) == record:
                now = time.monotonic()
                self._verified = {k: v for k, v in self._verified.items() if v[1] > now}
                self._verified[digest] = (token_id, now + VERIFIED_SECONDS)
        return record
