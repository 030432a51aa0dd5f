"""This platform's releases as ``helm list --all`` shows them (each release's newest revision, in any
status), read from Helm's release Secrets through the cluster port.

Helm's own listing decodes every revision of every release in the cluster (its storage lists all
Secrets ``owner=helm`` and filters after decoding them), in Go, whose heap never shrinks back in
this process: at 1000 components the deploy's last listing kept 44 MiB of helmdeck's memory, and
the cost grows with each release's history. Here the API server selects the platform's Secrets,
their labels tell each release's newest revision, and only that one is decoded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from helmdeck.cluster import KubeClient, ListQuery, list_each
from helmdeck.cluster.kinds import items_of
from helmdeck.engine.releases import HELM_SYSTEM_LABELS, Release, ReleaseStatus
from helmdeck.engine.storage import decode_release_data, newest_release_secrets, newest_revisions
from helmdeck.labels import PLATFORM_LABEL


def platform_releases(client: KubeClient, platform_id: str) -> list[Release]:
    """The newest revision of every release of platform ``platform_id``, in every namespace."""
    query = ListQuery("v1", "Secret", None, labels={"owner": "helm", PLATFORM_LABEL: platform_id})
    secrets = newest_release_secrets(items_of(list_each(client, [query])))
    return newest_revisions(release_of(secret) for secret in secrets)


def release_of(secret: Mapping[str, Any]) -> Release | None:
    """A release Secret as Helm's listing summarises it (no manifest, no description)."""
    raw = (secret.get("data") or {}).get("release")
    data = decode_release_data(raw) if raw else None
    if data is None:
        return None
    meta = _mapping(_mapping(data.get("chart")).get("metadata"))
    info = _mapping(data.get("info"))
    labels = _mapping(_mapping(secret.get("metadata")).get("labels"))
    app_version = meta.get("appVersion")
    return Release(
        name=str(data.get("name", "")),
        namespace=str(data.get("namespace", "")),
        revision=int(data.get("version") or 0),
        status=ReleaseStatus.parse(info.get("status")),
        chart_name=str(meta.get("name", "")),
        chart_version=str(meta.get("version", "")),
        app_version=str(app_version) if app_version else None,
        updated=_deployed_at(info.get("last_deployed")),
        labels={str(k): str(v) for k, v in labels.items() if k not in HELM_SYSTEM_LABELS},
        notes=str(info.get("notes") or ""),
    )


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _deployed_at(value: object) -> datetime | None:
    """Helm's time in whole seconds with its zone, as its listing gives it (Go writes nanoseconds,
    which Python's ISO reader does not take before 3.12)."""
    found = _GO_TIME.match(str(value or ""))
    if found is None:
        return None
    zone = found["zone"]
    try:
        return datetime.fromisoformat(found["seconds"] + ("+00:00" if zone in ("Z", "z") else zone))
    except ValueError:
        return None


_GO_TIME = re.compile(r"(?P<seconds>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+)?(?P<zone>[Zz]|[+-]\d\d:\d\d)$")
