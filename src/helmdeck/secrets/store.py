"""Where declared secrets live between runs, so every render sees the same values.

:class:`SecretStore` holds the rules (generate once, refresh external values, rotate);
subclasses only read and write the stored entries. :class:`MemoryStore` keeps them in
memory and exists for unit tests; the real one is
:class:`helmdeck.secrets.kube_store.KubeSecretStore`. For offline ``render``/``validate``
use :func:`placeholder_secrets`, and say so to the user.
"""

from __future__ import annotations

import abc
import datetime
import hashlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from helmdeck.errors import ClusterError, ConfigError
from helmdeck.secrets.generate import generate_secret
from helmdeck.secrets.redact import Redactor, remember
from helmdeck.secrets.sources import describe_source, missing_external, read_external
from helmdeck.serialize import JsonObject
from helmdeck.spec.models import SecretDecl
from helmdeck.spec.platform import Platform, did_you_mean

MAX_ATTEMPTS = 5


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0)


@dataclass(frozen=True)
class StoredSecret:
    value: str = field(repr=False)
    source: str
    created: datetime.datetime
    rotated: datetime.datetime | None = None


@dataclass(frozen=True)
class SecretInfo(JsonObject):
    """What may be shown about a secret: never its value."""

    name: str
    source: str
    declared: bool
    stored: bool
    created: datetime.datetime | None
    rotated: datetime.datetime | None


class StoreConflict(Exception):
    """Someone else wrote the store between our read and our write; read again."""


