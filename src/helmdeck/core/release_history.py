"""A component's release revisions as Helm stored them, read from its release Secrets (one labelled
list per platform namespace), never through the Helm engine: a page view must not load Helm."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from helmdeck.cluster import ListQuery, NotFound, list_each
from helmdeck.core.session import PlatformSession
from helmdeck.engine.storage import decode_release_data
from helmdeck.errors import ClusterError
from helmdeck.labels import COMPONENT_LABEL, EXTENSION_LABEL, PLATFORM_LABEL


@dataclass(frozen=True)
class ReleaseRecord:
    release: str
    namespace: str
    revision: int
    status: str
    chart: str
    app_version: str
    updated: str
    description: str
    extension: str | None
    config: dict[str, Any] = field(repr=False)  # the values helmdeck supplied (all its layers merged)
    defaults: dict[str, Any] = field(repr=False)  # the chart's values.yaml
    schema: dict[str, Any] | None = field(repr=False)
    manifest: str = field(repr=False)
    # Helm's hooks of the revision (each with its ``manifest`` and ``events``): not in ``manifest``
    hooks: tuple[Mapping[str, Any], ...] = field(default=(), repr=False)


def _schema(raw: Any) -> dict[str, Any] | None:
    # Go's []byte: base64 in the release JSON
    if not isinstance(raw, str) or not raw:
        return None
    try:
        parsed = json.loads(base64.b64decode(raw))
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _mapping(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def record_of(secret: Mapping[str, Any]) -> ReleaseRecord | None:
    raw = (secret.get("data") or {}).get("release")
    data = decode_release_data(raw) if raw else None
    if data is None:
        return None
    chart = _mapping(data.get("chart"))
    meta, info = _mapping(chart.get("metadata")), _mapping(data.get("info"))
    labels = _mapping(_mapping(secret.get("metadata")).get("labels"))
    return ReleaseRecord(
        release=str(data.get("name", "")),
        namespace=str(data.get("namespace", "")),
        revision=int(data.get("version", 0)),
        status=str(info.get("status", "unknown")),
        chart=f"{meta.get('name', '')}-{meta.get('version', '')}",
        app_version=str(meta.get("appVersion") or ""),
        updated=str(info.get("last_deployed") or ""),
        description=str(info.get("description") or ""),
        extension=labels.get(EXTENSION_LABEL),
        config=_mapping(data.get("config")),
        defaults=_mapping(chart.get("values")),
        schema=_schema(chart.get("schema")),
        manifest=str(data.get("manifest", "")),
        hooks=tuple(h for h in data.get("hooks") or () if isinstance(h, Mapping)),
    )


def _release_secrets(session: PlatformSession, component: str) -> list[dict[str, Any]]:
    labels = {"owner": "helm", PLATFORM_LABEL: session.platform_id, COMPONENT_LABEL: component}
    namespaces = session.platform.all_namespaces()
    out: list[dict[str, Any]] = []
    for listed in list_each(session.client, [ListQuery("v1", "Secret", ns, labels=labels) for ns in namespaces]):
        if isinstance(listed, NotFound):
            continue
        if isinstance(listed, ClusterError):
            raise listed
        out += listed
    return out


def component_revisions(session: PlatformSession, component: str) -> list[ReleaseRecord]:
    """Every stored revision of the component's release, oldest first (empty: never installed)."""
    out = [r for r in map(record_of, _release_secrets(session, component)) if r is not None]
    return sorted(out, key=lambda r: r.revision)


def _label_version(secret: Mapping[str, Any]) -> int:
    labels = _mapping(_mapping(secret.get("metadata")).get("labels"))
    try:
        return int(str(labels.get("version")))
    except ValueError:
        return -1


def latest_revisions(session: PlatformSession, component: str, count: int) -> list[ReleaseRecord]:
    """The newest ``count`` revisions of the component's release, oldest first: only those are decoded
    (Helm labels each release Secret with its revision), for a view refreshed every few seconds."""
    newest = sorted(_release_secrets(session, component), key=_label_version)[-count:]
    return sorted((r for r in map(record_of, newest) if r is not None), key=lambda r: r.revision)
