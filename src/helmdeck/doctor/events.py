"""Recent events of one object, for the explanations of live findings."""

from __future__ import annotations

from helmdeck.cluster import EventSummary, KubeClient, recent_events
from helmdeck.errors import HelmdeckError


def events_of(client: KubeClient, namespace: str, kind: str, name: str) -> list[EventSummary]:
    try:
        return list(recent_events(client, namespace, {(kind, name)}, limit=5))
    except HelmdeckError:
        return []
