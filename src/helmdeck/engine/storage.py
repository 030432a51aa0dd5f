"""Helm's release storage format (driver ``secret``, ``sh.helm.release.v1.<name>.v<revision>``):
the release JSON, gzipped, base64-encoded into ``data.release`` (which the API base64-encodes once
more). Kept here so only the engine knows it."""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Iterable, Mapping
from typing import Any, Protocol, TypeVar

RELEASE_SECRET_PREFIX = "sh.helm.release.v1."  # noqa: S105 (a name, not a password)


def release_secret_name(release: str, revision: int) -> str:
    return f"{RELEASE_SECRET_PREFIX}{release}.v{revision}"


def decode_release_data(raw: str) -> dict[str, Any] | None:
    """The release JSON from a release Secret's ``data.release`` as the API returns it."""
    try:
        blob = base64.b64decode(base64.b64decode(raw))
        if blob[:2] == b"\x1f\x8b":
            blob = gzip.decompress(blob)
        data = json.loads(blob)
    except (ValueError, OSError):
        return None
    return data if isinstance(data, dict) else None


def encode_release_data(release: dict[str, Any]) -> str:
    """The inverse of :func:`decode_release_data`, as Helm writes it (gzip level as Go's default)."""
    blob = gzip.compress(json.dumps(release, separators=(",", ":")).encode(), compresslevel=6)
    return base64.b64encode(base64.b64encode(blob)).decode()


def newest_release_secrets(secrets: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Each release's newest Secret, told by Helm's labels (``name``, ``version``) without decoding
    the older revisions; a Secret whose labels say neither is kept, for decoding to tell."""
    newest: dict[tuple[str, str], tuple[int, Mapping[str, Any]]] = {}
    unlabelled: list[Mapping[str, Any]] = []
    for secret in secrets:
        meta = secret.get("metadata") or {}
        labels = meta.get("labels") or {}
        version = str(labels.get("version", ""))
        if not labels.get("name") or not version.isdigit():
            unlabelled.append(secret)
            continue
        key = (str(meta.get("namespace", "")), str(labels["name"]))
        if key not in newest or newest[key][0] < int(version):
            newest[key] = (int(version), secret)
    return [secret for _, secret in newest.values()] + unlabelled


class _Revision(Protocol):
    @property
    def namespace(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def revision(self) -> int: ...


R = TypeVar("R", bound=_Revision)


def newest_revisions(releases: Iterable[R | None]) -> list[R]:
    """The newest of each release's decoded revisions (None: a Secret that was no release)."""
    newest: dict[tuple[str, str], R] = {}
    for rel in releases:
        if rel is None:
            continue
        key = (rel.namespace, rel.name)
        if key not in newest or newest[key].revision < rel.revision:
            newest[key] = rel
    return list(newest.values())
