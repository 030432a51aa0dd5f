"""Helm's release storage format (driver ``secret``, ``sh.helm.release.v1.<name>.v<revision>``):
the release JSON, gzipped, base64-encoded into ``data.release`` (which the API base64-encodes once
more). Kept here so only the engine knows it."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

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