class SecretStore(abc.ABC):
    """The secrets of one platform; ``ensure`` gives every declared secret a stable value."""

    def __init__(self, platform: Platform, environ: Mapping[str, str] | None = None) -> None:
        self.platform = platform
        self._environ = environ

    # --- storage, per backend -------------------------------------------------------------

    @abc.abstractmethod
    def _read(self) -> tuple[dict[str, StoredSecret], str | None]:
        """The stored entries and a version token for the following ``_write``."""

    @abc.abstractmethod
    def _write(self, entries: dict[str, StoredSecret], token: str | None) -> None:
        """Store ``entries``; raise StoreConflict if the version moved on since ``token``."""

    @property
    @abc.abstractmethod
    def location(self) -> str:
        """Where the secrets are kept, for messages."""

    # --- the rules ----------------------------------------------------------------------

    def ensure(self, platform: Platform | None = None) -> dict[str, str]:
        """The value of every declared secret, creating or refreshing stored ones as needed.

        Generated secrets are made once and then reused. External ones (env/file) are
        taken from their source when it is available (and stored when they changed), and
        from the store otherwise. ``platform`` lets a caller pass a freshly loaded file.
        """
        platform = platform or self.platform
        if platform.name != self.platform.name:
            raise ConfigError(
                f"this secret store belongs to platform '{self.platform.name}', not '{platform.name}'",
                fix="open the store of the platform you are deploying",
            )

        def update(entries: dict[str, StoredSecret]) -> bool:
            changed = False
            for name, decl in platform.spec.secrets.items():
                entry = entries.get(name)
                fresh = self._fresh(name, decl, entry, rotate=False)
                if fresh is not entry:
                    entries[name] = fresh
                    changed = True
            return changed

        entries = self._transaction(update)
        values = {name: entries[name].value for name in platform.spec.secrets}
        remember(values)
        return values

    def rotate(self, name: str) -> SecretInfo:
        """A new value for ``name``: generated anew, or re-read from its variable or file."""
        decl = self._declaration(name)

        def update(entries: dict[str, StoredSecret]) -> bool:
            entries[name] = self._fresh(name, decl, entries.get(name), rotate=True)
            return True

        entries = self._transaction(update)
        if name in entries:
            remember({name: entries[name].value})
        return self._info(name, entries.get(name))

    def list(self) -> list[SecretInfo]:
        """Every declared secret (and any stored one no longer declared), without values."""
        entries, _ = self._read()
        names = list(self.platform.spec.secrets) + sorted(set(entries) - set(self.platform.spec.secrets))
        return [self._info(n, entries.get(n)) for n in names]

    def info(self, name: str) -> SecretInfo:
        entries, _ = self._read()
        if name not in self.platform.spec.secrets and name not in entries:
            self._declaration(name)  # raises with a suggestion
        return self._info(name, entries.get(name))

    def current(self) -> dict[str, str] | None:
        """The values ``ensure`` would return, when it would write nothing (every secret stored and
        every external one unchanged); None when it would write. Reads only: a deploy that finds
        nothing to change needs the values without a write to the store."""
        entries, _ = self._read()
        entries = dict(entries)
        for name, decl in self.platform.spec.secrets.items():
            entry = entries.get(name)
            if entry is None or self._fresh(name, decl, entry, rotate=False) is not entry:
                return None
        values = {name: entries[name].value for name in self.platform.spec.secrets}
        remember(values)
        return values

    def stored(self) -> dict[str, str]:
        """The values stored so far, generating nothing (for read-only commands such as plan)."""
        entries, _ = self._read()
        values = {name: entry.value for name, entry in entries.items()}
        remember(values)
        return values

    def reveal(self, name: str) -> str:
        """The stored value of ``name`` (for ``secrets show --reveal`` only)."""
        entries, _ = self._read()
        entry = entries.get(name)
        if entry is None:
            if name in self.platform.spec.secrets:
                raise ConfigError(
                    f"secret '{name}' has no value yet",
                    where=self.location,
                    fix="it is created by the first deploy or render with cluster access",
                )
            self._declaration(name)
            raise AssertionError("unreachable")
        remember({name: entry.value})
        return entry.value

    def redactor(self) -> Redactor:
        entries, _ = self._read()
        values = {n: e.value for n, e in entries.items()}
        remember(values)
        return Redactor(values)

    # --- helpers --------------------------------------------------------------------------

    def _declaration(self, name: str) -> SecretDecl:
        decl = self.platform.spec.secrets.get(name)
        if decl is None:
            raise ConfigError(
                f"platform '{self.platform.name}' declares no secret named '{name}'",
                where=self.platform.where(("spec", "secrets")),
                fix=did_you_mean(name, list(self.platform.spec.secrets), "secret"),
            )
        return decl

    def _fresh(self, name: str, decl: SecretDecl, entry: StoredSecret | None, *, rotate: bool) -> StoredSecret:
        """The entry ``name`` should have now; ``entry`` itself (same object) when unchanged."""
        source = describe_source(decl)
        now = _now()
        if decl.generate is not None:
            if entry is not None and not rotate:
                return entry if entry.source == source else replace(entry, source=source)
            value = generate_secret(decl.generate)
        else:
            external = read_external(name, decl, self._environ if self._environ is not None else os.environ)
            if external is None:
                if entry is not None and not rotate:
                    return entry
                raise missing_external(name, decl)
            if entry is not None and entry.value == external:
                return entry if entry.source == source else replace(entry, source=source)
            value = external
        if entry is None:
            return StoredSecret(value=value, source=source, created=now)
        return StoredSecret(value=value, source=source, created=entry.created, rotated=now)

    def _transaction(self, update: Callable[[dict[str, StoredSecret]], bool]) -> dict[str, StoredSecret]:
        for _ in range(MAX_ATTEMPTS):
            entries, token = self._read()
            entries = dict(entries)
            if not update(entries):
                return entries
            try:
                self._write(entries, token)
            except StoreConflict:
                continue
            return entries
        raise ClusterError(
            f"the secrets in {self.location} kept changing while helmdeck updated them",
            where=self.location,
            fix="another helmdeck is working on this platform; retry when it has finished",
        )

    def _info(self, name: str, entry: StoredSecret | None) -> SecretInfo:
        decl = self.platform.spec.secrets.get(name)
        return SecretInfo(
            name=name,
            source=describe_source(decl) if decl else (entry.source if entry else "unknown"),
            declared=decl is not None,
            stored=entry is not None,
            created=entry.created if entry else None,
            rotated=entry.rotated if entry else None,
        )


class MemoryStore(SecretStore):
    """Secrets kept in this process only: for unit tests (and nothing that must persist)."""

    def __init__(self, platform: Platform, environ: Mapping[str, str] | None = None) -> None:
        super().__init__(platform, environ)
        self.entries: dict[str, StoredSecret] = {}
        self.version = 0
        self.writes = 0

    @property
    def location(self) -> str:
        return f"memory (platform {self.platform.name})"

    def _read(self) -> tuple[dict[str, StoredSecret], str | None]:
        return dict(self.entries), str(self.version)

    def _write(self, entries: dict[str, StoredSecret], token: str | None) -> None:
        if token != str(self.version):
            raise StoreConflict
        self.entries = dict(entries)
        self.version += 1
        self.writes += 1


def placeholder_secrets(platform: Platform) -> dict[str, str]:
    """Stand-in values for rendering without a cluster: obviously fake and stable across runs.

    Generated secrets keep their declared length so charts that check lengths still render.
    """
    out: dict[str, str] = {}
    for name, decl in platform.spec.secrets.items():
        digest = hashlib.sha256(name.encode("utf-8")).hexdigest()
        text = f"placeholder-{name}-{digest[:16]}"
        if decl.generate is not None:
            # short placeholders must still be unlike any other text, or redaction would hit it
            length = decl.generate.length
            text = (text + digest)[:length] if length >= len(text) else digest[:length]
        out[name] = text
    remember(out)
    return out
